"""Zirconia oxygen sensor on a simulated DMM6500: EMF -> pO2 against the Nernst equation
(closed form, scipy constants), sensor temperature from its options or the furnace, the
meter set up once, a sensor out of range failing the read."""

import math

import pytest
from scipy.constants import R, atm, physical_constants, zero_Celsius

from labctl.capabilities import OxygenSensor
from labctl.clock import VirtualClock
from labctl.drivers.zirconia import ZirconiaSensor, nernst_pO2_Pa
from labctl.errors import InstrumentError, RangeError
from labctl.simulators.alicat import AlicatSimulator
from labctl.simulators.keithley_dmm import KeithleyDMMSimulator
from labctl.simulators.physics.atmosphere import zirconia_emf_V
from labctl.simulators.world import SimWorld
from tests.drivers.controller_sim import RecordingPort

F = physical_constants["Faraday constant"][0]


@pytest.fixture
def world():
    return SimWorld.create(clock=VirtualClock(), seed=0)


def sensor(world, sim=None, limits=None, **options):
    device = KeithleyDMMSimulator(world, sim if sim is not None else {"sensor_temperature_C": 700.0})
    port = RecordingPort(device)
    return device, port, ZirconiaSensor.open(port, clock=world.clock, limits=limits,
                                             options=options)


@pytest.mark.parametrize("emf_V, T_K", [(0.0, 973.15), (0.1, 973.15), (0.5, 1073.15),
                                        (-0.02, 873.15)])
def test_pO2_is_the_nernst_equation(emf_V, T_K):
    expected = 0.2095 * atm * math.exp(-4 * F * emf_V / (R * T_K))
    assert nernst_pO2_Pa(emf_V, T_K) == pytest.approx(expected, rel=1e-12)
    assert zirconia_emf_V(expected, T_K, 0.2095 * atm) == pytest.approx(emf_V, abs=1e-12)


def test_ten_fold_less_oxygen_is_rt_ln10_over_4f_more_emf():
    """49.6 mV per decade at 1000 K (the textbook slope)."""
    slope = zirconia_emf_V(1.0, 1000.0, 10.0)
    assert slope == pytest.approx(R * 1000.0 * math.log(10) / (4 * F))
    assert slope == pytest.approx(0.0496, abs=1e-4)


def test_air_in_the_tube_reads_air_and_the_meter_is_set_up_once(world):
    _, port, driver = sensor(world, sensor_temperature_C=700.0)
    assert isinstance(driver, OxygenSensor)
    reading = driver.read()
    assert reading.temperature_K == pytest.approx(700.0 + zero_Celsius)
    assert reading.emf_V == pytest.approx(0.0, abs=1e-3)
    assert reading.pO2_Pa == pytest.approx(0.2095 * atm, rel=0.05)
    driver.read()
    sent = b"".join(port.sent)
    assert sent.count(b'FUNC "VOLT:DC"') == 1 and sent.count(b":READ?") == 2
    assert b"INP AUTO" in sent


def test_nitrogen_flushing_the_tube_is_measured_through_the_nernst_emf(world):
    mfc = AlicatSimulator(world, {"gas": "N2", "full_scale_sccm": 500.0})
    mfc.handle("AS200")                           # 200 sccm N2 (3 ppm O2) through 300 cm^3
    world.clock.advance_to(300.0)                 # 3.33 exchange times
    tau = 300.0 / 200.0 * 60.0
    x = 3e-6 + (0.2095 - 3e-6) * math.exp(-300.0 / tau)
    _, _, driver = sensor(world, sensor_temperature_C=700.0)
    reading = driver.read()
    T = 700.0 + zero_Celsius
    assert reading.emf_V == pytest.approx(R * T / (4 * F) * math.log(0.2095 / x), rel=2e-3)
    assert reading.pO2_Pa == pytest.approx(x * atm, rel=0.02)


def test_a_sensor_in_the_furnace_takes_the_temperature_it_is_given(world):
    _, _, driver = sensor(world, sim={})
    with pytest.raises(RangeError, match="no sensor temperature"):
        driver.read()
    reading = driver.read(temperature_K=world.sample_temperature_K())
    assert reading.temperature_K == pytest.approx(298.15, abs=0.1)


def test_a_reading_outside_the_plausible_range_fails(world):
    device, _, driver = sensor(world, limits={"min_pO2_Pa": 1e-3, "max_pO2_Pa": 1e4},
                               sensor_temperature_C=700.0)
    with pytest.raises(InstrumentError, match="oxygen sensor out of range: pO2 2.1.e\\+04 Pa"):
        driver.read()                             # air: above 1e4 Pa


def test_a_disconnected_sensor_reads_over_range(world):
    device, _, driver = sensor(world, sensor_temperature_C=700.0)
    device.emf_V = lambda: 50.0                   # open input drifting: beyond 1.2 x 10 V
    with pytest.raises(InstrumentError, match="over range"):
        driver.read()
