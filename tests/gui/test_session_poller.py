"""The GUI's live readings: an instrument whose library raises what is no labctl error
(a garbled reply's struct.error) shows that error, and the polling goes on."""

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
