"""Analyse a dataset: fit every spectrum (in order of temperature, each fit a start for the
next), derive the quantities and the Arrhenius fits; `Analysis.to_json()` is what
`labctl analyze --json` prints (SI units, lists in order of temperature, null = none).

The default circuit is the pellet of a solid electrolyte between blocking electrodes,
with electronic leakage across the ionic path:
    p(p(R1,CPE1)-p(R2,CPE2)-CPE3,R4)
bulk (R1, CPE1), grain boundary (R2, CPE2), electrode (CPE3), electronic (R4). Which arc
is bulk and which grain boundary is decided by capacitance, not by position.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np

from labctl.analysis import quantities as q
from labctl.analysis.circuits import Circuit
from labctl.analysis.dataset import Dataset, Plateau
from labctl.analysis.fit import FitResult, fit

DEFAULT_CIRCUIT = "p(p(R1,CPE1)-p(R2,CPE2)-CPE3,R4)"
CONTRIBUTIONS = ("bulk", "gb", "total")


@dataclass(frozen=True)
class PlateauAnalysis:
    plateau: Plateau
    fit: FitResult
    fit_s: float                       # wall time of the fit
    arcs: list[q.Arc]
    R_Ohm: dict[str, float]            # by contribution; NaN where not found
    R_std_Ohm: dict[str, float]
    resolved: dict[str, bool]          # bulk, gb: the arc is resolved in the spectrum
    t_ion: float | None                # recomputed with the fitted R_ion

    @property
    def temperature_K(self) -> float:
        return self.plateau.temperature_K


@dataclass(frozen=True)
class Analysis:
    dataset: Dataset
    circuit: str
    plateaus: list[PlateauAnalysis]
    arrhenius: dict[str, q.Arrhenius | None]
    carrier_density_per_m3: float | None = None

    def sigma(self, contribution: str) -> np.ndarray:
        """Conductivities (S/m) of a contribution, NaN without geometry or arc."""
        d = self.dataset
        if d.thickness_m is None or d.area_m2 is None:
            return np.full(len(self.plateaus), np.nan)
        return q.conductivity([p.R_Ohm[contribution] for p in self.plateaus],
                              d.thickness_m, d.area_m2)

    def missing(self) -> dict[str, str]:
        """Quantities left empty for want of an input, and why."""
        d = self.dataset
        absent = [k for k, v in (("thickness_m", d.thickness_m), ("area_m2", d.area_m2))
                  if v is None]
        if not absent:
            return {}
        return {"conductivity": f"no sample {' and '.join(absent)} (SI units, in the recipe's "
                                "[sample]): conductivities, activation energies and diffusion "
                                "coefficients need the geometry"}

    @property
    def temperatures_K(self) -> np.ndarray:
        return np.array([p.temperature_K for p in self.plateaus])

    def to_json(self) -> dict:
        w = self.dataset.window
        out = {
            "source": self.dataset.source,
            "circuit": self.circuit,
            "temperatures_K": self.temperatures_K.tolist(),
            "R_bulk_ohm": _list([p.R_Ohm["bulk"] for p in self.plateaus]),
            "R_gb_ohm": _list([p.R_Ohm["gb"] for p in self.plateaus]),
            "R_bulk_std_ohm": _list([p.R_std_Ohm["bulk"] for p in self.plateaus]),
            "R_gb_std_ohm": _list([p.R_std_Ohm["gb"] for p in self.plateaus]),
            "arcs_resolved": [p.resolved["bulk"] and p.resolved["gb"] for p in self.plateaus],
        }
        for c in CONTRIBUTIONS:
            out[f"sigma_{c}_S_per_m"] = _list(self.sigma(c))
        for c in CONTRIBUTIONS:
            fit_ = self.arrhenius[c]
            out[f"Ea_{c}_eV"] = _number(fit_.Ea_eV if fit_ else None)
            out[f"Ea_{c}_std_eV"] = _number(fit_.Ea_std_eV if fit_ else None)
            out[f"prefactor_{c}_S_K_per_m"] = _number(fit_.prefactor_S_K_per_m if fit_ else None)
        out["t_ion"] = [_number(p.t_ion) for p in self.plateaus]
        for key in ("t_plus", "t_plus_std"):     # Li+ transference number (null: not measured)
            out[key] = [_number((p.plateau.transference or {}).get(key)) for p in self.plateaus]
        out["stability_window_V"] = ([_number(w.onset_low_V), _number(w.onset_high_V)]
                                     if w else None)
        if self.carrier_density_per_m3:
            out["D_total_m2_per_s"] = _list(q.diffusion_coefficient(
                self.sigma("total"), self.temperatures_K, self.carrier_density_per_m3))
        out["missing"] = self.missing()
        out["fits"] = [{"temperature_K": p.temperature_K, "spectrum": p.plateau.label,
                        "success": p.fit.success, "message": p.fit.message,
                        "parameters": {k: _number(v) for k, v in p.fit.params.items()},
                        "errors": {k: _number(v) for k, v in p.fit.errors.items()},
                        "rms_relative": _number(p.fit.rms_relative),
                        "warnings": list(p.fit.warnings), "kk_ok": p.plateau.kk_ok,
                        "fit_s": round(p.fit_s, 4)} for p in self.plateaus]
        return out


def analyze(dataset: Dataset, circuit: str = DEFAULT_CIRCUIT,
            carrier_density_per_m3: float | None = None) -> Analysis:
    """Fit and evaluate every plateau; a failed fit gives NaN quantities, not an error."""
    parsed = Circuit(circuit)
    cell = (dataset.thickness_m / dataset.area_m2
            if dataset.thickness_m and dataset.area_m2 else 1.0)
    results, previous = [], None
    for plateau in dataset.plateaus:
        started = time.perf_counter()
        result = fit(plateau.frequency_Hz, plateau.impedance_Ohm, parsed, previous=previous)
        elapsed = time.perf_counter() - started
        previous = result if result.success else previous
        results.append(_plateau(plateau, result, elapsed, cell))
    arrhenius = {}
    for c in CONTRIBUTIONS:
        analysis = Analysis(dataset, circuit, results, {}, carrier_density_per_m3)
        rel = [p.R_std_Ohm[c] / p.R_Ohm[c] for p in results]
        arrhenius[c] = q.arrhenius(analysis.temperatures_K, analysis.sigma(c), rel)
    return Analysis(dataset, circuit, results, arrhenius, carrier_density_per_m3)


def _plateau(plateau: Plateau, result: FitResult, elapsed: float, cell: float
             ) -> PlateauAnalysis:
    nan = float("nan")
    R = {"bulk": nan, "gb": nan, "total": nan}
    std = dict(R)
    resolved = {"bulk": False, "gb": False}
    found = q.arcs(result, cell) if result.success else []
    for arc in found:
        key = {"bulk": "bulk", "grain_boundary": "gb"}.get(arc.label)
        if key and np.isnan(R[key]):
            R[key], std[key] = arc.R_Ohm, arc.R_std_Ohm
            resolved[key] = q.resolved(arc, plateau.frequency_Hz)
    R["total"] = np.nansum([R["bulk"], R["gb"]]) if found else nan
    std["total"] = float(np.sqrt(np.nansum([std["bulk"] ** 2, std["gb"] ** 2]))) if found else nan
    pol = plateau.polarization
    t_ion = (q.transference_number(pol.voltage_V, pol.Iss_A, R["total"])
             if pol and np.isfinite(R["total"]) else None)
    return PlateauAnalysis(plateau, result, elapsed, found, R, std, resolved, t_ion)


def _number(value) -> float | None:
    return None if value is None or not np.isfinite(value) else float(value)


def _list(values) -> list[float | None]:
    return [_number(v) for v in values]
