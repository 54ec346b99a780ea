"""The processes under a DRT's peaks: a Cole-Cole (ZARC) per peak, fitted to the spectrum.

The area of a regularised gamma between its minima is a biased measure of a process's R:
a delta (an ideal bulk R||C) drives the regularisation parameter down, a broad process
(R||CPE) then breaks into ripples and part of its area leaks into its neighbours, R_inf
or the electrode's spike. So each peak of gamma seeds a Cole-Cole element
R / (1 + (j w tau)^n) (gamma(ln tau) = R sin(n pi) / (2 pi (cosh(n ln(tau/tau0)) +
cos(n pi))), the Havriliak-Negami family with beta = 1; n = 1 is the R||C delta), and
R_inf + j w L + the elements + the series CPE of the spike are fitted to Z by least
squares on the relative residuals, as the DRT is (analytic Jacobian). Then, while more
than one element is left, adjacent pairs, closest in tau first, are tried merged into one
element, and the first whose extra element an F-test (`F_LEVEL`) finds not needed is
merged; when none is, an element whose R is not above `SIGNIFICANCE` standard errors is
dropped; one outside the measured range (1/(2 pi f) of the highest and lowest point)
only where the F-test finds it not needed either: the data hold its arc's tail, never
its R, and it may still carry the shape (beside a blocking electrode's spike, the bend
of a small electronic leak below the range; dropping it bent the grain boundary's
element 5-13 % low). Each process's R, tau and their standard
errors come from the Jacobian of the final fit (noise only).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.optimize import least_squares
from scipy.stats import f as f_distribution

F_LEVEL = 0.999           # confidence that the extra element is needed, to keep it
SIGNIFICANCE = 3.0        # R / its standard error
N_START = 0.9
N_BOUNDS = (0.3, 1.0)
TOLERANCE = 1e-4          # relative change of chi^2 that ends the last fit (a shift of
                          # ~0.1 standard error; 1e-6 doubled the worst case's time)
ROUGH_TOLERANCE = 1e-3    # ... that ends a trial or intermediate fit (the F-test needs
                          # chi^2 to a few %: one element's worth is ~15 % at 70 points)
X_TOLERANCE = 1e-6        # relative change of x that ends any fit
FIRST_EVALUATIONS = 40    # for the first fit, from the gamma's areas (the merges
                          # go on converging it)
TRIAL_EVALUATIONS = 15    # per trial merge; one not converged that keeps the element
                          # runs REFIT_EVALUATIONS more before it does
REFIT_EVALUATIONS = 30   # per intermediate fit; the last one runs to convergence


@dataclass(frozen=True)
class Process:
    tau_s: float
    R_Ohm: float
    R_std_Ohm: float
    tau_std_s: float
    n: float                 # Cole-Cole exponent (1: ideal R||C)


@dataclass(frozen=True)
class _Fit:
    x: np.ndarray            # elements in ascending tau
    chi2: float
    jac: np.ndarray
    count: int               # elements
    converged: bool          # False: stopped at its evaluation limit


def processes(f: np.ndarray, z: np.ndarray, seeds: list[tuple[float, float]],
              R_inf: float, L: float, spike: tuple[float, float] | None,
              tau_range: tuple[float, float]) -> tuple[list[Process], float]:
    """Fitted Cole-Cole elements, from high to low frequency, seeded by the DRT peaks
    `seeds` ((tau, R) each) and its R_inf, L and spike (Q, n); every tau within `tau_range`
    (the DRT's grid); and the rms of the fit's relative residuals (inf without seeds)."""
    if not seeds:
        return [], float("inf")
    model = _Model(f, z, spike is not None, tau_range)
    elements = sorted(((np.log(max(r, 1e-9 * model.scale)), np.log(t), N_START)
                       for t, r in seeds), key=lambda e: e[1])
    fit = model.fit(model.pack(R_inf, L, spike, elements), FIRST_EVALUATIONS)
    while fit.count > 1:
        merged = model.merge_one(fit)
        if merged is not None:
            fit = model.fit(merged.x, REFIT_EVALUATIONS, rough=True)
            continue
        fit = model.fit(fit.x, REFIT_EVALUATIONS, rough=True)
        fewer = model.drop_one(fit)
        if fewer is None:
            break
        fit = fewer
    fit = model.fit(fit.x)
    return model.report(fit), float(np.sqrt(fit.chi2 / (2 * model.jw.size)))


class _Model:
    """R_inf + j w L (+ 1/(Q (j w)^n)) + sum of Cole-Cole elements; parameters
    [R_inf, L, (ln 1/Q, n,) (ln R, ln tau, n) per element]."""

    def __init__(self, f: np.ndarray, z: np.ndarray, with_spike: bool,
                 tau_range: tuple[float, float]):
        self.z, self.with_spike = z, with_spike
        self.log_w = np.log(2 * np.pi * f)
        self.jw = 2j * np.pi * f
        self.log_jw = self.log_w + 0.5j * np.pi
        self._last: tuple | None = None
        self.ln_tau = np.log(tau_range)
        self.measured = -np.log(2 * np.pi * np.array([f.max(), f.min()]))   # ln tau
        self.scale = float(np.abs(z).max())
        self.head = 4 if with_spike else 2

    def pack(self, R_inf, L, spike, elements) -> np.ndarray:
        head = [R_inf, L] + ([np.log(1 / spike[0]), spike[1]] if self.with_spike else [])
        return np.array(head + [v for e in elements for v in e], dtype=float)

    def _evaluate(self, x: np.ndarray) -> tuple:
        """(x, Z(x), the spike's Z, u = (j w tau)^n and Z of each element), kept for the
        last x: least_squares asks for the Jacobian where it last evaluated the residual."""
        if self._last is not None and np.array_equal(self._last[0], x):
            return self._last
        z = x[0] + self.jw * x[1]
        spike = None
        if self.with_spike:
            spike = np.exp(x[2] - x[3] * self.log_jw)
            z = z + spike
        lnR, lntau, n = x[self.head:].reshape(-1, 3).T
        u = np.exp(n * (self.log_w[:, None] + lntau)) * np.exp(0.5j * np.pi * n)
        element = np.exp(lnR) / (1 + u)
        self._last = (x.copy(), z + element.sum(axis=1), spike, u, element)
        return self._last

    def residual(self, x: np.ndarray) -> np.ndarray:
        r = (self._evaluate(x)[1] - self.z) / np.abs(self.z)
        return np.concatenate([r.real, r.imag])

    def jacobian(self, x: np.ndarray) -> np.ndarray:
        """d residual / dx, one column per parameter."""
        _, _, spike, u, element = self._evaluate(x)
        lntau, n = x[self.head + 1::3], x[self.head + 2::3]
        slope = -element * u / (1 + u)
        d = np.empty((self.jw.size, x.size), dtype=complex)
        d[:, 0], d[:, 1] = 1.0, self.jw
        if spike is not None:
            d[:, 2], d[:, 3] = spike, -self.log_jw * spike
        d[:, self.head::3] = element
        d[:, self.head + 1::3] = n * slope
        d[:, self.head + 2::3] = (self.log_jw[:, None] + lntau) * slope
        d /= np.abs(self.z)[:, None]
        return np.vstack([d.real, d.imag])

    def fit(self, start: np.ndarray, limit: int | None = None, rough: bool = False) -> _Fit:
        """Least squares from `start`, at most `limit` evaluations, to `ROUGH_TOLERANCE`
        if `rough`."""
        count = (start.size - self.head) // 3
        r = np.log(self.scale)
        low = [0.0, -np.inf] + ([-np.inf, 0.0] if self.with_spike else []) + \
            [r - 30, self.ln_tau[0], N_BOUNDS[0]] * count
        high = [self.scale, np.inf] + ([np.inf, 1.0] if self.with_spike else []) + \
            [r + 5, self.ln_tau[1], N_BOUNDS[1]] * count
        start = np.clip(start, np.array(low) + 1e-9, np.array(high) - 1e-9)
        with np.errstate(over="ignore", invalid="ignore"):
            result = least_squares(self.residual, start, bounds=(low, high), x_scale="jac",
                                   jac=self.jacobian, max_nfev=limit,
                                   ftol=ROUGH_TOLERANCE if rough else TOLERANCE,
                                   xtol=X_TOLERANCE)
        order = np.concatenate([np.arange(self.head), self.head + (
            3 * np.argsort(result.x[self.head + 1::3])[:, None] + np.arange(3)).ravel()])
        return _Fit(result.x[order], float(2 * result.cost), result.jac[:, order], count,
                    result.status > 0)

    def merge(self, x: np.ndarray, k: int) -> np.ndarray:
        """Elements k and k+1 as one: R summed, tau the R-weighted geometric mean."""
        e = x[self.head:].reshape(-1, 3)
        r = np.exp(e[k:k + 2, 0])
        one = [np.log(r.sum()), float(r @ e[k:k + 2, 1] / r.sum()), N_START]
        return np.concatenate([x[:self.head], e[:k].ravel(), one, e[k + 2:].ravel()])

    def merge_one(self, fit: _Fit) -> _Fit | None:
        """The fit with the closest adjacent pair (in ln tau) merged whose extra element
        the spectrum does not need, or None."""
        ln_tau = fit.x[self.head + 1::3]
        for k in np.argsort(np.diff(ln_tau)):
            trial = self.fit(self.merge(fit.x, int(k)), TRIAL_EVALUATIONS, rough=True)
            if self.needed(fit, trial) and not trial.converged:    # a second chance
                trial = self.fit(trial.x, REFIT_EVALUATIONS, rough=True)
            if not self.needed(fit, trial):
                return trial
        return None

    def drop_one(self, fit: _Fit) -> _Fit | None:
        """The fit without the first element whose R is not above `SIGNIFICANCE` standard
        errors, or None; one outside the measured range only where the spectrum does not
        need it either (the data hold the tail of its arc, never its R)."""
        for k, p in enumerate(self.report(fit)):
            if p.R_Ohm > SIGNIFICANCE * p.R_std_Ohm:
                continue
            trial = self.fit(self.drop(fit.x, k), REFIT_EVALUATIONS, rough=True)
            if self.measured[0] <= np.log(p.tau_s) <= self.measured[1] \
                    or not self.needed(fit, trial):
                return trial
        return None

    def drop(self, x: np.ndarray, k: int) -> np.ndarray:
        e = x[self.head:].reshape(-1, 3)
        return np.concatenate([x[:self.head], np.delete(e, k, axis=0).ravel()])

    def needed(self, full: _Fit, fewer: _Fit) -> bool:
        """Does the extra element of `full` improve the fit beyond what noise would?"""
        dof = 2 * self.jw.size - full.x.size
        if dof <= 0 or full.chi2 <= 0:
            return True
        extra = full.x.size - fewer.x.size
        stat = (fewer.chi2 - full.chi2) / extra / (full.chi2 / dof)
        return bool(stat > f_distribution.ppf(F_LEVEL, extra, dof))

    def report(self, fit: _Fit) -> list[Process]:
        dof = max(2 * self.jw.size - fit.x.size, 1)
        cov = np.linalg.pinv(fit.jac.T @ fit.jac) * fit.chi2 / dof
        std = np.sqrt(np.clip(np.diag(cov), 0, None))
        out = []
        for k, (lnR, lntau, n) in enumerate(fit.x[self.head:].reshape(-1, 3)):
            i = self.head + 3 * k
            R, tau = float(np.exp(lnR)), float(np.exp(lntau))
            out.append(Process(tau, R, R * std[i], tau * std[i + 1], float(n)))
        return out
