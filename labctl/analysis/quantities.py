"""Physical quantities from circuit fits: arcs, conductivities, Arrhenius activation
energies, transference numbers and Nernst-Einstein diffusion coefficients.

Arcs: every `p(R, C)` or `p(R, CPE)` block of the circuit is an arc with resistance R,
effective capacitance C (a CPE's C_eff = (R Q)^(1/n) / R, Hsu-Mansfeld) and apex
frequency 1 / (2 pi tau). An arc is "seen" when the spectrum holds it: its apex lies inside
the measured range and its R is known to `SEEN_MAX_ERROR` (1 sigma; real spectra's bulk
arcs are known to 5-10 %, an arc a fit puts where the data hold none to 50 % or worse), or
it is the fastest arc, above the range, and the next one is seen (its R is then the
high-frequency intercept); no arc of a fit that does not describe the spectrum (rms far
above its noise, `FitResult.misfit`) is seen; it is "resolved" when its apex is inside the range and its R is
known to `RESOLVED_MAX_ERROR`. Only seen arcs enter the
Arrhenius fits. They are assigned by characteristic frequency: the fastest is
the bulk, the next the grain boundary, the next the electrode; further arcs stay
unassigned. With the cell's geometry the capacitance normalized by the cell constant
(C * L/A in F/cm, Irvine, Sinclair & West 1990) is checked against the usual range of the
assigned part, and one outside it is flagged, not reassigned.
sigma = L / (R A); sigma_total from R_bulk + R_gb.
Arrhenius: y T = A exp(-Ea / (k_B T)) for y = sigma or 1/R (Ea needs no geometry), a
least-squares line through ln(y T) against 1/T, weighted by the fit errors of R; Ea in eV
with its standard error (from the scatter about the line, at least 3 temperatures) and
the pre-factor A in the units of y times K.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.constants import Boltzmann, elementary_charge

from labctl.analysis.circuits import Circuit, Element, Series, rc_pair, time_constant
from labctl.analysis.fit import FitResult

ASSIGNED = ("bulk", "grain_boundary", "electrode")    # in order of falling frequency
PLAUSIBLE_F_PER_CM = {"bulk": (0.0, 1e-10), "grain_boundary": (1e-11, 1e-7),
                      "electrode": (1e-7, np.inf)}    # normalized C (Irvine et al. 1990)
RESOLVED_MAX_ERROR = 0.01  # an arc whose R is known worse than this (1 sigma) is not resolved
SEEN_MAX_ERROR = 0.2       # ... worse than this: the spectrum does not hold it


@dataclass(frozen=True)
class Arc:
    label: str                  # one of ASSIGNED, or "unassigned"
    resistance: str             # parameter name of its R
    R_Ohm: float
    R_std_Ohm: float
    C_eff_F: float
    apex_Hz: float
    C_normalized_F_per_cm: float   # NaN without the cell's geometry
    resolved: bool              # seen, and R known within 1 %
    flags: tuple[str, ...] = ()
    seen: bool = False          # in the data: apex inside the range (or the intercept), R to 20 %

    def to_json(self) -> dict:
        number = (lambda v: float(v) if np.isfinite(v) else None)
        return {"label": self.label, "resistance": self.resistance,
                "R_ohm": number(self.R_Ohm), "R_std_ohm": number(self.R_std_Ohm),
                "C_eff_F": number(self.C_eff_F), "apex_Hz": number(self.apex_Hz),
                "C_normalized_F_per_cm": number(self.C_normalized_F_per_cm),
                "resolved": self.resolved, "seen": self.seen, "flags": list(self.flags)}


def arcs(fit: FitResult, cell_constant_per_m: float | None, frequency_Hz,
         assigned: tuple[str, ...] = ASSIGNED) -> list[Arc]:
    """The fit's arcs, fastest first, assigned in that order to `assigned`;
    `cell_constant_per_m` (L/A) None when the geometry is unknown: no capacitance check."""
    params, errors = fit.params, fit.errors
    f = np.asarray(frequency_Hz, dtype=float)
    found = []
    for r, c in _rc_blocks(Circuit(fit.circuit).tree):
        R = params[r.label]
        tau = np.float64(time_constant(c, R, [params[name] for name in c.parameter_names]))
        with np.errstate(divide="ignore", invalid="ignore"):   # a collapsed arc: tau = 0
            found.append((r.label, R, errors[r.label], tau / R, 1 / (2 * np.pi * tau)))
    found.sort(key=lambda arc: -arc[4])
    inside = [bool(f.min() < apex < f.max() and std <= SEEN_MAX_ERROR * R
                   and not fit.misfit) for _, R, std, _, apex in found]
    result = []
    for i, (name, R, std, C, apex) in enumerate(found):
        label = assigned[i] if i < len(assigned) else "unassigned"
        normalized = C * cell_constant_per_m / 100 if cell_constant_per_m else np.nan
        intercept = bool(i == 0 and apex >= f.max() and inside[1:2] == [True]
                         and std <= SEEN_MAX_ERROR * R)
        resolved = inside[i] and bool(std <= RESOLVED_MAX_ERROR * R)
        flags = [] if resolved else [f"not resolved (apex {apex:.3g} Hz, R +- {std / R:.1%})"
                                     + (": R from the high-frequency intercept" if intercept
                                        else "" if inside[i] else ": not in the data")]
        if label == "unassigned":
            flags.append(f"more arcs than {', '.join(assigned)}")
        elif np.isfinite(normalized):
            low, high = PLAUSIBLE_F_PER_CM[label]
            if not low <= normalized <= high:
                flags.append(f"capacitance {normalized:.2g} F/cm is outside the usual "
                             f"{label.replace('_', ' ')} range ({low:.0e}..{high:.0e} F/cm)")
        result.append(Arc(label, name, R, std, C, apex, normalized, resolved, tuple(flags),
                          inside[i] or intercept))
    return result


def _rc_blocks(node) -> list[tuple[Element, Element]]:
    """Every parallel block of exactly one R and one C or CPE, anywhere in the tree."""
    if isinstance(node, Element):
        return []
    if isinstance(node, Series):
        return [b for part in node.parts for b in _rc_blocks(part)]
    pair = rc_pair(node)
    if pair:
        return [pair]
    return [b for branch in node.branches for b in _rc_blocks(branch)]


def conductivity(R_Ohm, thickness_m: float, area_m2: float):
    """sigma = L / (R A) in S/m."""
    return thickness_m / (np.asarray(R_Ohm, dtype=float) * area_m2)


@dataclass(frozen=True)
class Arrhenius:
    Ea_eV: float
    Ea_std_eV: float            # NaN with fewer than 3 temperatures
    prefactor: float            # A in y T = A exp(-Ea / k_B T), in the unit of y times K
    points: int

    def y_T(self, T_K):
        """The fitted line: y T at T_K."""
        T = np.asarray(T_K, dtype=float)
        return self.prefactor * np.exp(-self.Ea_eV * elementary_charge / (Boltzmann * T))


def arrhenius(T_K, y, relative_error=None) -> Arrhenius | None:
    """Fit ln(y T) = ln A - Ea / (k_B T) (y: sigma or 1/R); None with fewer than 2
    finite points."""
    T, sigma = np.asarray(T_K, dtype=float), np.asarray(y, dtype=float)
    rel = np.ones_like(T) if relative_error is None else np.asarray(relative_error, float)
    keep = np.isfinite(T) & np.isfinite(sigma) & (sigma > 0) & np.isfinite(rel) & (rel > 0)
    if keep.sum() < 2:
        return None
    x, y, w = 1 / T[keep], np.log(sigma[keep] * T[keep]), 1 / rel[keep]
    if keep.sum() >= 3:
        (slope, intercept), cov = np.polyfit(x, y, 1, w=w, cov=True)
        slope_std = float(np.sqrt(cov[0, 0]))
    else:
        slope, intercept = np.polyfit(x, y, 1)
        slope_std = float("nan")
    to_eV = Boltzmann / elementary_charge
    return Arrhenius(float(-slope * to_eV), slope_std * to_eV, float(np.exp(intercept)),
                     int(keep.sum()))


def transference_number(voltage_V: float, I_ss_A: float, R_ion_Ohm: float) -> float:
    """Wagner: t_ion = 1 - I_ss / I_0 with I_0 = V / R_ion + I_ss (ionic and electronic
    paths in parallel; I_ss is the electronic current)."""
    i_ion = voltage_V / R_ion_Ohm
    return float(i_ion / (i_ion + I_ss_A))


def diffusion_coefficient(sigma_S_per_m, T_K, carrier_density_per_m3: float,
                          charge_number: int = 1):
    """Nernst-Einstein D_sigma = sigma k_B T / (n (z e)^2) in m^2/s."""
    q = charge_number * elementary_charge
    return np.asarray(sigma_S_per_m) * Boltzmann * np.asarray(T_K) / (
        carrier_density_per_m3 * q ** 2)
