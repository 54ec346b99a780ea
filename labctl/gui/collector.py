"""Python's cyclic garbage collection on the GUI thread only, while the GUI is open.

A collection starts on whichever thread allocates when a generation's count passes its
threshold. Started on a worker thread (the runner's, the run browser's analysis drawing with
matplotlib, the DRT view's), it can free Qt objects there: PySide waits for a Qt mutex the GUI
thread holds while the GUI thread waits for the GIL (the window freezes), or a widget is
destroyed off its thread (a segmentation fault, seen in CI). The remedy is pyqtgraph's
GarbageCollector: automatic collection off, and a timer on the GUI thread collects what the
thresholds would have collected.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager

from PySide6.QtCore import QTimer


@contextmanager
def collected_on_gui_thread(interval_s: float = 1.0) -> Iterator[None]:
    """Within: automatic collection is off and a timer on the calling (GUI) thread collects,
    while its Qt event loop runs; the previous state is restored at the end (call it after
    every worker thread is joined)."""
    was_enabled = gc.isenabled()
    gc.disable()
    timer = QTimer()
    timer.timeout.connect(collect_due)
    timer.start(round(interval_s * 1000))
    try:
        yield
    finally:
        timer.stop()
        if was_enabled:
            gc.enable()


def collect_due() -> None:
    """Collect the oldest generation whose count passed its threshold, as Python would have."""
    counts, thresholds = gc.get_count(), gc.get_threshold()
    for generation in (2, 1, 0):
        if counts[generation] > thresholds[generation]:
            gc.collect(generation)
            return
