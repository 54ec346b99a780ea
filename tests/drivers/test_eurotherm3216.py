"""Eurotherm 3216 driver <-> simulator: Modbus RTU in process and over a pty, a stock
minimalmodbus client, decimal-point safety, limits, controller-side ramps, faults."""

import minimalmodbus
import pytest
from tests.drivers.controller_sim import RecordingPort, bench_check
from scipy.constants import zero_Celsius

from labctl.drivers._temperature import FollowCheck
from labctl.drivers.eurotherm3216 import Eurotherm3216
from labctl.capabilities import TemperatureController, TemperatureReading
from labctl.errors import (ConfigError, InstrumentError, InstrumentTimeout, RangeError,
                           ReplyError, SafetyLimitError, SensorBreak)
from labctl.simulators.eurotherm3216 import Eurotherm3216Simulator
from labctl.simulators.port import SimulatorPort
from labctl.simulators.serve import PtyServer

LIMITS = {"max_temperature_C": 900.0, "max_ramp_C_per_min": 20.0, "safe_temperature_C": 30.0}


def make(world, limits=LIMITS, **options):
    device = Eurotherm3216Simulator(world, options)
    port = RecordingPort(device)
    driver = Eurotherm3216.open(port, clock=world.clock, limits=limits,
                                options={"address": options.get("address", 1)})
    return device, port, driver


def stock_client(port, address=1):
    client = minimalmodbus.Instrument(port, address)
    client.serial.timeout = 0.3
    return client


def test_capability_and_first_reading(world):
    _, _, driver = make(world)
    assert isinstance(driver, TemperatureController)
    reading = driver.read()
    assert reading.temperature_K == pytest.approx(298.15, abs=0.01)
    assert reading.setpoint_K == pytest.approx(298.15, abs=0.01)
    assert "address 1" in driver.identify()
    assert driver.settings()["ramp_rate_K_per_s"] == 0


def test_stock_minimalmodbus_over_pty(world):
    device = Eurotherm3216Simulator(world, {"address": 1, "decimals": 1})
    with PtyServer(device) as server:
        client = minimalmodbus.Instrument(server.port, 1)
        client.serial.timeout = 0.3
        try:
            assert client.read_register(1, 1, signed=True) == pytest.approx(25.0)
            client.write_register(2, 95.5, 1)                     # FC16, one decimal
            assert client.read_float(0x8000 + 2 * 2) == pytest.approx(95.5)
            client.write_register(35, 10.0, 1, functioncode=6)    # FC06, degC/min
            assert world.loop.rate_K_per_s == pytest.approx(10 / 60)
            with pytest.raises(minimalmodbus.IllegalRequestError, match="address"):
                client.read_register(4000)
            with pytest.raises(minimalmodbus.IllegalRequestError, match="value"):
                client.write_register(5, 10, 0)                   # WKG.SP is read-only
            client.address = 7                                    # another slave: silence
            with pytest.raises(minimalmodbus.NoResponseError):
                client.read_register(1)
        finally:
            client.serial.close()
    assert world.loop.target_K == pytest.approx(95.5 + zero_Celsius)


def test_driver_over_pty_with_asrl_resource(world):
    device = Eurotherm3216Simulator(world, {"address": 3})
    with PtyServer(device) as server:
        driver = Eurotherm3216.open(f"ASRL{server.port}::INSTR", clock=world.clock, limits=LIMITS,
                                    options={"address": 3, "timeout_s": 0.3, "baudrate": 19200})
        with driver:
            driver.set_setpoint(500.0)
            assert driver.read().temperature_K == pytest.approx(298.15, abs=0.5)
            assert world.loop.target_K == pytest.approx(500.0, abs=1e-3)
    assert world.loop.target_K == pytest.approx(30 + zero_Celsius, abs=1e-3)  # safe state


@pytest.mark.parametrize("decimals", [0, 1])
def test_setpoint_cannot_be_scaled_by_the_decimal_point(world, decimals):
    _, port, driver = make(world, decimals=decimals)
    driver.set_setpoint(60.0 + zero_Celsius)
    assert world.loop.target_K == pytest.approx(60.0 + zero_Celsius, abs=1e-3)
    # What the display shows: the integer register with the instrument's implied decimals.
    assert stock_client(port).read_register(2, decimals, signed=True) == pytest.approx(60.0)


