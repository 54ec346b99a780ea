"""Analyze a dataset: fit every spectrum (in order of temperature, each fit a start for the
next), derive the quantities and the Arrhenius fits; `Analysis.to_json()` is what
`labctl analyze --json` prints (SI units, lists in order of temperature, null = none).

The default circuit is the pellet of a solid electrolyte between blocking electrodes,
with electronic leakage across the ionic path:
    p(p(R1,CPE1)-p(R2,CPE2)-CPE3,R4)
bulk (R1, CPE1), grain boundary (R2, CPE2), electrode (CPE3), electronic (R4). The arcs
are assigned by characteristic frequency (fastest: bulk), their normalized capacitance is
a plausibility check (`quantities.arcs`); every fitted arc is reported. Activation
energies come from 1/R and need no geometry; conductivities need thickness and area.
An Arrhenius fit takes only the temperatures where the spectrum holds its arc ("seen":
apex inside the measured range, R known to 20 %; the total where R_bulk + R_gb, with their
correlation, is known to 20 % and both arcs are seen), weighted by the errors of R; the
notes name the others.
With the plateau's DC polarization (blocking electrodes: R_e = V / I_ss), the electronic
leak of the pellet circuit is held at that R_e (`ELECTRONIC_FIXED`): a spectrum that ends
before the electrode's response meets R_e cannot tell the leak from smaller arcs (a mixed
conductor of t_ion 0.84-0.95 fitted with a free leak gives its arcs 2-23 % low and its
bulk and grain-boundary Ea 2-5 % high); a bound I_ss (not steady, below resolution)
leaves it free.
A run with Li+ transference steps (Li | electrolyte | Li, non-blocking) is fitted by
default with bulk + interface, `LI_CELL_CIRCUIT`, whose second arc is the electrode's.
With the DRT of each spectrum and no circuit given, a spectrum whose DRT has more arc-like
processes in the measured range than the pellet circuit has arcs gets one arc per process
(`pellet_circuit`; the third is assigned to the electrode, further ones stay unassigned),
so no arc the DRT sees is dropped; a process of Cole-Cole exponent below
`ARC_MIN_EXPONENT` is diffusion-like (a Warburg's n is 0.5) and adds none. With fewer, the
arcs the DRT does not see start above the measured range (as the intercept) and are not
counted as seen unless the data hold them.
With no circuit given, a spectrum that a resistive offset before the electrode's spike
describes (`fit.offset_only`: every arc outside the measured range) is not fitted with
the pellet circuit: no arc is seen there, R_total is the offset (leads included), and the
notes say so.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np

from labctl.analysis import quantities as q
from labctl.analysis.circuits import Circuit
from labctl.analysis.dataset import Dataset, Plateau
from labctl.analysis.fit import OFFSET_CIRCUIT, FitResult, fit, offset_only

DEFAULT_ARCS = 2                               # bulk, grain boundary
ARC_MIN_EXPONENT = 0.6     # a DRT process with a lower Cole-Cole n is diffusion-like, no arc
ELECTRONIC_FIXED = 1e-6    # relative width of the leak's bounds around the polarization's R_e


def pellet_circuit(arcs: int) -> str:
    """The pellet with `arcs` R||CPE arcs in series, the electrode's CPE and the electronic
    leak across them."""
    chain = "-".join(f"p(R{k},CPE{k})" for k in range(1, arcs + 1))
    return f"p({chain}-CPE{arcs + 1},R{arcs + 2})"


DEFAULT_CIRCUIT = pellet_circuit(DEFAULT_ARCS)   # p(p(R1,CPE1)-p(R2,CPE2)-CPE3,R4)
LI_CELL_CIRCUIT = "p(R1,CPE1)-p(R2,CPE2)"     # bulk, electrode interface (non-blocking)
CONTRIBUTIONS = ("bulk", "gb", "total")
IN_DATA = {"bulk": "the bulk arc", "gb": "the grain-boundary arc",
           "total": "either arc"}           # what an Arrhenius point needs in the spectrum


@dataclass(frozen=True)
class PlateauAnalysis:
    plateau: Plateau
    fit: FitResult
    fit_s: float                       # wall time of the fit
    arcs: list[q.Arc]                  # every arc of the fit, fastest first
    R_Ohm: dict[str, float]            # by contribution; NaN where not found
    R_std_Ohm: dict[str, float]
    resolved: dict[str, bool]          # bulk, gb: the arc is resolved in the spectrum
    seen: dict[str, bool]              # bulk, gb, total: in the data, in the Arrhenius fit
    t_ion: float | None                # recomputed with the fitted R_ion

    @property
    def temperature_K(self) -> float:
        return self.plateau.temperature_K

    @property
    def t_ion_is_lower_bound(self) -> bool:
        """The polarization's I_ss is an upper bound (not steady, or below resolution)."""
        return bool(self.plateau.polarization and self.plateau.polarization.Iss_is_bound)


