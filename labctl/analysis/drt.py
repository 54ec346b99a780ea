"""Distribution of relaxation times (DRT): how many processes a spectrum holds.

Model: Z(w) = R_inf + j w L + 1/(Q (j w)^n) + integral gamma(ln tau) / (1 + j w tau) d ln tau,
with gamma >= 0 (Ohm per unit ln tau) on a grid of ln tau one decade wider than the
measured 1/(2 pi f) on each side, piecewise linear between the grid points (hat functions,
`POINTS_PER_DECADE`). R_inf, L (leads) and 1/Q of a series CPE (a blocking electrode's
spike; its exponent n is the slope of log(-Z'') against log w over the lowest points) are
fitted alongside; without a capacitive spike there is no series CPE. The
fit is Tikhonov-regularised non-negative least squares on the relative residuals
(Z_model - Z) / |Z| of real and imaginary parts, penalising the first derivative of gamma,
as DRTtools (Wan, Saccoccio, Chen & Ciucci, Electrochim. Acta 184 (2015) 483) does. The
regularisation parameter is chosen by generalised cross-validation (GCV, Golub, Heath &
Wahba 1979) on the unconstrained problem, then the non-negative problem is solved at it.

Peaks, in two stages. (1) `Drt.areas`: local maxima of gamma standing out by
`PROMINENCE` of the largest (low: a bulk arc beside a leaky electrode's arc a thousand
times larger must count) and by `RELATIVE_PROMINENCE` of their own height; each one's R is
the area of gamma between the minima on either side, its tau the maximum (parabolic in
ln tau), its standard error from the unconstrained solution's covariance at the chosen
lambda, linearised on the positive unknowns (noise only); an area not above `SIGNIFICANCE`
standard errors, or below `MIN_FRACTION` of the total, is dropped (when the processes
then fit the spectrum `MISSED_RMS_RATIO` times worse than gamma does, a broad process fell
apart into ripples each too uncertain to count: they are seeded again with each run of
insignificant peaks between two significant ones as one seed, and the better fit is
kept). These areas are biased: an ideal R||C (a delta) drives GCV to a small lambda and a
broad grain-boundary arc then splits into ripples whose areas are 3-26 % short. (2) `Drt.peaks`: the areas seed a
Cole-Cole element each, fitted to Z and merged where the spectrum does not need two
(`drt_processes`); on simulated pellets this gives bulk and grain-boundary R within 5 %
and tau within 10 % of the circuit's (benchmarks/drt_speed.py: 105 of 105 spectra, arcs
0.6-2.2 decades apart). A peak within a
decade of the grid's ends lies outside the measured range and is flagged `at_edge`.
Known limitation: two CPE arcs of n ~ 0.8 less than ~1.5 decades apart beside a spike of
low exponent (the published s04147 series) are split differently from a circuit fit
(their sum within 5 %, the larger within 10 %). The split is not in those data: at 180 C
the paper's two arcs (R_b 3.98e4 Ohm at 659 kHz, rms 0.54 %), three arcs (1.63e4 Ohm at
1.8 MHz, 1.89e4 at 402 kHz, 2.48e5 at 37 kHz, rms 0.47 %) and the DRT's two processes
(1.34e5 Ohm at 97 kHz, n 0.62; 1.50e5 at 33 kHz) all give R_b + R_gb = 2.83e5 Ohm within
0.5 %, while their fastest R differs eightfold: with 1 MHz as the highest frequency the
bulk arc's shape (one ZARC or two) is not determined, only the sum is.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.optimize import nnls
from scipy.signal import find_peaks

from labctl.analysis.drt_processes import processes

POINTS_PER_DECADE = 10
EXTRA_DECADES = 1.0          # grid beyond the measured time constants, each side
LAMBDAS = np.logspace(-7, 1, 33)
PROMINENCE = 1e-4            # of the largest gamma
SIGNIFICANCE = 3.0           # R / its standard error
MIN_FRACTION = 1e-4          # of the total polarization resistance
QUADRATURE = np.polynomial.legendre.leggauss(6)
SPIKE_POINTS = 4
RELATIVE_PROMINENCE = 0.3    # of the peak's own height: shallower ripples are one process
MISSED_RMS_RATIO = 10.0      # processes' fit this much worse than gamma's: seeded again
                             # (3-8 times is common: gamma is the freer model)


@dataclass(frozen=True)
class DrtPeak:
    tau_s: float
    R_Ohm: float
    R_std_Ohm: float
    at_edge: bool            # within a decade of the grid's ends: outside the measured range
    tau_std_s: float = float("nan")
    n: float = float("nan")  # Cole-Cole exponent of the fitted process (nan: gamma's area)

    @property
    def frequency_Hz(self) -> float:
        return 1 / (2 * np.pi * self.tau_s)


@dataclass(frozen=True)
class Drt:
    tau_s: np.ndarray        # grid
    gamma_Ohm: np.ndarray    # gamma(ln tau) on the grid, Ohm per unit ln tau
    R_inf_Ohm: float
    L_H: float
    spike: tuple[float, float] | None   # series CPE (Q in F s^(n-1), n); None: no spike
    lam: float
    peaks: list[DrtPeak]     # the fitted processes (drt_processes), high to low frequency
    areas: list[DrtPeak]     # gamma's peaks, R the area between its minima (the seeds)
    rms_relative: float      # of the fit

    def impedance(self, f) -> np.ndarray:
        """The model's Z at frequencies `f` (Hz)."""
        w = 2 * np.pi * np.asarray(f, dtype=float)
        z = _kernel(w, np.log(self.tau_s)) @ self.gamma_Ohm + self.R_inf_Ohm + 1j * w * self.L_H
        return z + (0 if self.spike is None else 1 / (self.spike[0] * (1j * w) ** self.spike[1]))


