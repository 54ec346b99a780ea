"""Thermodynamics of a galvanic cell's reaction from its EMF against temperature.

With n electrons per reaction: dG = -nFE, dS = nF dE/dT, dH = dG + T dS. E(T) is fitted as
a straight line E = a + bT weighted by each EMF's uncertainty (dS, dH taken constant over
the range, as EMF studies report them), so dS = nFb and dH = -nFa; dG is given at the
weighted mean temperature, where it is least uncertain. The covariance is the weighted
fit's, scaled by the reduced chi-square when the scatter exceeds the stated uncertainties.

A cell against an oxygen reference (M, MO_x | YSZ | O2 at p_ref) consumes n/4 O2 per
reaction; with `reference_pO2_Pa` the values are also given for O2 at p0 = 1 bar
(standard formation values): dS0 = dS - (n/4) R ln(p_ref / p0), dG0 = dG + (n/4) RT ln(p_ref / p0).
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from typing import Sequence

import numpy as np
from scipy.constants import bar, gas_constant, physical_constants

FARADAY = physical_constants["Faraday constant"][0]   # C/mol


@dataclass(frozen=True)
class CellThermodynamics:
    electrons: float
    dG_temperature_K: float              # where dG is given (weighted mean T)
    dG_J_per_mol: float
    dG_std_J_per_mol: float
    dS_J_per_mol_K: float
    dS_std_J_per_mol_K: float
    dH_J_per_mol: float
    dH_std_J_per_mol: float
    dE_dT_V_per_K: float
    emf_points: int
    standard_dG_J_per_mol: float | None = None    # O2 at 1 bar (with reference_pO2_Pa)
    standard_dS_J_per_mol_K: float | None = None

    def to_json(self) -> dict:
        """What `labctl analyze --json` adds for a run with cell EMF steps."""
        return asdict(self)


def cell_thermodynamics(temperature_K: Sequence[float], emf_V: Sequence[float],
                        emf_std_V: Sequence[float], electrons: float,
                        reference_pO2_Pa: float | None = None) -> CellThermodynamics:
    """dG, dS, dH with 1-sigma uncertainties from EMFs (V, their 1-sigma) at temperatures
    (K); at least two distinct temperatures, positive uncertainties."""
    t, e, u = (np.asarray(x, dtype=float) for x in (temperature_K, emf_V, emf_std_V))
    if not (t.size == e.size == u.size) or np.unique(t).size < 2:
        raise ValueError("need EMFs at two or more distinct temperatures, one uncertainty each")
    if not np.all(u > 0) or not electrons > 0:
        raise ValueError("EMF uncertainties and the electron number must be > 0")
    w = 1 / u ** 2
    t0 = float(np.sum(w * t) / np.sum(w))       # centred: slope and E(t0) uncorrelated
    (b, e0), cov = np.polyfit(t - t0, e, 1, w=1 / u, cov="unscaled")
    if t.size > 2:
        chi2 = float(np.sum(w * (e - e0 - b * (t - t0)) ** 2)) / (t.size - 2)
        cov = cov * max(1.0, chi2)
    nF = electrons * FARADAY
    u_b, u_e0 = math.sqrt(cov[0, 0]), math.sqrt(cov[1, 1])
    dG, dS = -nF * e0, nF * b
    standard = {}
    if reference_pO2_Pa is not None:
        oxygen = electrons / 4 * gas_constant * math.log(reference_pO2_Pa / bar)
        standard = {"standard_dG_J_per_mol": float(dG + t0 * oxygen),
                    "standard_dS_J_per_mol_K": float(dS - oxygen)}
    return CellThermodynamics(
        electrons, t0, float(dG), nF * u_e0, float(dS), nF * u_b,
        float(dG + t0 * dS), nF * math.hypot(u_e0, t0 * u_b), float(b), int(t.size), **standard)


def from_store(store, run_id: int, sample: str | None = None) -> CellThermodynamics | None:
    """From the finished EMF steps (`labctl.protocol.CELL_EMF`) of a run (of `sample` in a
    run with several), the electron number and reference pO2 of the last; None with fewer
    than two temperatures."""
    from labctl import registry, runsamples
    from labctl.protocol import CELL_EMF

    kinds = registry.providing(CELL_EMF)
    results = [registry.result_of(s.kind, s.result)
               for s in runsamples.finished(store, run_id, sample) if s.kind in kinds and s.result]
    if len({r.temperature_K for r in results}) < 2:
        return None
    return cell_thermodynamics([r.temperature_K for r in results], [r.emf_V for r in results],
                               [r.emf_std_V for r in results], results[-1].electrons,
                               results[-1].reference_pO2_Pa)
