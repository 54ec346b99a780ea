"""Physical quantities from circuit fits: arcs by capacitance, conductivities, Arrhenius
activation energies, transference numbers and Nernst-Einstein diffusion coefficients.

Arcs: every `p(R, C)` or `p(R, CPE)` block of the circuit is an arc with resistance R and
effective capacitance C (a CPE's C_eff = (R Q)^(1/n) / R, Hsu-Mansfeld). Normalized by
the cell constant (C * L/A in cm^-1, as in Irvine, Sinclair & West 1990) it says what
the arc is: below 1e-10 F bulk (pF: eps_r up to ~1000), up to 1e-7 F grain boundary,
above that electrode. sigma = L / (R A); sigma_total from R_bulk + R_gb.
Arrhenius: sigma T = A exp(-Ea / (k_B T)), a least-squares line through ln(sigma T)
against 1/T, weighted by the fit errors of R; Ea in eV with its standard error (from the
scatter about the line, at least 3 temperatures) and the pre-factor A in S K/m.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.constants import Boltzmann, elementary_charge

from labctl.analysis.circuits import Circuit, Element, Series, rc_pair
from labctl.analysis.fit import FitResult

BULK_MAX_F = 1e-10        # normalized capacitance (F, for a 1 cm^-1 cell) of a bulk arc
GRAIN_BOUNDARY_MAX_F = 1e-7
RESOLVED_MAX_ERROR = 0.01  # an arc whose R is known worse than this (1 sigma) is not resolved


@dataclass(frozen=True)
class Arc:
    label: str                  # "bulk", "grain_boundary" or "electrode"
    resistance: str             # parameter name of its R
    R_Ohm: float
    R_std_Ohm: float
    C_eff_F: float
    apex_Hz: float


def arcs(fit: FitResult, cell_constant_per_m: float) -> list[Arc]:
    """The fit's arcs, labelled by normalized capacitance, in order of capacitance."""
    params, errors = fit.params, fit.errors
    found = []
    for r, c in _rc_blocks(Circuit(fit.circuit).tree):
        R = params[r.label]
        if c.type.name == "C":
            C = params[c.label]
            apex = 1 / (2 * np.pi * R * C)
        else:
            Q, n = (params[name] for name in c.parameter_names)
            with np.errstate(over="ignore"):     # an absurd fit: inf, not OverflowError
                tau = np.float64(R * Q) ** (1 / n)
            C = tau / R
            apex = 1 / (2 * np.pi * tau)
        found.append(Arc(_label(C * cell_constant_per_m / 100), r.label, R, errors[r.label],
                         C, apex))
    return sorted(found, key=lambda a: a.C_eff_F)


def _label(normalized_F: float) -> str:
    if normalized_F < BULK_MAX_F:
        return "bulk"
    return "grain_boundary" if normalized_F < GRAIN_BOUNDARY_MAX_F else "electrode"


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


def resolved(arc: Arc, frequency_Hz: np.ndarray) -> bool:
    """The arc's apex lies inside the measured range and its R is well determined."""
    return bool(frequency_Hz.min() < arc.apex_Hz < frequency_Hz.max()
                and arc.R_std_Ohm <= RESOLVED_MAX_ERROR * arc.R_Ohm)


def conductivity(R_Ohm, thickness_m: float, area_m2: float):
    """sigma = L / (R A) in S/m."""
    return thickness_m / (np.asarray(R_Ohm, dtype=float) * area_m2)


@dataclass(frozen=True)
class Arrhenius:
    Ea_eV: float
    Ea_std_eV: float            # NaN with fewer than 3 temperatures
    prefactor_S_K_per_m: float  # A in sigma T = A exp(-Ea / k_B T)
    points: int

    def sigma_T(self, T_K):
        """The fitted line: sigma T (S K/m) at T_K."""
        T = np.asarray(T_K, dtype=float)
        return self.prefactor_S_K_per_m * np.exp(-self.Ea_eV * elementary_charge / (Boltzmann * T))


def arrhenius(T_K, sigma_S_per_m, relative_error=None) -> Arrhenius | None:
    """Fit ln(sigma T) = ln A - Ea / (k_B T); None with fewer than 2 finite points."""
    T, sigma = np.asarray(T_K, dtype=float), np.asarray(sigma_S_per_m, dtype=float)
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
