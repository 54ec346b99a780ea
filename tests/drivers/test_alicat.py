"""Alicat driver <-> simulator: the ASCII commands pinned byte by byte (Serial Primer), gas
selection, limits, valve held closed as the safe state, faults (no reply, garbled reply,
refused command, stuck valve), over a pty."""

import pytest
from tests.drivers.controller_sim import RecordingPort

from labctl.capabilities import FlowController, FlowReading
from labctl.clock import VirtualClock
from labctl.drivers.alicat import Alicat
from labctl.errors import ConfigError, InstrumentError, RangeError, SafetyLimitError
from labctl.simulators.alicat import AlicatSimulator
from labctl.simulators.serve import PtyServer
from labctl.simulators.world import SimWorld


@pytest.fixture
def world():
    return SimWorld.create(clock=VirtualClock(), seed=0)


def make(world, limits=None, sim=None, **options):
    device = AlicatSimulator(world, {"unit_id": "B", "gas": "N2", "full_scale_sccm": 500.0,
                                     **(sim or {})})
    port = RecordingPort(device)
    driver = Alicat.open(port, clock=world.clock, limits=limits or {"max_flow_sccm": 400.0},
                         options={"unit_id": "B", "gas": "Ar", "full_scale_sccm": 500.0,
                                  **options})
    return device, port, driver


def test_selects_the_bench_gas_then_controls_the_flow(world):
    device, port, driver = make(world)
    assert isinstance(driver, FlowController)
    driver.set_flow(125.0)
    assert port.sent == [b"BG1\r", b"BC\r", b"BS125.000\r"]      # Ar is gas 1
    assert device.gas == "Ar"
    assert driver.read() == FlowReading(0.0, 125.0, 125.0, "Ar", False)
    assert driver.identify() == "Alicat unit B firmware 10v05.0-R24 Jun 08 2023,10:15:23"


def test_safe_state_holds_the_valve_closed(world):
    device, port, driver = make(world)
    driver.set_flow(100.0)
    port.sent.clear()
    driver.safe_state()
    assert port.sent == [b"BHC\r"]
    reading = driver.read()
    assert reading.valve_closed and reading.flow_sccm == 0.0 and reading.setpoint_sccm == 0.0
    assert world.atmosphere.total_flow_sccm() == 0.0


def test_limits_are_refused_before_sending(world):
    _, port, driver = make(world)
    with pytest.raises(SafetyLimitError, match="max_flow_sccm = 400"):
        driver.set_flow(450.0)
    with pytest.raises(RangeError, match="full scale 500"):
        driver.set_flow(501.0)
    assert port.sent == []


def test_bad_options_are_config_errors(world):
    with pytest.raises(ConfigError, match="full_scale_sccm"):
        make(world, full_scale_sccm=0)
    with pytest.raises(ConfigError, match="unit_id"):
        make(world, unit_id="b")
    with pytest.raises(ConfigError, match="gas 'Xe'"):
        make(world, gas="Xe")


def test_a_refused_command_is_an_instrument_error(world):
    _, _, driver = make(world, sim={"full_scale_sccm": 100.0})   # smaller than the bench says
    with pytest.raises(InstrumentError, match=r"'BS300.000' refused"):
        driver.set_flow(300.0)


def test_a_stuck_valve_fails_the_read_after_the_follow_window(world):
    device, _, driver = make(world, follow_window_s=20.0)
    driver.set_flow(200.0)
    device.stick_valve()
    driver.safe_state()                             # hold closed: the valve stays open
    driver.read()
    world.clock.advance_to(21.0)
    with pytest.raises(InstrumentError, match="does not follow its valve held closed"):
        driver.read()


def test_driver_over_a_pty(world):
    device = AlicatSimulator(world, {"unit_id": "A", "gas": "O2", "full_scale_sccm": 50.0})
    with PtyServer(device) as server:
        driver = Alicat.open(server.port, clock=world.clock,
                             options={"gas": "O2", "full_scale_sccm": 50.0})
        try:
            driver.set_flow(10.0)
            assert driver.read().flow_sccm == pytest.approx(10.0)
            driver.safe_state()
            assert device.held
        finally:
            driver.close()
