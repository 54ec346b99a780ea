"""The simulated formation cell: the EMF of the literature data and its settling."""

import math

import pytest
from scipy.constants import gas_constant

from labctl.simulators.physics.galvanic import FARADAY, NI_NIO, SettlingEmf, cell_emf_V
from labctl.simulators.physics.sample_file import GalvanicCell
from labctl.errors import ConfigError
from labctl.simulators.physics.sample import SampleModel
from tests.protocols.simbench import default_sample

CELL = GalvanicCell(**NI_NIO, reference_pO2_Pa=1e5, settling_s=300.0, noise_V=0.0)


def test_at_1_bar_oxygen_the_emf_is_the_tabulated_formation_energy():
    """Holmes, O'Neill & Arculus (1986): dfG(NiO, 1300 K) = -123 555 J/mol."""
    assert cell_emf_V(CELL, 1300.0) == pytest.approx(123555.0 / (2 * FARADAY), rel=1e-9)


def test_air_reference_lowers_the_emf_by_the_oxygen_term():
    air = GalvanicCell(**{**CELL.__dict__, "reference_pO2_Pa": 21228.0})
    shift = gas_constant * 1100.0 / (4 * FARADAY) * math.log(21228.0 / 1e5)
    assert cell_emf_V(air, 1100.0) - cell_emf_V(CELL, 1100.0) == pytest.approx(shift)


def test_emf_relaxes_to_equilibrium_with_the_settling_time():
    emf = SettlingEmf(CELL)
    before = emf.read(0.0, 1000.0)
    after_one_tau = emf.read(300.0, 1050.0)
    target = cell_emf_V(CELL, 1050.0)
    assert (after_one_tau - target) == pytest.approx((before - target) / math.e)


def test_sample_file_checks_the_galvanic_cell_table():
    data = default_sample()
    data["galvanic_cell"] = {**NI_NIO, "reference_pO2_Pa": -1.0, "settling_s": 60.0,
                             "noise_V": 1e-5}
    with pytest.raises(ConfigError, match="galvanic_cell.reference_pO2_Pa"):
        SampleModel.from_dict(data)
    data["galvanic_cell"]["reference_pO2_Pa"] = 21228.0
    assert SampleModel.from_dict(data).galvanic_cell.electrons == 2.0
    assert SampleModel.from_dict(default_sample()).galvanic_cell is None
