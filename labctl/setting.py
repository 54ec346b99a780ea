"""One descriptor for every instrument setting: `Setting`, and the wires it travels on.

A driver reads like the manual's command table::

    class Keithley2450(Instrument):
        voltage_V = Setting(":SOUR:VOLT?", ":SOUR:VOLT {:.7g}", unit="V",
                            span="voltage_V", limit="voltage_V")

Setting a value checks it in SI units, in this order, before anything is sent: the
instrument's range (`span`, a field of its `ranges`: `RangeError`), the bench's safety limit
(`limit`, a key of its `limits`: `SafetyLimitError`), then `check` (a validator or the name
of a driver method, for what a span cannot say). Every message names the instrument, the
setting, the value and the range or limit. Getting a value reads it from the instrument and
parses the reply (a reply that does not parse is a `ReplyError`).

The wire is how a value reaches the instrument: `Command` (a query and a command template,
what the two strings above build), `Register` (a Modbus parameter), `Calls` (two driver
methods, for values spread over several commands) or `Held` (kept by the driver, sent later
inside a script). Each value sent is remembered in `instrument.sent`; a run's bench snapshot
records every setting (`snapshot=False` for readings and status words): read back where the
wire can, as last sent otherwise.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

from labctl.errors import RangeError, ReplyError, SafetyLimitError
from labctl.ranges import Span, in_units
from labctl.units import C_to_K, K_to_C

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


def parse_bool(reply: str) -> bool:
    text = reply.strip().upper()
    if text in ("1", "ON"):
        return True
    if text in ("0", "OFF"):
        return False
    raise ReplyError(f"expected 0/1, got {reply!r}")


# -- wires ----------------------------------------------------------------------------------
class Command:
    """A text instrument: `get` is the query, `set` a `str.format` template of the command."""

    def __init__(self, get: str | None, set: str | None, parse: Callable[[str], Any],
                 format: Callable[[Any], Any]):
        self.get, self.set, self.parse, self.format = get, set, parse, format
        self.readable, self.writable = get is not None, set is not None

    def read(self, instrument: Any, name: str) -> Any:
        return self.parse(instrument.query(self.get))

    def write(self, instrument: Any, name: str, value: Any) -> None:
        instrument.write(self.set.format(self.format(value)))


class Register:
    """A Modbus parameter by address: a float (degC at the wire if `celsius`, K here) or
    an integer (enumerations, bit maps), through the driver's `read_float`/`write_float`/
    `read_integer`/`write_integer`."""

    def __init__(self, address: int, *, celsius: bool = False, integer: bool = False,
                 writable: bool = False):
        self.address, self.celsius, self.integer = address, celsius, integer
        self.readable, self.writable = True, writable

    def read(self, instrument: Any, name: str) -> Any:
        if self.integer:
            return instrument.read_integer(self.address)
        value = instrument.read_float(self.address)
        return C_to_K(value) if self.celsius else value

    def write(self, instrument: Any, name: str, value: Any) -> None:
        if self.integer:
            instrument.write_integer(self.address, int(value))
        else:
            instrument.write_float(self.address, K_to_C(value) if self.celsius else value)


class Calls:
    """Two methods of the driver (by name): `read()` and `write(value)`."""

    def __init__(self, read: str | None, write: str | None = None):
        self.reader, self.writer = read, write
        self.readable, self.writable = read is not None, write is not None

    def read(self, instrument: Any, name: str) -> Any:
        return getattr(instrument, self.reader)()

    def write(self, instrument: Any, name: str, value: Any) -> None:
        getattr(instrument, self.writer)(value)


class Held:
    """Kept by the driver (`initial` until set) and sent later, e.g. inside a script."""

    readable = writable = True

    def __init__(self, initial: Any = None):
        self.initial = initial

    def read(self, instrument: Any, name: str) -> Any:
        return instrument.sent.get(name, self.initial)

    def write(self, instrument: Any, name: str, value: Any) -> None:
        """Nothing to send now."""


# -- the descriptor -------------------------------------------------------------------------
class Setting:
    """An instrument setting: its wire, unit and the checks a value passes before sending."""

    def __init__(self, get: str | None = None, set: str | None = None, *,
                 wire: Command | Register | Calls | Held | None = None,
                 parse: Callable[[str], Any] = parse_float,
                 format: Callable[[Any], Any] = lambda v: v, unit: str = "",
                 span: str | None = None, limit: str | None = None,
                 check: Check | str | None = None, snapshot: bool = True, doc: str = ""):
        self.wire = wire or Command(get, set, parse, format)
        self.unit, self.span, self.limit, self.check = unit, span, limit, check
        self.snapshot, self.__doc__, self.name = snapshot, doc, ""

    def __set_name__(self, owner: type, name: str) -> None:
        self.name = name

    def __get__(self, instrument: Any, owner: type) -> Any:
        if instrument is None:
            return self
        if not self.wire.readable:
            raise AttributeError(f"{instrument.name}.{self.name} cannot be read")
        return self.wire.read(instrument, self.name)

    def __set__(self, instrument: Any, value: Any) -> None:
        if not self.wire.writable:
            raise AttributeError(f"{instrument.name}.{self.name} cannot be set")
        value = self.validate(instrument, value)
        self.wire.write(instrument, self.name, value)
        instrument.sent[self.name] = value

    def validate(self, instrument: Any, value: Any, what: str | None = None) -> Any:
        """The checked value (see the module docstring); `what` names the value in
        messages when it is not this setting (a sweep's end point checked as a voltage)."""
        what = what or self.name
        if self.span is not None:
            value = instrument.ranges.get(self.span).check(value, f"{instrument.name}.{what}")
        limit = None if self.limit is None else instrument.limits.get(self.limit)
        if limit is not None and abs(value) > limit:
            raise SafetyLimitError(f"{instrument.name}.{what} = {in_units(value, self.unit)} "
                                   f"exceeds the bench limit {self.limit} = {limit:g}")
        if self.check is not None:
            check = getattr(instrument, self.check) if isinstance(self.check, str) else self.check
            value = check(value, f"{instrument.name}.{what}")
        return value

    def recorded(self, instrument: Any) -> Any:
        """The value for the bench snapshot: read back, or as last sent (None: never)."""
        if self.wire.readable:
            return self.wire.read(instrument, self.name)
        return instrument.sent.get(self.name)


def settings_of(cls: type) -> Iterator[Setting]:
    """The `Setting`s of a driver class and its bases (a subclass's one replaces its base's)."""
    found: dict[str, Setting] = {}
    for klass in reversed(cls.__mro__):
        found.update({n: s for n, s in vars(klass).items() if isinstance(s, Setting)})
    return iter(found.values())