def test_the_accident_the_float_space_avoids(world):
    """A client assuming one decimal on a controller set to none writes 10x too high."""
    _, port, _ = make(world, decimals=0)
    stock_client(port).write_register(2, 60.0, 1)
    assert world.loop.target_K - zero_Celsius == pytest.approx(600.0)


def test_limits_refused_before_anything_is_sent(world):
    _, port, driver = make(world)
    port.sent.clear()
    with pytest.raises(SafetyLimitError, match="max_temperature_C"):
        driver.set_setpoint(901 + zero_Celsius)
    with pytest.raises(SafetyLimitError, match="max_ramp_C_per_min"):
        driver.set_ramp_rate(21 / 60)
    with pytest.raises(SafetyLimitError, match="step"):
        driver.set_ramp_rate(0)
    with pytest.raises(RangeError):
        driver.set_ramp_rate(-1)
    with pytest.raises(RangeError):
        driver.set_setpoint(float("nan"))
    assert port.sent == []
    with pytest.raises(ConfigError):
        make(world, limits={"max_temperature_C": 100, "safe_temperature_C": 200})


def test_ramp_runs_in_the_controller_at_the_programmed_rate(world):
    _, port, driver = make(world)
    driver.set_ramp_rate(10 / 60)                                  # 10 K/min
    assert stock_client(port).read_float(0x8000 + 2 * 35) == pytest.approx(10.0)  # per minute
    start = world.clock.now()
    driver.set_setpoint(598.15)                                    # +300 K
    port.sent.clear()
    while driver.ramp_running:
        world.clock.sleep(30)
        reading = driver.read()
        assert reading.setpoint_K <= 598.15 + 1e-3
    assert world.clock.now() - start == pytest.approx(1800, abs=60)
    assert not any(frame[1] in (6, 16) for frame in port.sent)     # no set-point stream
    world.clock.sleep(1200)
    assert driver.read().temperature_K == pytest.approx(598.15, abs=1.0)


def test_ramp_units_register_is_honoured(world):
    device, port, driver = make(world)
    stock_client(port).write_register(531, 2)                      # degrees per second
    driver.set_ramp_rate(12 / 60)
    assert stock_client(port).read_float(0x8000 + 2 * 35) == pytest.approx(0.2)
    assert driver.ramp_rate_K_per_s == pytest.approx(0.2)
    assert world.loop.rate_K_per_s == pytest.approx(0.2)


def test_manual_mode_and_safe_state(world):
    _, _, driver = make(world)
    driver.set_manual(40.0)
    world.clock.sleep(10)
    assert driver.auto_manual == 1 and driver.read().output_percent == pytest.approx(40.0)
    assert driver.status_word & (1 << 4)
    driver.safe_state()
    assert driver.auto_manual == 0
    assert world.loop.target_K == pytest.approx(30 + zero_Celsius, abs=1e-3)
    with pytest.raises(RangeError):
        driver.set_manual(120)


def test_thermocouple_break_is_an_error(world):
    _, _, driver = make(world)
    world.loop.furnace.thermocouple_broken = True
    with pytest.raises(SensorBreak, match="sensor break"):
        driver.read()
    assert stock_client(driver.transport.serial).read_register(1) == 0x8000


def test_heater_failure_is_noticed(world):
    _, _, driver = make(world, limits={})
    driver.set_setpoint(700.0)
    world.clock.sleep(3600)
    driver.read()
    world.loop.furnace.heater_failed = True
    with pytest.raises(InstrumentError, match="heater failure"):
        for _ in range(120):
            world.clock.sleep(30)
            driver.read()
    assert world.clock.now() < 3600 + 1800


@pytest.mark.parametrize("fault, error", [("no_reply", InstrumentTimeout),
                                          ("garble", ReplyError),
                                          ("error", InstrumentError)])
