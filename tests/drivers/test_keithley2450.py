"""Keithley 2450: command/reply pairs of the simulator, the driver against it in process and
over TCP (pyvisa-py), the sample's physics through the wire, faults, limits, PyMeasure."""

import re

import numpy as np
import pytest

from labctl.drivers.keithley2450 import ComplianceWarning, Keithley2450
from labctl.capabilities import SourceMeter
from labctl.errors import (InstrumentConnectionError, InstrumentError, InstrumentTimeout,
                           RangeError, ReplyError, SafetyLimitError)
from labctl.simulators.keithley2450 import CURRENT_RANGES_A, Keithley2450Simulator, fits
from labctl.simulators.port import SimulatorPort
from labctl.simulators.serve import TcpServer

T_K = 623.15
NUMBER = r"-?\d\.\d{6}E[+-]\d\d"


class LoggedSimulator(Keithley2450Simulator):
    """The simulator, keeping the lines it received (to prove what was or was not sent)."""

    def __init__(self, world, options=None):
        super().__init__(world, options)
        self.log: list[str] = []

    def handle(self, line):
        self.log.append(line)
        return super().handle(line)


@pytest.fixture
def sim(world):
    return LoggedSimulator(world)


@pytest.fixture
def smu(world, sim):
    return Keithley2450.open(SimulatorPort(sim), name="smu", clock=world.clock,
                             limits={"voltage_V": 5.0, "current_A": 0.01},
                             options={"timeout_s": 0.5})


def ask(sim, line):
    port = SimulatorPort(sim)
    port.write(line.encode() + b"\n")
    return port.read_until(b"\n").decode().rstrip("\n")


# -- the wire: exact command/reply pairs ---------------------------------------------------
@pytest.mark.parametrize("line, reply", [
    ("*IDN?", "KEITHLEY INSTRUMENTS,MODEL 2450,04512345,1.7.12b"),
    ("*LANG?", "SCPI"),
    (":SYST:ERR?", '0,"No error;0;0 0"'),
    (":SOUR:FUNC?", "VOLT"),
    (":OUTP ON;:OUTP?", "1"),
    ("OUTPUT OFF;OUTPUT?", "0"),
    (":SOUR:VOLT:LEV 1.5;:SOURCE:VOLTAGE?", "1.5"),
    (":SOUR:VOLT:ILIM 0.01;:SOUR:VOLT:ILIM?;:SOUR:VOLT:ILIM:TRIP?", "0.01;0"),
    (":SENS:FUNC 'CURR';:SENS:CURR:NPLC 0.5;:SENSE:CURRENT:NPLCYCLES?", "0.5"),
    (':SENS:FUNC "CURR";:SENS:FUNC?', "CURR:DC"),
    (":SENS:CURR:RANG 2e-6;:SENS:CURR:RANG?;:SENS:CURR:RANG:AUTO?", "1E-05;0"),
    (":SENS:CURR:RSEN ON;:SENS:CURR:RSEN?", "1"),
    (":SYST:LFR?", "50"),
    (":TRIG:STAT?", "IDLE;IDLE;3"),
    (':TRAC:ACT? "defbuffer1"', "0"),
    ("*RST;:stat:pres;:*CLS;:OUTP?", "0"),
])
def test_command_reply_pairs(sim, line, reply):
    assert ask(sim, line) == reply


@pytest.mark.parametrize("line, code, text", [
    (":SOUR:VOLT 300", -222, "Data out of range"),
    (":SENS:CURR:NPLC 20", -222, "Data out of range"),
    (":SENS:CURR:NPLC fast", -104, "Data type error"),
    (":BOGUS 1", -113, "Undefined header"),
    (":OUTP", -109, "Missing parameter"),
    (":TRAC:DATA? 1,5", -222, "Data out of range"),
    (":SOUR:FUNC CURR", -221, "Settings conflict"),
    (":SOUR:VOLT 30;:SOUR:VOLT:ILIM 0.5", -221, "Settings conflict"),
])
def test_bad_commands_queue_errors_in_the_2450_format(sim, line, code, text):
    assert ask(sim, f"{line};:SYST:ERR?").startswith(f'{code},"{text}')
    assert re.fullmatch(rf'{code},"{text}[^;]*;1;\d{{4}}/\d\d/\d\d \d\d:\d\d:\d\d\.\d{{3}}"',
                        ask(sim, f"{line};:SYST:ERR?"))
    assert ask(sim, ":SYST:ERR?") == '0,"No error;0;0 0"'


