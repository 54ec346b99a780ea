"""What every live plot shares: a pyqtgraph layout of plots, curves coloured by
temperature (by sample where curves of several samples are shown: a run with several
pellets; `show_sample` shows one sample's only), a readout of the point under the cursor,
PNG/SVG export, and a refresh timer that redraws only curves that changed or whose view
moved.
"""

from __future__ import annotations

from pathlib import Path
from typing import Callable

import numpy as np
import pyqtgraph as pg
from pyqtgraph import exporters
from PySide6.QtCore import QRect, Qt, QTimer
from PySide6.QtGui import QPainter
from PySide6.QtSvg import QSvgGenerator
from PySide6.QtWidgets import (QHBoxLayout, QLabel, QPushButton, QVBoxLayout,
                               QWidget)

from labctl.errors import LabctlError
from labctl.gui import filedialogs
from labctl.gui.livecurve import LiveCurve
from labctl.units import K_to_C

REFRESH_MS = 40          # at most 25 redraws per second
PICK_RADIUS_PX = 20      # the readout names the nearest point within this distance
COLORMAP = pg.colormap.get("CET-R4")   # blue (cold) .. red (hot)
SAMPLE_COLOURS = ("#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b",
                  "#e377c2", "#17becf", "#7f7f7f", "#bcbd22")   # matplotlib's tab10, by sample

pg.setConfigOptions(antialias=False, background="w", foreground="k")


def celsius(temperature_K: float | None) -> str:
    return "T ?" if temperature_K is None else f"{K_to_C(temperature_K):.0f} °C"


UNITS = ((3600.0, "h"), (60.0, "min"), (1.0, "s"))


def duration(seconds: float, unit_s: float | None = None) -> str:
    """A time span as people read it, in s, min or h (`unit_s`; default: by its size)."""
    unit_s = unit_s or next(u for u, _ in UNITS if abs(seconds) >= 3 * u or u == 1.0)
    return f"{seconds / unit_s:.4g} {dict(UNITS)[unit_s]}"


class DurationAxis(pg.AxisItem):
    """A time axis in seconds, ticks at round s, min or h, chosen by the span shown (no
    SI-prefix scale factor)."""

    def __init__(self, **kwargs):
        super().__init__("bottom", **kwargs)
        self.enableAutoSIPrefix(False)
        self.unit_s = 1.0

    def tickValues(self, minVal, maxVal, size):
        self.unit_s = next(u for u, _ in UNITS if maxVal - minVal >= 3 * u or u == 1.0)
        levels = super().tickValues(minVal / self.unit_s, maxVal / self.unit_s, size)
        return [(spacing * self.unit_s, [v * self.unit_s for v in values])
                for spacing, values in levels]

    def tickStrings(self, values, scale, spacing):
        return [duration(v, self.unit_s) for v in values]


