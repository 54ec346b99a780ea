"""dG, dS, dH of a cell reaction from a weighted linear fit of E(T)."""

import numpy as np
import pytest
from scipy.constants import bar, gas_constant

from labctl.analysis.cell_thermodynamics import FARADAY, cell_thermodynamics

N = 2
DH, DS = -234055.0, -91.44          # J/mol, J/(mol K)
T = np.array([950.0, 1000.0, 1050.0, 1100.0, 1150.0])


def emf(T_K):
    return -(DH - T_K * DS) / (N * FARADAY)


def test_exact_line_gives_the_reaction_values():
    th = cell_thermodynamics(T, emf(T), np.full(T.size, 1e-5), N)
    assert th.dS_J_per_mol_K == pytest.approx(DS, rel=1e-9)
    assert th.dH_J_per_mol == pytest.approx(DH, rel=1e-9)
    assert th.dG_temperature_K == pytest.approx(T.mean())
    assert th.dG_J_per_mol == pytest.approx(DH - T.mean() * DS, rel=1e-9)
    assert th.dE_dT_V_per_K == pytest.approx(DS / (N * FARADAY))


def test_uncertainties_match_the_scatter_of_repeated_noisy_runs():
    rng = np.random.default_rng(1)
    u = np.array([20e-6, 20e-6, 200e-6, 20e-6, 20e-6])   # one poor plateau
    fits = [cell_thermodynamics(T, emf(T) + rng.normal(0, u), u, N) for _ in range(400)]
    dS = np.array([f.dS_J_per_mol_K for f in fits])
    dH = np.array([f.dH_J_per_mol for f in fits])
    stated = np.median([f.dS_std_J_per_mol_K for f in fits])
    assert dS.mean() == pytest.approx(DS, abs=3 * dS.std() / 20)
    assert dS.std() == pytest.approx(stated, rel=0.15)
    assert dH.std() == pytest.approx(np.median([f.dH_std_J_per_mol for f in fits]), rel=0.15)


def test_scatter_beyond_the_stated_uncertainties_widens_them():
    """EMFs scattering 10x their stated uncertainty (an unsteady cell): the reduced
    chi-square scales the covariance, so the stated dS error follows the real scatter."""
    rng = np.random.default_rng(2)
    T8 = np.linspace(950.0, 1150.0, 8)
    u = np.full(T8.size, 20e-6)
    fits = [cell_thermodynamics(T8, emf(T8) + rng.normal(0, 10 * u), u, N) for _ in range(300)]
    scatter = np.std([f.dS_J_per_mol_K for f in fits])
    assert np.median([f.dS_std_J_per_mol_K for f in fits]) == pytest.approx(scatter, rel=0.3)


def test_the_weights_discount_a_poor_plateau():
    u = np.array([20e-6, 20e-6, 20e-6, 20e-6, 5e-3])
    e = emf(T) + np.array([0, 0, 0, 0, 5e-3])
    weighted = cell_thermodynamics(T, e, u, N)
    unweighted = cell_thermodynamics(T, e, np.full(T.size, 20e-6), N)
    assert abs(weighted.dS_J_per_mol_K - DS) < 0.01 * abs(unweighted.dS_J_per_mol_K - DS)


def test_standard_state_removes_the_reference_gas():
    p_ref = 21228.0
    oxygen = N / 4 * gas_constant * np.log(p_ref / bar)
    th = cell_thermodynamics(T, emf(T), np.full(T.size, 1e-5), N, reference_pO2_Pa=p_ref)
    assert th.standard_dS_J_per_mol_K == pytest.approx(DS - oxygen)
    assert th.standard_dG_J_per_mol == pytest.approx(th.dG_J_per_mol + th.dG_temperature_K * oxygen)


@pytest.mark.parametrize("T_K, u, n", [([1000.0, 1000.0], [1e-5, 1e-5], 2),
                                       ([1000.0, 1050.0], [1e-5, 0.0], 2),
                                       ([1000.0, 1050.0], [1e-5, 1e-5], 0),
                                       ([1000.0, 1050.0], [1e-5], 2)])
def test_bad_input_is_refused(T_K, u, n):
    with pytest.raises(ValueError):
        cell_thermodynamics(T_K, [0.7, 0.68], u, n)
