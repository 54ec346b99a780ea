"""When the current of a potential step on a cell with reversible electrodes is steady.

After the step the salt concentration gradient builds up: the current falls by a series of
decaying modes exp(-y_k^2 t / tau_D), and late in the run the slowest one dominates, so
I = I_ss + A exp(-t / tau) over the last half decade of time (`tail_fit`). The slope of the
early (semi-infinite diffusion) regime, ~t^1/2, is far less curved than an exponential,
a flat stretch of noise has no significant amplitude, and the charging of the electrode
interfaces is over within the dense first readings: `SteadyState` declares steady only
once a decay has been resolved (tau between `min_tau_s` and a third of the fitted span,
amplitude above 10 standard errors and above the tolerance), I_ss / I_0 has settled
(`protocols._tail.Convergence`) and the latest readings agree with the extrapolated I_ss,
so an interface still drifting keeps the run going.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy.optimize import minimize_scalar

from labctl.protocols._tail import Convergence

TAIL_DECADES = 0.5       # the fit uses the readings of the last half decade of time
MIN_POINTS = 8
SIGNIFICANT = 10.0       # amplitude / its standard error for a resolved decay
LATEST = 5               # readings averaged to compare with the extrapolated I_ss


@dataclass(frozen=True)
class Tail:
    steady_A: float       # I_ss extrapolated
    steady_std_A: float   # its standard error
    amplitude_A: float    # A at the start of the fitted span
    amplitude_std_A: float
    tau_s: float          # time constant
    span_s: float         # of the fitted readings


def tail_fit(t_s: np.ndarray, current_A: np.ndarray) -> Tail | None:
    """I = I_ss + A exp(-(t - t_first)/tau) fitted to the readings of the last TAIL_DECADES of
    time (tau by a bounded scalar search, I_ss and A by linear least squares); None while
    fewer than MIN_POINTS readings lie there."""
    keep = t_s >= t_s[-1] * 10 ** -TAIL_DECADES
    t, i = t_s[keep], current_A[keep]
    if t.size < MIN_POINTS:
        return None
    i_centred = i - i.mean()

    def solve(log_tau: float) -> tuple[float, float, float, np.ndarray]:
        """I_ss, A, the sum of squared residuals and exp(...) at this tau: a straight
        line in exp(...), in closed form about the means (no least-squares solver)."""
        e = np.exp(-(t - t[0]) / np.exp(log_tau))
        e_centred = e - e.mean()
        amplitude = float(e_centred @ i_centred / (e_centred @ e_centred))
        residual = i_centred - amplitude * e_centred
        return float(i.mean() - amplitude * e.mean()), amplitude, float(residual @ residual), e

    span = t[-1] - t[0]
    log_tau = minimize_scalar(lambda v: solve(v)[2], method="bounded",
                              bounds=(math.log(span / 100), math.log(span * 100))).x
    steady, amplitude, ssr, e = solve(log_tau)
    x = np.column_stack([np.ones_like(t), e])
    std = np.sqrt(np.clip(np.diag(np.linalg.pinv(x.T @ x) * ssr / (t.size - 3)), 0.0, None))
    return Tail(steady, float(std[0]), amplitude, float(std[1]), float(np.exp(log_tau)),
                float(span))


class SteadyState:
    """Feed it every tail fit (`update`); it answers whether the current is steady."""

    def __init__(self, tolerance: float, min_tau_s: float):
        self.tolerance, self.min_tau_s = tolerance, min_tau_s
        self.ratio = Convergence(tolerance)
        self.decay_seen = False

    def update(self, fit: Tail, t_s: np.ndarray, current_A: np.ndarray) -> bool:
        i_first = current_A[0]
        settled = self.ratio.update(t_s[-1], fit.steady_A / i_first, fit.steady_std_A / i_first)
        self.decay_seen |= (self.min_tau_s <= fit.tau_s <= fit.span_s / 3
                            and abs(fit.amplitude_A) >= SIGNIFICANT * fit.amplitude_std_A
                            and abs(fit.amplitude_A) >= self.tolerance * abs(i_first))
        latest = float(np.mean(current_A[-LATEST:]))
        return settled and self.decay_seen and abs(latest / fit.steady_A - 1) < self.tolerance
