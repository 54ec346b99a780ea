"""A small tube furnace and the controller firmware that drives it (temperatures in K).

Plant (`Furnace`), linear and integrated exactly for piecewise-constant heater power P:
    C dT_f/dt = P - G (T_f - T_amb)         furnace body, read by the thermocouple (PV)
    dT_s/dt   = (T_f - T_s) / tau_s         sample, lagging the thermocouple
Full power holds T_amb + P_max/G (1409 K = 1136 degC with the defaults). Radiative losses
are folded into G (no T^4 term), so the exact linear solution applies.

Controller (`ControlLoop`), as the firmware of a Eurotherm 3200 or Lake Shore 336: a fixed
control period; a set-point rate limit that ramps the working set-point from the current PV
towards the target (0 = step); PID on the PV (derivative on the measurement) with
conditional-integration anti-windup and output limits; auto/manual; standby (outputs off,
no control); on thermocouple break the output goes to the sensor-break output (0 %).
`update(now_s)` steps loop and plant from the last update to `now_s` on the fixed tick grid,
so the state depends only on time. Several controllers may sit on one furnace, one loop
each; only the one driving the heater is updated, and `take_over` hands the heater over.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy.linalg import expm

from labctl.units import C_to_K


@dataclass(frozen=True)
class FurnaceParams:
    """Thermal parameters of the furnace; defaults: a 1 kW tube furnace, 1136 degC max."""

    max_power_W: float = 1000.0
    heat_capacity_J_per_K: float = 1200.0     # with G: furnace time constant C/G = 1333 s
    loss_conductance_W_per_K: float = 0.9
    ambient_K: float = C_to_K(25.0)
    sample_lag_s: float = 120.0               # thermocouple -> sample time constant

    def steady_state_K(self, heater_fraction: float) -> float:
        """Furnace temperature held by a constant heater fraction (0..1)."""
        return self.ambient_K + heater_fraction * self.max_power_W / self.loss_conductance_W_per_K

    def holding_fraction(self, temperature_K: float) -> float:
        """Heater fraction that holds the furnace at `temperature_K` (inverse of the above)."""
        return (temperature_K - self.ambient_K) * self.loss_conductance_W_per_K / self.max_power_W


class Furnace:
    """Furnace and sample temperatures; fault flags `heater_failed`, `thermocouple_broken`."""

    def __init__(self, params: FurnaceParams | None = None, temperature_K: float | None = None):
        self.params = params or FurnaceParams()
        start = self.params.ambient_K if temperature_K is None else float(temperature_K)
        self.furnace_K = self.sample_K = start
        self.heater_failed = False          # heater power has no effect
        self.thermocouple_broken = False    # the reading is invalid; the plant carries on
        self._dt, self._step = math.nan, ()

    @property
    def reading_K(self) -> float:
        """Thermocouple reading: the furnace temperature, NaN while the thermocouple is broken."""
        return math.nan if self.thermocouple_broken else self.furnace_K

    def _set_step(self, dt_s: float) -> None:
        """Exact discrete step x' = Phi x + Gamma (P, T_amb) for state x = (T_f, T_s)."""
        if dt_s != self._dt:
            p = self.params
            c, g = p.heat_capacity_J_per_K, p.loss_conductance_W_per_K
            a = np.zeros((4, 4))
            a[0, :] = (-g / c, 0.0, 1.0 / c, g / c)
            a[1, :2] = (1.0 / p.sample_lag_s, -1.0 / p.sample_lag_s)
            m = expm(a * dt_s)
            self._dt, self._step = dt_s, tuple(float(x) for x in m[:2, :].ravel())

    def advance(self, dt_s: float, heater_fraction: float) -> None:
        """Let dt_s pass with the heater at `heater_fraction` (clipped to 0..1) of full power."""
        if dt_s < 0:
            raise ValueError("cannot advance by a negative time")
        self._set_step(dt_s)
        self._advance_cached(heater_fraction)

    def _advance_cached(self, heater_fraction: float) -> None:
        """`advance` by the time step last given to `_set_step` (the control loop's hot path)."""
        ff, fs, fp, fa, sf, ss, sp, sa = self._step
        fraction = 0.0 if self.heater_failed else min(max(heater_fraction, 0.0), 1.0)
        power = fraction * self.params.max_power_W
        ambient = self.params.ambient_K
        tf, ts = self.furnace_K, self.sample_K
        self.furnace_K = ff * tf + fs * ts + fp * power + fa * ambient
        self.sample_K = sf * tf + ss * ts + sp * power + sa * ambient


@dataclass(frozen=True)
class PIDGains:
    """PID in engineering units: output % per K of error, integral and derivative times (s).
    Eurotherm proportional band PB (K) = 100 / proportional_pct_per_K; 0 s turns I or D off."""

    proportional_pct_per_K: float = 20.0
    integral_time_s: float = 200.0
    derivative_time_s: float = 0.0


