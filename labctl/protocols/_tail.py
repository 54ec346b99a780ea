"""Recording a voltage step until its current is steady, and the stop rule.

`record_until_steady` samples I(t) on a log-spaced time grid (dense just after the step,
sparse later) and stops when a caller's criterion holds, or at a maximum duration. On
blocking electrodes the criterion is `SteadyRule`: the tail model chosen by prediction
(`protocols._tail_models`: CPE charging gives a power law, chemical diffusion an
exponential, real curves both) has settled in t_ion and in I_ss (`Convergence`); `level`
is the bound on I_ss when it has not. `fit_tail` is the power-law tail fit alone.
Used by the DC polarization (and `Convergence` by the transference number).
"""

from __future__ import annotations

import math
from contextlib import closing
from dataclasses import dataclass
from typing import Callable

import numpy as np

from labctl.capabilities import CurrentReading
from labctl.errors import LabctlError
from labctl.protocols._tail_models import TAIL_DECADES, ModelFit, choose, power_law, tail_window

# a fit still biased by the early transient keeps moving: every estimate from 10^0.5 to
# 10^0.75 times earlier must agree (`Convergence` span)
LAG, SPAN = 10 ** 0.5, 10 ** 0.25
EXP_LAG = (2.0, 3.0)      # an exponential fit: estimates 2 to 3 time constants earlier
UNRESOLVED_READINGS = 5   # that many readings below the instrument's resolution end a record
CLAMPED = 0.99            # a reading at this fraction of the current limit or above was clamped


@dataclass(frozen=True)
class TailFit:
    steady_A: float         # I_ss, the extrapolated steady-state current
    steady_std_A: float     # its standard error
    amplitude_A: float      # A in A s^a
    exponent: float         # a
    points: int             # readings used


def fit_tail(t_s, current_A, decades: float = TAIL_DECADES) -> TailFit | None:
    """Fit the power law I = I_ss + A t^-a (t since the step, > 0) to the readings of the
    last `decades` of time, weighted by 1/|I| (`_tail_models.power_law`); None until the
    readings span that much time with at least `_tail_models.MIN_POINTS` in it."""
    window = tail_window(t_s, current_A, decades)
    if window is None:
        return None
    fit = power_law(*window)
    return TailFit(fit.steady_A, fit.steady_std_A, fit.params["A_A"], fit.params["exponent"],
                   fit.points)


class Convergence:
    """Whether a quantity estimated from a growing record has settled: its standard error
    is below `tolerance` and the estimates made `lag` to `lag * span` times earlier (in time
    since the step; with span 1 the last one made `lag` times earlier) agree within
    `tolerance`, so a fit still biased by the early transient, whose estimate keeps moving,
    does not stop the measurement. A biased estimate need not move in one direction: at a
    turning point one earlier estimate agrees by chance, a span of them does not."""

    def __init__(self, tolerance: float, lag: float = 10 ** 0.5, span: float = 1.0):
        self.tolerance, self.lag, self.span = tolerance, lag, span
        self.history: list[tuple[float, float]] = []

    def update(self, t_s: float, value: float, std: float,
               window_s: tuple[float, float] | None = None) -> bool:
        """Add the estimate at `t_s`; `window_s` (first, last) replaces the times of the
        earlier estimates compared (an exponential settles in linear, not log, time)."""
        self.history.append((t_s, value))
        first, last = window_s or (t_s / (self.lag * self.span), t_s / self.lag)
        earlier = [(t, v) for t, v in self.history if t <= last]
        if not earlier or earlier[0][0] > first:
            return False
        compared = [v for t, v in earlier if t >= first] + [earlier[-1][1]]
        return std < self.tolerance and all(abs(v - value) < self.tolerance for v in compared)


LEVEL_FRACTION = 0.1      # the current's level: mean of the last tenth of the time
RULE_STEP = 10 ** (1 / 50)  # the stop rule is evaluated at most 50 times a decade of time


@dataclass(frozen=True)
class Estimate:
    fit: ModelFit               # the chosen model fitted to the tail
    t_ion: float
    t_ion_std: float
    i0_A: float
    failed: str                 # why it is no result ("" when it is one)


def level(t_s, current_A, estimate: Estimate | None = None) -> tuple[float, float]:
    """The current's level now, an upper bound of I_ss while the current still falls, and
    its standard error: the mean of the readings in the last LEVEL_FRACTION of the time
    (at least 3), or the tail model's value at the last reading when that is lower and the
    model is a result (it averages the noise of the whole tail)."""
    t, i = np.asarray(t_s, dtype=float), np.asarray(current_A, dtype=float)
    late = i[max(0, min(t.size - 3, int(np.searchsorted(t, t[-1] * (1 - LEVEL_FRACTION))))):]
    mean = float(late.mean())
    std = float(late.std(ddof=1) / np.sqrt(late.size)) if late.size > 1 else math.inf
    if estimate is not None and not estimate.failed:
        mean = min(mean, float(estimate.fit.predict(t[-1:])[0]))
    return mean, std


