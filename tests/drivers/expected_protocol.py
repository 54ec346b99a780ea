"""`expected_protocol`: pin the exact bytes a driver sends for a call, as PyMeasure's test
helper of that name does, so that a driver and its simulator cannot drift wrong together.

The driver runs on `ExpectedProtocol`, a real `SerialTransport` (the production code path:
terminations, encoding, locking, minimalmodbus framing) on a `ScriptedPort`. Each write must
be the next scripted message, byte for byte; its scripted reply is what the driver reads
next. At the end every scripted message must have been sent, and nothing else.
"""

from __future__ import annotations

from contextlib import contextmanager
from typing import Any, Iterator, Sequence

from labctl.clock import VirtualClock
from labctl.transport import SerialTransport

Exchange = tuple[bytes, bytes | None]    # (bytes the driver must write, reply or None)


class ScriptedPort:
    """The part of `serial.Serial` that the transports and minimalmodbus use, replaying
    a script of exchanges; a write that is not the next scripted one is an AssertionError
    (also kept in `problems`, in case the driver catches it)."""

    def __init__(self, exchanges: Sequence[Exchange]):
        self.pending = list(exchanges)
        self.problems: list[str] = []
        self.port = self.name = "scripted"
        self.timeout = self.write_timeout = 1.0
        self.baudrate = 9600
        self.is_open = True
        self._rx = bytearray()

    def write(self, data: bytes) -> int:
        data = bytes(data)
        if not self.pending:
            problem = f"sent {data!r} after the end of the script"
        elif data != self.pending[0][0]:
            problem = f"sent {data!r}, expected {self.pending[0][0]!r}"
        else:
            self._rx += self.pending.pop(0)[1] or b""
            return len(data)
        self.problems.append(problem)
        raise AssertionError(problem)

    def read(self, size: int = 1) -> bytes:
        out = bytes(self._rx[:size])
        del self._rx[:size]
        return out

    def read_until(self, expected: bytes = b"\n", size: int | None = None) -> bytes:
        end = self._rx.find(expected)
        n = end + len(expected) if end >= 0 else len(self._rx)
        return self.read(n if size is None else min(n, size))

    def open(self) -> None:
        self.is_open = True

    def close(self) -> None:
        self.is_open = False

    def flush(self) -> None:
        """Nothing is buffered on the way out."""

    def reset_input_buffer(self) -> None:
        self._rx.clear()

    reset_output_buffer = flush


class ExpectedProtocol(SerialTransport):
    """A serial transport whose other end is a `ScriptedPort`."""

    def __init__(self, exchanges: Sequence[Exchange], settings: Any):
        self.scripted = ScriptedPort(exchanges)
        super().__init__(self.scripted, settings)


@contextmanager
def expected_protocol(driver_class: type, exchanges: Sequence[Exchange],
                      **options: Any) -> Iterator[Any]:
    """A `driver_class` (with constructor `options`, on a virtual clock) that must send
    exactly `exchanges` inside the `with` block."""
    transport = ExpectedProtocol(exchanges, driver_class.link)
    driver = driver_class(transport, clock=VirtualClock(), **options)
    yield driver
    port = transport.scripted
    assert not port.problems, port.problems
    assert not port.pending, f"not sent: {[sent for sent, _ in port.pending]}"
