"""The run browser's DRT panel: gamma(tau) of a run's finished spectra beside Nyquist and
Bode, computed off the GUI thread, a superseded run's results dropped."""

from __future__ import annotations

import threading

import numpy as np
import pytest
from PySide6.QtCore import QCoreApplication
from scipy.constants import zero_Celsius

from labctl.gui import drt_view
from labctl.gui.browser import RunBrowser
from labctl.simulators.physics.sample import SampleModel
from labctl.store import Store

F_HZ = np.logspace(6, -1, 40)
TEMPERATURES_C = (300.0, 350.0)


def _run(store: Store, sample: SampleModel, name: str) -> list[int]:
    """A finished run with a spectrum per temperature, one more spectrum aborted and a DC
    step; the finished spectra's step ids."""
    run = store.create_run(name, "", {}, {"name": "pellet"})
    rng = np.random.default_rng(1)
    done = []
    for t_c in (*TEMPERATURES_C, 400.0):
        T = t_c + zero_Celsius
        step = store.start_step(run, "eis", {}, T)
        z = sample.add_noise(sample.impedance(F_HZ, T), rng, F_HZ)
        store.add_impedance(step, {"time_s": np.arange(F_HZ.size, dtype=float),
                                   "frequency_Hz": F_HZ, "impedance_Ohm": z,
                                   "amplitude_V": 0.02}, temperature_K=T)
        store.finish_step(step, "done" if t_c in TEMPERATURES_C else "aborted")
        done += [step] if t_c in TEMPERATURES_C else []
    store.start_step(run, "dc_polarization", {}, T)
    store.finish_run(run, "done")
    return done


@pytest.fixture
def browser(qtbot, tmp_path):
    sample = SampleModel.default()
    with Store.open(tmp_path / "lab.sqlite") as store:
        first, second = _run(store, sample, "first"), _run(store, sample, "second")
    view = RunBrowser(tmp_path / "lab.sqlite")
    qtbot.addWidget(view)
    try:
        yield view, sample, first, second
    finally:
        view.close_store()
    assert not any(t.name == "labctl-gui-drt" for t in threading.enumerate())


def test_the_drt_of_each_finished_spectrum_is_drawn_beside_nyquist_off_the_gui_thread(
        browser, qtbot, monkeypatch):
    """Each finished spectrum's gamma(tau) with its processes (bulk and grain boundary R
    within 5 % of the sample's), computed on another thread than the GUI's; the aborted
    spectrum is not drawn; the panel sits in the splitter with Nyquist and Bode."""
    view, sample, first, _ = browser
    threads = []

    def recorded(f, z):
        threads.append(threading.current_thread())
        return drt_view.drt.__wrapped__(f, z)

    recorded.__wrapped__ = drt_view.drt
    monkeypatch.setattr(drt_view, "drt", recorded)
    view.open(1)
    _finished(view, qtbot)
    assert sorted(view.drt.results) == first
    assert threads and threading.main_thread() not in threads
    for step, t_c in zip(first, TEMPERATURES_C):
        truth = sample.resistances(t_c + zero_Celsius)
        bulk, gb = [p.R_Ohm for p in view.drt.results[step].peaks][:2]
        assert (bulk, gb) == pytest.approx((truth["bulk"], truth["grain_boundary"]), rel=0.05)
    assert len(view.drt.curves) == 4                      # a gamma and its marks each
    splitter = view.plots.nyquist.parentWidget()
    assert [splitter.widget(k) for k in range(3)] == [view.plots.nyquist, view.plots.bode,
                                                      view.drt]


def test_opening_another_run_drops_the_first_runs_drts(browser, qtbot):
    """The first run's results, queued but not yet shown when the second run is opened,
    are dropped; closing the browser while a worker computes stops and joins it (the
    fixture checks that no worker thread is left)."""
    view, _, _, second = browser
    view.open(1)
    view.drt.worker.join()             # its results are queued, not delivered yet
    view.open(2)
    _finished(view, qtbot)
    assert sorted(view.drt.results) == second
    view.open(1)                       # closed at once by the fixture


def _finished(view: RunBrowser, qtbot) -> None:
    """Wait for the DRT worker to end, then deliver the results it queued."""
    qtbot.waitUntil(lambda: not view.drt.worker.is_alive(), timeout=30_000)
    QCoreApplication.processEvents()


def test_the_tau_axis_reads_in_seconds_without_a_scale_factor(browser, qtbot):
    """Zoomed to tau of 1 us .. 0.1 s the axis said 'τ / s (x0.001)' over ticks in ms: a
    reader took the tick '0.1' for 0.1 s."""
    view, *_ = browser
    view.open(1)
    _finished(view, qtbot)
    view.drt.plot.setXRange(-6, -1)                 # log10(tau / s)
    view.drt.plot.setYRange(-3, 0)
    for side in ("bottom", "left"):
        assert "(x" not in view.drt.plot.getAxis(side).labelString()
