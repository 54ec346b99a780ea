"""`SimulatorPort`: a pyserial-compatible port whose other end is a simulated device.

Drivers use it in process exactly like a serial port (same bytes, same framing); reads
wait on the device's clock, so with a `VirtualClock` a 10 s integration or a 2 s timeout
passes instantly and deterministically. minimalmodbus accepts it as its `serial` object.
"""

from __future__ import annotations

from typing import Callable

import serial

from labctl.simulators.device import SimulatedDevice


class SimulatorPort:
    """The subset of `serial.Serial` that drivers and minimalmodbus use."""

    def __init__(self, device: SimulatedDevice, name: str = "sim", timeout: float = 1.0,
                 baudrate: int = 9600):
        self.device = device
        self.port = self.name = name
        self.timeout = timeout
        self.write_timeout = timeout
        self.baudrate = baudrate
        self.is_open = True
        self._rx = bytearray()

    def open(self) -> None:
        if not self.is_open:
            if not self.device.connected:
                self.device.reconnect()
            self._rx.clear()
            self.is_open = True

    def close(self) -> None:
        self.is_open = False

    def _check(self) -> None:
        if not self.is_open:
            raise serial.PortNotOpenError()
        if not self.device.connected:
            raise serial.SerialException(f"{self.name}: device disconnected")

    def write(self, data: bytes) -> int:
        self._check()
        self.device.feed(bytes(data))
        return len(data)

    def flush(self) -> None:
        self._check()

    def reset_input_buffer(self) -> None:
        self._rx.clear()
        self.device.take_ready()

    def reset_output_buffer(self) -> None:
        """Nothing is buffered on the way out."""

    @property
    def in_waiting(self) -> int:
        self._rx += self.device.take_ready()
        return len(self._rx)

    def read(self, size: int = 1) -> bytes:
        self._fill(lambda: len(self._rx) >= size)
        out = bytes(self._rx[:size])
        del self._rx[:size]
        return out

    def read_until(self, expected: bytes = b"\n", size: int | None = None) -> bytes:
        def complete() -> bool:
            return expected in self._rx or (size is not None and len(self._rx) >= size)

        self._fill(complete)
        end = self._rx.find(expected)
        n = end + len(expected) if end >= 0 else len(self._rx)
        if size is not None:
            n = min(n, size)
        out = bytes(self._rx[:n])
        del self._rx[:n]
        return out

    def _fill(self, done: Callable[[], bool]) -> None:
        """Collect reply bytes until `done()` or the timeout passes on the device's clock."""
        self._check()
        clock = self.device.clock
        deadline = clock.now() + (self.timeout if self.timeout is not None else 1e9)
        while True:
            self._rx += self.device.take_ready()
            if done():
                return
            self._check()
            due = self.device.ready_time()
            now = clock.now()
            if now >= deadline:
                return
            clock.sleep(max(0.0, (min(due, deadline) if due is not None else deadline) - now))