class PlotPanel(QWidget):
    """Plots stacked in one layout; subclasses add plots with `add_plot` in `__init__`,
    then call `_build()`, which sets up their (empty) data and curves and is called again
    by `clear()`; curves are added with `add_curve(plot, curve, temperature_K, describe)`."""

    def __init__(self, title: str, parent: QWidget | None = None):
        super().__init__(parent)
        self.title = title
        self.graphics = pg.GraphicsLayoutWidget()
        self.readout = QLabel(" ")
        self.readout.setObjectName("readout")
        self.zoomed = False       # the user zoomed or panned since the last clear / fit all
        fit = QPushButton("Fit all")
        fit.setToolTip("Show all the data (and follow new data again)")
        fit.clicked.connect(self.fit_all)
        export = QPushButton("Export…")
        export.setToolTip("Save this plot as PNG or SVG")
        export.clicked.connect(self._ask_export)
        row = self.tools = QHBoxLayout()      # subclasses may add their own controls
        row.addWidget(self.readout, 1)
        row.addWidget(fit)
        row.addWidget(export)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(2, 2, 2, 2)
        layout.addWidget(self.graphics, 1)
        layout.addLayout(row)
        self.plots: list[pg.PlotItem] = []
        self.curves: list[tuple[pg.PlotItem, LiveCurve, float | None, Callable]] = []
        self.samples: list[str] = []          # of the curves, in order of appearance
        self.shown_sample: str | None = None  # None: every sample's curves
        self._moved: set[int] = set()
        self.graphics.scene().sigMouseMoved.connect(self._pick)
        # no pyqtgraph "Export..." in the right-click menu: its file dialog reads the files
        # it lists (see filedialogs.py); the Export… button saves the plot
        self.graphics.scene().contextMenu.clear()
        self.timer = QTimer(self)
        self.timer.setInterval(REFRESH_MS)
        self.timer.timeout.connect(self.refresh)
        self.timer.start()

    def add_plot(self, row: int, x_label: str, y_label: str, x_units: str | None = None,
                 y_units: str | None = None, legend_offset=(-10, 10),
                 time_axis: bool = False) -> pg.PlotItem:
        """A plot in row `row`; with units, the axis scales them with an SI prefix; a
        `time_axis` is in seconds, labelled in s, min or h."""
        axes = {"bottom": DurationAxis()} if time_axis else None
        plot = self.graphics.addPlot(row=row, col=0, axisItems=axes)
        plot.setLabel("bottom", x_label, units=x_units)
        plot.setLabel("left", y_label, units=y_units)
        plot.showGrid(x=True, y=True, alpha=0.25)
        for side in ("left", "bottom"):   # no minor grid: it costs most of a repaint
            plot.getAxis(side).setStyle(maxTickLevel=1)
        plot.addLegend(offset=legend_offset, labelTextSize="8pt")
        plot.vb.sigRangeChanged.connect(lambda *_, i=len(self.plots): self._moved.add(i))
        plot.vb.sigRangeChangedManually.connect(self._zoomed)
        self.plots.append(plot)
        return plot

    def add_curve(self, plot: pg.PlotItem, curve: LiveCurve, temperature_K: float | None,
                  describe: Callable[[np.ndarray], str], name: str | None = None,
                  sample: str | None = None) -> LiveCurve:
        """Show `curve` (of `sample`, in a run with several) in `plot`; `describe(row)` is
        the readout text of one of its points."""
        curve.sample = sample
        if sample is not None and sample not in self.samples:
            self.samples.append(sample)
        curve.item.setVisible(self.visible(curve))
        plot.addItem(curve.item)
        named = {label.text for _, label in plot.legend.items} if plot.legend else set()
        if name and plot.legend is not None and name not in named:   # once per temperature
            plot.legend.addItem(curve.item, name)
        self.curves.append((plot, curve, temperature_K, describe))
        self._recolor()
        return curve

    def _build(self) -> None:
        """(Re)create the panel's data and fixed curves."""

    def clear(self) -> None:
        """Remove every curve and start again empty."""
        self.remove_curves()
        self.samples.clear()
        self.readout.setText(" ")
        self._build()
        self.fit_all()

    def remove_curves(self) -> None:
        """Take every curve (and its legend entry) off the plots."""
        for plot, curve, _, _ in self.curves:
            plot.removeItem(curve.item)
            if plot.legend is not None:
                plot.legend.removeItem(curve.item)
        self.curves.clear()

    def _zoomed(self, *_) -> None:
        self.zoomed = True

    def fit_all(self) -> None:
        """Every plot shows all its data and follows new data (auto-range) again."""
        self.zoomed = False
        for plot in self.plots:
            plot.enableAutoRange()

    def visible(self, curve: LiveCurve) -> bool:
        """Whether the sample shown is `curve`'s (curves of no sample: always)."""
        return self.shown_sample is None or curve.sample in (None, self.shown_sample)

    def order_samples(self, names: list[str]) -> None:
        """The run's samples in this order: each keeps its colour in every panel (samples
        not named come after, as they appear)."""
        self.samples[:] = list(names) + [s for s in self.samples if s not in names]
        self._recolor()

    def show_sample(self, sample: str | None) -> None:
        """Only the curves of `sample` (None: of every sample)."""
        self.shown_sample = sample
        for _, curve, _, _ in self.curves:
            curve.item.setVisible(self.visible(curve))
        self._recolor()

    def _recolor(self) -> None:
        """One colour per temperature, spread over the temperatures shown; one per sample
        while curves of several samples are shown."""
        temps = sorted({t for _, _, t, _ in self.curves if t is not None})
        by_sample = self.shown_sample is None and len(self.samples) > 1
        for _, curve, t, _ in self.curves:
            if curve.colour is not None:
                colour = pg.mkColor(curve.colour)
            elif by_sample and curve.sample is not None:
                index = self.samples.index(curve.sample)
                colour = pg.mkColor(SAMPLE_COLOURS[index % len(SAMPLE_COLOURS)])
            elif t is not None:
                frac = 0.5 if len(temps) < 2 else (t - temps[0]) / (temps[-1] - temps[0])
                colour = COLORMAP.map(0.1 + 0.8 * frac, mode="qcolor")
            else:
                colour = pg.mkColor("k")
            if curve.item.opts.get("pen") is not None:   # None: markers only
                curve.item.setPen(pg.mkPen(colour, width=curve.width,
                                           style=Qt.DashLine if curve.dashed else Qt.SolidLine))
            if curve.item.opts.get("symbol"):
                curve.item.setSymbolBrush(colour)
                curve.item.setSymbolPen(colour)

    def refresh(self) -> None:
        """Redraw curves with new points and curves whose plot's view moved."""
        moved, self._moved = self._moved, set()
        for plot, curve, _, _ in self.curves:
            if curve.dirty or self.plots.index(plot) in moved:
                vb = plot.vb
                x_range = vb.viewRange()[0] if curve.clip else None
                curve.render(x_range, max(int(vb.width()), 100))

    def _pick(self, scene_pos) -> None:
        """Readout of the drawn point nearest the cursor (within PICK_RADIUS_PX)."""
        best = None
        for plot, curve, _, describe in self.curves:
            if (not plot.sceneBoundingRect().contains(scene_pos) or not len(curve.shown)
                    or not curve.item.isVisible()):
                continue
            x, y = curve.item.getData()
            if x is None or not len(x):
                continue
            here = curve.item.mapFromScene(scene_pos)     # in the item's (scaled) data
            scale = curve.item.transform()
            px_w, px_h = plot.vb.viewPixelSize()
            px_w, px_h = px_w / scale.m11(), px_h / scale.m22()
            d2 = ((x - here.x()) / px_w) ** 2 + ((y - here.y()) / px_h) ** 2
            i = int(np.nanargmin(d2)) if np.isfinite(d2).any() else None
            if i is not None and d2[i] <= PICK_RADIUS_PX ** 2 and (best is None or d2[i] < best[0]):
                text = describe(curve.row(int(curve.shown[i])))
                best = (d2[i], text if curve.sample is None else f"{curve.sample}   {text}")
        if best is not None:
            self.readout.setText(best[1])

    def export(self, path: str | Path) -> Path:
        """Write the plots to `path` as PNG (.png) or SVG (.svg, vector: QSvgGenerator, as
        pyqtgraph's SVG exporter cannot parse the paths Qt 6 writes)."""
        path = Path(path)
        suffix = path.suffix.lower()
        if suffix not in (".png", ".svg"):
            raise LabctlError(f"{path}: export as .png or .svg")
        self.refresh()
        if suffix == ".png":
            image = exporters.ImageExporter(self.graphics.ci).export(toBytes=True)
            if not image.save(str(path)):
                raise LabctlError(f"{path}: cannot be written")
            return path
        size = self.graphics.size()
        svg = QSvgGenerator()
        svg.setFileName(str(path))
        svg.setSize(size)
        svg.setViewBox(QRect(0, 0, size.width(), size.height()))
        svg.setTitle(self.title)
        painter = QPainter()
        if not painter.begin(svg):
            raise LabctlError(f"{path}: cannot be written")
        try:
            self.graphics.render(painter)
        finally:
            painter.end()
        return path

    def _ask_export(self) -> None:
        name, chosen = filedialogs.save_file(self, f"Export {self.title}",
                                             f"{self.title.lower().replace(' ', '-')}.png",
                                             "PNG image (*.png);;SVG drawing (*.svg)")
        if name:
            self.export_as(name, chosen)

    def export_as(self, name: str, chosen_filter: str = "") -> Path | None:
        """Export to `name`, adding the suffix of the chosen filter (default .png) to a
        name without .png/.svg; the readout says where it went or why it did not."""
        path = Path(name)
        if path.suffix.lower() not in (".png", ".svg"):
            path = path.with_name(path.name + (".svg" if "svg" in chosen_filter.lower()
                                               else ".png"))
        try:
            self.export(path)
        except (LabctlError, OSError) as exc:
            self.readout.setText(f"not exported: {exc}")
            return None
        self.readout.setText(f"exported to {path}")
        return path
