"""Plots of a run with several pellets (`tests.multisample`): one colour per sample, the
sample selector of Nyquist and Bode, each sample's Arrhenius points with its own geometry;
the run browser analyzes each sample and draws each fit over its own spectrum."""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
import pytest

from labctl import events as ev
from labctl.capabilities import ImpedancePoint
from labctl.gui.browser import RunBrowser
from labctl.gui.liveplots import ALL_SAMPLES
from labctl.store import Store
from labctl.units import C_to_K
from tests.multisample import PELLETS, TEMPERATURES_C, pellet, write_run


@pytest.fixture(scope="module")
def db(tmp_path_factory):
    path = tmp_path_factory.mktemp("multisample") / "runs.sqlite"
    return path, write_run(path)


def colours(panel, sample):
    """The colours of `panel`'s shown data curves of `sample` (line, else symbols)."""
    found = set()
    for _, curve, _, _ in panel.curves:
        if curve.sample == sample and curve.colour is None and curve.item.isVisible():
            pen, brush = curve.item.opts["pen"], curve.item.opts["symbolBrush"]
            found.add((pg.mkPen(pen).color() if pen is not None
                       else pg.mkBrush(brush).color()).name())
    return found


def test_one_colour_per_sample_and_a_selector_for_the_spectra(view, db):
    path, run = db
    with Store.open(path, create=False) as store:
        view.load_run(store, run)
    box = view.sample_box
    assert not box.isHidden()
    assert [box.itemText(i) for i in range(box.count())] == [ALL_SAMPLES, *PELLETS]
    for panel in (view.nyquist, view.bode, view.current):
        per_sample = [colours(panel, name) for name in PELLETS]
        assert all(len(c) == 1 for c in per_sample), panel.title      # one per sample
        assert len(set().union(*per_sample)) == len(PELLETS)           # all different
    box.setCurrentText("B")
    for panel in (view.nyquist, view.bode):
        shown = {curve.sample for _, curve, _, _ in panel.curves if curve.item.isVisible()}
        assert shown == {"B"}
        assert len(colours(panel, "B")) == len(TEMPERATURES_C)        # by temperature again
    assert {c.sample for _, c, _, _ in view.current.curves if c.item.isVisible()} == \
        set(PELLETS)                                                  # I(t) shows all
    view.nyquist.normalise.setChecked(True)                           # Z / R_ion: still B only
    assert {c.sample for _, c, _, _ in view.nyquist.curves if c.item.isVisible()} == {"B"}
    box.setCurrentText(ALL_SAMPLES)
    assert {c.sample for _, c, _, _ in view.nyquist.curves if c.item.isVisible()} == \
        set(PELLETS)


def test_arrhenius_per_sample_with_its_own_geometry(view, db):
    path, run = db
    with Store.open(path, create=False) as store:
        view.load_run(store, run)
    plot = view.arrhenius
    assert sorted(plot.by_sample) == sorted(PELLETS) and len(plot.points) == 0
    for name in PELLETS:
        truth = pellet(name)
        inv_T, log_y = plot.by_sample[name].buffer.columns()[:2]
        T = 1000.0 / inv_T
        sigma = [1 / (1 / truth.sigma("bulk", t) + truth.resistances(t)["grain_boundary"]
                      * truth.sample.area_m2 / truth.sample.thickness_m) for t in T]
        np.testing.assert_allclose(log_y, np.log10(np.array(sigma) * T), rtol=1e-9)
        assert plot.activation_energy_eV(name) == pytest.approx(
            truth.bulk.Ea_eV, abs=0.1)                    # bulk + gb: between the two Ea
    assert all(f"{name} " in plot.plot.titleLabel.text for name in PELLETS)


def test_arrhenius_puts_a_calibrated_pellet_at_its_own_temperature(view, tmp_path):
    """Pellet C 8 K below the thermocouple, its position calibrated at -7.9 K: its points at
    thermocouple - 7.9 K, the others' at the thermocouple's."""
    path = tmp_path / "runs.sqlite"
    run = write_run(path, offsets_K={"C": -8.0}, calibrated_K={"C": -7.9})
    with Store.open(path, create=False) as store:
        view.load_run(store, run)
    for name, offset in (("A", 0.0), ("C", -7.9)):
        inv_T = view.arrhenius.by_sample[name].buffer.columns()[0]
        np.testing.assert_allclose(1000.0 / inv_T,
                                   [C_to_K(t) + offset for t in TEMPERATURES_C], rtol=1e-9)


def test_live_events_name_their_sample(view):
    """A run's events: each measurement names its sample; without the samples' geometry
    (not given beforehand) Arrhenius shows T/R, not sigma*T of the run's table."""
    view.arrhenius.set_geometry(1e-3, 1e-4)
    for step, sample in ((1, "A"), (2, "B")):
        view.handle(ev.MeasurementStarted(1, step, "eis", C_to_K(300.0), sample))
        view.handle(ev.PointRecorded(1, step, ImpedancePoint(0.0, 1e3, 1e4 - 1e3j, 0.01)))
        view.handle(ev.MeasurementFinished(1, step, "eis", "done", {"r_ion_Ohm": 1e4}))
    assert not view.sample_box.isHidden()
    assert colours(view.nyquist, "A") != colours(view.nyquist, "B")
    log_y = view.arrhenius.by_sample["B"].buffer.columns()[1]
    assert log_y == pytest.approx([np.log10(C_to_K(300.0) / 1e4)])
    assert view.arrhenius.plot.getAxis("left").labelText.startswith("log₁₀(T/R")


