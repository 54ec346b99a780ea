"""Kramers-Kronig validity of an impedance spectrum: the Lin-KK test (Schoenleber 2014).

The spectrum is fitted, by linear least squares weighted by 1/|Z|, with a series resistance,
M RC elements with fixed time constants log-spaced over 1/(2 pi f_max x) .. x/(2 pi f_min),
a series inductance and (for blocking electrodes) a series capacitance:
    Z_fit = R_0 + sum_k R_k / (1 + j omega tau_k) + j omega L + 1 / (j omega C).
Any such Z_fit obeys Kramers-Kronig, so the residuals measure how far the data do not:
drift, non-linearity, noise. M grows from two per decade of the spectrum (fewer fit too
coarsely for mu to mean anything) until mu = 1 - sum|R_k<0| / sum|R_k>=0| drops below
`mu_criterion` (over-fitting starts: the R_k begin to alternate in sign). The range
extension x (as in pyimpspec) is the one of `EXTENSIONS` with the lowest pseudo chi^2: a
CPE electrode has time constants beyond the measured range.
Residuals are relative to |Z|; a spectrum is `ok` when every residual is within
`max_residual`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

EXTENSIONS = (1.0, 1.5, 2.0, 3.0, 5.0, 10.0)
MIN_POINTS = 4      # frequencies a spectrum needs for the test


@dataclass(frozen=True)
class KKResult:
    residuals_real: np.ndarray   # (Z' - Z'_fit) / |Z|, in the order of the input
    residuals_imag: np.ndarray   # (Z'' - Z''_fit) / |Z|
    n_rc: int                    # M, the number of RC elements used
    mu: float                    # the over-fitting measure at M
    max_residual: float          # largest |residual| (real or imaginary)
    ok: bool                     # max_residual <= the limit
    Z_fit: np.ndarray            # the KK-compliant fit

    @property
    def pseudo_chi2(self) -> float:
        """Boukamp's pseudo chi-squared: sum of squared relative residuals."""
        return float(np.sum(self.residuals_real ** 2 + self.residuals_imag ** 2))


def lin_kk(frequencies_Hz, Z, *, max_residual: float = 0.01, mu_criterion: float = 0.85,
           max_rc: int = 50, capacitance: bool = True) -> KKResult:
    """Lin-KK test of Z (complex, Ohm) at `frequencies_Hz` (any order, > 0)."""
    f = np.asarray(frequencies_Hz, dtype=float)
    z = np.asarray(Z, dtype=complex)
    if f.ndim != 1 or f.shape != z.shape or f.size < MIN_POINTS:
        raise ValueError(f"need at least {MIN_POINTS} frequencies and one impedance per "
                         "frequency")
    if np.any(~(f > 0)) or np.any(~np.isfinite(z)) or f.min() == f.max():
        raise ValueError("frequencies must be > 0 and not all equal; impedances finite")
    fits = [_choose_m(f, z, x, mu_criterion, max_rc, capacitance) for x in EXTENSIONS]
    fit, m, mu = min(fits, key=lambda c: np.sum(np.abs((z - c[0]) / np.abs(z)) ** 2))
    res = (z - fit) / np.abs(z)
    worst = float(np.max(np.abs(np.r_[res.real, res.imag])))
    return KKResult(res.real, res.imag, m, mu, worst, worst <= max_residual, fit)


def _choose_m(f: np.ndarray, z: np.ndarray, extension: float, mu_criterion: float,
              max_rc: int, capacitance: bool) -> tuple[np.ndarray, int, float]:
    """(Z_fit, M, mu) at the first M (from two per decade) with mu < mu_criterion."""
    last = max(1, min(max_rc, f.size - 3))
    first = min(last, max(1, int(np.ceil(2 * np.log10(f.max() / f.min())))))
    for m in range(first, last + 1):
        fit, r_k = _fit(f, z, m, extension, capacitance)
        mu = _mu(r_k)
        if mu < mu_criterion:
            break
    return fit, m, mu


def _mu(r_k: np.ndarray) -> float:
    positive = np.sum(r_k[r_k >= 0])
    return float(1.0 - np.sum(-r_k[r_k < 0]) / positive) if positive > 0 else 0.0


def _fit(f: np.ndarray, z: np.ndarray, m: int, extension: float, capacitance: bool
         ) -> tuple[np.ndarray, np.ndarray]:
    """The weighted least-squares fit with m RC elements: (Z_fit, R_k)."""
    omega = 2 * np.pi * f
    tau = np.logspace(np.log10(1 / (omega.max() * extension)),
                      np.log10(extension / omega.min()), m)
    columns = [np.ones_like(omega, dtype=complex)]
    columns += [1 / (1 + 1j * omega * t) for t in tau]
    columns.append(1j * omega)                        # L
    if capacitance:
        columns.append(1 / (1j * omega))              # 1/C
    a = np.array(columns).T
    weight = 1 / np.abs(z)
    rows = np.r_[a.real * weight[:, None], a.imag * weight[:, None]]
    target = np.r_[z.real * weight, z.imag * weight]
    scale = np.linalg.norm(rows, axis=0)
    x = np.linalg.lstsq(rows / scale, target, rcond=None)[0] / scale
    return a @ x, x[1:1 + m]
