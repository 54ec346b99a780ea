"""The GUI's live readings: an instrument whose library raises what is no labctl error
(a garbled reply's struct.error) shows that error, and the polling goes on."""

from __future__ import annotations

import struct

import pytest

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


def test_between_polls_the_poller_waits_poll_s_even_when_it_is_shorter_than_a_slice(
        tmp_path, monkeypatch):
    """POLL_S below IDLE_SLICE_S once made zero slices: a busy loop that starved the GUI
    thread (a test hung). Every pass waits POLL_S in all (here on a stop event that records
    its timeouts instead of sleeping)."""
    import threading

    class Recording(threading.Event):
        def __init__(self):
            super().__init__()
            self.waits = []

        def wait(self, timeout=None):
            self.waits.append(timeout)
            return False

    monkeypatch.setattr(session_module, "POLL_S", 0.01)
    session = Session(load_bench("sim"), tmp_path / "lab.sqlite", clock=VirtualClock())
    session.close()                       # its own poller stopped: this test calls the wait
    session._stop = Recording()
    assert session._pass_time()
    assert sum(session._stop.waits) == pytest.approx(0.01)
