"""The tail of a relaxing current and recording a voltage step until it is steady.

After a voltage step, a blocking (CPE) electrode charges as a power law: the current
relaxes as I(t) = I_ss + A t^-a (the asymptote of the Mittag-Leffler response of R in
series with a CPE, a = n). `fit_tail` fits that to the late readings and gives I_ss with
its standard error; `record_until_steady` samples I(t) on a log-spaced time grid (dense
just after the step, sparse later) and stops when a caller's criterion on the fit holds,
or at a maximum duration. Used by the DC polarization and the transference number.
"""

from __future__ import annotations

from contextlib import closing
from dataclasses import dataclass
from typing import Callable

import numpy as np
from scipy.optimize import minimize_scalar

from labctl.capabilities import CurrentReading

MIN_POINTS = 8
TAIL_DECADES = 1.5        # the fit uses the readings of the last 1.5 decades of time
EXPONENT_RANGE = (0.05, 1.5)


@dataclass(frozen=True)
class TailFit:
    steady_A: float         # I_ss, the extrapolated steady-state current
    steady_std_A: float     # its standard error
    amplitude_A: float      # A in A s^a
    exponent: float         # a
    points: int             # readings used


def fit_tail(t_s, current_A, decades: float = TAIL_DECADES) -> TailFit | None:
    """Fit I = I_ss + A t^-a (t since the step, > 0) to the readings of the last `decades`
    of time, weighted by 1/|I|; None until the readings span that much time with at least
    MIN_POINTS in it."""
    t = np.asarray(t_s, dtype=float)
    i = np.asarray(current_A, dtype=float)
    if t[-1] < t[0] * 10 ** decades:
        return None
    keep = t >= t[-1] * 10 ** -decades
    t, i = t[keep], i[keep]
    if t.size < MIN_POINTS:
        return None
    w = 1 / np.maximum(np.abs(i), np.finfo(float).tiny)

    def solve(a: float) -> tuple[np.ndarray, float]:
        x = np.column_stack([np.ones_like(t), t ** -a]) * w[:, None]
        coef = np.linalg.lstsq(x, i * w, rcond=None)[0]
        return coef, float(np.sum((x @ coef - i * w) ** 2))

    a = minimize_scalar(lambda a: solve(a)[1], bounds=EXPONENT_RANGE, method="bounded",
                        options={"xatol": 1e-6}).x
    (steady, amp), ssr = solve(a)
    jac = np.column_stack([np.ones_like(t), t ** -a, -amp * np.log(t) * t ** -a]) * w[:, None]
    # inv, not pinv: pinv truncates the small singular values of these badly scaled columns
    cov = np.linalg.inv(jac.T @ jac) * ssr / (t.size - 3)
    return TailFit(float(steady), float(np.sqrt(max(cov[0, 0], 0.0))), float(amp),
                   float(a), int(t.size))


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

    def update(self, t_s: float, value: float, std: float) -> bool:
        self.history.append((t_s, value))
        first = t_s / (self.lag * self.span)
        earlier = [(t, v) for t, v in self.history if t <= t_s / self.lag]
        if not earlier or earlier[0][0] > first:
            return False
        compared = [v for t, v in earlier if t >= first] + [earlier[-1][1]]
        return std < self.tolerance and all(abs(v - value) < self.tolerance for v in compared)


@dataclass(frozen=True)
class Relaxation:
    readings: list[CurrentReading]
    t_s: np.ndarray               # time since the step of each reading
    fit: TailFit | None           # the last tail fit
    stopped: str                  # "steady_state" | "max_duration"


def record_until_steady(ctx, smu, measurement, step_time_s: float, *, first_interval_s: float,
                        max_interval_s: float, points_per_decade: int, max_duration_s: float,
                        steady: Callable[[TailFit, np.ndarray, np.ndarray], bool]
                        ) -> Relaxation:
    """Record `smu` on the log-spaced grid after a step at `step_time_s` (clock time) as one
    uninterrupted measurement (`SourceMeter.record_log`), recording each reading in
    `measurement`, until `steady(fit, t, I)` holds for a tail fit or `max_duration_s` has
    passed. The caller switches the output on and off."""
    readings: list[CurrentReading] = []
    fit, stopped = None, "max_duration"
    ctx.checkpoint()
    stream = smu.record_log(first_interval_s, max_interval_s, points_per_decade, max_duration_s)
    with closing(iter(stream)) as stream:
        for reading in stream:
            measurement.record(reading)
            readings.append(reading)
            t = np.array([r.time_s for r in readings]) - step_time_s
            current = np.array([r.current_A for r in readings])
            fit = fit_tail(t, current)
            ctx.progress(min(1.0, t[-1] / max_duration_s), None, f"I = {current[-1]:.4g} A")
            if fit is not None and steady(fit, t, current):
                stopped = "steady_state"
                break
            ctx.checkpoint()
    return Relaxation(readings, np.array([r.time_s for r in readings]) - step_time_s, fit,
                      stopped)
