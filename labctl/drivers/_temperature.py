"""What the temperature-controller drivers share (Eurotherm 3216, Lake Shore 336).

`ControllerBase` implements the `TemperatureController` capability on top of five
instrument-specific hooks (`_read`, `_write_setpoint`, `_read_ramp_rate`, `_write_ramp_rate`,
`_secure_output`); the ramp rate is the `Setting` `ramp_rate_K_per_s`:
bench limits arrive in degC at the edge (`max_temperature_C`, `max_ramp_C_per_min`,
`safe_temperature_C`) and are converted once here; set-points and ramp rates are refused
with `SafetyLimitError` before anything is sent, set-points outside what the controller
can reach (its `RANGES.temperature_K`: a heating-only furnace nothing below ambient) with
`RangeError`. `FollowCheck` notices a process value that
no longer follows a saturated heater (failed element, blown fuse, open contactor): the
"loop break" condition of process controllers, evaluated on the driver's own readings.
"""

from __future__ import annotations

import math
from typing import Mapping


from labctl.capabilities import TemperatureReading
from labctl.clock import Clock
from labctl.errors import ConfigError, InstrumentError, RangeError, SafetyLimitError
from labctl.instrument import Instrument
from labctl.setting import Calls, Setting
from labctl.transport import Transport
from labctl.units import C_to_K, K_to_C

LIMIT_KEYS = {
    "max_temperature_C": "highest set-point accepted (degC)",
    "max_ramp_C_per_min": "fastest set-point ramp accepted (degC/min; a step is refused)",
    "safe_temperature_C": "set-point of the safe state (degC, default 25)",
}
DEFAULT_SAFE_C = 25.0
AMBIENT_C = 25.0      # the lowest set-point a heating-only furnace reaches (it cannot cool)


class FollowCheck:
    """Raise `InstrumentError` when the heater has been saturated for `window_s` while the
    process value stayed more than `band_K` below the set-point and rose less than
    `min_rise_K` (0 s disables the check)."""

    def __init__(self, window_s: float = 600.0, min_rise_K: float = 2.0, band_K: float = 5.0,
                 saturated_percent: float = 99.0):
        self.window_s, self.min_rise_K = window_s, min_rise_K
        self.band_K, self.saturated_percent = band_K, saturated_percent
        self._start: tuple[float, float] | None = None

    def check(self, reading: TemperatureReading, instrument: str) -> None:
        saturated = (reading.output_percent >= self.saturated_percent
                     and reading.temperature_K < reading.setpoint_K - self.band_K)
        if self.window_s <= 0 or not saturated:
            self._start = None
            return
        if self._start is None:
            self._start = (reading.time_s, reading.temperature_K)
            return
        t0, pv0 = self._start
        if reading.time_s - t0 < self.window_s:
            return
        rise = reading.temperature_K - pv0
        if rise < self.min_rise_K:
            raise InstrumentError(
                f"heater failure suspected: output {reading.output_percent:.0f} % for "
                f"{reading.time_s - t0:.0f} s but the temperature rose only {rise:.2f} K "
                f"({reading.temperature_K:.2f} K, set-point {reading.setpoint_K:.2f} K)",
                instrument=instrument)
        self._start = (reading.time_s, reading.temperature_K)


