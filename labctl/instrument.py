"""Base of all drivers: declarative properties, limits, error-queue hook, safe state.

A driver reads like the manual's command table::

    class Keithley2450(Instrument):
        nplc = Property(":SENS:CURR:NPLC?", ":SENS:CURR:NPLC {:g}", check=in_range(0.01, 10))

Setting a property validates the value (a clear `RangeError` naming the property and the
accepted range) before anything is sent; getting it queries and parses the reply (a reply
that does not parse is a `ReplyError`, never a string passed along). `with driver:` always
leaves the instrument in its safe state and closes the link.
"""

from __future__ import annotations

import inspect
import re
from typing import Any, Callable, ClassVar, Mapping

from labctl.clock import Clock, RealClock
from labctl.configfile import is_number
from labctl.errors import (ConfigError, InstrumentError, RangeError, ReplyError,
                           SafetyLimitError)
from labctl.ranges import Ranges, Span
from labctl.transport import LinkSettings, SerialTransport, Transport, open_transport

Check = Callable[[Any, str], Any]


def in_range(low: float, high: float, unit: str = "") -> Check:
    """Validator: `low <= value <= high`; returns the value as float."""
    return Span(low, high, unit).check


def one_of(*choices: Any) -> Check:
    """Validator: value must be one of `choices`."""
    def check(value: Any, name: str) -> Any:
        if value not in choices:
            raise RangeError(f"{name} = {value!r} is not one of {', '.join(map(repr, choices))}")
        return value
    return check


def parse_float(reply: str) -> float:
    try:
        return float(reply.strip())
    except ValueError:
        raise ReplyError(f"expected a number, got {reply!r}") from None


def parse_word(reply: str) -> str:
    """A one-word reply (`ZTD`, `SCPI`): stripped, non-empty, printable."""
    text = reply.strip()
    if not text or not text.isprintable() or " " in text:
        raise ReplyError(f"expected a word, got {reply!r}")
    return text


SCPI_ERROR = re.compile(r'^([+-]?\d+),"(.*)"$')
MAX_QUEUED_ERRORS = 32      # SCPI queues hold 10-32; a queue that never empties is a fault


def parse_scpi_error(reply: str) -> tuple[int, str]:
    """`<code>,"<message>"` -> (code, message); text after a `;` (the 2450 appends
    severity and time) is dropped."""
    match = SCPI_ERROR.match(reply.strip())
    if not match:
        raise ReplyError(f'expected <code>,"<message>" from the error queue, got {reply!r}')
    return int(match[1]), match[2].split(";")[0]


def raise_scpi_errors(instrument: "Instrument", query: str = ":SYST:ERR?") -> None:
    """Read the SCPI error queue until `0,...` (at most MAX_QUEUED_ERRORS reads) and raise
    the first error as `InstrumentError` with its code, counting the others."""
    found, emptied = [], False
    for _ in range(MAX_QUEUED_ERRORS):
        code, message = parse_scpi_error(instrument.query(query))
        if code == 0:
            emptied = True
            break
        found.append((code, message))
    if found:
        notes = [f"+{len(found) - 1} more"] * (len(found) > 1) + \
            [f"queue not empty after {MAX_QUEUED_ERRORS} reads"] * (not emptied)
        code, message = found[0]
        raise InstrumentError(f"error {code}: {message}"
                              + (f" ({'; '.join(notes)})" if notes else ""),
                              instrument=instrument.name, code=code)


def parse_bool(reply: str) -> bool:
    text = reply.strip().upper()
    if text in ("1", "ON"):
        return True
    if text in ("0", "OFF"):
        return False
    raise ReplyError(f"expected 0/1, got {reply!r}")


class Property:
    """A gettable/settable instrument setting defined by its query and command."""

    def __init__(self, get: str | None = None, set: str | None = None, *,
                 parse: Callable[[str], Any] = parse_float, check: Check | None = None,
                 format: Callable[[Any], Any] = lambda v: v, doc: str = ""):
        self.get_cmd, self.set_cmd = get, set
        self.parse, self.check, self.format = parse, check, format
        self.__doc__ = doc
        self.name = ""

    def __set_name__(self, owner: type, name: str) -> None:
        self.name = name

    def __get__(self, instrument: "Instrument | None", owner: type) -> Any:
        if instrument is None:
            return self
        if self.get_cmd is None:
            raise AttributeError(f"{self.name} cannot be read")
        return self.parse(instrument.query(self.get_cmd))

    def __set__(self, instrument: "Instrument", value: Any) -> None:
        if self.set_cmd is None:
            raise AttributeError(f"{self.name} cannot be set")
        if self.check is not None:
            value = self.check(value, f"{instrument.name}.{self.name}")
        instrument.write(self.set_cmd.format(self.format(value)))


