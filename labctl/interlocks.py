"""Interlocks: conditions under which a run must not go on, declared per instrument.

A driver declares the interlocks it supports with their defaults (`Driver.interlocks`);
a bench file may change their parameters and action, or switch one off (`false`):

    [instruments.furnace]
    interlocks = { heater_not_followed = { band_K = 30, after_s = 600 } }
    [instruments.smu]
    interlocks = { compliance = { max_s = 60, action = "pause" } }

The watchdog (labctl.watchdog) evaluates the interlocks of the instruments that play a role
in the running step at each of its looks, in the spirit of Bluesky's suspenders. An
interlock trips once (`Tripped`) and stays tripped until a look finds it clear. What it
does is its `action`: `abort` puts the bench in its safe state and fails the run with the
reason; `pause` makes the outputs safe (and the instrument that tripped), pauses the run
and, once the interlock has cleared and the operator resumed, measures the interrupted
step again (from the first step of its plateau). Either way it is a stored run event.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from typing import Any, ClassVar

from labctl.configfile import Problems, is_number
from labctl.errors import (InstrumentError, LabctlError, NotFollowed, OxygenOutOfRange,
                           RangeError, SensorBreak)

ACTIONS = ("pause", "abort")


@dataclass
class Interlock:
    """One interlock on instrument `instrument`; `check` says why it trips now, or None."""

    KIND: ClassVar[str]
    instrument: str
    action: str = "abort"

    @property
    def label(self) -> str:
        return f"{self.instrument}.{self.KIND}"

    def check(self, look: Look) -> str | None:
        raise NotImplementedError


@dataclass
class SensorBreakInterlock(Interlock):
    """The controller reports its sensor broken (the driver's `SensorBreak`)."""

    KIND = "sensor_break"

    def check(self, look: Look) -> str | None:
        return look.sensor_break(self.instrument)


@dataclass
class HeaterNotFollowed(Interlock):
    """For `after_s` the temperature stayed more than `band_K` below the working set-point
    (heater failure while holding) or above it with the heater still on (a stuck relay, a
    thermocouple out of the furnace); a furnace cooling passively (heater off) slower than
    its ramp is not a fault."""

    KIND = "heater_not_followed"
    band_K: float = 15.0
    after_s: float = 300.0
    _since: float | None = field(default=None, init=False, repr=False)

    def check(self, look: Look) -> str | None:
        reading = look.temperature(self.instrument)
        if reading is None:            # no temperature to judge by
            return None
        error = reading.temperature_K - reading.setpoint_K
        if not (error < -self.band_K or (error > self.band_K and reading.output_percent > 1.0)):
            self._since = None
        elif self._since is None:
            self._since = reading.time_s
        elif reading.time_s - self._since >= self.after_s:
            return (f"temperature {reading.temperature_K:.1f} K has not followed the set-point "
                    f"{reading.setpoint_K:.1f} K (off by more than {self.band_K:g} K for "
                    f"{reading.time_s - self._since:.0f} s)")
        return None


@dataclass
class Compliance(Interlock):
    """The source meter was in compliance (current limit) at every look for `max_s`."""

    KIND = "compliance"
    max_s: float = 60.0
    _since: float | None = field(default=None, init=False, repr=False)

    def check(self, look: Look) -> str | None:
        if not look.instrument(self.instrument).compliance_tripped:
            self._since = None
        elif self._since is None:
            self._since = look.now_s
        elif look.now_s - self._since >= self.max_s:
            return (f"in compliance (current limit) for {look.now_s - self._since:.0f} s, "
                    f"more than {self.max_s:g} s")
        return None


@dataclass
class FlowNotFollowedInterlock(Interlock):
    """A mass-flow controller's flow has not followed its set-point for the driver's follow
    window (`drivers._flow.FollowCheck`: a stuck valve, an empty cylinder)."""

    KIND = "flow_not_followed"

    def check(self, look: Look) -> str | None:
        return look.fault(self.instrument, NotFollowed)


@dataclass
class OxygenRangeInterlock(Interlock):
    """The oxygen sensor reads a pO2 outside the bench's `min_pO2_Pa`..`max_pO2_Pa`; a
    sensor whose temperature comes from the furnace (none of its own) is not judged here."""

    KIND = "pO2_out_of_range"

    def check(self, look: Look) -> str | None:
        try:
            return look.fault(self.instrument, OxygenOutOfRange)
        except RangeError:             # no sensor temperature to read it at
            return None


KINDS: dict[str, type[Interlock]] = {k.KIND: k for k in (
    SensorBreakInterlock, HeaterNotFollowed, Compliance, FlowNotFollowedInterlock,
    OxygenRangeInterlock)}


class Tripped(LabctlError):
    """An interlock tripped; `interlock.action` says what the runner does."""

    def __init__(self, interlock: Interlock, reason: str):
        self.interlock, self.reason = interlock, reason
        super().__init__(f"interlock {interlock.label} tripped ({interlock.action}): {reason}")


class Look:
    """One look at the bench at bench time `now_s`: each instrument read at most once."""

    def __init__(self, instruments: dict[str, Any], now_s: float):
        self.now_s, self._instruments = now_s, instruments
        self._readings: dict[str, Any] = {}
        self._faulted: set[str] = set()    # a fault of its reading an interlock has reported

    def instrument(self, name: str) -> Any:
        return self._instruments[name]

    def reading(self, name: str) -> Any:
        """The instrument's `read()`; None after a fault an interlock reported, else the
        driver's error (raised again for everyone who asks)."""
        if name not in self._readings:
            try:
                self._readings[name] = self.instrument(name).read()
            except LabctlError as exc:
                self._readings[name] = exc
        found = self._readings[name]
        if name in self._faulted:
            return None
        if isinstance(found, Exception):
            raise found
        return found

    temperature = reading      # a temperature controller's reading

    def fault(self, name: str, kind: type[InstrumentError]) -> str | None:
        """The driver's own words if reading `name` fails with a `kind` error, else None."""
        try:
            self.reading(name)
        except kind as exc:
            self._faulted.add(name)
            return exc.reason
        return None

    def sensor_break(self, name: str) -> str | None:
        """The controller's own words if it reports a sensor break, else None."""
        return self.fault(name, SensorBreak)


def declared(driver: type) -> dict[str, dict[str, Any]]:
    """The interlocks `driver` supports, with their defaults (kind -> settings)."""
    return getattr(driver, "interlocks", {})


def describe(settings: dict[str, dict[str, Any]]) -> str:
    """Interlock settings in a line: `compliance (max_s = 60, abort)`, or `none`."""
    shown = []
    for kind, values in settings.items():
        numbers = [f"{key} = {value:g}" for key, value in values.items() if key != "action"]
        shown.append(f"{kind} ({', '.join(numbers + [values.get('action', 'abort')])})")
    return ", ".join(shown) or "none"


def build(instrument: str, settings: dict[str, dict[str, Any]]) -> list[Interlock]:
    """The interlocks of `instrument` from validated settings (`parse`)."""
    return [KINDS[kind](instrument, **values) for kind, values in settings.items()]


def parse(driver: type, value: Any, where: str, errors: Problems) -> dict[str, dict[str, Any]]:
    """The interlocks of an instrument: the driver's defaults changed by the bench file's
    `interlocks` table `value` (at `where`); each problem added to `errors`."""
    defaults = declared(driver)
    result = {kind: dict(values) for kind, values in defaults.items()}
    if not isinstance(value, dict):
        errors.add("must be a table of interlocks (NAME = true, false or { settings })", where)
        return result
    for kind, entry in value.items():
        if kind not in defaults:
            errors.add(f"unknown interlock for this driver (known: "
                       f"{', '.join(defaults) or 'none'})", where, kind)
        elif entry is False:
            del result[kind]
        elif entry is not True:
            _settings(kind, entry, f"{where}.{kind}", errors, result[kind])
    return result


def _settings(kind: str, entry: Any, where: str, errors: Problems,
              settings: dict[str, Any]) -> None:
    if not isinstance(entry, dict):
        errors.add("must be true, false or a table of settings", where)
        return
    known = {f.name for f in fields(KINDS[kind]) if f.init and f.name != "instrument"}
    for key, value in entry.items():
        if key not in known:
            errors.add(f"unknown setting (known: {', '.join(sorted(known))})", where, key)
        elif key == "action":
            if value not in ACTIONS:
                errors.add(f"must be one of {', '.join(map(repr, ACTIONS))}, got {value!r}",
                           where, key)
            else:
                settings[key] = value
        elif not is_number(value) or value <= 0:
            errors.add(f"must be a number > 0, got {value!r}", where, key)
        else:
            settings[key] = float(value)