def test_link_faults_map_to_errors_and_recover(world, fault, error):
    device, _, driver = make(world)
    device.inject(fault)
    with pytest.raises(error) as info:
        driver.read()
    assert (fault == "error") == (type(info.value) is InstrumentError)
    assert driver.read().temperature_K == pytest.approx(298.15, abs=0.01)


def test_exception_replies_and_wrong_address(world):
    device, _, driver = make(world)
    with pytest.raises(InstrumentError, match="illegal data address"):
        driver.read_float(999)
    with pytest.raises(InstrumentError, match="illegal data value"):
        driver.write_float(2, 5000.0)                              # beyond the SP range
    stranger = Eurotherm3216.open(SimulatorPort(device), clock=world.clock, options={"address": 9})
    with pytest.raises(InstrumentTimeout):
        stranger.read()


def test_broadcast_is_executed_without_reply(world):
    _, port, _ = make(world)
    stock_client(port, address=0).write_register(2, 80.0, 1)
    assert world.loop.target_K == pytest.approx(80 + zero_Celsius)


def test_follow_check_needs_a_saturated_heater_and_a_stuck_temperature():
    check = FollowCheck(window_s=600, min_rise_K=2.0)
    stuck = [TemperatureReading(t, 500.0, 800.0, 100.0) for t in (0, 300, 599)]
    for reading in stuck:
        check.check(reading, "furnace")                            # not yet a full window
    check.check(TemperatureReading(700, 600.0, 800.0, 100.0), "furnace")   # rising: fine
    check.check(TemperatureReading(800, 600.0, 800.0, 50.0), "furnace")    # not saturated
    with pytest.raises(InstrumentError):
        for t in (900, 1600):
            check.check(TemperatureReading(t, 600.5, 800.0, 100.0), "furnace")


def test_bench_check(tmp_path, capsys):
    out = bench_check(tmp_path, capsys, '[instruments.furnace]\ndriver = "eurotherm3216"\n'
                      'resource = "sim://furnace"\noptions = { address = 2, timeout_s = 0.5 }\n'
                      'limits = { max_temperature_C = 900, safe_temperature_C = 25 }\n')
    assert "Modbus address 2" in out


def test_a_setpoint_never_steps_past_the_ramp_limit(world):
    """SP.RAT off (a step at full power) or faster than the limit, e.g. set at the front
    panel: set_setpoint programs the limit rate before the new set-point."""
    _, port, driver = make(world)                                  # controller: SP.RAT = 0
    driver.set_setpoint(598.15)
    assert world.loop.rate_K_per_s == pytest.approx(20 / 60)
    stock_client(port).write_float(0x8000 + 2 * 35, 50.0)          # 50 degC/min at the panel
    driver.set_setpoint(698.15)
    assert driver.ramp_rate_K_per_s == pytest.approx(20 / 60)
    driver.set_ramp_rate(5 / 60)                                   # slower than the limit: kept
    driver.set_setpoint(598.15)
    assert world.loop.rate_K_per_s == pytest.approx(5 / 60)


@pytest.mark.parametrize("fault", ["delay", "garble"])
def test_a_late_or_broken_reply_is_never_taken_for_the_next_answer(world, fault):
    """A reply arriving after the timeout (same length as the next one: Modbus frames do
    not name the register) must not be read as the answer to the next request."""
    device, _, driver = make(world, limits={})
    driver.set_setpoint(773.15)
    device.inject(fault, seconds=0.7)                              # timeout is 0.5 s
    with pytest.raises((InstrumentTimeout, ReplyError)):
        driver.process_value_K
    assert driver.target_setpoint_K == pytest.approx(773.15, abs=1e-3)
    assert driver.process_value_K == pytest.approx(298.15, abs=1.0)


