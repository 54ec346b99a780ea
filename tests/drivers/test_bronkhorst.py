"""Bronkhorst driver <-> simulator: propar ASCII messages pinned byte by byte (9.17.027),
in process and over a pty, gas-line limits, valve closed as the safe state, faults (no
reply, garbled reply, refused value, stuck valve)."""

import struct

import pytest
from tests.drivers.controller_sim import RecordingPort

from labctl.capabilities import FlowController, FlowReading
from labctl.clock import VirtualClock
from labctl.drivers.bronkhorst import Bronkhorst
from labctl.errors import InstrumentError, RangeError, SafetyLimitError
from labctl.simulators.bronkhorst import BronkhorstSimulator
from labctl.simulators.port import SimulatorPort
from labctl.simulators.serve import PtyServer
from labctl.simulators.world import SimWorld


@pytest.fixture
def world():
    return SimWorld.create(clock=VirtualClock(), seed=0)


def make(world, limits=None, sim=None, **options):
    device = BronkhorstSimulator(world, {"gas": "O2", "capacity": 50.0, **(sim or {})})
    port = RecordingPort(device)
    driver = Bronkhorst.open(port, clock=world.clock, limits=limits or {"max_flow_sccm": 40.0},
                             options={"gas": "O2", **options})
    return device, port, driver


def float_hex(value: float) -> str:
    return struct.pack(">f", value).hex().upper()


def test_reads_flow_set_point_and_valve_as_a_flow_controller(world):
    device, _, driver = make(world)
    assert isinstance(driver, FlowController)
    assert driver.identify().startswith("Bronkhorst F-201CV")
    assert driver.full_scale_sccm == 50.0
    assert driver.read() == FlowReading(0.0, 0.0, 0.0, "O2", True)   # delivered closed
    driver.set_flow(12.5)
    assert driver.read() == FlowReading(0.0, 12.5, 12.5, "O2", False)
    assert device.mode == 0 and device.setpoint == 12.5


def test_request_and_write_messages_are_the_manuals_bytes(world):
    """fmeasure (process 33, parameter 0, float as 32-bit 0x40) + fsetpoint (33/3) +
    control mode (1/4, byte) in one chained request; control mode 0 then fsetpoint 10.0
    in one acknowledged send (command 1), process 1 chained to process 33."""
    device, port, driver = make(world)
    driver.read()                                 # gas, capacity and unit: read once
    port.sent.clear()
    driver.read()
    #          len node cmd proc|chain parm|chain proc parm  parm proc parm  proc parm proc parm
    assert port.sent == [b":0D8004A1C0214043214301040104\r\n"]
    port.sent.clear()
    driver.set_flow(10.0)
    assert port.sent == [b":0B80018104002143" + float_hex(10.0).encode() + b"\r\n"]


def test_the_simulator_answers_the_chained_request_in_the_manuals_layout(world):
    """Reply (command 2): process 33 with the chain bit (0xA1), fmeasure 0.0 chained to
    fsetpoint 0.0 (0xC0, 0x43), then process 1: control mode 3 (valve closed)."""
    device = BronkhorstSimulator(world, {"gas": "O2"})
    assert device.handle(":0D8004A1C0214043214301040104") == \
        ":100302A1C00000000043000000000104" + "03"


def test_the_simulator_speaks_binary_framing_too(world):
    """Binary propar (9.17.027): DLE STX seq node len message DLE ETX, DLE doubled inside;
    sequence number 0x10 to exercise the doubling; the reply echoes it."""
    device = BronkhorstSimulator(world, {"gas": "O2"})
    device.mode, device.setpoint = 0, 12.5                  # 12.5 = 0x41480000
    port = SimulatorPort(device)
    port.write(bytes.fromhex("1002" "1010" "80" "05" "0421402140" "1003"))
    assert port.read(15) == bytes.fromhex("1002" "1010" "03" "07" "022140" "41480000" "1003")
    port.write(b"\x10\x99junk" + bytes.fromhex("1002" "01" "80" "05" "0421402140" "1003"))
    assert port.read(14) == bytes.fromhex("1002" "01" "03" "07" "022140" "41480000" "1003")


def test_safe_state_holds_the_valve_closed_and_the_tube_stops_receiving_oxygen(world):
    _, _, driver = make(world)
    driver.set_flow(40.0)
    world.clock.advance_to(3600.0)                # tube full of O2 after ~80 exchange times
    assert world.pO2_Pa() == pytest.approx(101325.0, rel=1e-3)
    driver.safe_state()
    reading = driver.read()
    assert reading.valve_closed and reading.flow_sccm == 0.0 and reading.setpoint_sccm == 0.0
    assert world.atmosphere.total_flow_sccm() == 0.0


def test_a_flow_above_the_line_limit_or_the_full_scale_is_refused_before_sending(world):
    _, port, driver = make(world)
    driver.full_scale_sccm
    port.sent.clear()
    with pytest.raises(SafetyLimitError, match="max_flow_sccm = 40"):
        driver.set_flow(45.0)
    with pytest.raises(RangeError, match="full scale 50"):
        driver.set_flow(60.0)
    with pytest.raises(RangeError):
        driver.set_flow(-1.0)
    assert port.sent == []


def test_a_line_fed_another_gas_than_the_bench_says_is_refused(world):
    _, _, driver = make(world, sim={"gas": "N2"})
    with pytest.raises(InstrumentError, match="'N2'.*'O2'"):
        driver.set_flow(5.0)


def test_the_instruments_refusal_names_its_status(world):
    _, _, driver = make(world)
    with pytest.raises(InstrumentError, match="PP_STATUS_PARM_VALUE"):
        driver.write_parameters(dde_206=80.0)     # above capacity: the instrument says no


def test_a_stuck_valve_fails_the_read_after_the_follow_window(world):
    device, _, driver = make(world, follow_window_s=30.0)
    driver.set_flow(20.0)
    device.stick_valve()
    driver.set_flow(2.0)                          # the valve does not move
    assert driver.read().flow_sccm == 20.0        # first seen off the band: window starts
    world.clock.advance_to(29.0)
    driver.read()
    world.clock.advance_to(31.0)
    with pytest.raises(InstrumentError, match="does not follow its set-point 2 sccm"):
        driver.read()


def test_a_new_set_point_restarts_the_follow_window(world):
    device, _, driver = make(world, follow_window_s=30.0)
    device.stick_valve()                          # stuck closed at 0
    driver.set_flow(10.0)
    driver.read()
    world.clock.advance_to(25.0)
    driver.set_flow(12.0)
    driver.read()
    world.clock.advance_to(50.0)
    driver.read()                                 # 25 s since the new set-point: still allowed
    assert driver.follow.off_since_s == 25.0


def test_driver_over_a_pty(world):
    device = BronkhorstSimulator(world, {"gas": "N2", "capacity": 1.0, "capacity_unit": "ln/min"})
    with PtyServer(device) as server:
        driver = Bronkhorst.open(f"ASRL{server.port}::INSTR", clock=world.clock,
                                 options={"gas": "N2", "timeout_s": 0.5})
        try:
            assert driver.full_scale_sccm == 1000.0
            driver.set_flow(250.0)
            assert driver.read().flow_sccm == pytest.approx(250.0)
            assert device.setpoint == pytest.approx(0.25)      # ln/min on the wire
            driver.safe_state()
            assert device.mode == 3
        finally:
            driver.close()
