"""Lake Shore 336 driver <-> simulator: the manual's command/reply pairs, PyMeasure's
LakeShore3xx and the driver over TCP, set-point units, limits, ramps, safe state, faults."""

import pytest
from tests.drivers.controller_sim import RecordingPort, bench_check
from scipy.constants import zero_Celsius

from labctl.drivers.lakeshore336 import LakeShore336
from labctl.capabilities import TemperatureController
from labctl.errors import (ConfigError, InstrumentError, InstrumentTimeout, RangeError,
                           ReplyError, SafetyLimitError, SensorBreak)
from labctl.transport import LinkSettings, SerialTransport
from labctl.simulators.lakeshore336 import LakeShore336Simulator
from labctl.simulators.port import SimulatorPort
from labctl.simulators.serve import TcpServer

LIMITS = {"max_temperature_C": 900.0, "max_ramp_C_per_min": 20.0, "safe_temperature_C": 30.0}
CRLF = LinkSettings(read_termination="\r\n", write_termination="\r\n", timeout_s=1.0)


def make(world, limits=LIMITS, units=1, **options):
    device = LakeShore336Simulator(world, {"units": units})
    port = RecordingPort(device)
    return device, port, LakeShore336.open(port, clock=world.clock, limits=limits, options=options)


@pytest.mark.parametrize("command, reply", [
    ("*IDN?", "LSCI,MODEL336,LSSIM01/#######,2.9"),
    ("KRDG? A", "+298.150"),
    ("CRDG? A", "+25.0000"),
    ("KRDG? 0", "+298.150,+298.150,+0.00000,+0.00000"),
    ("RDGST? A", "0"),
    ("RDGST? C", "1"),
    ("SETP? 1", "+298.150"),
    ("RAMP? 1", "0,+0.0"),
    ("RAMPST? 1", "0"),
    ("RANGE? 1", "0"),
    ("HTR? 1", "+0.0"),
    ("HTRST? 1", "0"),
    ("PID? 1", "+20.0,+5.0,+0"),
    ("OUTMODE? 1", "1,1,0"),
    ("INTYPE? A", "4,0,0,1,1"),
    ("SETP 1,350;RAMP 1,1,5;SETP? 1;RAMP? 1;*ESR?", "+350.000;1,+5.0;0"),
    (":RANGE 1,3;:RANGE? 1;:*ESR?", "3;0"),
    ("BOGUS 1;*ESR?", "32"),
    ("SETP 1,abc;*ESR?", "16"),
    ("RAMP 1,1,0.05;*ESR?", "16"),
])
def test_manual_command_reply_pairs(world, command, reply):
    link = SerialTransport(SimulatorPort(LakeShore336Simulator(world, {})), CRLF)
    assert link.query(command) == reply


def test_pymeasure_lakeshore3xx_works_unchanged(world):
    from pymeasure.instruments.lakeshore import LakeShore3xx

    with TcpServer(LakeShore336Simulator(world, {})) as server:
        controller = LakeShore3xx(server.resource, visa_library="@py")
        try:
            assert controller.id.startswith("LSCI,MODEL336,")
            assert controller.input_A.kelvin == pytest.approx(298.15)
            assert controller.input_A.celsius == pytest.approx(25.0)
            controller.output_1.setpoint = 350
            controller.output_1.range = "high"
            assert controller.output_1.range == "high"
            assert controller.output_1.setpoint == pytest.approx(350.0)
            world.clock.sleep(60)
            assert 0 < controller.output_1.output <= 100
            controller.output_1.mout = 12.5
            assert controller.output_1.mout == pytest.approx(12.5)
        finally:
            controller.adapter.close()
    assert world.loop.target_K == pytest.approx(350.0)


def test_driver_over_tcp(world):
    with TcpServer(LakeShore336Simulator(world, {})) as server:
        with LakeShore336.open(server.resource, clock=world.clock, limits=LIMITS) as driver:
            assert isinstance(driver, TemperatureController)
            assert driver.identify().startswith("LSCI,MODEL336,")
            driver.set_setpoint(400.0)
            assert driver.heater_range == 3
            world.clock.sleep(600)
            reading = driver.read()
            assert 300 < reading.temperature_K < 410 and reading.setpoint_K == pytest.approx(400.0)
            assert driver.settings()["control_loop"][0] == "A"
    assert world.loop.output_limits_pct[1] == 0                    # safe state: heater off


