"""The CO/CO2 buffer against independent numbers: NIST-JANAF's Gibbs energies, closed forms
of simple mixes, and the simulated tube and sensor holding a buffer's pO2 at their own
temperature."""

import math

import pytest
from scipy.constants import atm, gas_constant

from labctl.buffer_gas import co2_per_co, equilibrium_constant, equilibrium_pO2_Pa
from labctl.clock import VirtualClock
from labctl.simulators.physics.atmosphere import MixingVolume, SampleOxygen
from labctl.simulators.physics.sample_file import shipped_sample
from labctl.simulators.world import SimWorld

# NIST-JANAF Thermochemical Tables (4th ed., 1998), dfG at 1000 K, kJ/mol
JANAF_1000K = {"CO2": -395.886, "CO": -200.275}


def test_the_equilibrium_constant_matches_janaf():
    T, dG = 1000.0, (JANAF_1000K["CO2"] - JANAF_1000K["CO"]) * 1e3
    assert -gas_constant * T * math.log(equilibrium_constant(T)) == pytest.approx(dG, rel=2e-4)


def test_a_one_to_one_mix_holds_one_over_K_squared():
    T = 1000.0
    pO2 = equilibrium_pO2_Pa({"CO": 0.5, "CO2": 0.5}, T)
    assert pO2 == pytest.approx(atm / equilibrium_constant(T) ** 2, rel=1e-6, abs=0)


def test_pure_co2_dissociates_to_its_closed_form():
    """CO2 = CO + 1/2 O2 alone: x_CO = 2 x_O2, so x_O2 = (2 K)^(-2/3) while small."""
    T = 1200.0
    expected = (2 * equilibrium_constant(T)) ** (-2 / 3) * atm
    assert equilibrium_pO2_Pa({"CO2": 1.0}, T) == pytest.approx(expected, rel=1e-4, abs=0)


def test_a_trace_of_co_in_oxygen_burns_to_co2():
    """1 % O2 + 0.1 % CO in N2: the CO takes 0.05 % O2; the moles shrink by 0.05 %."""
    pO2 = equilibrium_pO2_Pa({"O2": 0.01, "CO": 0.001}, 900.0)
    assert pO2 == pytest.approx(0.0095 / 0.9995 * atm, rel=1e-6, abs=0)


@pytest.mark.parametrize("target_atm, T", [(1e-25, 873.15), (1e-18, 973.15), (1e-12, 1273.15)])
def test_the_ratio_for_a_target_gives_the_target(target_atm, T):
    r = co2_per_co(target_atm * atm, T)
    mix = {"CO": 1 / (1 + r), "CO2": r / (1 + r)}
    assert equilibrium_pO2_Pa(mix, T) == pytest.approx(target_atm * atm, rel=1e-6, abs=0)


def test_without_carbon_the_tube_is_the_plain_o2_fraction_at_any_temperature():
    tube = MixingVolume(x0=0.2095)
    tube.set_feed("N2", 100.0, "N2", 0.0)
    assert tube.pO2_Pa(1e5, 600.0) == tube.pO2_Pa(1e5, 1200.0) == pytest.approx(3e-6 * atm)


def test_a_buffer_fed_tube_and_the_sample_reach_the_buffers_pO2():
    T = 973.15
    tube = MixingVolume(volume_cm3=300.0, x0=0.2095)
    sample = SampleOxygen(tube.fractions(0.0), 0.0)
    tube.set_feed("co", 50.0, "CO", 0.0)
    tube.set_feed("co2", 50.0, "CO2", 0.0)       # tau 180 s
    sample.advance(20 * 180.0, tube, tau_s=100.0)
    buffer = atm / equilibrium_constant(T) ** 2
    assert tube.pO2_Pa(20 * 180.0, T) == pytest.approx(buffer, rel=1e-3, abs=0)
    assert sample.pO2_Pa(T) == pytest.approx(buffer, rel=1e-3, abs=0)
    assert tube.pO2_Pa(0.0, T) == pytest.approx(0.2095 * atm)    # air until the feed acts


def test_the_sensor_reads_the_buffer_at_its_own_temperature():
    """A buffer holds less oxygen the colder it is: a sensor with its own heater below the
    sample's temperature sees a lower pO2 than the sample."""
    world = SimWorld.create(clock=VirtualClock(), sample_path=shipped_sample("cgo-pr-po2"),
                            start_temperature_K=973.15)
    world.set_feed("co", 50.0, "CO")
    world.set_feed("co2", 50.0, "CO2")
    world.clock.advance_to(7200.0)
    hot, cold = world.pO2_Pa(), world.pO2_Pa(873.15)
    assert hot == pytest.approx(atm / equilibrium_constant(world.sample_temperature_K()) ** 2,
                                rel=1e-3, abs=0)
    assert cold == pytest.approx(atm / equilibrium_constant(873.15) ** 2, rel=1e-3, abs=0)
    assert world.sample_pO2_Pa() == pytest.approx(hot, rel=1e-3, abs=0)
