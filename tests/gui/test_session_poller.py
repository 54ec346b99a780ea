"""The GUI's live readings: jobs of the runner's worker (the bench's one I/O owner); an
instrument whose library raises what is no labctl error (a garbled reply's struct.error)
shows that error, and the readings go on."""

from __future__ import annotations

import struct

from labctl.bench import load_bench
from labctl.clock import VirtualClock
from labctl.gui import session as session_module
from labctl.gui.session import Readings, Session


def test_a_raw_library_error_in_a_live_reading_is_shown_and_polling_goes_on(
        qtbot, tmp_path, monkeypatch):
    monkeypatch.setattr(session_module, "POLL_S", 0.01)
    session = Session(load_bench("sim"), tmp_path / "lab.sqlite", clock=VirtualClock())
    try:
        def garbled():
            raise struct.error("unpack requires a buffer of 8 bytes")
        monkeypatch.setattr(session.bench["furnace"], "read", garbled)
        errors = []
        session.handlers.append(lambda event: isinstance(event, Readings)
                                and "furnace" in event.errors
                                and errors.append(event.errors["furnace"]))
        qtbot.waitUntil(lambda: len(errors) >= 2, timeout=10_000)   # the poller lives on
    finally:
        session.close()
    assert errors[0] == "struct.error: unpack requires a buffer of 8 bytes"


def test_live_readings_and_idle_time_are_jobs_of_the_runners_worker(qtbot, tmp_path,
                                                                   monkeypatch):
    """One I/O owner: the idle bench's readings are taken on the runner's worker, never on
    a thread of their own beside it; simulated time passes meanwhile (the furnace ramps)."""
    import threading

    monkeypatch.setattr(session_module, "POLL_S", 0.1)
    session = Session(load_bench("sim"), tmp_path / "lab.sqlite", speed=600.0)
    try:
        furnace, readers = session.bench["furnace"], []
        read = furnace.read

        def watched():
            readers.append(threading.current_thread().name)
            return read()
        monkeypatch.setattr(furnace, "read", watched)
        shown = []
        session.handlers.append(lambda event: isinstance(event, Readings)
                                and "furnace" in event.values and shown.append(event))
        qtbot.waitUntil(lambda: len(shown) >= 2, timeout=10_000)
    finally:
        session.close()
    assert set(readers) == {"labctl-runner"}
    assert session.clock.now() > 0.0