def test_standby_switches_the_heater_off_and_the_driver_refuses_to_control(world):
    """Register 199 is the instrument mode (1 = standby, outputs off), not auto/manual."""
    device, port, driver = make(world, limits={})
    driver.set_setpoint(773.15)
    world.clock.sleep(1800)
    hot = driver.read().temperature_K
    stock_client(port).write_register(199, 1)                      # standby at the panel
    world.clock.sleep(600)
    client = stock_client(port)
    assert client.read_float(0x8000 + 2 * 4) == 0.0                # WRK.OP
    assert client.read_float(0x8000 + 2 * 1) < hot - zero_Celsius - 20   # cooling
    with pytest.raises(InstrumentError, match="standby"):
        driver.read()
    with pytest.raises(InstrumentError, match="not controlling"):
        driver.set_setpoint(798.15)
    driver.safe_state()                                            # still possible
    with pytest.raises(minimalmodbus.IllegalRequestError):
        stock_client(port).write_register(199, 2)                  # configuration: refused
    stock_client(port).write_register(199, 0)
    driver.set_setpoint(773.15)
    world.clock.sleep(60)
    assert driver.read().output_percent > 0


def test_manual_mode_is_not_standby(world):
    _, port, driver = make(world)
    driver.set_manual(30.0)
    world.clock.sleep(10)
    assert stock_client(port).read_register(199) == 0
    assert stock_client(port).read_register(273) == 1
    assert driver.read().output_percent == pytest.approx(30.0)


def test_a_running_timer_is_not_a_running_ramp(world):
    """Status bit 13 is "timer or ramp running": ramp_running must not rely on it."""
    class TimerRunning(Eurotherm3216Simulator):
        def _status(self, loop):
            return super()._status(loop) | (1 << 13)

    device = TimerRunning(world, {})
    driver = Eurotherm3216.open(RecordingPort(device), clock=world.clock, limits=LIMITS)
    driver.set_setpoint(323.15)
    assert driver.ramp_running
    world.clock.sleep(600)
    assert driver.status_word & (1 << 13) and not driver.ramp_running


def test_a_reply_behind_an_invalid_one_is_drained(world):
    """Noise of a reply's length arrives first (minimalmodbus: invalid reply), the true
    reply 5 ms later: it must be drained, not read as the answer to the next request
    (Modbus frames do not say which register they answer)."""
    class NoiseFirst(Eurotherm3216Simulator):
        noisy = False

        def respond(self, data, delay=0.0):
            if self.noisy:
                self.noisy = False
                super().respond(bytes(len(data)), delay)       # zeros: wrong address, CRC
                delay += 0.005
            super().respond(data, delay)

    device = NoiseFirst(world, {})
    driver = Eurotherm3216.open(RecordingPort(device), clock=world.clock, limits={})
    driver.set_setpoint(773.15)
    device.noisy = True
    with pytest.raises(ReplyError):
        driver.target_setpoint_K
    assert driver.process_value_K == pytest.approx(298.15, abs=1.0)


def test_a_rate_just_above_the_limit_is_reprogrammed_one_at_it_is_kept(world):
    _, port, driver = make(world)                                  # limit 20 degC/min
    client = stock_client(port)
    client.write_float(0x8000 + 2 * 35, 20.2)                      # 1 % too fast
    driver.set_setpoint(398.15)
    assert client.read_float(0x8000 + 2 * 35) == pytest.approx(20.0)
    port.sent.clear()
    driver.set_setpoint(408.15)                                    # at the limit: no rewrite
    writes = [frame for frame in port.sent if frame[1] in (6, 16)]
    assert [int.from_bytes(frame[2:4], "big") for frame in writes] == [0x8000 + 2 * 2]


def test_downward_ramp_follows_the_rate(world):
    _, _, driver = make(world)                                     # limit 20 degC/min
    driver.set_setpoint(598.15)
    world.clock.sleep(3 * 3600)
    start = driver.read().temperature_K
    driver.set_setpoint(398.15)
    world.clock.sleep(300)                                         # 5 min at 20 K/min
    reading = driver.read()
    assert reading.setpoint_K == pytest.approx(start - 100.0, abs=0.5)
    assert driver.ramp_running and reading.temperature_K > 398.15 + 50


def test_two_threads_reading_at_once_never_mix_frames(world):
    """A GUI polls the furnace while a run drives it: each Modbus transaction holds the link."""
    import threading

    _, _, driver = make(world)
    errors = []

    def poll():
        for _ in range(150):
            try:
                driver.read()
                driver.set_setpoint(400.0)
            except Exception as exc:   # any mixed-up frame shows here
                errors.append(exc)

    threads = [threading.Thread(target=poll) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