def test_readings_have_the_instruments_formats_and_take_the_aperture(sim, world):
    ask(sim, ":SOUR:VOLT 0.1;:OUTP ON;:SENS:CURR:NPLC 2")
    t0 = world.clock.now()
    assert re.fullmatch(NUMBER, ask(sim, ":READ?"))
    assert world.clock.now() == pytest.approx(t0 + 2 / 50)
    current, rel = ask(sim, ':READ? "defbuffer1", READ, REL').split(",")
    assert re.fullmatch(NUMBER, current) and rel == "0.040000"
    data = ask(sim, ':TRAC:DATA? 1, 2, "defbuffer1", READ, SOUR, REL').split(",")
    assert data[1] == data[4] == "1.000000E-01" and data[2::3] == ["0.000000", "0.040000"]
    assert float(ask(sim, ":SENS:CURR:RANG?")) == fits(CURRENT_RANGES_A, float(data[3]))


@pytest.mark.parametrize("load, readings", [
    (':TRIG:LOAD "SimpleLoop", 5, 0.08', 5),
    (":TRIG:LOAD:LOOP:SIMP 5, 0.08", 5),
    (':TRIG:LOAD "DurationLoop", 1, 0.08, "defbuffer2"', 10),   # starts 0.08, 0.18 .. 0.98
    (":TRIG:LOAD:LOOP:DUR 1, 0.08, 'defbuffer2'", 10),
])
def test_trigger_model_templates_fill_the_buffer_on_the_clock(sim, world, load, readings):
    buffer = "defbuffer2" if "DUR" in load.upper() else "defbuffer1"
    assert ask(sim, f":SOUR:VOLT 0.1;:OUTP ON;{load};:INIT;:TRIG:STAT?") == "RUNNING;RUNNING;2"
    world.clock.sleep(3.0)
    assert ask(sim, f':TRAC:ACT? "{buffer}";:TRIG:STAT?') == f"{readings};IDLE;IDLE;3"
    rel = ask(sim, f':TRAC:DATA? 1, {readings}, "{buffer}", REL').split(",")
    assert [float(r) for r in rel] == pytest.approx([0.1 * k for k in range(readings)])


def test_init_without_a_trigger_model_is_an_error(sim):
    assert ask(sim, ':TRIG:LOAD "Empty";:INIT;:SYST:ERR?').startswith('-221,"Settings conflict')


# -- driver <-> simulator ---------------------------------------------------------------------
def test_driver_is_a_source_meter_and_configures_the_instrument(smu, sim):
    assert isinstance(smu, SourceMeter)
    assert "MODEL 2450" in smu.identify()
    smu.configure(1e-3, nplc=0.1, current_range_A=1e-5)
    assert (sim.ilim, sim.nplc, sim.current_range, sim.auto) == (1e-3, 0.1, 1e-5, False)
    assert ":SOUR:VOLT:ILIM 0.001" in sim.log and ":SYST:ERR?" in sim.log
    smu.configure(1e-3)
    assert sim.auto and sim.nplc == 1.0
    assert smu.settings() == {    # read back from the instrument, every Setting
        "driver": "Keithley2450", "limits": {"voltage_V": 5.0, "current_A": 0.01},
        "options": {"four_wire": False}, "language": "SCPI", "line_frequency_Hz": 50.0,
        "voltage_V": 0.0, "current_limit_A": 1e-3, "nplc": 1.0, "current_range_A": 1e-5,
        "autorange": True, "four_wire_sense": False, "output_on": False}


def test_four_wire_option_from_the_bench(world, sim):
    smu = Keithley2450.open(SimulatorPort(sim), clock=world.clock, options={"four_wire": True})
    smu.configure(1e-3)
    assert sim.four_wire and smu.settings()["four_wire_sense"] is True
    assert smu.settings()["options"] == {"four_wire": True}


def test_current_is_the_samples_step_response_at_the_furnace_temperature(smu, world):
    with world.control() as loop:
        loop.set_target(673.15)
    world.clock.sleep(4 * 3600)                        # furnace and sample settle
    smu.configure(1e-3, nplc=1)
    smu.set_voltage(0.2)
    t_on = world.clock.now()
    smu.output(True)
    world.clock.sleep(5.0)
    reading = smu.read()
    T = world.sample_temperature_K()
    assert T == pytest.approx(673.15, abs=0.5)
    expected = world.sample.step_current(0.2, reading.time_s - t_on, T)
    assert reading.voltage_V == 0.2
    assert reading.current_A == pytest.approx(expected, rel=5e-3)    # noise is 1e-3
    assert reading.current_A != pytest.approx(
        world.sample.step_current(0.2, reading.time_s - t_on, T_K), rel=0.05)


