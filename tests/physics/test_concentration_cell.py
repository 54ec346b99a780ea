"""The simulated oxygen concentration cell: Wagner's EMF and the lumped circuit under load."""

import math
from dataclasses import replace

import pytest
from scipy.constants import atm, gas_constant

from labctl.simulators.physics import concentration_cell as cc
from labctl.simulators.physics.sample import SampleModel
from labctl.simulators.physics.sample_file import shipped_sample

T_K, TEST_PA, REF_PA = 1073.15, 10132.5, 21228.0


@pytest.fixture(scope="module")
def sample():
    return SampleModel.from_toml(shipped_sample("emf-cell"))


def test_wagner_emf_matches_the_closed_form_of_a_p_type_conductor(sample):
    """With sigma_e = sigma_p x^1/4 (n-type negligible), integral of t_ion d ln x is
    ln x - 4 ln(1 + c x^1/4), c = sigma_p(1 atm) / sigma_ion."""
    c = sample.at_pO2(atm).electronic_parts(T_K)[1] / cc.ionic_S_per_m(sample, T_K)
    u_test, u_ref = (TEST_PA / atm) ** 0.25, (REF_PA / atm) ** 0.25
    closed = gas_constant * T_K / (4 * cc.FARADAY) * (
        math.log(REF_PA / TEST_PA) - 4 * math.log((1 + c * u_ref) / (1 + c * u_test)))
    assert cc.wagner_emf_V(sample, T_K, TEST_PA, REF_PA) == pytest.approx(closed, rel=1e-5)


def test_mean_t_ion_lies_between_the_faces_local_ones(sample):
    cell = cc.cell_circuit(sample, T_K, TEST_PA)
    ends = sorted(float(cc.local_t_ion(sample, T_K, p)) for p in (TEST_PA, REF_PA))
    assert ends[0] < cell.t_ion < ends[1]
    assert 0.85 < cell.t_ion < 0.95      # a visible electronic part, as the file says


def test_without_polarization_the_terminals_show_wagners_emf(sample):
    cell = cc.cell_circuit(sample, T_K, TEST_PA)
    assert replace(cell, R_eta_Ohm=0.0).open_circuit_V == pytest.approx(cell.emf_V, rel=1e-12)
    assert cell.open_circuit_V / cell.nernst_V < cell.t_ion - 0.02   # polarization visible


def test_the_load_line_is_the_thevenin_equivalent(sample):
    cell = cc.cell_circuit(sample, T_K, TEST_PA)
    assert cell.current_A(cell.open_circuit_V) == pytest.approx(0.0, abs=1e-15)
    assert cell.current_A(0.0) == pytest.approx(
        -cell.nernst_V / (cell.R_ion_Ohm + cell.R_eta_Ohm), rel=1e-12)   # short circuit: R_e carries none


def test_electrode_polarization_grows_on_cooling(sample):
    hot, cold = (cc.cell_circuit(sample, T, TEST_PA).R_eta_Ohm for T in (1073.15, 973.15))
    assert hot == pytest.approx(1.0, rel=1e-9) and cold > 5 * hot
