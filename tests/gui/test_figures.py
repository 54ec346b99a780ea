"""Figures declared by protocols (`ProtocolSpec.figures`) drawn live when a measurement
finishes and again from the store in the run browser: Hebb-Wagner I(E) with its fit and
both parts, EMF E(T) with its fitted line, pO2(t) and the gas flows."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy.constants import physical_constants

from labctl import events as ev
from labctl.analysis.cell_thermodynamics import cell_thermodynamics
from labctl.capabilities import CurrentReading, GasReading, ImpedancePoint
from labctl.gui.browser import RunBrowser
from labctl.gui.liveplots import PlotsView
from labctl.protocols import atmosphere, emf
from labctl.protocols import hebb_wagner as hw
from labctl.simulators.physics.sample import SampleModel
from labctl.store import Store
from labctl.units import C_to_K, K_to_C
from tests.protocols.test_hebb_wagner import T_K, shipped

FARADAY = physical_constants["Faraday constant"][0]
AREA_M2, L_M = 1e-5, 2e-3


def hebb_wagner_result() -> hw.Result:
    """The Result of a staircase whose steady currents are the shipped cell's truth (the
    last step unsteady), fitted by the protocol's own fit."""
    v = np.arange(0.1, 1.01, 0.1)
    iss = SampleModel.from_dict(shipped()).hebb_wagner_current(v, T_K) * (1 + 0.01 * np.sin(v))
    steady = np.arange(v.size) < v.size - 1
    (n0, p0), (n_std, p_std) = hw.fit_iv(v[steady], iss[steady], T_K, AREA_M2, L_M)
    floats = lambda a: tuple(map(float, a))
    return hw.Result(T_K, n0, n_std, p0, p_std, floats(v), floats(iss), floats(iss * 0.01),
                     tuple(map(bool, steady)), (600.0,) * v.size, floats(v), floats(v), 6000.0,
                     AREA_M2, L_M)


def drawn(view: PlotsView, kind: str, title: str) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    panel = view.figures[kind, title]
    assert panel.isVisibleTo(view)
    return {name: tuple(curve.buffer.columns()[:2]) for name, curve in panel.series.items()}


def finish(view: PlotsView, step_id: int, kind: str, result, temperature_K=None) -> None:
    view.handle(ev.MeasurementStarted(1, step_id, kind, temperature_K))
    view.handle(ev.MeasurementFinished(1, step_id, kind, "done", result.to_dict()))


def check_hebb_wagner(series, result: hw.Result) -> None:
    steady_v, steady_i = series["800 °C steady I"]
    assert steady_v.tolist() == list(result.voltage_V[:-1])
    assert series["800 °C not steady (bound)"][0].tolist() == [result.voltage_V[-1]]
    e, fit = series["800 °C fit"]
    e_n, n = series["σ_n0 part"]
    e_p, p = series["σ_p0 part"]
    assert e.min() == pytest.approx(0.1) and e.max() == pytest.approx(1.0)
    np.testing.assert_allclose(n + p, fit, rtol=1e-12)              # the fit is both parts
    np.testing.assert_allclose(np.interp(steady_v, e, fit), steady_i, rtol=0.03)
    x = e * FARADAY / (physical_constants["molar gas constant"][0] * T_K)
    scale = physical_constants["molar gas constant"][0] * T_K * AREA_M2 / (FARADAY * L_M)
    np.testing.assert_allclose(n, scale * result.sigma_n0_S_per_m * (1 - np.exp(-x)), rtol=1e-9)
    np.testing.assert_allclose(p, scale * result.sigma_p0_S_per_m * np.expm1(x), rtol=1e-9)
    assert n[0] > p[0] and p[-1] > n[-1]          # electrons at low E, holes at high E


def test_hebb_wagner_i_e_with_fit_and_parts_live_and_in_the_run_browser(qtbot, tmp_path):
    result = hebb_wagner_result()
    view = PlotsView()
    qtbot.addWidget(view)
    view.show()
    finish(view, 7, hw.KIND, result, T_K)
    check_hebb_wagner(drawn(view, hw.KIND, "Hebb-Wagner I(E)"), result)
    assert view.figures[hw.KIND, "Hebb-Wagner I(E)"].plot.getAxis("left").logMode

    db = tmp_path / "lab.sqlite"
    with Store.open(db) as store:
        run = store.create_run("hw", "", {}, {"name": "8YSZ"})
        step = store.start_step(run, hw.KIND, {}, T_K)
        store.finish_step(step, "done", result.to_dict())
        store.finish_run(run, "done")
    browser = RunBrowser(db)
    qtbot.addWidget(browser)
    browser.show()
    try:
        browser.open(run)
        check_hebb_wagner(drawn(browser.plots, hw.KIND, "Hebb-Wagner I(E)"), result)
        browser.plots.clear()                        # another run: no figure left standing
        assert not browser.plots.figures[hw.KIND, "Hebb-Wagner I(E)"].isVisibleTo(browser)
    finally:
        browser.close_store()