class ControlLoop:
    """Set-point ramp + PID + auto/manual, ticking every `period_s` on the plant `furnace`."""

    def __init__(self, furnace: Furnace, gains: PIDGains | None = None,
                 period_s: float = 0.25, start_s: float = 0.0):
        if not period_s > 0:
            raise ValueError("control period must be > 0")
        self.furnace = furnace
        self.gains = gains or PIDGains()
        self.period_s, self._start_s, self._ticks = float(period_s), float(start_s), 0
        self.target_K = self.working_setpoint_K = furnace.furnace_K
        self.rate_K_per_s = 0.0
        self.output_limits_pct = (0.0, 100.0)
        self.sensor_break_output_pct = 0.0
        self.manual = False
        self.manual_output_pct = 0.0
        self.standby = False            # outputs off, loop not controlling
        # as if it had been holding the furnace's present temperature: output = integral
        hold = 100.0 * furnace.params.holding_fraction(furnace.furnace_K)
        self.output_pct = self._integral_pct = min(max(hold, 0.0), 100.0)
        self._last_pv = furnace.furnace_K

    # -- read-outs ------------------------------------------------------------------------
    @property
    def time_s(self) -> float:
        """Time of the last control tick."""
        return self._start_s + self._ticks * self.period_s

    @property
    def pv_K(self) -> float:
        """Process value (thermocouple); NaN on sensor break."""
        return self.furnace.reading_K

    @property
    def sample_K(self) -> float:
        return self.furnace.sample_K

    @property
    def sensor_break(self) -> bool:
        return self.furnace.thermocouple_broken

    @property
    def ramp_running(self) -> bool:
        return self.working_setpoint_K != self.target_K

    # -- commands (take effect at `time_s`: call update(now) first) ------------------------
    def set_target(self, target_K: float) -> None:
        """New target; with a rate limit the working set-point ramps to it from the PV."""
        self.target_K = float(target_K)
        if self.rate_K_per_s == 0:
            self.working_setpoint_K = self.target_K
        elif not self.sensor_break:
            self.working_setpoint_K = self.furnace.furnace_K

    def set_rate(self, rate_K_per_s: float) -> None:
        """Set-point rate limit (K/s); 0 = off: the working set-point jumps to the target."""
        if rate_K_per_s < 0:
            raise ValueError("rate must be >= 0")
        self.rate_K_per_s = float(rate_K_per_s)
        if self.rate_K_per_s == 0:
            self.working_setpoint_K = self.target_K

    def set_output_limits(self, low_pct: float, high_pct: float) -> None:
        if not 0 <= low_pct <= high_pct <= 100:
            raise ValueError("need 0 <= low <= high <= 100 %")
        self.output_limits_pct = (float(low_pct), float(high_pct))

    def set_manual(self, output_pct: float) -> None:
        """Manual mode: hold the heater at `output_pct` (clipped to the output limits)."""
        self.manual = True
        self.manual_output_pct = float(output_pct)

    def set_auto(self) -> None:
        """Back to automatic control, bumpless: the integral takes over the present output."""
        if self.manual:
            self.manual = False
            self._bumpless()

    def take_over(self, other: ControlLoop) -> None:
        """Start driving the heater that `other` (another controller's loop on the same
        furnace, brought up to date) drove until now: same tick grid, bumpless from its output."""
        if other.furnace is not self.furnace:
            raise ValueError("a loop can only take over a loop on the same furnace")
        self._start_s, self._ticks = other._start_s, other._ticks
        self.output_pct, self._last_pv = other.output_pct, self.furnace.furnace_K
        if not self.manual:
            self._bumpless()

    def _bumpless(self) -> None:
        """Automatic control continues from the present output: a ramp restarts from the PV,
        the integral takes the output less the proportional term."""
        if self.rate_K_per_s > 0 and not self.sensor_break:
            self.working_setpoint_K = self.furnace.furnace_K
        error = self.working_setpoint_K - self.furnace.furnace_K
        lo, hi = self.output_limits_pct
        integral = self.output_pct - self.gains.proportional_pct_per_K * error
        self._integral_pct = min(max(integral, lo), hi)

    # -- time -------------------------------------------------------------------------------
    def update(self, now_s: float) -> None:
        """Run every control tick up to `now_s` (no-op for times already passed)."""
        n = math.floor((now_s - self._start_s) / self.period_s + 1e-9) - self._ticks
        if n > 0:
            self._run(n)

    def _run(self, n: int) -> None:
        furnace, dt = self.furnace, self.period_s
        furnace._set_step(dt)
        lo, hi = self.output_limits_pct
        kp, ti, td = (self.gains.proportional_pct_per_K, self.gains.integral_time_s,
                      self.gains.derivative_time_s)
        ki = kp * dt / ti if ti > 0 else 0.0
        kd = kp * td / dt
        step = self.rate_K_per_s * dt
        target, wsp, integral, last_pv = (self.target_K, self.working_setpoint_K,
                                          self._integral_pct, self._last_pv)
        out = self.output_pct
        manual, broken, standby = self.manual, furnace.thermocouple_broken, self.standby
        advance = furnace._advance_cached
        for _ in range(n):
            pv = furnace.furnace_K
            if step > 0 and wsp != target:
                wsp = min(wsp + step, target) if wsp < target else max(wsp - step, target)
            if standby:
                out = 0.0
            elif manual:
                out = min(max(self.manual_output_pct, lo), hi)
            elif broken:
                out = self.sensor_break_output_pct
            else:
                error = wsp - pv
                raw = kp * error + integral - kd * (pv - last_pv)
                out = hi if raw > hi else lo if raw < lo else raw
                if not ((raw > hi and error > 0) or (raw < lo and error < 0)):   # anti-windup
                    integral = min(max(integral + ki * error, lo), hi)
            last_pv = pv
            advance(out / 100.0)
        self.working_setpoint_K, self._integral_pct, self._last_pv = wsp, integral, last_pv
        self.output_pct = out
        self._ticks += n