def test_record_maps_relative_timestamps_onto_the_clock(smu, world, sim):
    smu.configure(1e-3, nplc=1)
    smu.set_voltage(0.1)
    t_on = world.clock.now()
    smu.output(True)
    readings = list(smu.record(duration_s=2.0, interval_s=0.1))
    assert len(readings) == 20
    times = np.array([r.time_s for r in readings])
    assert np.diff(times) == pytest.approx(np.full(19, 0.1))
    assert times[0] == pytest.approx(t_on + 0.08 + 0.01)   # delay, then mid-aperture
    currents = np.array([r.current_A for r in readings])
    # the current falls by an order of magnitude over the record: a wrong time shows
    assert currents == pytest.approx(world.sample.step_current(0.1, times - t_on, T_K), rel=0.01)
    assert any(line.startswith(':TRIG:LOAD "SimpleLoop", 20, 0.08') for line in sim.log)
    assert sim.trigger_state == "IDLE"


def test_record_timing_follows_the_line_frequency_and_refuses_short_intervals(world):
    sim = Keithley2450Simulator(world, {"line_frequency_Hz": 60})
    smu = Keithley2450.open(SimulatorPort(sim), clock=world.clock)
    smu.configure(1e-3, nplc=6)                              # 0.1 s at 60 Hz
    with pytest.raises(RangeError, match="aperture 0.1 s"):
        next(smu.record(duration_s=1.0, interval_s=0.05))
    t_start = world.clock.now()
    readings = list(smu.record(duration_s=1.0, interval_s=0.25))
    assert [r.time_s - t_start for r in readings] == pytest.approx([0.2, 0.45, 0.7, 0.95])


def test_record_stopped_early_aborts_the_trigger_model(smu, sim):
    smu.configure(1e-3, nplc=1)
    smu.set_voltage(0.1)
    smu.output(True)
    records = smu.record(duration_s=100.0, interval_s=1.0)
    first = next(records)
    records.close()
    assert first.current_A != 0 and sim.trigger_state == "ABORTED"


def test_polarization_gives_the_ionic_transference_number(smu, world):
    smu.configure(1e-3, nplc=1)
    smu.set_voltage(0.1)
    smu.output(True)
    readings = list(smu.record(duration_s=1e4, interval_s=100.0))
    resistances = world.sample.resistances(T_K)
    i_0 = 0.1 / (resistances["bulk"] + resistances["grain_boundary"]) \
        + 0.1 / resistances["electronic"]                       # I_0 from EIS: V / R
    i_ss = np.mean([r.current_A for r in readings[-5:]])
    assert 1 - i_ss / i_0 == pytest.approx(world.sample.ionic_transference_number(T_K),
                                           abs=2e-5)
    assert readings[0].current_A > 1.1 * i_ss     # still relaxing after 100 s


def test_compliance_clamps_and_warns(smu, sim):
    smu.configure(1e-6, nplc=0.1)
    smu.set_voltage(1.0)
    smu.output(True)
    with pytest.warns(ComplianceWarning, match="current limit reached"):
        reading = smu.read()
    assert reading.current_A == pytest.approx(1e-6) and sim.tripped


def test_overflow_of_a_fixed_range_is_an_error(smu):
    smu.configure(1e-3, nplc=0.1, current_range_A=1e-8)
    smu.set_voltage(1.0)
    smu.output(True)
    with pytest.raises(InstrumentError, match="overflow"):
        smu.read()


def test_safe_state_switches_off_and_zeroes_the_source(smu, sim):
    smu.configure(1e-3)
    smu.set_voltage(2.0)
    smu.output(True)
    with smu:
        pass
    assert (sim.output, sim.level) == (False, 0.0)


# -- limits and envelope: refused before anything is sent ----------------------------------
@pytest.mark.parametrize("action, error, message", [
    (lambda s: s.set_voltage(6.0), SafetyLimitError,
     "smu.voltage_V = 6 V exceeds the bench limit voltage_V = 5"),
    (lambda s: s.configure(0.02), SafetyLimitError,
     "smu.current_limit_A = 0.02 A exceeds the bench limit current_A = 0.01"),
    (lambda s: s.set_voltage(-250.0), RangeError, r"-210 .. 210 V"),
    (lambda s: s.configure(1.2), RangeError, r"1e-09 .. 1.05 A"),
    (lambda s: s.configure(1e-3, nplc=20), RangeError, r"0.01 .. 10 PLC"),
    (lambda s: s.configure(1e-3, current_range_A=2.0), RangeError, "current_range_A"),
])
def test_limits_are_refused_before_sending(smu, sim, action, error, message):
    with pytest.raises(error, match=message):
        action(smu)
    assert sim.log == []


