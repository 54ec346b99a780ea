"""The run browser's DRT panel: gamma(tau) of each finished spectrum of the opened run
(`labctl.analysis.drt`) over the measured range of tau, one colour per temperature (per
sample in a run of several, whose *Sample* selector it follows as Nyquist does), each
curve scaled to its largest value there, on a log axis down to `FLOOR` (an electrode's
arc is often a thousand times a bulk arc's), the fitted processes marked (triangles
above their tau).

`show_run` computes on a worker thread with its own store connection (a DRT takes
~0.1-0.4 s, a run holds tens of spectra); each result reaches the panel by a queued
signal. Opening another run stops the worker after its current spectrum, and results of
a run no longer shown are dropped."""

from __future__ import annotations

import threading
from pathlib import Path

import numpy as np
from pyqtgraph import siFormat
from PySide6.QtCore import Signal

from labctl import registry, runsamples
from labctl.analysis.drt import EXTRA_DECADES, Drt, drt
from labctl.errors import LabctlError
from labctl.gui.livecurve import LiveCurve
from labctl.gui.plotpanel import PlotPanel, celsius
from labctl.protocol import SPECTRUM
from labctl.store import Store

MIN_POINTS = 10           # a spectrum with fewer has no DRT worth drawing
FLOOR = 1e-4              # of a curve's largest gamma: the bottom of the axis


class DrtPlot(PlotPanel):
    computed = Signal(int, int, object, object, object)   # run, step, T_K, sample, Drt

    def __init__(self):
        super().__init__("DRT")
        self.plot = self.add_plot(0, "τ / s", "γ / its largest")
        self.plot.setLogMode(x=True, y=True)
        for side in ("bottom", "left"):   # ticks are the values: no '(x0.001)' on a log axis
            self.plot.getAxis(side).enableAutoSIPrefix(False)
        self.plot.setTitle("distribution of relaxation times (▲ processes)", size="9pt")
        self.worker: threading.Thread | None = None
        self._stop = threading.Event()
        self.run_id: int | None = None
        self.computed.connect(self._show)
        self._build()

    def _build(self) -> None:
        self.results: dict[int, Drt] = {}      # by step id, as drawn

    def show_run(self, store_path: Path, run_id: int) -> None:
        """Clear, then compute and draw the DRT of every finished spectrum of `run_id`."""
        self.stop()
        self.clear()
        self.run_id = run_id
        self._stop = threading.Event()
        self.worker = threading.Thread(target=self._work, args=(store_path, run_id, self._stop),
                                       name="labctl-gui-drt")
        self.worker.start()

    def stop(self) -> None:
        """Stop the worker after its current spectrum and wait for it."""
        self._stop.set()
        if self.worker is not None:
            self.worker.join()
            self.worker = None

    def _work(self, store_path: Path, run_id: int, stop: threading.Event) -> None:
        kinds = registry.providing(SPECTRUM)
        try:
            with Store.open(store_path, create=False) as store:      # this thread's own
                run = store.run(run_id)
                for step in store.steps(run_id):
                    if stop.is_set():
                        return
                    if step.kind not in kinds or step.status != "done" or step.superseded:
                        continue
                    points = store.impedance(step.id)
                    if points.size < MIN_POINTS:
                        continue
                    measured = points["temperature_K"][np.isfinite(points["temperature_K"])]
                    T = float(measured.mean()) if measured.size else step.temperature_K
                    if T is not None:        # the sample's: its position's calibration
                        T += runsamples.temperature_offset_K(run, step.sample)
                    try:
                        result = drt(points["frequency_Hz"], points["impedance_Ohm"])
                    except (ValueError, np.linalg.LinAlgError) as exc:
                        result = LabctlError(f"step {step.seq}: {exc}")
                    self.computed.emit(run_id, step.id, T, step.sample, result)
        except LabctlError as exc:
            self.computed.emit(run_id, -1, None, None, exc)

    def _show(self, run_id: int, step_id: int, temperature_K, sample, result) -> None:
        if run_id != self.run_id:
            return                                # a run no longer shown
        if isinstance(result, Exception):
            self.readout.setText(f"DRT: {result}")
            return
        self.results[step_id] = result
        edge = 10 ** EXTRA_DECADES                # the grid beyond the measured range
        inside = (result.tau_s >= result.tau_s[0] * edge * 0.999) & \
            (result.tau_s <= result.tau_s[-1] / edge * 1.001)
        tau, gamma = result.tau_s[inside], result.gamma_Ohm[inside]
        scale = float(gamma.max()) or 1.0
        name = f"{sample} {celsius(temperature_K)}" if sample else celsius(temperature_K)
        line = self.add_curve(self.plot, LiveCurve(3, width=1.5), temperature_K,
                              _describe(temperature_K, "γ"), name, sample)
        line.append(tau, np.maximum(gamma / scale, FLOOR), gamma)
        peaks = [p for p in result.peaks if not p.at_edge]
        if peaks:
            at = np.array([p.tau_s for p in peaks])
            top = np.interp(np.log(at), np.log(tau), gamma) / scale
            marks = self.add_curve(self.plot, LiveCurve(3, pen=None, symbol="t1", symbolSize=9),
                                   temperature_K, _describe(temperature_K, "process R"),
                                   sample=sample)
            marks.append(at, 1.5 * np.maximum(top, FLOOR), np.array([p.R_Ohm for p in peaks]))


def _describe(temperature_K: float | None, what: str):
    """Readout of a row (tau, scaled gamma, `what` in Ohm)."""
    return lambda row: (f"{celsius(temperature_K)}   τ = {siFormat(row[0], suffix='s')} "
                        f"({siFormat(1 / (2 * np.pi * row[0]), suffix='Hz')})   "
                        f"{what} = {siFormat(row[2], suffix='Ω')}")