class ControllerBase(Instrument):
    """A temperature controller: limits, safe state and the heater check; SI units."""

    limit_keys = LIMIT_KEYS
    ramp_rate_K_per_s = Setting(wire=Calls("_read_ramp_rate", "_write_ramp_rate"), unit="K/s",
                                check="check_ramp_rate", doc="set-point ramp (0: off, a step)")
    interlocks = {"sensor_break": {"action": "abort"},       # labctl.interlocks, defaults
                  "heater_not_followed": {"band_K": 15.0, "after_s": 300.0, "action": "abort"}}

    def __init__(self, transport: Transport, *, name: str, limits: Mapping[str, float] | None,
                 clock: Clock | None, heater_check_s: float):
        super().__init__(transport, name=name, limits=limits, clock=clock)
        max_C, rate_C = self.limits.get("max_temperature_C"), self.limits.get("max_ramp_C_per_min")
        self.max_temperature_K = None if max_C is None else C_to_K(max_C)
        self.max_ramp_K_per_s = None if rate_C is None else rate_C / 60.0
        self.safe_temperature_K = C_to_K(self.limits.get("safe_temperature_C", DEFAULT_SAFE_C))
        if self.max_temperature_K is not None and self.safe_temperature_K > self.max_temperature_K:
            raise ConfigError(f"{name}: safe_temperature_C is above max_temperature_C")
        self.follow = FollowCheck(window_s=heater_check_s)

    # -- capability -----------------------------------------------------------------------
    def read(self) -> TemperatureReading:
        """Process value, working set-point and output; `InstrumentError` on a sensor
        break, an invalid reading or a heater that the temperature no longer follows."""
        reading = self._read()
        if not (math.isfinite(reading.temperature_K) and math.isfinite(reading.setpoint_K)):
            raise InstrumentError(f"invalid reading: temperature {reading.temperature_K} K, "
                                  f"set-point {reading.setpoint_K} K", instrument=self.name)
        self.follow.check(reading, self.name)
        return reading

    def set_setpoint(self, temperature_K: float) -> None:
        """Target set-point, checked against the limits. With `max_ramp_C_per_min` set, a
        controller whose ramp is off (a step at full power) or faster than the limit (e.g.
        changed at the front panel) is first programmed to ramp at the limit."""
        temperature_K = self.check_setpoint(temperature_K)
        limit = self.max_ramp_K_per_s
        if limit is not None:
            rate = self.ramp_rate_K_per_s
            if rate <= 0 or rate > limit * (1 + 1e-4):
                self.ramp_rate_K_per_s = limit
        self._write_setpoint(temperature_K)

    def set_ramp_rate(self, rate_K_per_s: float) -> None:
        self.ramp_rate_K_per_s = rate_K_per_s

    def safe_state(self) -> None:
        """Output secured (heater off / automatic control), set-point to the safe
        temperature (approached at the configured ramp rate)."""
        self._secure_output()
        self._write_setpoint(self.safe_temperature_K)

    # -- limits ---------------------------------------------------------------------------
    def check_setpoint(self, temperature_K: float) -> float:
        t = float(temperature_K)
        if not (math.isfinite(t) and t > 0):
            raise RangeError(f"{self.name}: set-point {t!r} K is not a temperature")
        if self.max_temperature_K is not None and t > self.max_temperature_K:
            raise SafetyLimitError(
                f"{self.name}: set-point {K_to_C(t):.1f} degC ({t:.2f} K) exceeds the limit "
                f"max_temperature_C = {K_to_C(self.max_temperature_K):g}")
        span = self.ranges.temperature_K
        return t if span is None else span.check(t, f"{self.name}.setpoint")

    def check_ramp_rate(self, rate_K_per_s: float, name: str = "") -> float:
        r = float(rate_K_per_s)
        if not (math.isfinite(r) and r >= 0):
            raise RangeError(f"{self.name}: ramp rate {r!r} K/s must be >= 0 (0 = step)")
        limit = self.max_ramp_K_per_s
        if limit is not None and (r == 0 or r > limit):
            what = "a step (rate 0)" if r == 0 else f"ramp rate {r * 60:g} K/min"
            raise SafetyLimitError(f"{self.name}: {what} exceeds the limit "
                                   f"max_ramp_C_per_min = {limit * 60:g}")
        return r

    # -- instrument hooks -----------------------------------------------------------------
    def _read(self) -> TemperatureReading:
        raise NotImplementedError

    def _write_setpoint(self, temperature_K: float) -> None:
        raise NotImplementedError

    def _write_ramp_rate(self, rate_K_per_s: float) -> None:
        raise NotImplementedError

    def _read_ramp_rate(self) -> float:
        """The controller's present set-point ramp rate (0 = off: set-points step)."""
        raise NotImplementedError

    def _secure_output(self) -> None:
        """Make the output safe before the safe set-point is written."""
        raise NotImplementedError