def emf_result(T_C: float, emf_V: float, steady: bool = True) -> emf.Result:
    return emf.Result(emf_V, 2e-5, C_to_K(T_C), 0.05, steady, 1e-8, 1600.0, 2.0,
                      -2 * FARADAY * emf_V, 2 * FARADAY * 2e-5)


def test_emf_e_t_with_the_fitted_line_of_the_steady_readings(qtbot):
    view = PlotsView()
    qtbot.addWidget(view)
    view.show()
    temperatures = [676.85, 726.85, 776.85]
    emfs = [0.70 - 4.7e-4 * (t - 676.85) + d for t, d in zip(temperatures, (0, 3e-5, -1e-5))]
    finish(view, 1, emf.KIND, emf_result(temperatures[0], emfs[0]))
    series = drawn(view, emf.KIND, "EMF E(T)")
    assert list(series) == ["steady EMF"]                 # one temperature: no line yet
    for step, (t, e) in enumerate(zip(temperatures[1:], emfs[1:]), 2):
        finish(view, step, emf.KIND, emf_result(t, e))
    finish(view, 9, emf.KIND, emf_result(826.85, 0.1, steady=False))
    series = drawn(view, emf.KIND, "EMF E(T)")
    expected = cell_thermodynamics([C_to_K(t) for t in temperatures], emfs, [2e-5] * 3, 2.0)
    (line,) = [name for name in series if name.startswith("fit: ΔS = ")]
    assert f"{expected.dS_J_per_mol_K:.2f}" in line
    t_line, e_line = series[line]
    assert t_line.tolist() == pytest.approx([temperatures[0], temperatures[-1]])
    np.testing.assert_allclose(np.diff(e_line) / np.diff(t_line), expected.dE_dT_V_per_K)
    e0 = -expected.dG_J_per_mol / (2 * FARADAY)      # the line passes E(T0) of the fit
    assert np.interp(K_to_C(expected.dG_temperature_K), t_line, e_line) == pytest.approx(e0)
    assert series["not steady"][0].tolist() == [826.85]      # shown, not fitted
    assert series["steady EMF"][1].tolist() == pytest.approx(emfs)


def test_atmosphere_po2_t_and_flows_with_a_gap_where_a_line_did_not_follow(qtbot):
    view = PlotsView()
    qtbot.addWidget(view)
    view.show()
    t = (0.0, 10.0, 20.0, 30.0)
    p = tuple(2000 + 19000 * math.exp(-s / 10) for s in t)
    result = atmosphere.Result(9.5, 190.5, True, 30.0, 2000.0, 5.0, 1.2e4, 10.0, 20.0, 25.0,
                               t, p, (9.4, None, 9.5, 9.5), (190.0, 190.4, 190.5, 190.5))
    finish(view, 3, atmosphere.KIND, result, C_to_K(700.0))
    gas = drawn(view, atmosphere.KIND, "pO2(t)")
    assert gas["pO2, step 1 at 700 °C"][1].tolist() == pytest.approx(p)
    assert gas["steady pO2, step 1 at 700 °C"][1].tolist() == [2000.0, 2000.0]
    assert view.figures[atmosphere.KIND, "pO2(t)"].plot.getAxis("left").logMode
    flows = drawn(view, atmosphere.KIND, "Gas flows")
    o2 = flows["O2 line, step 1 at 700 °C"][1]
    assert np.isnan(o2[1]) and o2[[0, 2, 3]].tolist() == [9.4, 9.5, 9.5]
    assert flows["inert line, step 1 at 700 °C"][1].tolist() == [190.0, 190.4, 190.5, 190.5]


def test_hebb_wagner_i_e_grows_live_from_the_latest_current_of_each_step(qtbot):
    view = PlotsView()
    qtbot.addWidget(view)
    view.show()
    view.handle(ev.MeasurementStarted(1, 4, hw.KIND, T_K))
    readings = [(0.1, 3e-6), (0.1, 1e-6), (0.1, 8e-7), (0.2, 5e-6), (0.2, 2e-6), (0.3, 9e-6)]
    for t, (v, i) in enumerate(readings):
        view.handle(ev.PointRecorded(1, 4, CurrentReading(float(t), v, i)))
    panel = view.figures[hw.KIND, "Hebb-Wagner I(E)"]
    qtbot.waitUntil(lambda: "latest I of each step" in panel.series)   # at its refresh
    v, i = panel.series["latest I of each step"].buffer.columns()[:2]
    assert v.tolist() == [0.1, 0.2, 0.3] and i.tolist() == [8e-7, 2e-6, 9e-6]
    view.handle(ev.MeasurementFinished(1, 4, hw.KIND, "done", hebb_wagner_result().to_dict()))
    panel.refresh()
    assert "latest I of each step" not in panel.series and "800 °C fit" in panel.series


