"""Bulk and interfacial resistance of a cell with reversible electrodes, from its spectrum.

A Li | electrolyte | Li cell shows the bulk arc (often above the frequency range), the arc
of the electrode interfaces (passivation layer and charge transfer) and, at the lowest
frequencies, the onset of the salt-diffusion impedance. Over the measured band the spectrum
is fitted with

    Z = R_b / (1 + j w R_b C_b) + R_i / (1 + R_i Q (j w)^n) + s (j w)^-1/2,

the last term being the high-frequency (semi-infinite) form of the finite diffusion element,
valid far above its characteristic frequency D / L^2 (hours for a polymer electrolyte).
Least squares on the real and imaginary parts relative to |Z|, parameters on a log scale
(started from the shape of the spectrum);
standard errors from the Jacobian at the optimum, scaled by the residual variance.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.optimize import least_squares

from labctl.errors import LabctlError

N_MAX = 1.0          # CPE exponent bounds
N_MIN = 0.5
BAD = 1e6            # residual of a trial point where the model overflows
PROMINENCE = 0.02   # of max |Z|: smaller -Z'' extrema are noise


@dataclass(frozen=True)
class CellFit:
    bulk_Ohm: float
    bulk_std_Ohm: float
    interface_Ohm: float
    interface_std_Ohm: float
    cpe_n: float
    max_residual: float     # largest |Z_fit - Z| / |Z| over the spectrum


def model(params: np.ndarray, omega: np.ndarray) -> np.ndarray:
    """Z of [R_b, C_b, R_i, Q, n, s] at angular frequencies `omega`."""
    r_b, c_b, r_i, q, n, s = params
    jw = 1j * omega
    return r_b / (1 + jw * r_b * c_b) + r_i / (1 + r_i * q * jw ** n) + s / np.sqrt(jw)


def fit(frequency_Hz, impedance_Ohm) -> CellFit:
    """Fit the spectrum; LabctlError if it shows no interfacial arc to fit."""
    f = np.asarray(frequency_Hz, dtype=float)
    z = np.asarray(impedance_Ohm, dtype=complex)
    order = np.argsort(f)[::-1]
    f, z = f[order], z[order]
    omega = 2 * np.pi * f
    r_b, c_b, r_i, q, n, s = _initial(omega, z)

    def residuals(x: np.ndarray) -> np.ndarray:
        with np.errstate(over="ignore", invalid="ignore"):
            diff = (model(_unpack(x), omega) - z) / np.abs(z)
        return np.clip(np.nan_to_num(np.concatenate([diff.real, diff.imag]), nan=BAD),
                       -BAD, BAD)   # a diverging trial point is just bad, not an overflow

    lower = np.r_[np.full(5, -np.inf), N_MIN]
    upper = np.r_[np.full(5, np.inf), N_MAX]
    solution = least_squares(residuals, np.r_[np.log([r_b, c_b, r_i, q, s]), n],
                             bounds=(lower, upper), x_scale="jac")
    x = solution.x
    dof = max(1, 2 * f.size - x.size)
    variance = 2 * solution.cost / dof
    cov = np.linalg.pinv(solution.jac.T @ solution.jac) * variance
    params = _unpack(x)
    std_log = np.sqrt(np.clip(np.diag(cov), 0.0, None))
    fitted = model(params, omega)
    return CellFit(float(params[0]), float(params[0] * std_log[0]),
                   float(params[2]), float(params[2] * std_log[2]), float(params[4]),
                   float(np.max(np.abs(fitted - z) / np.abs(z))))


def _unpack(x: np.ndarray) -> np.ndarray:
    """[log R_b, log C_b, log R_i, log Q, log s, n] -> [R_b, C_b, R_i, Q, n, s]."""
    return np.array([*np.exp(x[:4]), x[5], np.exp(x[4])])


def _initial(omega: np.ndarray, z: np.ndarray) -> np.ndarray:
    """Starting values from the shape of the spectrum (frequencies descending): the
    interface arc is the lowest-frequency prominent maximum of -Z'' inside the band, R_b
    the Z' of the prominent valley before it (else of the first point), R_b + R_i the Z' of
    the valley after it (else of the last point)."""
    from scipy.signal import find_peaks   # here: scipy.signal takes ~1 s to import

    prominence = PROMINENCE * float(np.max(np.abs(z)))
    peaks = find_peaks(-z.imag, prominence=prominence)[0]
    if not peaks.size:
        raise LabctlError("the spectrum shows no interfacial arc: cannot separate the bulk "
                          "and interface resistances (extend the frequency range?)")
    apex = peaks[-1]
    valleys = find_peaks(z.imag, prominence=prominence)[0]
    before, after = valleys[valleys < apex], valleys[valleys > apex]
    r_b = max(float(z.real[before[-1] if before.size else 0]), 1e-12)
    low_end = after[0] if after.size else z.size - 1
    r_i = max(float(z.real[low_end]) - r_b, 1e-3 * r_b)
    n = 0.9
    q = 1 / (r_i * omega[apex] ** n)
    c_b = 1 / (r_b * omega[0] * 10)
    s = max(float(z.real[-1] - z.real[low_end]), 1e-6 * r_i) * np.sqrt(omega[-1])
    return np.array([r_b, c_b, r_i, q, n, s])
