"""Base of all drivers: a transport, limits, error-queue hook, bench snapshot, safe state.

A driver declares its settings as `labctl.setting.Setting`s (checked against the
instrument's range and the bench's limits before anything is sent); its `settings()`, the
run's bench snapshot, is generated from them. `with driver:` always leaves the instrument
in its safe state and closes the link.
"""

from __future__ import annotations

import inspect
import re
from typing import Any, ClassVar, Mapping, Self

from labctl.clock import Clock, RealClock
from labctl.configfile import is_number
from labctl.errors import ConfigError, InstrumentError, ReplyError, SafetyLimitError
from labctl.ranges import Ranges
from labctl.setting import settings_of
from labctl.transport import LinkSettings, SerialTransport, Transport, open_transport

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

    def __new__(cls, *args: Any, **kwargs: Any) -> Self:
        """Record the driver options this instrument is constructed with, defaults
        included, for the bench snapshot (`options`)."""
        self = super().__new__(cls)
        bound = inspect.signature(cls.__init__).bind(self, *args, **kwargs)
        bound.apply_defaults()
        self.options = {k: bound.arguments[k] for k in sorted(cls.driver_options())}
        return self

    def __init__(self, transport: Transport, *, name: str = "instrument",
                 limits: Mapping[str, float] | None = None, clock: Clock | None = None):
        self.sent: dict[str, Any] = {}   # the last value each Setting sent or holds
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
    def bench_problems(cls, options: Mapping[str, Any],
                       instruments: set[str]) -> list[tuple[str, str]]:
        """What is wrong in these bench `options` given the bench's `instruments` (names),
        as (option key, message) pairs; drivers whose options refer to others override."""
        return []

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
        if name is not None:
            transport.named(name)
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
        """The run's bench snapshot of this instrument: driver, limits, options and every
        `Setting` (`Setting.recorded`)."""
        return {"driver": type(self).__name__, "limits": dict(self.limits.values),
                "options": dict(self.options),
                **{s.name: s.recorded(self) for s in settings_of(type(self)) if s.snapshot}}

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
