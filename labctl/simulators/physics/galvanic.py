"""A solid-electrolyte formation cell in the furnace: its open-circuit EMF against temperature.

Cell M, MO_x | YSZ | O2 (p_ref), e.g. Ni, NiO | YSZ | air: the cell reaction
M + (n/4) O2 (p_ref) -> MO_x with n electrons has
dG(T) = dH - T dS - (n/4) R T ln(p_ref / p0), p0 = 1 bar, from the oxide's standard
formation enthalpy dH and entropy dS (taken constant over the range: dG linear in T, as
EMF studies report it), so E = -dG / (nF) (the metal electrode negative, reported positive).
The EMF does not follow the temperature at once: the electrodes re-equilibrate (oxygen
exchange of the M/MO_x couple), so E relaxes to its equilibrium with the time constant
`settling_s` (first order; exact while the temperature holds). R, F from scipy.constants.

Data of the shipped example (`NI_NIO`): Holmes, O'Neill & Arculus, Geochim. Cosmochim. Acta
50 (1986) 2439 (zirconia cells, 900-1400 K): dfG(NiO, 1300 K) = -123 555 J/mol; the entropy
of formation over 900-1400 K, -85.0 J/(mol K), is the slope of their three-term fit near
1100 K (estimate: dS taken constant), and dH = dfG(1300 K) + 1300 K * dS.
"""

from __future__ import annotations

import math

from scipy.constants import bar, gas_constant, physical_constants

FARADAY = physical_constants["Faraday constant"][0]   # C/mol
NI_NIO = {"reaction": "Ni + 1/2 O2 = NiO", "electrons": 2.0,
          "dH_J_per_mol": -123555.0 - 1300.0 * 85.0, "dS_J_per_mol_K": -85.0}


def oxygen_term_J_per_mol(electrons: float, temperature_K: float, reference_pO2_Pa: float) -> float:
    """(n/4) R T ln(p_ref / p0): what the reference gas adds to -dG (p0 = 1 bar)."""
    return electrons / 4 * gas_constant * temperature_K * math.log(reference_pO2_Pa / bar)


def cell_emf_V(cell, temperature_K: float) -> float:
    """Equilibrium EMF of `cell` (a `sample_file.GalvanicCell`) at `temperature_K`."""
    dG = (cell.dH_J_per_mol - temperature_K * cell.dS_J_per_mol_K
          - oxygen_term_J_per_mol(cell.electrons, temperature_K, cell.reference_pO2_Pa))
    return -dG / (cell.electrons * FARADAY)


class SettlingEmf:
    """The cell's EMF relaxing to equilibrium: dE/dt = (E_eq(T) - E) / settling_s."""

    def __init__(self, cell):
        self.cell = cell
        self.emf_V: float | None = None
        self.t_s = 0.0

    def read(self, t_s: float, temperature_K: float) -> float:
        """The EMF at `t_s` with the cell at `temperature_K` since the last reading."""
        target = cell_emf_V(self.cell, temperature_K)
        if self.emf_V is None:
            self.emf_V = target
        else:
            decay = math.exp(-max(0.0, t_s - self.t_s) / self.cell.settling_s)
            self.emf_V = target + (self.emf_V - target) * decay
        self.t_s = t_s
        return self.emf_V
