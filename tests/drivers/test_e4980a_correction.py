"""The E4980A's own open/short correction, driver against simulator: the fixtures in a
pellet's place measured with `:CORR:OPEN` / `:CORR:SHOR`, switched on and read back, give
the pellet without its leads."""

from __future__ import annotations

import math

import pytest

from labctl.compensation import CorrectingAnalyzer
from labctl.drivers.keysight_e4980a import KeysightE4980A
from labctl.errors import InstrumentError, RangeError
from labctl.simulators.keysight_e4980a import KeysightE4980ASimulator
from labctl.simulators.physics.pellets import Lead, Pellet
from labctl.simulators.physics.sample import SampleModel
from labctl.simulators.physics.sample_file import locate

from tests.drivers import analyzer_sim

LEAD = Lead(series_R_Ohm=1.0, stray_C_F=30e-12, lead_L_H=0.8e-6)
FREQUENCIES = (1.5e6, 3.3e5, 1e3)


@pytest.fixture
def lcr():
    world, sim, driver = analyzer_sim.make(KeysightE4980A, KeysightE4980ASimulator, 473.15)
    sim.instrument = "lcr"
    world.pellets["A"] = Pellet("A", SampleModel.from_toml(locate("gdc10")))
    world.route("lcr", "A", LEAD)
    yield world, sim, driver
    driver.close()


def own(world, f):
    return complex(world.pellets["A"].sample.impedance(f, world.sample_temperature_K()))


def test_open_and_short_correction_give_the_pellet_without_its_leads(lcr):
    world, sim, driver = lcr
    assert isinstance(driver, CorrectingAnalyzer)
    for kind, z in (("open", math.inf), ("short", 0.0)):
        world.fixtures["A"] = z
        driver.correct(kind)
    world.fixtures.clear()
    assert driver.corrections() == {"open": True, "short": True}
    assert [line for line in sim.lines if "CORR" in line or "OPC" in line] == [
        ":CORR:OPEN", "*OPC?", ":CORR:OPEN:STAT 1", ":CORR:OPEN:STAT?", ":CORR:SHOR:STAT?",
        ":CORR:SHOR", "*OPC?", ":CORR:SHOR:STAT 1", ":CORR:OPEN:STAT?", ":CORR:SHOR:STAT?",
        ":CORR:OPEN:STAT?", ":CORR:SHOR:STAT?"]
    noise = world.pellets["A"].sample.noise.relative
    for f in FREQUENCIES:
        z = driver.measure(f, 0.1).impedance_Ohm
        assert abs(z / own(world, f) - 1) < 6 * noise + 1e-4, f
    driver.set_corrections(False)
    assert driver.corrections() == {"open": False, "short": False}
    raw = driver.measure(1.5e6, 0.1).impedance_Ohm
    assert abs(raw / own(world, 1.5e6) - 1) > 0.02          # what the leads do at 1.5 MHz


def test_the_correction_takes_its_time_on_the_clock(lcr):
    world, _, driver = lcr
    world.fixtures["A"] = math.inf
    start = world.clock.now()
    driver.correct("open")
    assert world.clock.now() - start >= 20.0


def test_a_correction_switched_on_before_it_was_measured_is_an_error(lcr):
    _, _, driver = lcr
    with pytest.raises(InstrumentError, match="-221"):
        driver.set_corrections(True)


def test_only_open_and_short_are_the_instruments_corrections(lcr):
    _, sim, driver = lcr
    with pytest.raises(RangeError, match="'load' is not one of 'open', 'short'"):
        driver.correct("load")
    assert not any("CORR" in line for line in sim.lines)