@pytest.mark.parametrize("units", [1, 2])
def test_setpoint_in_the_loops_units(world, units):
    device, _, driver = make(world, limits={"max_temperature_C": 900.0}, units=units)  # a step
    driver.set_setpoint(600 + zero_Celsius)
    assert world.loop.target_K == pytest.approx(600 + zero_Celsius)
    assert driver.read().setpoint_K == pytest.approx(600 + zero_Celsius)
    assert driver.settings()["control_loop"][1] == "KC"[units - 1]


def test_limits_refused_before_anything_is_sent(world):
    _, port, driver = make(world)
    port.sent.clear()
    with pytest.raises(SafetyLimitError):
        driver.set_setpoint(1200 + zero_Celsius)
    with pytest.raises(SafetyLimitError):
        driver.set_ramp_rate(30 / 60)
    with pytest.raises(SafetyLimitError):
        driver.set_ramp_rate(0)
    assert port.sent == []
    _, _, free = make(world, limits={})
    with pytest.raises(RangeError, match="K/min"):
        free.set_ramp_rate(200 / 60)                               # beyond the 336's 100 K/min
    with pytest.raises(ConfigError):
        make(world, heater_range="maximum")


def test_ramp_takes_its_time_and_safe_state_switches_the_heater_off(world):
    _, _, driver = make(world)
    driver.set_ramp_rate(10 / 60)
    assert driver.ramp_rate_K_per_s == pytest.approx(10 / 60)
    start = world.clock.now()
    driver.set_setpoint(598.15)
    while driver.ramp_running:
        world.clock.sleep(30)
        driver.read()
    assert world.clock.now() - start == pytest.approx(1800, abs=60)
    driver.safe_state()
    assert driver.heater_range == 0 and driver.heater_output_percent == 0
    assert world.loop.target_K == pytest.approx(30 + zero_Celsius)


def test_thermocouple_break_and_heater_failure(world):
    _, _, driver = make(world)
    driver.set_setpoint(500.0)
    world.clock.sleep(600)
    world.loop.furnace.thermocouple_broken = True
    with pytest.raises(SensorBreak, match="invalid reading"):
        driver.read()
    world.loop.furnace.thermocouple_broken = False
    world.loop.furnace.heater_failed = True
    world.clock.sleep(1)
    with pytest.raises(InstrumentError, match="heater open load"):
        driver.read()
    assert driver.heater_range == 0                                # the 336 switched it off


@pytest.mark.parametrize("fault, error, action", [
    ("no_reply", InstrumentTimeout, "read"),
    ("garble", ReplyError, "read"),
    ("error", InstrumentError, "set"),                              # execution error in *ESR?
])
def test_link_faults_map_to_errors_and_recover(world, fault, error, action):
    device, _, driver = make(world, limits={})      # "set" = the SETP command alone
    act = {"read": driver.read, "set": lambda: driver.set_setpoint(400.0)}[action]
    act()
    device.inject(fault)
    with pytest.raises(error) as info:
        act()
    assert (fault == "error") == (type(info.value) is InstrumentError)
    act()


def test_bench_check(tmp_path, capsys):
    out = bench_check(tmp_path, capsys, '[instruments.cryostat]\ndriver = "lakeshore336"\n'
                      'resource = "sim://cryostat"\noptions = { heater_range = "medium" }\n'
                      'limits = { max_temperature_C = 500, max_ramp_C_per_min = 5 }\n')
    assert "LSCI,MODEL336" in out


def test_a_setpoint_never_steps_past_the_ramp_limit(world):
    _, _, driver = make(world)                                     # ramping off: a step
    start = world.clock.now()
    driver.set_setpoint(498.15)
    assert driver.ramp_rate_K_per_s == pytest.approx(20 / 60)
    while driver.ramp_running:
        world.clock.sleep(30)
    assert world.clock.now() - start == pytest.approx(600, abs=60)  # 200 K at 20 K/min
