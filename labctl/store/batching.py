"""`PointWriter`: batch commits for fast producers without holding recorded data in memory.

Points appended to a `PointWriter` are buffered and committed in one call of `sink` when
`batch_size` points are waiting or the oldest waited `max_delay_s`. Only after that commit
does `on_commit(points)` run: that is the moment to report them as recorded. A buffered
point is not recorded; `flush()` (or the end of the `with` block) commits the rest.
"""

from __future__ import annotations

import time
from typing import Any, Callable


class PointWriter:
    def __init__(self, sink: Callable[[list], Any], *, batch_size: int = 1000,
                 max_delay_s: float = 1.0,
                 on_commit: Callable[[list], Any] = lambda points: None,
                 monotonic: Callable[[], float] = time.monotonic):
        """`sink(points)` commits a list of points, e.g.
        `functools.partial(store.add_dc, step_id, temperature_K=T)`."""
        if batch_size < 1:
            raise ValueError("batch_size must be >= 1")
        self._sink, self._on_commit, self._monotonic = sink, on_commit, monotonic
        self.batch_size, self.max_delay_s = batch_size, max_delay_s
        self._buffer: list = []
        self._first_at = 0.0

    def append(self, point: Any) -> None:
        if not self._buffer:
            self._first_at = self._monotonic()
        self._buffer.append(point)
        if (len(self._buffer) >= self.batch_size
                or self._monotonic() - self._first_at >= self.max_delay_s):
            self.flush()

    def flush(self) -> None:
        """Commit the buffered points, then report them through `on_commit`."""
        if not self._buffer:
            return
        points, self._buffer = self._buffer, []
        self._sink(points)
        self._on_commit(points)

    def __enter__(self) -> PointWriter:
        return self

    def __exit__(self, *exc) -> None:
        self.flush()