def test_210_volt_range_allows_at_most_105_mA(world, sim):
    smu = Keithley2450.open(SimulatorPort(sim), clock=world.clock)
    smu.configure(0.5)
    sent = len(sim.log)
    with pytest.raises(RangeError, match="at most 0.105 A"):
        smu.set_voltage(30.0)
    assert len(sim.log) == sent
    smu.configure(0.1)
    smu.set_voltage(30.0)
    assert sim.level == 30.0


def test_wrong_command_set_is_refused(world):
    sim = Keithley2450Simulator(world, {"command_set": "SCPI2400"})
    smu = Keithley2450.open(SimulatorPort(sim), clock=world.clock)
    with pytest.raises(InstrumentError, match="command set is SCPI2400, not SCPI"):
        smu.configure(1e-3)


def test_firmware_without_the_quoted_simpleloop_form_fails_clearly(world):
    """The Rev. B manual's firmware (1.0.x) knows only :TRIG:LOAD:LOOP:SIMP."""
    sim = Keithley2450Simulator(world, {"firmware": "1.0.0i"})
    smu = Keithley2450.open(SimulatorPort(sim), clock=world.clock)
    smu.configure(1e-3)
    smu.output(True)
    with pytest.raises(InstrumentError, match=r'firmware 1.0.0i rejects :TRIG:LOAD "SimpleLoop"'
                       r".*-113.*upgrade") as err:
        next(smu.record(duration_s=1.0, interval_s=0.1))
    assert err.value.code == -113 and sim.model is None
    assert ask(sim, ':TRIG:LOAD:LOOP:SIMP 3, 0;:INIT;:SYST:ERR?').startswith("0,")


# -- faults -----------------------------------------------------------------------------------
def test_no_reply_is_a_timeout(smu, sim):
    sim.inject("no_reply")
    with pytest.raises(InstrumentTimeout):
        smu.identify()


def test_garbled_reply_is_a_reply_error(smu, sim):
    smu.configure(1e-3)
    sim.inject("garble")
    with pytest.raises(ReplyError):
        smu.read()


def test_disconnect_then_reconnect(smu, sim):
    sim.inject("disconnect")
    with pytest.raises(InstrumentConnectionError):
        smu.identify()
    assert "MODEL 2450" in smu.identify()


def test_instrument_error_carries_its_text(smu, sim):
    sim.inject("error")
    with pytest.raises(InstrumentError, match="error -310: System error") as info:
        smu.output(True)
    assert info.value.code == -310


# -- over TCP through pyvisa-py ---------------------------------------------------------------
def test_driver_over_tcp_visa_socket(world):
    sim = Keithley2450Simulator(world)
    with TcpServer(sim) as server:
        smu = Keithley2450.open(server.resource, clock=world.clock)
        with smu:
            smu.configure(1e-3, nplc=1)
            smu.set_voltage(0.1)
            smu.output(True)
            reading = smu.read()
            readings = list(smu.record(duration_s=1.0, interval_s=0.25))
        assert reading.current_A > 0 and len(readings) == 4
        assert np.diff([r.time_s for r in readings]) == pytest.approx([0.25] * 3)
    assert not sim.output


def test_pymeasure_keithley2450_works_unchanged(world):
    from pymeasure.instruments.keithley import Keithley2450 as PyMeasure2450

    sim = Keithley2450Simulator(world)
    with TcpServer(sim) as server:
        smu = PyMeasure2450(server.resource, visa_library="@py", read_termination="\n",
                            write_termination="\n", timeout=2000)
        try:
            smu.reset()
            smu.apply_voltage(compliance_current=1e-3)
            smu.measure_current(nplc=1)
            smu.source_voltage = 0.2
            smu.enable_source()
            assert smu.source_enabled            # a query: the write has been processed
            world.clock.sleep(10.0)
            current = smu.current
            assert smu.id.startswith("KEITHLEY INSTRUMENTS,MODEL 2450")
            assert smu.source_mode == "voltage"
            assert (smu.source_voltage, smu.compliance_current, smu.current_nplc) == \
                (0.2, 1e-3, 1.0)
            assert smu.check_errors() == []
            smu.current_range = 1e-4
            assert smu.current_range == 1e-4
            smu.disable_source()
            assert not smu.source_enabled
        finally:
            smu.adapter.close()
    expected = world.sample.step_current(0.2, 10.0 + 0.01, T_K)
    assert current == pytest.approx(expected, rel=5e-3)