class SteadyRule:
    """The stop rule of a polarization on blocking electrodes. Each `update` with the
    record so far chooses the tail model by prediction (`_tail_models.choose`) and
    answers whether the current is steady: the fit is a result (no parameter at its bound,
    I_ss > 0, t_ion within [0, 1]), t_ion has settled to `t_ion_tolerance` and I_ss to
    `relative_tolerance` of itself (`Convergence` of t_ion and of ln I_ss, among the
    estimates of the same model: another model's agreement is chance). I_0 is `i0_A`,
    or the first reading when None. `steady_at_s` is when it first answered yes."""

    def __init__(self, t_ion_tolerance: float, relative_tolerance: float,
                 i0_A: float | None = None):
        self.i0_A = i0_A
        self.tolerances = t_ion_tolerance, relative_tolerance
        self.convergence: dict[str, tuple[Convergence, Convergence]] = {}
        self.estimate: Estimate | None = None
        self.steady_at_s: float | None = None
        self._evaluated_s = 0.0

    def estimate_of(self, t_s, current_A) -> Estimate | None:
        """The chosen model's estimate from this record; None while it is too short."""
        t, i = np.asarray(t_s, dtype=float), np.asarray(current_A, dtype=float)
        choice = choose(t, i)
        if choice is None:
            return None
        fit, i0 = choice.fit, self.i0_A if self.i0_A is not None else float(i[0])
        t_ion, std = 1 - fit.steady_A / i0, fit.steady_std_A / abs(i0)
        failed = fit.failed or ("" if 0 <= t_ion <= 1 else f"t_ion = {t_ion:.4g} outside [0, 1]")
        return Estimate(fit, t_ion, std, i0, failed)

    def update(self, t_s, current_A) -> bool:
        """Whether the record up to now (t since the step, I) is steady."""
        if t_s[-1] < self._evaluated_s * RULE_STEP:
            return False
        estimate = self.estimate_of(t_s, current_A)
        if estimate is None:
            return False
        now = self._evaluated_s = float(t_s[-1])
        self.estimate = estimate
        if estimate.failed:
            return False
        fit = estimate.fit
        window = self._window(now, fit)
        t_ion, iss = self.convergence.setdefault(
            fit.model, tuple(Convergence(tol, LAG, SPAN) for tol in self.tolerances))
        settled = t_ion.update(now, estimate.t_ion, estimate.t_ion_std, window)
        settled &= iss.update(now, math.log(fit.steady_A), fit.steady_std_A / fit.steady_A, window)
        if settled and self.steady_at_s is None:
            self.steady_at_s = now
        return settled

    @staticmethod
    def _window(now: float, fit: ModelFit) -> tuple[float, float] | None:
        """The earlier estimates to compare with: for an exponential tail those made
        EXP_LAG time constants earlier (its bias decays in linear time) when that is later
        than the log-time window; else the log-time window (None)."""
        if fit.model != "exponential":
            return None
        last = now - EXP_LAG[0] * fit.params["tau_s"]
        return (now - EXP_LAG[1] * fit.params["tau_s"], last) if last > now / LAG else None


@dataclass(frozen=True)
class Relaxation:
    readings: list[CurrentReading]  # those below the current limit (the sample's relaxation)
    t_s: np.ndarray               # time since the step of each reading
    stopped: str                  # "steady_state" | "max_duration"
    clamped: int = 0              # readings at the current limit: stored, not fitted


def below_resolution(readings: list[CurrentReading], count: int = 1) -> bool:
    """Whether the last `count` readings all lie below their instrument's resolution."""
    return len(readings) >= count and all(
        abs(r.current_A) < r.resolution_A for r in readings[-count:])


def record_until_steady(ctx, smu, measurement, step_time_s: float, *, first_interval_s: float,
                        max_interval_s: float, points_per_decade: int, max_duration_s: float,
                        current_limit_A: float,
                        steady: Callable[[np.ndarray, np.ndarray], bool]) -> Relaxation:
    """Record `smu` on the log-spaced grid after a step at `step_time_s` (clock time) as one
    uninterrupted measurement (`SourceMeter.record_log`), recording each reading in
    `measurement`, until `steady(t, I)` holds, the last `UNRESOLVED_READINGS` readings are
    all below the instrument's resolution ("below_resolution": nothing more to learn), or
    `max_duration_s` has passed. A reading at `current_limit_A` is the instrument's limit,
    not the sample (the electrodes charge at constant current meanwhile): it is stored but
    neither fitted nor returned (`clamped` counts them); a record with no other is an error.
    The caller switches the output on and off."""
    readings: list[CurrentReading] = []
    stopped, clamped = "max_duration", 0
    ctx.checkpoint()
    stream = smu.record_log(first_interval_s, max_interval_s, points_per_decade, max_duration_s)
    with closing(iter(stream)) as stream:
        for reading in stream:
            measurement.record(reading)
            ctx.progress(min(1.0, (reading.time_s - step_time_s) / max_duration_s), None,
                         f"I = {reading.current_A:.4g} A")
            if abs(reading.current_A) >= CLAMPED * current_limit_A:
                clamped += 1
                ctx.checkpoint()
                continue
            readings.append(reading)
            t = np.array([r.time_s for r in readings]) - step_time_s
            if steady(t, np.array([r.current_A for r in readings])):
                stopped = "steady_state"
                break
            if below_resolution(readings[-UNRESOLVED_READINGS:], UNRESOLVED_READINGS):
                stopped = "below_resolution"
                break
            ctx.checkpoint()
    if not readings:
        raise LabctlError(f"{smu.name}: every reading was at the current limit "
                          f"({current_limit_A:.3g} A): raise current_limit_A or lower the voltage")
    return Relaxation(readings, np.array([r.time_s for r in readings]) - step_time_s, stopped,
                      clamped)