def _kernel(w: np.ndarray, y: np.ndarray) -> np.ndarray:
    """A[n, m] = integral of hat_m(ln tau) / (1 + j w_n tau) d ln tau (Gauss-Legendre on
    each half of every hat; the end hats are halves)."""
    h = y[1] - y[0]
    nodes, weights = QUADRATURE
    s = (nodes + 1) / 2                                  # 0..1 across one interval
    a = np.zeros((w.size, y.size), dtype=complex)
    for side in (-1, 1):                                 # the hat's left and right halves
        ys = y[:, None] + side * h * s[None, :]          # (m, q)
        hat = 1 - s                                      # 1 at the grid point, 0 at the next
        kern = 1 / (1 + 1j * w[:, None, None] * np.exp(ys)[None])
        part = (kern * (hat * weights / 2 * h)[None, None]).sum(axis=2)
        inside = (ys[:, -1] >= y[0] - 1e-12) & (ys[:, -1] <= y[-1] + 1e-12)
        a += part * inside[None, :]
    return a


def _design(f: np.ndarray, z: np.ndarray, y: np.ndarray, spike_n: float | None):
    """Stacked real/imaginary system on relative residuals, and the unit of each column's
    unknown (gamma and R_inf in max |Z|, L in max |Z| / w_max, 1/Q in max |Z| w_min^n), so
    that every column is of order one; columns gamma..., R_inf, L, (1/Q)."""
    w = 2 * np.pi * f
    r = np.abs(z).max()
    cols = [_kernel(w, y), np.ones_like(w)[:, None], (1j * w)[:, None]]
    units = [np.full(y.size, r), [r], [r / w.max()]]
    if spike_n is not None:
        cols.append(((1j * w) ** -spike_n)[:, None])
        units.append([r * w.min() ** spike_n])
    units = np.concatenate(units)
    a = np.hstack(cols) * units[None, :] / np.abs(z)[:, None]
    b = z / np.abs(z)
    return np.vstack([a.real, a.imag]), np.concatenate([b.real, b.imag]), units


