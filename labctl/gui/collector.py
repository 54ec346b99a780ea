"""Python's cyclic garbage collection on the GUI thread only, while a window is open.

A collection that starts on a worker thread (the run browser's analysis drawing with
matplotlib, the session's runner) can free Qt objects there; PySide then waits for a Qt
mutex the GUI thread holds while the GUI thread waits for the GIL, and the window freezes.
pyqtgraph's GarbageCollector switches automatic collection off and collects on a GUI-thread
timer instead."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def collected_on_gui_thread(interval_s: float = 1.0) -> Iterator[None]:
    """Within: cyclic garbage is collected only by a timer on the calling (GUI) thread, which
    needs a running Qt event loop; automatic collection is back on at the end."""
    from pyqtgraph.util.garbage_collector import GarbageCollector

    collector = GarbageCollector(interval=interval_s)
    try:
        yield
    finally:
        collector.timer.stop()
        gc.enable()
