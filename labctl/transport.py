"""Transports: text (and raw byte) links to instruments, with timeouts and reconnect.

- `VisaTransport`: any VISA resource string (GPIB, USB-TMC, `TCPIP::host::port::SOCKET`,
  `ASRL...::INSTR`) through pyvisa; pyvisa-py (`@py`) by default, a system VISA on request.
- `SocketTransport`: `TCPIP::host::port::SOCKET` with pyvisa-py (the default library): a
  plain TCP socket whose connect and every read end within the link timeout.
- `SerialTransport`: a pyserial port, a pyserial URL (`socket://`, `loop://`, `rfc2217://`),
  or any object with pyserial's interface (e.g. a simulator's port for in-process use).

Both raise `InstrumentTimeout` / `InstrumentConnectionError`; after either, the next call
reopens the link (reconnect on demand). A query (write + read) holds the transport's lock,
so a watchdog thread's safe-state commands never interleave with a measurement's query. Settings live in `LinkSettings`.
"""

from __future__ import annotations

import re
import socket
import sys
import threading
import time
from dataclasses import dataclass, fields, replace
from typing import Any, Callable

from labctl.configfile import is_number
from labctl.errors import ConfigError, InstrumentConnectionError, InstrumentTimeout

MAX_BAUDRATE = 12_000_000  # the fastest USB serial adapters (FTDI high-speed)
LATE_REPLY_MAX_BYTES = 65536  # read while discarding a late reply (waits the full timeout)
PARITIES = {"N": "N", "E": "E", "O": "O", "M": "M", "S": "S",
            "none": "N", "even": "E", "odd": "O", "mark": "M", "space": "S"}


@dataclass(frozen=True)
class LinkSettings:
    """Per-instrument link settings (drivers give defaults, bench `options` override)."""

    read_termination: str = "\n"
    write_termination: str = "\n"
    timeout_s: float = 2.0
    encoding: str = "ascii"
    baudrate: int = 9600
    bytesize: int = 8
    parity: str = "N"
    stopbits: float = 1
    visa_library: str = "@py"

    @classmethod
    def keys(cls) -> set[str]:
        return {f.name for f in fields(cls)}

    def updated(self, options: dict[str, Any]) -> "LinkSettings":
        """A copy with the link keys of `options` applied (other keys are ignored);
        a bad value raises ConfigError naming the key."""
        values = {k: _link_value(k, v) for k, v in options.items() if k in self.keys()}
        return replace(self, **values)


_LINK_CHECKS: dict[str, tuple[Callable[[Any], bool], str]] = {
    "read_termination": (lambda v: isinstance(v, str), "a string"),
    "write_termination": (lambda v: isinstance(v, str), "a string"),
    "timeout_s": (lambda v: is_number(v) and 0 < v < 1e5, "a number of seconds > 0"),
    "encoding": (lambda v: isinstance(v, str) and _is_codec(v), "a text encoding such as 'ascii'"),
    "baudrate": (lambda v: isinstance(v, int) and not isinstance(v, bool)
                 and 50 <= v <= MAX_BAUDRATE, f"an integer from 50 to {MAX_BAUDRATE}"),
    "bytesize": (lambda v: v in (5, 6, 7, 8) and not isinstance(v, bool), "5, 6, 7 or 8"),
    "parity": (lambda v: isinstance(v, str) and v in PARITIES, "one of " + ", ".join(PARITIES)),
    "stopbits": (lambda v: v in (1, 1.5, 2) and not isinstance(v, bool), "1, 1.5 or 2"),
    "visa_library": (lambda v: isinstance(v, str) and bool(v), "'@py', '@ivi' or a library path"),
}


def _is_codec(name: str) -> bool:
    """A text encoding (`hex` or `rot13` are codecs too, but not between text and bytes)."""
    try:
        "".encode(name)
    except LookupError:
        return False
    return True


def _link_value(key: str, value: Any) -> Any:
    valid, expected = _LINK_CHECKS[key]
    if not valid(value):
        raise ConfigError(f"must be {expected}, got {value!r}", field=key)
    return PARITIES[value] if key == "parity" else value


def serial_link_errors() -> tuple[type[BaseException], ...]:
    """What a serial port that failed raises through pyserial: `SerialException`, `OSError`
    and, on POSIX, `termios.error`, which is no OSError (a vanished pty or USB adapter
    reports `(5, 'Input/output error')` through it when pyserial sets a timeout or flushes)."""
    import serial

    try:
        import termios
    except ImportError:   # Windows
        return serial.SerialException, OSError
    return serial.SerialException, OSError, termios.error


