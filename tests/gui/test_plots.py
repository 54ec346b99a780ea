"""Live plots: what goes where, -Z'' up on equal axes, colours by temperature, readout,
export, replot of a stored run and following a running one."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtCore import QPointF, Qt

from labctl import events as ev
from labctl.capabilities import CurrentReading, ImpedancePoint, TemperatureReading
from labctl.gui.plots import NyquistPlot
from labctl.store import Store

F_HZ = np.logspace(6, -1, 15)


def arc(r_Ohm, f=F_HZ, c_F=1e-9):
    return r_Ohm / (1 + 2j * np.pi * f * r_Ohm * c_F)


def plateau_events(run_id, step_eis, step_dc, T, r_Ohm):
    yield ev.MeasurementStarted(run_id, step_eis, "eis", T)
    for i, (f, z) in enumerate(zip(F_HZ, arc(r_Ohm))):
        yield ev.PointRecorded(run_id, step_eis, ImpedancePoint(i, f, z, 0.01))
    yield ev.MeasurementFinished(run_id, step_eis, "eis", "done", {"r_ion_Ohm": r_Ohm})
    yield ev.MeasurementStarted(run_id, step_dc, "dc_polarization", T)
    for i in range(50):
        yield ev.PointRecorded(run_id, step_dc, CurrentReading(100.0 + i, 0.5, 1e-6 * (1 + np.exp(-i / 10))))
    yield ev.MeasurementFinished(run_id, step_dc, "dc_polarization", "done", {"Iss_A": 1e-6})
    yield ev.TemperatureRecorded(run_id, TemperatureReading(100.0, T + 0.1, T, 20.0))


def drawn(curve):
    curve.render()
    return curve.item.getData()


def test_events_reach_every_plot(view):
    for e in [*plateau_events(1, 1, 2, 573.15, 1e5), *plateau_events(1, 3, 4, 673.15, 1e4)]:
        view.handle(e)
    assert set(view.nyquist.spectra) == {1, 3} and set(view.bode.spectra) == {1, 3}
    x, y = drawn(view.nyquist.spectra[1][0])
    np.testing.assert_allclose(x, arc(1e5).real)
    np.testing.assert_allclose(y, -arc(1e5).imag)         # -Z'' up
    assert (y > 0).all()
    _, magnitude = view.bode.spectra[3][0].buffer.columns()[:2]
    np.testing.assert_allclose(magnitude, np.abs(arc(1e4)))
    assert len(view.current.curves_by_key[2]) == 50
    t, _ = drawn(view.current.curves_by_key[2])
    assert t[0] == 0.0                                     # time since the step started
    assert len(view.temperature.temperature) == 2
    inv_T, sigma_T = view.arrhenius.points.buffer.columns()[:2]
    np.testing.assert_allclose(inv_T, [1000 / 573.15, 1000 / 673.15])
    np.testing.assert_allclose(sigma_T, np.log10([573.15 / 1e5, 673.15 / 1e4]))
    x_range, _ = view.nyquist.plot.vb.viewRange()     # the largest arc, not the spike
    assert x_range[0] == pytest.approx(0.0, abs=0.05 * 1e5) and 1e5 < x_range[1] < 1.4e5
    steady = [c for p, c, _, _ in view.current.curves if c.item.opts.get("symbol") == "star"]
    assert [c.row(0)[1] for c in steady] == [1e-6, 1e-6]


def test_nyquist_has_equal_axes_and_a_colour_per_temperature(qtbot):
    plot = NyquistPlot()
    qtbot.addWidget(plot)
    for key, T in enumerate((573.15, 623.15, 673.15, 623.15)):
        plot.start(key, T)
        plot.add(key, F_HZ, arc(1e4))
    assert plot.plot.vb.state["aspectLocked"] == 1.0
    colours = [c.item.opts["pen"].color().name() for _, c, _, _ in plot.curves]
    assert len(set(colours[:3])) == 3 and colours[1] == colours[3]


def test_fit_overlay_replaces_the_previous_fit(qtbot):
    plot = NyquistPlot()
    qtbot.addWidget(plot)
    plot.start(7, 600.0)
    plot.add(7, F_HZ, arc(1e4))
    plot.set_fit(7, F_HZ, arc(1.1e4))
    plot.set_fit(7, F_HZ[:5], arc(1.2e4, F_HZ[:5]))
    fit = plot.fits[7]
    assert len(fit) == 5
    pen = fit.item.opts["pen"]               # solid black, over the data
    assert pen.color().name() == "#000000" and pen.style() == Qt.SolidLine
    assert fit.item.zValue() > plot.spectra[7][0].item.zValue()
    np.testing.assert_allclose(fit.buffer.columns()[0], arc(1.2e4, F_HZ[:5]).real)


def test_each_stream_goes_to_its_plot_with_its_temperature(view):
    """A stabilization's |Z| monitor goes under T(t), not into Nyquist/Bode; a stability-
    window sweep into I(V), not I(t); legends name the temperature."""
    for e in plateau_events(1, 2, 3, 573.15, 1e5):
        view.handle(e)
    view.handle(ev.MeasurementStarted(1, 1, "stabilize", 573.15))
    for i in range(5):
        view.handle(ev.PointRecorded(1, 1, ImpedancePoint(10.0 * i, 1e3, 1e5 - i * 1e3, 0.01)))
    view.handle(ev.MeasurementStarted(1, 4, "stability_window", 573.15))
    assert not view.sweep.isVisibleTo(view)
    for i, v in enumerate(np.linspace(0, 3, 7)):
        view.handle(ev.PointRecorded(1, 4, CurrentReading(500.0 + i, v, 1e-6 * v)))
    assert set(view.nyquist.spectra) == set(view.bode.spectra) == {2}
    assert set(view.current.curves_by_key) == {3}
    assert len(view.temperature.monitors[1]) == 5
    assert len(view.sweep.curves_by_key[4]) == 7 and view.sweep.isVisibleTo(view)
    for panel, plot in ((view.nyquist, view.nyquist.plot), (view.current, view.current.plot),
                        (view.sweep, view.sweep.plot)):
        names = [label.text for _, label in plot.legend.items]
        assert names == ["300 °C"], (panel.title, names)
    view.clear()
    assert not view.sweep.isVisibleTo(view)


def test_new_data_is_shown_unless_the_user_zoomed_this_run(view):
    plot = view.current.plot
    for e in plateau_events(1, 1, 2, 573.15, 1e5):
        view.handle(e)
    view.current.refresh()
    plot.vb.sigRangeChangedManually.emit([True, True])    # as a mouse zoom does
    plot.vb.setRange(xRange=(0, 1), yRange=(0, 1e-9))
    assert view.current.zoomed
    view.clear()                                           # the next run
    assert not view.current.zoomed
    for e in plateau_events(2, 5, 6, 673.15, 1e4):
        view.handle(e)
    view.current.refresh()
    plot.vb.updateAutoRange()
    (x0, x1), _ = plot.vb.viewRange()
    assert x0 <= 0.0 and x1 >= 49.0                        # all of the new curve
    plot.vb.sigRangeChangedManually.emit([True, True])
    plot.vb.setRange(xRange=(0, 1))
    view.current.fit_all()
    plot.vb.updateAutoRange()
    assert not view.current.zoomed and plot.vb.viewRange()[0][1] >= 49.0


def test_time_axes_read_in_s_min_h():
    from labctl.gui.plotpanel import DurationAxis, duration
    assert (duration(30.0), duration(600.0), duration(4 * 3600.0)) == ("30 s", "10 min", "4 h")
    axis = DurationAxis()
    levels = axis.tickValues(0.0, 5 * 3600.0, 400)
    assert axis.tickStrings(levels[0][1], 1.0, levels[0][0])[:3] == ["0 h", "1 h", "2 h"]
    axis.tickValues(0.0, 900.0, 400)
    assert axis.tickStrings([300.0], 1.0, 300.0) == ["5 min"]


def test_readout_names_the_point_under_the_cursor(view):
    for e in plateau_events(1, 1, 2, 573.15, 1e5):
        view.handle(e)
    nyquist = view.nyquist
    nyquist.refresh()
    nyquist.plot.vb.autoRange()
    z = arc(1e5)[4]
    nyquist._pick(nyquist.plot.vb.mapViewToScene(QPointF(z.real, -z.imag)))
    assert "300 °C" in nyquist.readout.text()
    assert f"f = {F_HZ[4] / 1e3:.4g} kHz" in nyquist.readout.text()
    nyquist._pick(nyquist.plot.vb.mapViewToScene(QPointF(-1e6, -1e6)))   # far away: unchanged
    assert f"{F_HZ[4] / 1e3:.4g} kHz" in nyquist.readout.text()


@pytest.mark.parametrize("suffix,magic", [(".png", b"\x89PNG"), (".svg", b"<svg")])
def test_export(view, tmp_path, suffix, magic):
    for e in plateau_events(1, 1, 2, 573.15, 1e5):
        view.handle(e)
    for panel in view.panels:
        path = panel.export(tmp_path / f"{panel.title}{suffix}")
        assert magic in path.read_bytes()[:400]


def test_export_refuses_other_formats(view, tmp_path):
    from labctl.errors import LabctlError
    with pytest.raises(LabctlError, match=r"\.png or \.svg"):
        view.nyquist.export(tmp_path / "plot.jpg")


@pytest.mark.parametrize("chosen,suffix", [("PNG image (*.png)", ".png"),
                                           ("SVG drawing (*.svg)", ".svg")])
def test_export_adds_the_chosen_suffix_and_says_where(view, tmp_path, chosen, suffix):
    panel = view.bode
    path = panel.export_as(str(tmp_path / "bode"), chosen)
    assert path == tmp_path / f"bode{suffix}" and path.stat().st_size > 0
    assert panel.readout.text() == f"exported to {path}"


def test_export_says_why_nothing_was_saved(view, tmp_path):
    panel = view.nyquist
    assert panel.export_as(str(tmp_path / "missing-folder" / "plot"), "SVG drawing (*.svg)") is None
    assert panel.readout.text().startswith("not exported: ")
    assert not (tmp_path / "missing-folder").exists()


def test_replots_a_stored_run_and_follows_it_while_it_runs(view, tmp_path):
    with Store.open(tmp_path / "lab.sqlite") as store:
        run = store.create_run("r", "", {}, {"thickness_m": 1e-3, "area_m2": 1e-4})
        eis = store.start_step(run, "eis", {}, 600.0)
        store.add_impedance(eis, {"time_s": np.arange(15.0), "frequency_Hz": F_HZ,
                                  "impedance_Ohm": arc(1e4), "amplitude_V": 0.01})
        store.add_temperature(run, [TemperatureReading(i, 600.0, 600.0, 5.0) for i in range(4)])
        view.load_run(store, run)
        assert len(view.nyquist.spectra[eis][0]) == 15
        assert len(view.temperature.temperature) == 4
        dc = store.start_step(run, "dc_polarization", {}, 600.0)
        store.add_dc(dc, [CurrentReading(20.0 + i, 0.5, 1e-6) for i in range(6)])
        assert view.follow(store, run) == 6
        assert view.follow(store, run) == 0
        assert len(view.current.curves_by_key[dc]) == 6
        assert len(view.nyquist.spectra[eis][0]) == 15     # not read twice
        store.finish_step(eis, "done", {"r_ion_Ohm": 1e4})
        view.follow(store, run)                            # a stored result, once
        view.follow(store, run)
        assert len(view.arrhenius.points) == 1
        view.load_run(store, run)                          # reopening starts afresh
        assert len(view.nyquist.spectra[eis][0]) == 15 and len(view.temperature.temperature) == 4


def test_arrhenius_gives_the_activation_energy_of_its_points(qtbot):
    from scipy.constants import Boltzmann, electron_volt

    from labctl.gui.plots import ArrheniusPlot
    plot = ArrheniusPlot()
    qtbot.addWidget(plot)
    plot.set_geometry(1e-3, 1e-4)
    for T in (573.15, 623.15, 673.15):   # sigma*T = 1e5 exp(-0.8 eV / kT)
        sigma_T = 1e5 * np.exp(-0.8 * electron_volt / (Boltzmann * T))
        plot.add(T, 1e-3 / 1e-4 * T / sigma_T)
    assert plot.activation_energy_eV() == pytest.approx(0.8, rel=1e-9)
    assert "0.800 eV" in plot.plot.titleLabel.text


def test_one_legend_entry_per_temperature(qtbot):
    plot = NyquistPlot()
    qtbot.addWidget(plot)
    for key, T in enumerate((573.15, 573.15, 673.15)):   # two spectra at 300 °C
        plot.start(key, T)
    assert [label.text for _, label in plot.plot.legend.items] == ["300 °C", "400 °C"]


def test_normalised_nyquist_shows_arcs_of_any_size_at_one_zoom(view):
    for e in [*plateau_events(1, 1, 2, 573.15, 1e5), *plateau_events(1, 3, 4, 673.15, 1e3)]:
        view.handle(e)
    nyquist = view.nyquist
    nyquist.normalise.setChecked(True)
    nyquist.refresh()
    for key, r in ((1, 1e5), (3, 1e3)):            # both arcs end at Z'/R_ion = 1
        item = nyquist.spectra[key][0].item
        end = nyquist.plot.vb.mapFromItemToView(item, QPointF(float(item.getData()[0].max()), 0))
        assert end.x() == pytest.approx(1.0, rel=0.02), key
    (x0, x1), _ = nyquist.plot.vb.viewRange()
    assert x0 <= 0.0 and 1.0 < x1 < 1.4
    assert nyquist.plot.getAxis("bottom").labelText == "Z' / R_ion"
    nyquist.start(9, 773.15)                       # a spectrum without R_ion yet: hidden
    nyquist.add(9, F_HZ, arc(1e2))
    assert not nyquist.spectra[9][0].item.isVisible()
    nyquist.normalise.setChecked(False)
    assert nyquist.spectra[9][0].item.isVisible()
    assert nyquist.spectra[1][0].item.transform().m11() == 1.0


def test_a_narrow_arrhenius_panel_still_shows_every_point(qtbot):
    from labctl.gui.plots import ArrheniusPlot
    panel = ArrheniusPlot()
    qtbot.addWidget(panel)
    panel.resize(260, 300)
    panel.show()
    for T in (573.15, 623.15, 673.15, 723.15, 773.15):
        panel.add(T, 1e5 * np.exp(-(T - 573.15) / 50))
    qtbot.waitUntil(lambda: panel.plot.sceneBoundingRect().width() > 0, timeout=5000)
    assert panel.plot.sceneBoundingRect().right() <= panel.graphics.width() + 1  # not cropped
    panel.refresh()
    panel.plot.vb.updateAutoRange()
    (x0, x1), _ = panel.plot.vb.viewRange()
    assert x0 <= 1000 / 773.15 and x1 >= 1000 / 573.15