def _penalty(n_gamma: int, n_total: int) -> np.ndarray:
    d = np.zeros((n_gamma - 1, n_total))
    idx = np.arange(n_gamma - 1)
    d[idx, idx], d[idx, idx + 1] = -1.0, 1.0
    return d


def _gcv(a: np.ndarray, b: np.ndarray, p: np.ndarray) -> float:
    """The lambda of `LAMBDAS` that minimises the generalised cross-validation score of
    the unconstrained problem."""
    ata, atb, ptp = a.T @ a, a.T @ b, p.T @ p
    scores = []
    for lam in LAMBDAS:
        inv = np.linalg.inv(ata + lam * ptp)
        trace = np.trace(inv @ ata)
        scores.append(b.size * np.sum((a @ (inv @ atb) - b) ** 2) / (b.size - trace) ** 2)
    return float(LAMBDAS[int(np.argmin(scores))])


def drt(f, z, *, lam: float | None = None) -> Drt:
    """The DRT of a spectrum (frequencies `f` in Hz, complex `z` in Ohm); `lam` fixes the
    regularisation (None: GCV)."""
    f = np.asarray(f, dtype=float)
    z = np.asarray(z, dtype=complex)
    keep = np.isfinite(f) & np.isfinite(z) & (f > 0)
    f, z = f[keep], z[keep]
    spike_n = _spike_exponent(f, z)
    decades = np.log10(1 / (2 * np.pi * f.min())) - np.log10(1 / (2 * np.pi * f.max()))
    count = int(round((decades + 2 * EXTRA_DECADES) * POINTS_PER_DECADE)) + 1
    y = np.log(1 / (2 * np.pi * f.max())) - EXTRA_DECADES * np.log(10) + \
        np.arange(count) * np.log(10) / POINTS_PER_DECADE
    a, b, units = _design(f, z, y, spike_n)
    p = _penalty(y.size, a.shape[1])
    chosen = _gcv(a, b, p) if lam is None else lam
    scaled = nnls(np.vstack([a, np.sqrt(chosen) * p]),
                  np.concatenate([b, np.zeros(p.shape[0])]), maxiter=50 * a.shape[1])[0]
    residual = a @ scaled - b
    cov = _covariance(a, p, chosen, scaled > 0, residual) * np.outer(units, units)
    x = scaled * units
    gamma = x[:y.size]
    rms = float(np.sqrt(np.mean(residual ** 2)))
    spike = None if spike_n is None or x[-1] <= 0 else (1 / x[-1], spike_n)
    R_inf, L = float(x[y.size]), float(x[y.size + 1])

    def fitted(areas):
        return processes(f, z, [(p.tau_s, p.R_Ohm) for p in areas], R_inf, L, spike,
                         (np.exp(y[0]), np.exp(y[-1])))

    areas = _peaks(y, gamma, cov[:y.size, :y.size])
    found, found_rms = fitted(areas)
    if found_rms > MISSED_RMS_RATIO * rms:          # a process of gamma's left out
        every = _grouped(_peaks(y, gamma, cov[:y.size, :y.size], significant=False), areas)
        again, again_rms = fitted(every) if len(every) > len(areas) else ([], np.inf)
        if again_rms < found_rms:
            areas, found = every, again
    edge = np.exp(y[0] + EXTRA_DECADES * np.log(10)), np.exp(y[-1] - EXTRA_DECADES * np.log(10))
    peaks = [DrtPeak(p.tau_s, p.R_Ohm, p.R_std_Ohm, not edge[0] <= p.tau_s <= edge[1],
                     p.tau_std_s, p.n) for p in found]
    return Drt(np.exp(y), gamma, R_inf, L, spike, float(chosen), peaks, areas, rms)