class Transport:
    """Line-oriented text link; subclasses implement the byte-level `_open/_send/_recv_line`."""

    def __init__(self, description: str, settings: LinkSettings):
        self.description = description
        self.name = description   # what its errors call the link: see `named`
        self.settings = settings
        self._is_open = False
        self.lock = threading.RLock()  # a query is atomic even with several threads

    # -- public API ---------------------------------------------------------------
    def write(self, message: str) -> None:
        data = (message + self.settings.write_termination).encode(self.settings.encoding)
        with self.lock:
            self._guarded(lambda: self._send(data))

    def read(self, timeout_s: float | None = None) -> str:
        """One reply; `timeout_s` replaces the link timeout for this read (a reply that
        takes long to produce, such as a slow measurement point)."""
        timeout = self.settings.timeout_s if timeout_s is None else timeout_s
        with self.lock:
            raw = self._guarded(lambda: self._recv_line(timeout))
        return raw.decode(self.settings.encoding, errors="replace").removesuffix(
            self.settings.read_termination)

    def query(self, message: str, timeout_s: float | None = None) -> str:
        with self.lock:
            self.write(message)
            return self.read(timeout_s)

    def open(self) -> None:
        """Open the link now (it otherwise opens on first use), e.g. to hand a serial port
        to a Modbus library."""
        self._guarded(lambda: None)

    def named(self, instrument: str) -> None:
        """Name the link's errors after the bench instrument on it: `smu
        (TCPIP::10.0.0.5::5025::SOCKET): connection lost`, not the resource alone."""
        self.name = f"{instrument} ({self.description})"

    def close(self) -> None:
        if self._is_open:
            self._is_open = False
            self._close()

    # -- reconnect on demand ------------------------------------------------------
    def _guarded(self, action: Callable[[], Any]) -> Any:
        if not self._is_open:
            self._open()
            self._is_open = True
        try:
            return action()
        except InstrumentTimeout:
            self._after_timeout()
            raise
        except InstrumentConnectionError:
            self._drop()
            raise

    def _drop(self) -> None:
        """Close a broken link; the next call opens it again."""
        self._is_open = False
        try:
            self._close()
        except Exception:  # noqa: BLE001 - the link is already broken
            pass

    def _after_timeout(self) -> None:
        """After a timeout the link's state is unknown (a late reply may follow; pyvisa-py
        reports a vanished peer only as timeouts): start the next call on a fresh link, so a
        late reply is never read as the answer to the next query."""
        self._drop()

    def _timeout(self, timeout_s: float) -> InstrumentTimeout:
        return InstrumentTimeout(f"no reply within {timeout_s:g} s", instrument=self.name)

    def _lost(self, exc: BaseException) -> InstrumentConnectionError:
        return InstrumentConnectionError(f"connection lost: {exc}", instrument=self.name)

    # -- subclass hooks -------------------------------------------------------------
    def _open(self) -> None:
        raise NotImplementedError

    def _close(self) -> None:
        raise NotImplementedError

    def _send(self, data: bytes) -> None:
        raise NotImplementedError

    def _recv_line(self, timeout_s: float) -> bytes:
        raise NotImplementedError

    def __enter__(self) -> "Transport":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class SerialTransport(Transport):
    """A pyserial port or URL; `port` may also be a ready serial-like object."""

    def __init__(self, port: Any, settings: LinkSettings = LinkSettings()):
        self._port_spec = port
        self.serial: Any = None
        super().__init__(port if isinstance(port, str) else getattr(port, "name", "serial"),
                         settings)

    def _open(self) -> None:
        import serial

        s = self.settings
        if not isinstance(self._port_spec, str):
            self.serial = self._port_spec
            if not self.serial.is_open:
                self.serial.open()
            self.serial.timeout = s.timeout_s
            return
        try:
            self.serial = serial.serial_for_url(
                self._port_spec, baudrate=s.baudrate, bytesize=s.bytesize, parity=s.parity,
                stopbits=s.stopbits, timeout=s.timeout_s, write_timeout=s.timeout_s,
                exclusive=True)   # no other program on the port meanwhile (see labctl.claims)
        except (serial.SerialException, OSError, ValueError) as exc:
            raise InstrumentConnectionError(
                f"cannot open serial port: {exc}", instrument=self.name) from exc

    def _close(self) -> None:
        self.serial.close()

    def discard_late_reply(self) -> None:
        """Wait one link timeout for a late reply and drop what arrived: a serial line keeps
        its bytes across close and open, and a late reply (or a binary frame, which does not
        say what it answers) must never pass as the answer to the next request."""
        try:
            self.serial.timeout = self.settings.timeout_s
            self.serial.read(LATE_REPLY_MAX_BYTES)
            self.serial.reset_input_buffer()
        except Exception:  # noqa: BLE001 - a broken port: reopen it on the next call
            self._drop()

    def _after_timeout(self) -> None:
        self.discard_late_reply()

    def _send(self, data: bytes) -> None:
        import serial

        try:
            self.serial.reset_input_buffer()
            self.serial.write(data)
            self.serial.flush()
        except serial.SerialTimeoutException as exc:
            raise self._timeout(self.settings.timeout_s) from exc
        except serial_link_errors() as exc:
            raise self._lost(exc) from exc

    def _recv_line(self, timeout_s: float) -> bytes:
        term = self.settings.read_termination.encode(self.settings.encoding)
        try:
            self.serial.timeout = timeout_s
            data = self.serial.read_until(term)
        except serial_link_errors() as exc:
            raise self._lost(exc) from exc
        if not data.endswith(term):
            raise self._timeout(timeout_s)
        return data