def test_a_sample_has_one_colour_in_every_plot_whatever_it_measured_first(view):
    """D (a Li+ pellet: spectra only) measures first, A and B then polarize too: A is in
    I(t) the colour it is in Nyquist (I(t) coloured by order of appearance in each plot:
    A took D's blue there)."""
    from labctl.capabilities import CurrentReading

    view.set_run_sample({"samples": [{"name": n} for n in ("A", "B", "C", "D")]})
    for step, kind, sample in ((1, "eis", "D"), (2, "eis", "A"), (3, "eis", "B"),
                               (4, "dc_polarization", "A"), (5, "dc_polarization", "B")):
        view.handle(ev.MeasurementStarted(1, step, kind, C_to_K(300.0), sample))
        point = ImpedancePoint(0.0, 1e3, 1e4 - 1e3j, 0.01) if kind == "eis" else \
            CurrentReading(1.0, 0.1, 1e-6)
        view.handle(ev.PointRecorded(1, step, point))
    assert colours(view.current, "A") == colours(view.nyquist, "A")
    assert colours(view.current, "B") == colours(view.nyquist, "B")
    assert colours(view.nyquist, "A") != colours(view.nyquist, "D")


def test_the_browsers_drt_follows_the_sample_selector_in_the_samples_colours(qtbot, db):
    """Four pellets' gamma(tau) at three temperatures were one tangle coloured by
    temperature only: each sample's DRT is in its Nyquist colour, one sample's alone
    when the selector names it."""
    path, run = db
    browser = RunBrowser(path)
    qtbot.addWidget(browser)
    try:
        browser.open(run)
        spectra = len(PELLETS) * len(TEMPERATURES_C)
        qtbot.waitUntil(lambda: len(browser.drt.results) == spectra, timeout=60_000)
        for name in PELLETS:
            assert colours(browser.drt, name) == colours(browser.plots.nyquist, name)
        browser.plots.sample_box.setCurrentText("B")
        shown = {c.sample for _, c, _, _ in browser.drt.curves if c.item.isVisible()}
        assert shown == {"B"}
    finally:
        browser.close_store()


def test_the_browser_analyzes_each_sample_and_draws_its_fits(qtbot, tmp_path):
    path = tmp_path / "runs.sqlite"
    run = write_run(path, ("A", "B", "C"), (280.0, 320.0), failed=("B",))
    browser = RunBrowser(path)
    qtbot.addWidget(browser)
    try:
        with qtbot.waitSignal(browser.analyzed, timeout=240_000):
            browser.analyze(run, tmp_path / "report")
        assert (tmp_path / "report" / "index.html").exists()
        assert (tmp_path / "report" / "C" / "index.html").exists()
        with Store.open(path, create=False) as store:
            eis = {s.id: s.sample for s in store.steps(run)
                   if s.kind == "eis" and s.status == "done"}
        assert sorted(browser.plots.nyquist.fits) == sorted(eis)
        for step, sample in eis.items():            # each fit over its own sample's arc
            fit = browser.plots.nyquist.fits[step].buffer.columns()
            data = browser.plots.nyquist.spectra[step][0].buffer.columns()
            assert np.nanmax(fit[0]) == pytest.approx(np.nanmax(data[0]), rel=0.05), sample
        assert "4 of 4 spectra fitted" in browser.message.text()
        assert "sample B has no finished impedance spectrum" in browser.message.text()
    finally:
        browser.close_store()


def test_a_recipe_of_several_pellets_started_in_the_window_sets_each_samples_geometry(window):
    """An in-process run: before its first point the plots know the pellets and their
    geometries (the window set the run's one geometry, none for [[samples]])."""
    from pathlib import Path

    from labctl.bench import load_bench
    from labctl.recipe import parse_recipe

    example = Path(__file__).parents[2] / "examples" / "multisample.toml"
    recipe = parse_recipe(example.read_text(), load_bench("sim-multi"), source=str(example))
    names = [table["name"] for table in recipe.sample["samples"]]
    window._recipe_started(recipe)
    arrhenius = window.plots.arrhenius
    assert len(names) == 4 and arrhenius.geometry is None
    assert sorted(arrhenius.sample_geometries) == sorted(names)
    assert all(arrhenius.sample_geometries.values())
    assert arrhenius.sample_offsets_K == {   # each position's calibration, from the bench
        t["name"]: load_bench("sim-multi").temperature_offsets_K[t["pellet"]]
        for t in recipe.sample["samples"]}
    box = window.plots.sample_box
    assert [box.itemText(i) for i in range(1, box.count())] == names