def _covariance(a: np.ndarray, p: np.ndarray, lam: float, active: np.ndarray,
                residual: np.ndarray) -> np.ndarray:
    """Covariance of the solution from the noise, linearised on the active set (the
    positive unknowns: the constrained ones are held at zero)."""
    cov = np.zeros((a.shape[1], a.shape[1]))
    aa, pa = a[:, active], p[:, active]
    inv = np.linalg.pinv(aa.T @ aa + lam * pa.T @ pa)
    dof = max(residual.size - np.trace(inv @ aa.T @ aa), 1.0)
    cov[np.ix_(active, active)] = np.sum(residual ** 2) / dof * inv @ (aa.T @ aa) @ inv
    return cov


def _spike_exponent(f: np.ndarray, z: np.ndarray) -> float | None:
    """n of a capacitive spike at the lowest frequencies (-Z'' rising as w^-n over the
    lowest `SPIKE_POINTS`, n > 0.5), else None."""
    low = np.argsort(f)[:SPIKE_POINTS]
    if not np.all(-z.imag[low] > 0):
        return None
    n = -np.polyfit(np.log(f[low]), np.log(-z.imag[low]), 1)[0]
    return float(min(n, 1.0)) if n > 0.5 else None


def _peaks(y: np.ndarray, gamma: np.ndarray, cov: np.ndarray,
           significant: bool = True) -> list[DrtPeak]:
    """gamma's peaks (see the module's docstring); with `significant` False also those
    whose area is not above `SIGNIFICANCE` standard errors."""
    h = y[1] - y[0]
    if gamma.max() <= 0:
        return []
    padded = np.concatenate([[0.0], gamma, [0.0]])       # peaks at the grid's ends count
    found, props = find_peaks(padded, prominence=PROMINENCE * gamma.max())
    found = found[props["prominences"] >= RELATIVE_PROMINENCE * padded[found]] - 1
    minima = [0] + [int(np.argmin(gamma[i:j + 1])) + i for i, j in zip(found[:-1], found[1:])] \
        + [gamma.size - 1]
    weights = np.full(gamma.size, h)
    weights[[0, -1]] = h / 2
    edge = int(round(EXTRA_DECADES * POINTS_PER_DECADE))
    total = float(weights @ gamma)
    peaks = []
    for k, top in enumerate(found):
        part = np.zeros_like(gamma)
        part[minima[k]:minima[k + 1] + 1] = weights[minima[k]:minima[k + 1] + 1]
        R = float(part @ gamma)
        std = float(np.sqrt(max(part @ cov @ part, 0.0)))
        if (significant and R <= SIGNIFICANCE * std) or R < MIN_FRACTION * total:
            continue
        peaks.append(DrtPeak(float(np.exp(_vertex(y, gamma, top))), R, std,
                             top < edge or top > gamma.size - 1 - edge))
    return peaks


def _grouped(every: list[DrtPeak], significant: list[DrtPeak]) -> list[DrtPeak]:
    """`every` peak with each run of adjacent ones not in `significant` as one (R summed,
    tau the R-weighted geometric mean): one seed per gap between significant peaks."""
    out, run = [], []
    for peak in every + [None]:
        if peak is not None and peak not in significant:
            run.append(peak)
            continue
        if run:
            R = np.array([p.R_Ohm for p in run])
            tau = float(np.exp(R @ np.log([p.tau_s for p in run]) / R.sum()))
            out.append(DrtPeak(tau, float(R.sum()), float(np.hypot.reduce(
                [p.R_std_Ohm for p in run])), False))
            run = []
        if peak is not None:
            out.append(peak)
    return out


def _vertex(y: np.ndarray, gamma: np.ndarray, i: int) -> float:
    """ln tau of the maximum near grid point i (a parabola through three points)."""
    if i == 0 or i == gamma.size - 1:
        return float(y[i])
    g0, g1, g2 = gamma[i - 1:i + 2]
    denom = g0 - 2 * g1 + g2
    shift = 0.5 * (g0 - g2) / denom if denom < 0 else 0.0
    return float(y[i] + shift * (y[1] - y[0]))
