"""Simulated instruments at the byte level, with fault injection.

A `SimulatedDevice` receives the host's bytes (`feed`) and schedules reply bytes at clock
times (`respond(..., delay=)`), so a measurement that takes 10 s of integration makes its
reply available 10 s later on the clock the device runs on. How the bytes travel (in
process through `SimulatorPort`, a TCP socket or a pseudo-terminal via `simulators.serve`)
is not the device's concern. `LineDevice` adds line framing for text protocols.

Faults (`inject`): "no_reply" drops the next reply, "garble" corrupts it (keeping its
terminator), "delay" holds it back `seconds`, "disconnect" drops the link, "error" is left
for the instrument model to turn into its own error reply (`take_fault("error")`).
"""

from __future__ import annotations

import threading
from collections import deque
from typing import Any

from labctl.clock import Clock

FAULTS = ("no_reply", "garble", "delay", "disconnect", "error")


class SimulatedDevice:
    """Bytes in, timestamped bytes out; subclasses implement `receive`."""

    out_terminator = b""
    instrument = ""     # its bench instrument's name (set by `SimBench`): what routes name

    def __init__(self, clock: Clock):
        self.clock = clock
        self.lock = threading.RLock()
        self.connected = True
        self._outbox: deque[tuple[float, bytes]] = deque()
        self._faults: list[dict[str, Any]] = []

    # -- host side ------------------------------------------------------------------
    def feed(self, data: bytes) -> None:
        with self.lock:
            if self.connected:
                self.receive(data)

    def ready_time(self) -> float | None:
        """Clock time at which the next reply bytes become available (None: nothing due)."""
        with self.lock:
            return self._outbox[0][0] if self._outbox else None

    def take_ready(self) -> bytes:
        """All reply bytes due by now."""
        now = self.clock.now()
        out = bytearray()
        with self.lock:
            while self._outbox and self._outbox[0][0] <= now:
                out += self._outbox.popleft()[1]
        return bytes(out)

    def reconnect(self) -> None:
        """The host opens the link again: pending replies are lost, as on a real link."""
        with self.lock:
            self.connected = True
            self._outbox.clear()

    # -- instrument side ------------------------------------------------------------
    def receive(self, data: bytes) -> None:
        raise NotImplementedError

    def respond(self, data: bytes, delay: float = 0.0) -> None:
        """Schedule reply bytes `delay` s from now (never before an earlier reply)."""
        if self.take_fault("no_reply"):
            return
        if self.take_fault("disconnect"):
            self.connected = False
            self._outbox.clear()
            return
        fault = self.take_fault("delay")
        if fault:
            delay += fault["seconds"]
        if self.take_fault("garble"):
            data = self.garble(data)
        t = self.clock.now() + delay
        if self._outbox:
            t = max(t, self._outbox[-1][0])
        self._outbox.append((t, data))

    def garble(self, data: bytes) -> bytes:
        """Corrupt every other byte of the body, keeping the terminator."""
        n = len(data) - len(self.out_terminator) if data.endswith(self.out_terminator) else len(data)
        body = bytes(b"?"[0] if i % 2 else c for i, c in enumerate(data[:n]))
        return body + data[n:]

    # -- fault injection ------------------------------------------------------------
    def inject(self, kind: str, *, count: int = 1, seconds: float = 0.0) -> None:
        """Make the next `count` replies suffer fault `kind` (see module docstring)."""
        if kind not in FAULTS:
            raise ValueError(f"unknown fault {kind!r}; known: {', '.join(FAULTS)}")
        with self.lock:
            self._faults.append({"kind": kind, "count": count, "seconds": seconds})

    def take_fault(self, kind: str) -> dict[str, Any] | None:
        """Consume one pending fault of `kind`, if any."""
        with self.lock:
            for fault in self._faults:
                if fault["kind"] == kind:
                    fault["count"] -= 1
                    if fault["count"] <= 0:
                        self._faults.remove(fault)
                    return fault
        return None


class LineDevice(SimulatedDevice):
    """A text instrument: one command per line, `handle(line)` returns the reply or None."""

    in_terminator = b"\n"
    out_terminator = b"\n"
    encoding = "ascii"

    def __init__(self, clock: Clock):
        super().__init__(clock)
        self._inbuf = bytearray()

    def receive(self, data: bytes) -> None:
        self._inbuf += data
        while (end := self._inbuf.find(self.in_terminator)) >= 0:
            line = bytes(self._inbuf[:end]).decode(self.encoding, errors="replace").strip("\r\n")
            del self._inbuf[:end + len(self.in_terminator)]
            reply = self.handle(line)
            if reply is not None:
                self.reply(reply)

    def reply(self, text: str, delay: float = 0.0) -> None:
        self.respond(text.encode(self.encoding) + self.out_terminator, delay)

    def reconnect(self) -> None:
        with self.lock:
            super().reconnect()
            self._inbuf.clear()

    def handle(self, line: str) -> str | None:
        raise NotImplementedError