def test_atmosphere_po2_t_grows_live_from_the_gas_readings_not_the_z_monitor(qtbot):
    """While the tube settles: pO2(t) from the gas points as they arrive (the |Z| monitor's
    impedance points of the same step do not enter it); the finished step replaces it."""
    view = PlotsView()
    qtbot.addWidget(view)
    view.show()
    view.handle(ev.MeasurementStarted(1, 6, atmosphere.KIND, C_to_K(700.0)))
    t = (100.0, 110.0, 120.0)
    p = (21000.0, 9000.0, 4000.0)
    for time_s, pO2 in zip(t, p):
        view.handle(ev.PointRecorded(1, 6, GasReading(time_s, pO2, 9.5, 190.5)))
        view.handle(ev.PointRecorded(1, 6, ImpedancePoint(time_s + 1, 1.0, 1e4 - 1e3j, 0.01)))
    panel = view.figures[atmosphere.KIND, "pO2(t)"]
    qtbot.waitUntil(lambda: "pO2, settling at 700 °C" in panel.series)
    x, y = panel.series["pO2, settling at 700 °C"].buffer.columns()[:2]
    assert x.tolist() == [0.0, 10.0, 20.0] and y.tolist() == list(p)
    result = atmosphere.Result(9.5, 190.5, True, 20.0, 4000.0, 5.0, 1.2e4, 10.0, 20.0, 20.0,
                               (0.0, 10.0, 20.0), p, (9.5,) * 3, (190.5,) * 3)
    view.handle(ev.MeasurementFinished(1, 6, atmosphere.KIND, "done", result.to_dict()))
    panel.refresh()
    assert "pO2, settling at 700 °C" not in panel.series
    assert "pO2, step 1 at 700 °C" in panel.series


def test_emf_shows_the_latest_reading_of_the_plateau_being_read(qtbot):
    view = PlotsView()
    qtbot.addWidget(view)
    view.show()
    view.handle(ev.MeasurementStarted(1, 5, emf.KIND, C_to_K(726.85)))
    for t, volts in enumerate((0.75, 0.74, 0.739)):
        view.handle(ev.PointRecorded(1, 5, CurrentReading(10.0 * t, volts, 0.0)))
    panel = view.figures[emf.KIND, "EMF E(T)"]
    qtbot.waitUntil(lambda: "latest reading (not steady yet)" in panel.series)
    t, e = panel.series["latest reading (not steady yet)"].buffer.columns()[:2]
    assert t.tolist() == pytest.approx([726.85]) and e.tolist() == [0.739]
    view.handle(ev.MeasurementFinished(1, 5, emf.KIND, "done",
                                       emf_result(726.85, 0.7385).to_dict()))
    panel.refresh()
    assert list(panel.series) == ["steady EMF"]


def test_each_samples_emfs_are_fitted_apart_and_the_selector_shows_one(qtbot):
    """Two cells in one furnace, dE/dT of opposite sign: each sample's own line (named
    and coloured by sample), never one through both; the Sample selector shows one."""
    view = PlotsView()
    qtbot.addWidget(view)
    view.show()
    view.set_samples(["A", "B"])
    temperatures = [676.85, 726.85, 776.85]
    slopes = {"A": -4.7e-4, "B": 3.0e-4}
    for k, (sample, slope) in enumerate(slopes.items()):
        for j, t in enumerate(temperatures):
            step = 10 * k + j
            view.handle(ev.MeasurementStarted(1, step, emf.KIND, None, sample))
            view.handle(ev.MeasurementFinished(
                1, step, emf.KIND, "done", emf_result(t, 0.70 + slope * (t - 676.85)).to_dict()))
    expected = {s: cell_thermodynamics([C_to_K(t) for t in temperatures],
                                       [0.70 + m * (t - 676.85) for t in temperatures],
                                       [2e-5] * 3, 2.0).dS_J_per_mol_K
                for s, m in slopes.items()}
    series = drawn(view, emf.KIND, "EMF E(T)")
    for sample, dS in expected.items():
        (line,) = [n for n in series if n.startswith(f"{sample}: fit: ΔS = ")]
        assert f"{dS:.2f}" in line
    panel = view.figures[emf.KIND, "EMF E(T)"]
    assert {c.sample for _, c, _, _ in panel.curves} == {"A", "B"}
    view.sample_box.setCurrentText("B")
    series = drawn(view, emf.KIND, "EMF E(T)")
    (line,) = [n for n in series if n.startswith("fit: ΔS = ")]
    assert f"{expected['B']:.2f}" in line and len(series) == 2     # B's points and line
    assert {c.sample for _, c, _, _ in panel.curves} == {"B"}
