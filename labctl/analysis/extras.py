"""What a sample's steps give beyond its spectra: the thermodynamics of its cell reaction
(EMF steps, `cell_thermodynamics`), the Brouwer fits of its pO2 sweeps (`brouwer`) and
t_ion by EMF per plateau (`emf_transference`). In a run with several samples each has its
own (`read(store, run_id, sample)`); `labctl analyze` reports them beside the sample's
spectra (JSON keys, summary lines, plots)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from labctl.analysis import brouwer, cell_thermodynamics, emf_transference
from labctl.analysis.brouwer import BrouwerAnalysis
from labctl.analysis.cell_thermodynamics import CellThermodynamics
from labctl.analysis.emf_transference import EmfTion
from labctl.units import K_to_C


@dataclass(frozen=True)
class Extras:
    cell: CellThermodynamics | None = None
    sweeps: BrouwerAnalysis | None = None
    emf: list[EmfTion] = field(default_factory=list)

    def __bool__(self) -> bool:
        return bool(self.cell or self.sweeps or self.emf)

    def to_json(self) -> dict:
        """What `labctl analyze --json` adds to the sample's keys."""
        return {**(self.cell.to_json() if self.cell else {}),
                **(self.sweeps.to_json() if self.sweeps else {}),
                "t_ion_emf": [e.to_json() for e in self.emf]}

    def lines(self) -> list[str]:
        """The text summary, one line (Brouwer: one per temperature) per result."""
        return (([_cell_line(self.cell)] if self.cell else []) + [_emf_line(e) for e in self.emf]
                + ([_brouwer_lines(self.sweeps)] if self.sweeps else []))

    def plots(self, out: Path) -> list[str]:
        """brouwer.png and t_ion_emf.png into `out` (those it has data for): their names."""
        out.mkdir(parents=True, exist_ok=True)
        return (([brouwer.plot(self.sweeps, out / "brouwer.png")] if self.sweeps else [])
                + ([emf_transference.plot(self.emf, out / "t_ion_emf.png").name]
                   if self.emf else []))


def read(store, run_id: int, sample: str | None = None) -> Extras:
    """The extras of run `run_id` (of `sample` in a run with several)."""
    return Extras(cell_thermodynamics.from_store(store, run_id, sample),
                  brouwer.from_store(store, run_id, sample),
                  emf_transference.from_store(store, run_id, sample))


def _brouwer_lines(sweeps: BrouwerAnalysis) -> str:
    return "\n".join(
        f"{K_to_C(f.temperature_K):7.1f} C  Brouwer: sigma_ion {f.sigma_ion_S_per_m:.5g} +- "
        f"{f.sigma_ion_std_S_per_m:.2g}, sigma_n0 {f.sigma_n0_S_per_m:.5g} +- "
        f"{f.sigma_n0_std_S_per_m:.2g}, sigma_p0 {f.sigma_p0_S_per_m:.5g} +- "
        f"{f.sigma_p0_std_S_per_m:.2g} S/m" for f in sweeps.fits)


def _emf_line(e: EmfTion) -> str:
    dc = "" if e.t_ion_dc is None else f", by DC polarization {e.t_ion_dc:.4f}"
    return (f"{K_to_C(e.temperature_K):7.1f} C  t_ion by EMF {e.t_ion:.4f} +- {e.t_ion_std:.2g}"
            f" (E/E_N {e.t_ion_uncorrected:.4f}, R_eta {e.R_eta_Ohm:.3g} Ohm){dc}")


def _cell_line(cell: CellThermodynamics) -> str:
    return (f"cell reaction (n = {cell.electrons:g}, {cell.emf_points} EMFs): "
            f"dG({cell.dG_temperature_K:.1f} K) = {cell.dG_J_per_mol:.6g} +- "
            f"{cell.dG_std_J_per_mol:.2g} J/mol, dS = {cell.dS_J_per_mol_K:.5g} +- "
            f"{cell.dS_std_J_per_mol_K:.2g} J/(mol K), dH = {cell.dH_J_per_mol:.6g} +- "
            f"{cell.dH_std_J_per_mol:.2g} J/mol")