@dataclass(frozen=True)
class Analysis:
    dataset: Dataset
    circuit: str
    plateaus: list[PlateauAnalysis]
    arrhenius: dict[str, q.Arrhenius | None]
    carrier_density_per_m3: float | None = None

    @property
    def cell_constant_per_m(self) -> float | None:
        """L / A, None without the sample's geometry."""
        d = self.dataset
        return d.thickness_m / d.area_m2 if d.thickness_m and d.area_m2 else None

    def sigma(self, contribution: str) -> np.ndarray:
        """Conductivities (S/m) of a contribution, NaN without geometry or arc."""
        d = self.dataset
        if self.cell_constant_per_m is None:
            return np.full(len(self.plateaus), np.nan)
        return q.conductivity([p.R_Ohm[contribution] for p in self.plateaus],
                              d.thickness_m, d.area_m2)

    def prefactor_S_K_per_m(self, contribution: str) -> float | None:
        """A of sigma T = A exp(-Ea / k_B T); None without geometry or line."""
        line, cell = self.arrhenius[contribution], self.cell_constant_per_m
        return line.prefactor * cell if line and cell else None

    @property
    def notes(self) -> list[str]:
        """Why a quantity is missing, or only a bound."""
        notes = list(self.dataset.notes)
        notes += [f"t_ion at {p.temperature_K:.2f} K is a lower bound: the polarization's "
                  "I_ss is an upper bound (not steady, or below the instrument's resolution)"
                  for p in self.plateaus if p.t_ion_is_lower_bound]
        notes += [f"{p.temperature_K:.2f} K: the DRT sees more processes than "
                  f"{self.circuit} has arcs: fitted with {p.fit.circuit}"
                  for p in self.plateaus if p.fit.circuit not in (self.circuit, OFFSET_CIRCUIT)]
        notes += [f"{p.temperature_K:.2f} K: no arc in the measured range "
                  f"({p.plateau.frequency_Hz.min():.3g}..{p.plateau.frequency_Hz.max():.3g} Hz): "
                  f"the spectrum is an offset (R_b + R_gb + leads) and the electrode, "
                  f"fitted with {OFFSET_CIRCUIT} (rms {p.fit.rms_relative:.2%})"
                  for p in self.plateaus if p.fit.circuit == OFFSET_CIRCUIT]
        if self.cell_constant_per_m is None:
            notes.append("no sample geometry (thickness and area): conductivities and the "
                         "capacitance check are not computed; Ea is from 1/R")
        for c in CONTRIBUTIONS:
            left_out = [p.temperature_K for p in self.plateaus if not p.seen[c]]
            if left_out:
                notes.append(f"Ea {c}: left out {', '.join(f'{T:.2f}' for T in left_out)} K, "
                             f"where {IN_DATA[c]} is not in the data (apex outside the "
                             f"measured range, or R not known to {q.SEEN_MAX_ERROR:.0%})")
            if self.arrhenius[c] is None:
                notes.append(f"Ea {c}: fewer than 2 temperatures with a {c} resistance in "
                             "the data: not computed")
        return notes

    @property
    def temperatures_K(self) -> np.ndarray:
        return np.array([p.temperature_K for p in self.plateaus])

    def to_json(self) -> dict:
        w = self.dataset.window
        out = {
            "source": self.dataset.source,
            "circuit": self.circuit,
            "temperatures_K": self.temperatures_K.tolist(),
            "temperature_offset_K": self.dataset.temperature_offset_K,
            "R_bulk_ohm": _list([p.R_Ohm["bulk"] for p in self.plateaus]),
            "R_gb_ohm": _list([p.R_Ohm["gb"] for p in self.plateaus]),
            "R_bulk_std_ohm": _list([p.R_std_Ohm["bulk"] for p in self.plateaus]),
            "R_gb_std_ohm": _list([p.R_std_Ohm["gb"] for p in self.plateaus]),
            "arcs_resolved": [p.resolved["bulk"] and p.resolved["gb"] for p in self.plateaus],
            "arrhenius_used": {c: [p.seen[c] for p in self.plateaus] for c in CONTRIBUTIONS},
        }
        for c in CONTRIBUTIONS:
            out[f"sigma_{c}_S_per_m"] = _list(self.sigma(c))
        for c in CONTRIBUTIONS:
            fit_ = self.arrhenius[c]
            out[f"Ea_{c}_eV"] = _number(fit_.Ea_eV if fit_ else None)
            out[f"Ea_{c}_std_eV"] = _number(fit_.Ea_std_eV if fit_ else None)
            out[f"prefactor_{c}_S_K_per_m"] = _number(self.prefactor_S_K_per_m(c))
        out["t_ion"] = [_number(p.t_ion) for p in self.plateaus]
        out["t_ion_is_lower_bound"] = [p.t_ion_is_lower_bound for p in self.plateaus]
        for key in ("t_plus", "t_plus_std"):     # Li+ transference number (null: not measured)
            out[key] = [_number((p.plateau.transference or {}).get(key)) for p in self.plateaus]
        for key in ("sigma_n0_S_per_m", "sigma_n0_std_S_per_m", "sigma_p0_S_per_m",
                    "sigma_p0_std_S_per_m"):   # Hebb-Wagner (null: not measured)
            out[key] = [_number((p.plateau.electronic_parts or {}).get(key))
                        for p in self.plateaus]
        out["stability_window_V"] = ([_number(w.onset_low_V), _number(w.onset_high_V)]
                                     if w else None)
        if self.carrier_density_per_m3:
            out["D_total_m2_per_s"] = _list(q.diffusion_coefficient(
                self.sigma("total"), self.temperatures_K, self.carrier_density_per_m3))
        out["fits"] = [{"temperature_K": p.temperature_K, "spectrum": p.plateau.label,
                        "circuit": p.fit.circuit, "success": p.fit.success,
                        "state": p.fit.state,
                        "message": p.fit.message,
                        "parameters": {k: _number(v) for k, v in p.fit.params.items()},
                        "errors": {k: _number(v) for k, v in p.fit.errors.items()},
                        "rms_relative": _number(p.fit.rms_relative),
                        "warnings": list(p.fit.warnings),
                        "degenerate": list(p.fit.degenerate), "kk_ok": p.plateau.kk_ok,
                        "arcs": [arc.to_json() for arc in p.arcs],
                        "fit_s": round(p.fit_s, 4)} for p in self.plateaus]
        out["notes"] = self.notes
        return out