class Limits:
    """Safety limits of one instrument from the bench file (`voltage_V = 5.0`, ...)."""

    def __init__(self, owner: str, values: Mapping[str, float] | None = None):
        self.owner = owner
        self.values = dict(values or {})
        for key, value in self.values.items():  # a NaN limit would silently allow anything
            if not is_number(value):
                raise ConfigError(f"limit must be a finite number, got {value!r}",
                                  field=f"{owner}.limits.{key}")

    def get(self, key: str, default: float | None = None) -> float | None:
        return self.values.get(key, default)

    def check_max(self, key: str, value: float, what: str, unit: str = "") -> None:
        """Refuse `|value|` above limit `key` (no limit configured: allowed)."""
        limit = self.values.get(key)
        if limit is not None and abs(value) > limit:
            raise SafetyLimitError(f"{self.owner}: {what} {value:g} {unit} exceeds the limit "
                                   f"{key} = {limit:g}".replace("  ", " "))


class Instrument:
    """Base class of drivers: a transport, a name, limits and a clock."""

    link: ClassVar[LinkSettings] = LinkSettings()
    limit_keys: ClassVar[dict[str, str]] = {}  # limit name -> meaning, for bench validation
    # identities of the supported models: regular expressions, one of which `identify()`
    # must match when a bench opens the driver (none: not checked)
    models: ClassVar[tuple[str, ...]] = ()
    RANGES: ClassVar[Ranges] = Ranges()   # what the model can set, from its manual

    def __init__(self, transport: Transport, *, name: str = "instrument",
                 limits: Mapping[str, float] | None = None, clock: Clock | None = None):
        self.transport = transport
        self.name = name
        self.limits = Limits(name, limits)
        self.clock = clock or RealClock()

    @property
    def ranges(self) -> Ranges:
        """What this unit can set (drivers narrow `RANGES` by its model or options)."""
        return self.RANGES

    @classmethod
    def bench_ranges(cls, options: Mapping[str, Any]) -> Ranges:
        """What a unit with these bench `options` can set: what recipe validation checks
        (drivers whose ranges depend on an option override this)."""
        return cls.RANGES

    # -- construction from a bench entry --------------------------------------------
    @classmethod
    def driver_options(cls) -> set[str]:
        """Keyword options the driver's constructor accepts beyond the base ones."""
        params = inspect.signature(cls.__init__).parameters.values()
        return {p.name for p in params if p.kind is p.KEYWORD_ONLY} - {"name", "limits", "clock"}

    @classmethod
    def open(cls, resource: Any, *, name: str | None = None,
             limits: Mapping[str, float] | None = None, clock: Clock | None = None,
             options: Mapping[str, Any] | None = None) -> "Instrument":
        """Connect to `resource` (a VISA/serial string, or a serial-like port object);
        `name` defaults to the driver's own."""
        options = dict(options or {})
        settings = cls.link.updated(options)
        kwargs = {k: v for k, v in options.items() if k not in LinkSettings.keys()}
        if name is not None:
            kwargs["name"] = name
        transport = open_transport(resource, settings) if isinstance(resource, str) \
            else SerialTransport(resource, settings)
        return cls(transport, limits=limits, clock=clock, **kwargs)

    # -- I/O ----------------------------------------------------------------------------
    def write(self, command: str) -> None:
        self.transport.write(command)

    def query(self, command: str) -> str:
        return self.transport.query(command)

    def check_errors(self) -> None:
        """Raise `InstrumentError` if the instrument reports errors (drivers override)."""

    def identify(self) -> str:
        return self.query("*IDN?").strip()

    def check_identity(self) -> str:
        """The identity, if it is one of `models` (ConfigError otherwise: a driver must not
        send its commands, safe state included, to another kind of instrument)."""
        identity = self.identify()
        if not any(re.search(model, identity) for model in self.models):
            raise ConfigError(
                f"{self.name}: driver {type(self).__name__} expects an instrument whose "
                f"identity matches {' or '.join(map(repr, self.models))}, but "
                f"{self.transport.description} answered {identity!r} (for a compatible "
                f"model, set the option check_identity = false)")
        return identity

    def settings(self) -> dict[str, Any]:
        """Settings worth recording in a run's bench snapshot (drivers extend)."""
        return {"driver": type(self).__name__, "limits": dict(self.limits.values)}

    def safe_state(self) -> None:
        """Outputs off / heater safe (drivers override)."""

    def close(self) -> None:
        self.transport.close()

    def __enter__(self) -> "Instrument":
        return self

    def __exit__(self, *exc: object) -> None:
        try:
            self.safe_state()
        finally:
            self.close()
