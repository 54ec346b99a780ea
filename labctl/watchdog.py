"""The run's safety watchdog: looks at the furnace between a protocol's points.

The runner calls `check(ctx)` at every checkpoint. At most every `interval_s` of bench time
it reads the furnace playing the recipe's "furnace" role (the driver raises on a sensor
break, an invalid reading, or a saturated heater the temperature does not follow) and logs
the reading; it raises `SafetyFault` when for `hold_s` the process value has stayed more
than `band_K` below the working set-point (heater failure while holding) or above it with
the heater still on (a stuck relay or SSR, a thermocouple out of the furnace). A furnace
that cools passively (heater off) slower than its ramp is not a fault. A
stalled instrument shows up as the transport's timeout inside the protocol. Either way the
runner makes the bench safe.
"""

from __future__ import annotations

from typing import Any

from labctl.errors import LabctlError


class SafetyFault(LabctlError):
    """The watchdog found the bench unsafe to continue."""


class Watchdog:
    def __init__(self, interval_s: float = 30.0, band_K: float = 15.0, hold_s: float = 300.0):
        self.interval_s, self.band_K, self.hold_s = interval_s, band_K, hold_s
        self._last_s = -float("inf")
        self._off_since: float | None = None

    def reset(self, now_s: float) -> None:
        """A run (re)starts at bench time `now_s`."""
        self._last_s, self._off_since = now_s - self.interval_s, None

    def check(self, ctx: Any) -> None:
        name = ctx.position.roles.get("furnace")
        now = ctx.clock.now()
        if name is None or now - self._last_s < self.interval_s:
            return
        self._last_s = now
        reading = ctx.instrument("furnace").read()
        ctx.record_temperature(reading)
        error = reading.temperature_K - reading.setpoint_K
        heater_should_act = error < -self.band_K or (error > self.band_K
                                                     and reading.output_percent > 1.0)
        if not heater_should_act:      # within the band, or cooling passively (heater off)
            self._off_since = None
        elif self._off_since is None:
            self._off_since = reading.time_s
        elif reading.time_s - self._off_since >= self.hold_s:
            raise SafetyFault(
                f"{name}: temperature {reading.temperature_K:.1f} K has not followed the "
                f"set-point {reading.setpoint_K:.1f} K (off by more than {self.band_K:g} K "
                f"for {reading.time_s - self._off_since:.0f} s)")