def analyze(dataset: Dataset, circuit: str | None = None,
            carrier_density_per_m3: float | None = None, drts: list | None = None) -> Analysis:
    """Fit and evaluate every plateau; a failed fit gives NaN quantities, not an error.
    `circuit` None: the pellet's, or the Li cell's for a run with transference steps.
    `drts` (one `labctl.analysis.drt.Drt` per plateau): their processes seed one more start
    and, without `circuit`, set the pellet circuit's number of arcs."""
    li_cell = circuit is None and any(p.transference for p in dataset.plateaus)
    automatic = circuit is None and not li_cell
    circuit = circuit or (LI_CELL_CIRCUIT if li_cell else DEFAULT_CIRCUIT)
    assigned = ("bulk", "electrode") if li_cell else q.ASSIGNED
    cell = (dataset.thickness_m / dataset.area_m2
            if dataset.thickness_m and dataset.area_m2 else None)
    results, previous = [], None
    for k, plateau in enumerate(dataset.plateaus):
        started = time.perf_counter()
        peaks = [] if drts is None else [p for p in drts[k].peaks if not p.at_edge]
        processes = [(p.frequency_Hz, p.R_Ohm) for p in peaks]
        seen_arcs = sum(p.n >= ARC_MIN_EXPONENT for p in peaks)
        arcs = max(DEFAULT_ARCS, seen_arcs) if automatic else 0
        result = (automatic and offset_only(plateau.frequency_Hz, plateau.impedance_Ohm)
                  or fit(plateau.frequency_Hz, plateau.impedance_Ohm,
                         Circuit(pellet_circuit(arcs) if arcs else circuit),
                         previous=previous, processes=processes,
                         bounds=_electronic_leak(plateau, arcs)))
        elapsed = time.perf_counter() - started
        previous = result if result.success and result.circuit != OFFSET_CIRCUIT else previous
        results.append(_plateau(plateau, result, elapsed, cell, assigned))
    T = np.array([p.temperature_K for p in results])
    arrhenius = {}
    for c in CONTRIBUTIONS:
        used = np.array([p.seen[c] for p in results], dtype=bool)
        R = np.array([p.R_Ohm[c] for p in results])[used]
        rel = np.array([p.R_std_Ohm[c] for p in results])[used] / R
        arrhenius[c] = q.arrhenius(T[used], 1 / R, rel)
    return Analysis(dataset, circuit, results, arrhenius, carrier_density_per_m3)