class VisaTransport(Transport):
    """Any VISA resource through pyvisa (`visa_library` "@py" = pyvisa-py)."""

    def __init__(self, resource: str, settings: LinkSettings = LinkSettings()):
        super().__init__(resource, settings)
        self._resource: Any = None

    def _open(self) -> None:
        s = self.settings
        kwargs: dict[str, Any] = dict(read_termination=s.read_termination,
                                      write_termination="", timeout=int(s.timeout_s * 1000),
                                      encoding=s.encoding)
        if self.description.upper().startswith("ASRL"):
            from pyvisa.constants import Parity, StopBits

            kwargs.update(baud_rate=s.baudrate, data_bits=s.bytesize,
                          parity={"N": Parity.none, "E": Parity.even, "O": Parity.odd,
                                  "M": Parity.mark, "S": Parity.space}[s.parity],
                          stop_bits={1: StopBits.one, 1.5: StopBits.one_and_a_half,
                                     2: StopBits.two}[s.stopbits])
        try:
            self._resource = _resource_manager(s.visa_library).open_resource(
                self.description, open_timeout=int(s.timeout_s * 1000), **kwargs)
        except Exception as exc:  # noqa: BLE001 - pyvisa-py raises bare Exception, OverflowError
            raise InstrumentConnectionError(
                f"cannot open VISA resource: {type(exc).__name__}: {exc}",
                instrument=self.name) from exc

    def _close(self) -> None:
        self._resource.close()

    def _send(self, data: bytes) -> None:
        self._visa_call(lambda: self._resource.write_raw(data))

    def _recv_line(self, timeout_s: float) -> bytes:
        def read() -> bytes:
            self._resource.timeout = timeout_s * 1000
            try:
                return self._resource.read_raw()
            finally:
                self._resource.timeout = self.settings.timeout_s * 1000
        return self._visa_call(read, timeout_s)

    def _visa_call(self, action: Callable[[], Any], timeout_s: float | None = None) -> Any:
        import pyvisa
        from pyvisa.constants import StatusCode

        try:
            return action()
        except pyvisa.VisaIOError as exc:
            if exc.error_code == StatusCode.error_timeout:
                raise self._timeout(timeout_s or self.settings.timeout_s) from exc
            raise self._lost(exc) from exc
        except (OSError, pyvisa.Error) as exc:
            raise self._lost(exc) from exc


