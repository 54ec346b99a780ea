"""A protocol's declared figures (`ProtocolSpec.figures`): each a `PlotPanel` redrawn from
the typed Results of the run's finished measurements of that protocol, as each one
finishes (live) or is loaded from the store (run browser), and, for a figure with `live`,
from the points of its measurements still running (redrawn at the panel's refresh).
In a run with several samples each sample's measurements are drawn apart (a fit through
one pellet's EMFs is not the others'): the sample shown (`show_sample`), or every sample's,
named and coloured by sample."""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from labctl.gui.livecurve import LiveCurve
from labctl.gui.plotpanel import PlotPanel
from labctl.protocol import CROSSES, DASHED, LINE, Figure, Finished, Series

STYLES = {LINE: {}, DASHED: {"dashed": True},
          CROSSES: {"pen": None, "symbol": "x", "symbolSize": 9}}
POINT_STYLE = {"pen": None, "symbol": "o", "symbolSize": 7}


class FigurePlot(PlotPanel):
    def __init__(self, figure: Figure):
        super().__init__(figure.title)
        self.figure = figure
        (x, x_unit), (y, y_unit) = figure.x, figure.y
        if figure.log_y and y_unit:            # log axes take no SI prefix: unit in the label
            y, y_unit = f"{y} / {y_unit}", None
        self.plot = self.add_plot(0, x, y, None if x_unit == "s" else x_unit, y_unit,
                                  time_axis=x_unit == "s")
        self.plot.setLogMode(y=figure.log_y)
        self.plot.getAxis("left").enableAutoSIPrefix(not figure.log_y)   # no "(x1e-06)"
        self._build()

    def _build(self) -> None:
        self.finished: dict[int, Finished] = {}     # step id -> its measurement
        self.running: dict[int, tuple[dict[str, list], float | None]] = {}   # its points, T
        self.sample_of: dict[int, str | None] = {}  # step id -> its sample
        self.stale = False                          # to redraw at the next refresh
        self.series: dict[str, LiveCurve] = {}      # series name -> its curve, as drawn

    def add(self, step_id: int, finished: Finished, sample: str | None = None) -> None:
        """Measurement `step_id` (of `sample`) finished: redraw the figure with it."""
        self.finished[step_id] = finished
        self.sample_of[step_id] = sample
        self.running.pop(step_id, None)
        self.redraw()

    def add_points(self, step_id: int, temperature_K: float | None, columns: dict,
                   sample: str | None = None) -> None:
        """Points of running measurement `step_id` (of `sample`; its stream's columns:
        scalars or arrays), drawn by the figure's `live` at the next refresh."""
        if self.figure.live is None or step_id in self.finished:
            return
        self.sample_of[step_id] = sample
        points = self.running.setdefault(step_id, ({}, temperature_K))[0]
        for name, values in columns.items():
            points.setdefault(name, []).append(np.ravel(values))
        self.stale = True

    def show_sample(self, sample: str | None) -> None:
        super().show_sample(sample)
        self.redraw()

    def redraw(self) -> None:
        """Every series again, per sample shown: of its finished measurements, then of its
        running ones."""
        self.stale = False
        shown = [s for s in dict.fromkeys(self.sample_of.values())
                 if s is None or self.shown_sample in (None, s)]
        self.remove_curves()
        self.series = {}
        for sample in shown:
            series = self.figure.draw(self._of(sample, self.finished))
            for points, temperature_K in self._of(sample, self.running):
                joined = {name: np.concatenate(parts) for name, parts in points.items()}
                series += self.figure.live(joined, temperature_K)
            for s in series:
                if len(shown) > 1:       # one colour per sample, as the other plots
                    s = replace(s, name=f"{sample}: {s.name}", colour=None)
                self.series[s.name] = self._add_series(s, sample)

    def _of(self, sample: str | None, measurements: dict) -> list:
        return [m for step_id, m in measurements.items() if self.sample_of[step_id] == sample]

    def refresh(self) -> None:
        if self.stale:
            self.redraw()
        super().refresh()

    def _add_series(self, series: Series, sample: str | None) -> LiveCurve:
        x = np.asarray(series.x, dtype=float)
        y = np.asarray(series.y, dtype=float)
        if self.figure.log_y:
            y = np.where(y > 0, y, np.nan)           # not drawable on a log axis
        curve = LiveCurve(2, colour=series.colour, width=2.0,
                          **STYLES.get(series.style, POINT_STYLE))
        curve.append(x, y)
        (x_label, _), (y_label, _) = self.figure.x, self.figure.y
        describe = lambda row: (f"{series.name}   {x_label} = {row[0]:.4g}   "
                                f"{y_label} = {row[1]:.4g}")
        self.add_curve(self.plot, curve, series.temperature_K, describe, series.name, sample)
        if series.style == LINE:
            curve.item.setZValue(5)                   # over the points
        return curve

