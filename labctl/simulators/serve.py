"""Serve a simulated device over a real link: a loopback TCP socket or a pseudo-terminal.

`TcpServer` stands in for a LAN/GPIB instrument (VISA `TCPIP::127.0.0.1::PORT::SOCKET`);
`PtyServer` for a serial one (the slave path is an ordinary serial port for pyserial and
minimalmodbus). Each runs one background thread that moves bytes between the link and the
device and delivers replies when they fall due on the device's clock. With a
`VirtualClock`, `auto_advance` jumps the clock to a pending reply's due time, so a slow
measurement served over TCP still completes instantly in tests.
"""

from __future__ import annotations

import os
import select
import socket
import threading
import tty

from labctl.simulators.device import SimulatedDevice

POLL_IDLE_S = 0.05
POLL_BUSY_S = 0.002


class _Pump:
    """The server thread's loop, shared by TCP and pty servers."""

    def __init__(self, device: SimulatedDevice, auto_advance: bool | None = None):
        self.device = device
        clock = device.clock
        self.auto_advance = hasattr(clock, "advance_to") if auto_advance is None else auto_advance
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> "_Pump":
        self._thread = threading.Thread(target=self._run, name=type(self).__name__, daemon=True)
        self._thread.start()
        return self

    @property
    def stopped(self) -> bool:
        return self._stop.is_set()

    def stop(self) -> None:
        if self.stopped:
            return
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
        self._cleanup()

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def _deliver(self, send) -> None:
        due = self.device.ready_time()
        if due is not None and self.auto_advance:
            self.device.clock.advance_to(due)
        data = self.device.take_ready()
        if data:
            send(data)

    def _wait_s(self) -> float:
        return POLL_BUSY_S if self.device.ready_time() is not None else POLL_IDLE_S

    def _run(self) -> None:
        raise NotImplementedError

    def _cleanup(self) -> None:
        raise NotImplementedError


BUSY_MESSAGE = "instrument busy: another session holds it"


class TcpServer(_Pump):
    """One session at a time on 127.0.0.1:`port` (0 = any free port, see `.port`), as the
    simulated instruments' real counterparts allow one controlling session: a second
    connection is refused at once (`BUSY_MESSAGE`, then closed), so commands of a client
    that gave up waiting are never executed later."""

    def __init__(self, device: SimulatedDevice, port: int = 0, host: str = "127.0.0.1",
                 auto_advance: bool | None = None):
        super().__init__(device, auto_advance)
        self._listener = socket.create_server((host, port))
        self._listener.settimeout(POLL_IDLE_S)
        self.host, self.port = self._listener.getsockname()[:2]
        self._client: socket.socket | None = None

    @property
    def resource(self) -> str:
        return f"TCPIP::{self.host}::{self.port}::SOCKET"

    def _run(self) -> None:
        while not self._stop.is_set():
            if self._client is None:
                try:
                    self._client, _ = self._listener.accept()
                except (socket.timeout, OSError):
                    continue
                self._client.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
                self.device.reconnect()
            self._serve_client()

    def _refuse_newcomer(self) -> None:
        try:
            newcomer, _ = self._listener.accept()
        except OSError:
            return
        with newcomer:
            try:
                newcomer.sendall(BUSY_MESSAGE.encode() + (self.device.out_terminator or b"\n"))
                newcomer.shutdown(socket.SHUT_WR)
                newcomer.setblocking(False)
                while newcomer.recv(65536):  # drop what it sent: unread bytes at close
                    pass                     # would reset the connection, message and all
            except OSError:
                pass

    def _serve_client(self) -> None:
        client = self._client
        readable, _, _ = select.select([client, self._listener], [], [], self._wait_s())
        try:
            if client in readable:
                data = client.recv(65536)
                if not data:
                    raise ConnectionResetError("client closed")
                self.device.feed(data)
            self._deliver(client.sendall)
            if not self.device.connected:
                raise ConnectionResetError("disconnect fault")
        except OSError:
            self._drop_client()
        if self._listener in readable and self._client is not None:  # (a client that
            self._refuse_newcomer()               # has just left is dropped first, above)

    def _drop_client(self) -> None:
        if self._client is not None:
            self._client.close()
            self._client = None

    def _cleanup(self) -> None:
        self._drop_client()
        self._listener.close()


class PtyServer(_Pump):
    """A pseudo-terminal; open `.port` (e.g. /dev/pts/5) as a serial port."""

    def __init__(self, device: SimulatedDevice, auto_advance: bool | None = None):
        super().__init__(device, auto_advance)
        self._master, self._slave = os.openpty()
        tty.setraw(self._slave)
        self.port = os.ttyname(self._slave)

    @property
    def resource(self) -> str:
        return self.port

    def _run(self) -> None:
        while not self._stop.is_set():
            readable, _, _ = select.select([self._master], [], [], self._wait_s())
            if readable:
                try:
                    data = os.read(self._master, 65536)
                except OSError:
                    return
                self.device.feed(data)
            if not self.device.connected:  # a serial line cannot drop: it falls silent
                self.device.reconnect()
            self._deliver(lambda data: os.write(self._master, data))

    def _cleanup(self) -> None:
        for fd in (self._master, self._slave):
            try:
                os.close(fd)
            except OSError:
                pass
