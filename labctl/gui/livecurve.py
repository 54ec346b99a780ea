"""A plot curve over a growing buffer that stays fast at 10^6 points.

Points are appended in place (`GrowingBuffer`); nothing is drawn per point. `render()`
(called by the plot's refresh timer when something changed) hands pyqtgraph only what
can be seen: the slice inside the visible x range (x must grow monotonically, as time
does), peak-decimated to about two points per pixel column, keeping each column's
smallest and largest value so spikes stay visible. Auto-range still sees the whole
curve: the item reports the running bounds of all data, not of what it draws.
"""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg

from labctl.gui.buffer import GrowingBuffer


BLOCK = 64   # points per block of the min/max summary kept while appending


def peak_decimate(y: np.ndarray, bins: int) -> np.ndarray:
    """Indices of the min and max of `y` in each of `bins` equal runs (in order), plus
    the remainder; all indices if `y` has at most 2 * bins points."""
    n = len(y)
    if n <= 2 * bins:
        return np.arange(n)
    run = n // bins
    blocks = y[:run * bins].reshape(bins, run)
    lo, hi = blocks.argmin(axis=1), blocks.argmax(axis=1)
    base = np.arange(bins) * run
    pairs = np.stack((np.minimum(lo, hi), np.maximum(lo, hi)), axis=1) + base[:, None]
    return np.concatenate((pairs.ravel(), np.arange(run * bins, n)))


class MinMaxSummary:
    """Row index of the min and max of y in each complete block of BLOCK rows, extended
    as rows are appended, so that decimating 10^6 points reads 10^6 / BLOCK values."""

    def __init__(self):
        self.lo = GrowingBuffer(1)
        self.hi = GrowingBuffer(1)

    def update(self, y: np.ndarray) -> None:
        done, complete = len(self.lo), len(y) // BLOCK
        if complete > done:
            blocks = y[done * BLOCK:complete * BLOCK].reshape(-1, BLOCK)
            base = np.arange(done, complete) * BLOCK
            self.lo.append(base + blocks.argmin(axis=1))
            self.hi.append(base + blocks.argmax(axis=1))

    def decimate(self, y: np.ndarray, start: int, stop: int, bins: int) -> np.ndarray:
        """Sorted row indices in [start, stop) keeping the min and max of ~`bins` runs."""
        if stop - start < 4 * BLOCK * bins:
            return start + peak_decimate(y[start:stop], bins)
        b0, b1 = -(-start // BLOCK), stop // BLOCK       # complete blocks inside
        per = (b1 - b0) // bins                           # blocks per bin (>= 3)
        used = b0 + per * bins
        picks = [np.arange(start, b0 * BLOCK), np.arange(b1 * BLOCK, stop)]
        for rows, pick in ((self.lo, np.argmin), (self.hi, np.argmax)):
            index = rows.columns()[0].astype(np.int64)
            grouped = index[b0:used].reshape(bins, per)
            picks.append(grouped[np.arange(bins), pick(y[grouped], axis=1)])
            picks.append(index[used:b1])
        return np.unique(np.concatenate(picks))


class _Item(pg.PlotDataItem):
    """A PlotDataItem whose bounds are those of all buffered data (for auto-range)."""

    def __init__(self, owner: "LiveCurve", **kwargs):
        super().__init__(**kwargs)
        self._owner = owner

    def dataBounds(self, ax, frac=1.0, orthoRange=None):
        bounds = self._owner.bounds[ax]
        if bounds is None or not self._owner.clip:
            return super().dataBounds(ax, frac, orthoRange)
        return bounds


class LiveCurve:
    """Columns (x, y, extra...) in a buffer, drawn as x -> y; `clip` for monotonic x."""

    def __init__(self, ncols: int = 2, clip: bool = False, colour=None, dashed: bool = False,
                 width: float = 1.5, **style):
        self.buffer = GrowingBuffer(ncols)
        self.clip = clip
        self.colour, self.dashed = colour, dashed   # colour None: by temperature or sample
        self.sample: str | None = None              # in a run with several: whose
        self.width = width
        self.item = _Item(self, **style)
        self.bounds: list[tuple[float, float] | None] = [None, None]
        self.summary = MinMaxSummary() if clip else None
        self.shown = np.arange(0)   # buffer rows of the points drawn
        self.dirty = False

    def __len__(self) -> int:
        return len(self.buffer)

    def append(self, *columns) -> None:
        """One point (scalars) or a batch (arrays); drawn at the next `render`."""
        self.buffer.append(*columns)
        if self.summary is not None:
            self.summary.update(self.buffer.columns()[1])
        for axis in (0, 1):
            values = np.asarray(columns[axis], dtype=float)
            finite = values[np.isfinite(values)]
            if finite.size:
                lo, hi = float(finite.min()), float(finite.max())
                old = self.bounds[axis]
                self.bounds[axis] = (lo, hi) if old is None else (min(lo, old[0]), max(hi, old[1]))
        self.dirty = True

    def render(self, x_range: tuple[float, float] | None = None, width_px: int = 1000) -> None:
        """Draw the visible part (with `clip`), decimated to ~2 points per pixel column."""
        x, y = self.buffer.columns()[:2]
        start, stop = 0, len(x)
        if self.clip and x_range is not None:
            start = max(int(np.searchsorted(x, x_range[0], "left")) - 1, 0)
            stop = min(int(np.searchsorted(x, x_range[1], "right")) + 1, len(x))
        rows = self.summary.decimate(y, start, stop, max(int(width_px), 1)) if self.clip \
            else np.arange(start, stop)
        self.shown = rows
        self.item.setData(x[rows], y[rows])
        self.dirty = False

    def row(self, index: int) -> np.ndarray:
        """All columns of buffer row `index`."""
        return self.buffer.columns()[:, index]
