"""While the GUI is open, cyclic garbage is collected on the GUI thread, never on a worker
thread (freeing Qt objects there deadlocks against the GUI thread or crashes)."""

from __future__ import annotations

import gc
import threading

from labctl.gui.collector import collected_on_gui_thread


class _Cycle:
    """Garbage only the cyclic collector frees; says on which thread it was freed."""

    def __init__(self, freed_on: list[str]):
        self.me, self.freed_on = self, freed_on

    def __del__(self):
        self.freed_on.append(threading.current_thread().name)


def _allocate_on_a_worker() -> list:
    """Far more container allocations than a generation-0 collection waits for, kept."""
    kept: list = []
    worker = threading.Thread(
        target=lambda: kept.extend([] for _ in range(50 * gc.get_threshold()[0])), name="worker")
    worker.start()
    worker.join()
    return kept


def test_cyclic_garbage_is_collected_on_the_gui_thread_only(qtbot):
    gc.enable()                   # as in `labctl gui` (tests/gui's fixture switched it off)
    try:
        freed_on: list[str] = []
        with collected_on_gui_thread(interval_s=0.01):
            _Cycle(freed_on)
            kept = _allocate_on_a_worker()
            assert freed_on == []
            qtbot.waitUntil(lambda: bool(freed_on), timeout=5000)
        assert freed_on == [threading.current_thread().name] and kept
        assert gc.isenabled()     # as it was before
    finally:
        gc.disable()