def _electronic_leak(plateau: Plateau, arcs: int) -> dict | None:
    """Bounds holding the pellet circuit's (`arcs` > 0) leak at the plateau's R_e = V/I_ss
    from its polarization (None: no such polarization, or I_ss only a bound)."""
    pol = plateau.polarization
    if not (arcs and pol and not pol.Iss_is_bound and pol.Iss_A > 0 and pol.voltage_V > 0):
        return None
    r_e = pol.voltage_V / pol.Iss_A
    return {f"R{arcs + 2}": (r_e * (1 - ELECTRONIC_FIXED), r_e * (1 + ELECTRONIC_FIXED))}


def _plateau(plateau: Plateau, result: FitResult, elapsed: float, cell: float | None,
             assigned: tuple[str, ...]) -> PlateauAnalysis:
    nan = float("nan")
    R = {"bulk": nan, "gb": nan, "total": nan}
    std = dict(R)
    resolved = {"bulk": False, "gb": False}
    seen = {"bulk": False, "gb": False, "total": False}
    found = q.arcs(result, cell, plateau.frequency_Hz, assigned) if result.success else []
    for arc in found:
        key = {"bulk": "bulk", "grain_boundary": "gb"}.get(arc.label)
        if key:
            R[key], std[key], resolved[key], seen[key] = (arc.R_Ohm, arc.R_std_Ohm,
                                                          arc.resolved, arc.seen)
    R["total"] = np.nansum([R["bulk"], R["gb"]]) if found else nan
    std["total"] = _sum_std(result, [a.resistance for a in found
                                     if a.label in ("bulk", "grain_boundary")])
    if result.circuit == OFFSET_CIRCUIT:           # no arc in range: the offset, not seen
        R["total"], std["total"] = result.params["R1"], result.errors["R1"]
    seen["total"] = bool(seen["bulk"] and seen["gb"]
                         and std["total"] <= q.SEEN_MAX_ERROR * R["total"])
    pol = plateau.polarization
    t_ion = (q.transference_number(pol.voltage_V, pol.Iss_A, R["total"])
             if pol and np.isfinite(R["total"]) else None)
    return PlateauAnalysis(plateau, result, elapsed, found, R, std, resolved, seen, t_ion)


def _sum_std(fit: FitResult, names: list[str]) -> float:
    """Standard error of the sum of the parameters `names`, with their correlations (a
    split between two arcs that the data leave open still gives a well-known sum);
    NaN without them."""
    if not names:
        return float("nan")
    index = [fit.names.index(n) for n in names]
    s = fit.stderr[index]
    return float(np.sqrt((fit.correlation[np.ix_(index, index)] * np.outer(s, s)).sum()))


def _number(value) -> float | None:
    return None if value is None or not np.isfinite(value) else float(value)


def _list(values) -> list[float | None]:
    return [_number(v) for v in values]
