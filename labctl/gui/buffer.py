"""A growing column buffer: points are appended in place, capacity doubles when full.

Plots keep their data here instead of in Python lists, so that appending a point costs
O(1) (amortized) and the data a plot draws is a numpy view, never a copy of everything.
"""

from __future__ import annotations

import numpy as np


class GrowingBuffer:
    """`ncols` float columns; `columns()` is a read-only view of the rows appended so far."""

    def __init__(self, ncols: int, capacity: int = 1024):
        self._data = np.empty((ncols, max(capacity, 1)))
        self._n = 0

    def __len__(self) -> int:
        return self._n

    @property
    def capacity(self) -> int:
        return self._data.shape[1]

    def append(self, *columns) -> None:
        """Append one row (scalars) or many (equal-length arrays), one argument per column."""
        if len(columns) != self._data.shape[0]:
            raise ValueError(f"expected {self._data.shape[0]} columns, got {len(columns)}")
        block = np.stack(np.broadcast_arrays(
            *(np.atleast_1d(np.asarray(c, dtype=float)) for c in columns)))
        end = self._n + block.shape[1]
        if end > self.capacity:
            grown = np.empty((self._data.shape[0], max(end, 2 * self.capacity)))
            grown[:, :self._n] = self._data[:, :self._n]
            self._data = grown
        self._data[:, self._n:end] = block
        self._n = end

    def columns(self) -> np.ndarray:
        view = self._data[:, :self._n]
        view.flags.writeable = False
        return view

    def clear(self) -> None:
        self._n = 0