class SocketTransport(Transport):
    """A raw TCP socket to `host:port`. Used for VISA `TCPIP::host::port::SOCKET` resources
    with pyvisa-py, whose read checks its deadline only while nothing arrives (a peer that
    trickles bytes without a terminator held a read forever) and whose connect ignores the
    link timeout: here the connect and every read end within the timeout."""

    def __init__(self, resource: str, settings: LinkSettings, host: str, port: int):
        super().__init__(resource, settings)
        self.address = (host, port)
        self._socket: socket.socket | None = None
        self._buffer = bytearray()

    def _open(self) -> None:
        try:
            self._socket = socket.create_connection(self.address, timeout=self.settings.timeout_s)
        except OSError as exc:  # refused, unresolvable host, no answer within the timeout
            reason = "no answer" if isinstance(exc, TimeoutError) else exc.strerror or exc
            raise InstrumentConnectionError(
                f"cannot connect to {self.address[0]}:{self.address[1]} within "
                f"{self.settings.timeout_s:g} s: {reason}", instrument=self.name) from exc
        self._socket.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self._buffer.clear()

    def _close(self) -> None:
        self._socket.close()

    def _send(self, data: bytes) -> None:
        try:
            self._socket.settimeout(self.settings.timeout_s)
            self._socket.sendall(data)
        except TimeoutError as exc:
            raise self._timeout(self.settings.timeout_s) from exc
        except OSError as exc:
            raise self._lost(exc) from exc

    def _recv_line(self, timeout_s: float) -> bytes:
        term = self.settings.read_termination.encode(self.settings.encoding)
        deadline = time.monotonic() + timeout_s
        while (end := self._buffer.find(term)) < 0:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise self._timeout(timeout_s)
            try:
                self._socket.settimeout(remaining)
                chunk = self._socket.recv(65536)
            except TimeoutError as exc:
                raise self._timeout(timeout_s) from exc
            except OSError as exc:
                raise self._lost(exc) from exc
            if not chunk:
                raise self._lost(ConnectionResetError("closed by the instrument"))
            self._buffer += chunk
        line = bytes(self._buffer[:end + len(term)])
        del self._buffer[:end + len(term)]
        return line


_MANAGERS: dict[str, Any] = {}


def _resource_manager(library: str) -> Any:
    """One pyvisa ResourceManager per VISA library, created on first use."""
    if library not in _MANAGERS:
        import pyvisa

        _MANAGERS[library] = pyvisa.ResourceManager(library)
    return _MANAGERS[library]


_SOCKET = re.compile(r"^TCPIP\d*::(?P<host>[^:]+)::(?P<port>\d+)::SOCKET$", re.IGNORECASE)
_SOCKET_URL = re.compile(r"^socket://(?P<host>[^/]+):(?P<port>\d+)$", re.IGNORECASE)
_ASRL = re.compile(r"^ASRL(?P<port>[^:]+)::INSTR$", re.IGNORECASE)


def serial_port_name(resource: str) -> str:
    """The pyserial port for a serial resource: `ASRL/dev/ttyUSB0::INSTR` -> `/dev/ttyUSB0`,
    `ASRL3::INSTR` -> `COM3` (Windows) or `/dev/ttyS3`; paths and URLs pass through."""
    match = _ASRL.match(resource)
    if not match:
        return resource
    port = match["port"]
    if port.isdigit():
        return f"COM{port}" if sys.platform == "win32" else f"/dev/ttyS{int(port) - 1}"
    return port


def socket_address(resource: str) -> tuple[str, int] | None:
    """(host, port) of a TCP socket resource (VISA `TCPIP::host::port::SOCKET` or pyserial
    `socket://host:port`), else None."""
    match = _SOCKET.match(resource) or _SOCKET_URL.match(resource)
    return (match["host"], int(match["port"])) if match else None


def resource_problem(resource: str) -> str | None:
    """What is wrong with a resource string that can be told without opening it."""
    address = socket_address(resource)
    if address and not 1 <= address[1] <= 65535:
        return f"port {address[1]} is outside 1..65535"
    return None


def is_visa_resource(resource: str) -> bool:
    return bool(re.match(r"^(GPIB|USB|TCPIP|ASRL|VXI|PXI)\d*", resource, re.IGNORECASE))


def open_transport(resource: str, settings: LinkSettings) -> Transport:
    """A transport for `resource`: VISA strings go to pyvisa, anything else to pyserial
    (device paths, COM ports, pyserial URLs such as `socket://host:port`)."""
    socket_resource = _SOCKET.match(resource)
    if socket_resource and settings.visa_library == "@py":
        return SocketTransport(resource, settings, socket_resource["host"],
                               int(socket_resource["port"]))
    if is_visa_resource(resource):
        return VisaTransport(resource, settings)
    return SerialTransport(resource, settings)
