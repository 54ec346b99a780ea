"""An oxygen concentration cell with a mixed conductor as the membrane.

Cell: O2 (p_test, the furnace tube's gas), Pt | sample | Pt, O2 (p_ref, the sample file's
`[concentration_cell]` reference gas). Open circuit (Wagner): with fast surface exchange
the faces are at p_test and p_ref and

    E = (1/4F) * integral of t_ion dmu_O2 = (RT/4F) * integral_{ln p_test}^{ln p_ref} t_ion(p) d ln p,

t_ion(p) = sigma_ion / (sigma_ion + sigma_n(p) + sigma_p(p)) the local ionic transference
number from the sample's `[brouwer]` parts (sigma_n0 p^-1/4, sigma_p0 p^+1/4 at the cell
temperature) and its ionic conductivity (bulk and grain boundary in series); E is positive
at the reference side when p_ref > p_test. The Nernst voltage E_N = (RT/4F) ln(p_ref/p_test)
is the t_ion = 1 limit.

Under load the cell is the lumped equivalent circuit used for the EMF method's polarization
corrections (Gorelov, Elektrokhimiya 24 (1988) 1380; Liu & Hu, J. Electrochem. Soc. 143
(1996) L109): the source E_N in series with the ionic resistance R_ion and the electrodes'
polarization resistance R_eta, shunted by the electronic resistance R_e. R_e is the
membrane's effective one under the gradient, R_e = R_ion t / (1 - t) with t = E / E_N the
gradient's mean t_ion, so that with R_eta = 0 the circuit's open-circuit voltage is Wagner's
E exactly. With R_eta the terminals show less: V_oc = E_N R_e / (R_e + R_ion + R_eta), and
V_oc / E_N underestimates t_ion. The electrode capacitance (R_eta C_dl ~ ms) is not
modelled: the cell follows a load at once; the gases at the faces follow the tube at once
(the internal profile's chemical diffusion is left out). R and F from scipy.constants.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy.constants import atm, gas_constant, physical_constants
from scipy.integrate import quad

FARADAY = physical_constants["Faraday constant"][0]
K_B_EV = physical_constants["Boltzmann constant in eV/K"][0]


@dataclass(frozen=True)
class CellCircuit:
    """The cell at one temperature and gas pair: volts and ohms."""

    nernst_V: float           # E_N, t_ion = 1
    emf_V: float              # Wagner's E, no electrode polarization
    R_ion_Ohm: float
    R_e_Ohm: float            # effective electronic resistance under the gradient
    R_eta_Ohm: float          # both electrodes' polarization resistance

    @property
    def t_ion(self) -> float:
        """The gradient's mean ionic transference number E / E_N."""
        return self.emf_V / self.nernst_V

    @property
    def open_circuit_V(self) -> float:
        """What a high-impedance voltmeter reads at the terminals."""
        return self.nernst_V * self.R_e_Ohm / (self.R_e_Ohm + self.R_ion_Ohm + self.R_eta_Ohm)

    @property
    def thevenin_Ohm(self) -> float:
        """The terminals' internal resistance: R_e || (R_ion + R_eta)."""
        r = self.R_ion_Ohm + self.R_eta_Ohm
        return self.R_e_Ohm * r / (self.R_e_Ohm + r)

    def current_A(self, terminal_V: float) -> float:
        """Current into the reference-side terminal held at `terminal_V` (negative: the cell
        discharges into the load)."""
        return (terminal_V - self.open_circuit_V) / self.thevenin_Ohm


def electronic_S_per_m(sample, T_K: float, pO2_Pa) -> np.ndarray:
    """sigma_n + sigma_p of the sample's `brouwer` table at `pO2_Pa` and `T_K`."""
    n1, p1 = sample.at_pO2(atm).electronic_parts(T_K)
    x = np.asarray(pO2_Pa, dtype=float) / atm
    return n1 * x ** -0.25 + p1 * x ** 0.25


def ionic_S_per_m(sample, T_K: float) -> float:
    """The pellet's ionic conductivity: bulk and grain boundary in series."""
    r = sample.resistances(T_K)
    return sample.sample.thickness_m / ((r["bulk"] + r["grain_boundary"]) * sample.sample.area_m2)


def local_t_ion(sample, T_K: float, pO2_Pa) -> np.ndarray:
    """t_ion at one pO2: sigma_ion / (sigma_ion + sigma_e(pO2))."""
    ion = ionic_S_per_m(sample, T_K)
    return ion / (ion + electronic_S_per_m(sample, T_K, pO2_Pa))


def nernst_V(T_K: float, test_Pa: float, reference_Pa: float) -> float:
    """E_N = RT/(4F) ln(p_ref / p_test)."""
    return gas_constant * T_K / (4 * FARADAY) * math.log(reference_Pa / test_Pa)


def wagner_emf_V(sample, T_K: float, test_Pa: float, reference_Pa: float) -> float:
    """E = (RT/4F) integral of t_ion(p) d ln p from p_test to p_ref."""
    integral, _ = quad(lambda lnp: float(local_t_ion(sample, T_K, math.exp(lnp))),
                       math.log(test_Pa), math.log(reference_Pa), epsabs=0.0, epsrel=1e-10)
    return gas_constant * T_K / (4 * FARADAY) * integral


def cell_circuit(sample, T_K: float, test_Pa: float) -> CellCircuit:
    """The cell of `sample` (its `concentration_cell` and `brouwer` tables) at `T_K` with
    the tube gas at `test_Pa`."""
    table = sample.concentration_cell
    reference = table.reference_pO2_Pa
    r = sample.resistances(T_K)
    r_ion = r["bulk"] + r["grain_boundary"]
    e_n, emf = nernst_V(T_K, test_Pa, reference), wagner_emf_V(sample, T_K, test_Pa, reference)
    t = emf / e_n if abs(math.log(reference / test_Pa)) > 1e-9 \
        else float(local_t_ion(sample, T_K, test_Pa))
    asr = table.electrode_asr_Ohm_m2 * math.exp(table.Ea_eV / K_B_EV * (1 / T_K - 1 / table.T_ref_K))
    return CellCircuit(e_n, emf, r_ion, r_ion * t / (1 - t), asr / sample.sample.area_m2)


def cell_in(world) -> CellCircuit:
    """The world's concentration cell now: its sample at the sample temperature, the
    tube's pO2 at the test face."""
    with world.lock:
        return cell_circuit(world.sample, world.sample_temperature_K(), world.pO2_Pa())
