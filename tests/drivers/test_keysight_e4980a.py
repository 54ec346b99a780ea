"""Keysight E4980A driver against its simulator (in process and over TCP), and PyMeasure's
`AgilentE4980` against the simulator over TCP, unchanged."""

from __future__ import annotations

import math
import re

import numpy as np
import pytest

from labctl.drivers.keysight_e4980a import KeysightE4980A, parse_aperture, parse_fetch
from labctl.capabilities import ImpedanceAnalyzer
from labctl.clock import VirtualClock
from labctl.errors import InstrumentError, RangeError, ReplyError, SafetyLimitError
from labctl.simulators.keysight_e4980a import APERTURE, KeysightE4980ASimulator
from labctl.simulators.port import SimulatorPort
from labctl.simulators.serve import TcpServer
from labctl.simulators.world import SimWorld

from tests.drivers import analyzer_sim
from tests.drivers.analyzer_sim import T_K

SPECTRUM_HZ = np.geomspace(2e6, 20, 21)   # 2 MHz .. 20 Hz, 4 points per decade


def make(temperature_K=T_K, **options):
    return analyzer_sim.make(KeysightE4980A, KeysightE4980ASimulator, temperature_K, **options)


def assert_matches_physics(world, frequencies, impedances):
    """Within the noise and the 6-digit resolution of the fetched data."""
    analyzer_sim.assert_matches_physics(world, frequencies, impedances, 2e-5)


bench = analyzer_sim.bench_fixture(KeysightE4980A, KeysightE4980ASimulator)


def test_is_an_impedance_analyzer(bench):
    world, sim, driver = bench
    assert isinstance(driver, ImpedanceAnalyzer)
    assert driver.identify().startswith("Keysight Technologies,E4980A,")
    assert driver.frequency_range_Hz == (20.0, 2e6)


def test_setup_and_point_commands(bench):
    world, sim, driver = bench
    driver.measure(1e3, 0.1)
    assert sim.lines == ["*RST;*CLS", ":FORM ASC", ":FUNC:IMP:TYPE ZTD", ":APER MED,1",
                         ":TRIG:SOUR BUS", ":INIT:CONT ON", ":SYST:ERR?", ":FREQ:CW 1000",
                         ":VOLT:LEV 0.1", ":BIAS:VOLT:LEV 0", ":BIAS:STAT 0", ":SYST:ERR?",
                         ":BIAS:VOLT:LEV?", ":TRIG:IMM", ":FETC?"]
    assert (driver.function, driver.aperture, driver.trigger_source) == ("ZTD", ("MED", 1), "BUS")
    assert (driver.frequency_Hz, driver.amplitude_V, driver.bias_on) == (1e3, 0.1, False)


@pytest.mark.parametrize("long_format, digits", [("OFF", 5), ("ON", 9)])
def test_fetch_reply_is_fixed_width(long_format, digits):
    world, sim, _ = make()
    port = SimulatorPort(sim, timeout=5)
    port.write(f":FUNC:IMP RX;:FORM:ASC:LONG {long_format};:FETC?\n".encode())
    number = rf"[+-]\d\.\d{{{digits}}}E[+-]\d\d"
    assert re.fullmatch(rf"{number},{number},\+0\n", port.read_until(b"\n").decode())


def test_bus_trigger_returns_data_and_needs_the_bus_source():
    world, sim, _ = make()
    port = SimulatorPort(sim, timeout=5)
    port.write(b"*TRG;:SYST:ERR?\n")
    assert port.read_until(b"\n") == b'-211,"Trigger ignored"\n'
    port.write(b":FUNC:IMP ZTD;:TRIG:SOUR BUS;*TRG\n")
    magnitude, phase, status = port.read_until(b"\n").decode().split(",")
    assert status == "+0\n"
    analyzer_sim.assert_matches_physics(
        world, [1e3], [float(magnitude) * np.exp(1j * math.radians(float(phase)))], 2e-5)


@pytest.mark.parametrize("function", ["ZTD", "ZTR", "RX"])
def test_full_spectrum_equals_sample_physics(function):
    world, sim, driver = make(function=function)
    points = list(driver.sweep(SPECTRUM_HZ, 0.1, bias_V=1.5))
    assert [p.frequency_Hz for p in points] == list(SPECTRUM_HZ)
    assert_matches_physics(world, SPECTRUM_HZ, [p.impedance_Ohm for p in points])
    assert sim.bias_on and sim.bias == 1.5
    assert all(p.impedance_Ohm.imag < 0 for p in points)


def test_full_spectrum_over_tcp():
    world = SimWorld.create(clock=VirtualClock(), seed=1, start_temperature_K=T_K)
    with TcpServer(KeysightE4980ASimulator(world)) as server:
        driver = KeysightE4980A.open(server.resource, clock=world.clock)
        try:
            points = list(driver.sweep(SPECTRUM_HZ, 0.1))
        finally:
            driver.close()
    assert_matches_physics(world, SPECTRUM_HZ, [p.impedance_Ohm for p in points])


def test_sweep_duration_follows_aperture_and_averages():
    world, sim, driver = make(aperture="LONG", averages=4)
    driver.identify()
    driver.measure(1e3, 0.1)                    # setup done before the clock starts
    t0 = world.clock.now()
    list(driver.sweep(SPECTRUM_HZ, 0.1))
    seconds, periods = APERTURE["LONG"]
    assert (seconds, periods) == (0.24, 5)
    expected = sum(4 * max(seconds, periods / f) for f in SPECTRUM_HZ)
    assert world.clock.now() - t0 == pytest.approx(expected, rel=1e-9)


def test_out_of_range_refused_by_driver_and_simulator(bench):
    world, sim, driver = bench
    with pytest.raises(RangeError, match=r"20 \.\. 2e\+06 Hz"):
        driver.measure(10.0, 0.1)
    with pytest.raises(RangeError, match=r"Hz"):
        driver.sweep([1e3, 3e6], 0.1)
    assert sim.lines == []
    driver.write(":FREQ:CW 10")                 # past the driver: the instrument says -222
    with pytest.raises(InstrumentError, match="Data out of range") as err:
        driver.check_errors()
    assert err.value.code == -222
    assert sim.frequency == 1e3


def test_standard_unit_levels_from_opt_query():
    """No option 001: AC level 0-2 V rms, DC bias only 0, 1.5 or 2 V (data sheet)."""
    world, sim, driver = make()
    assert sim.opening == ["*OPT?"] and driver.installed_options == ()
    for bad, match in ((0.5, "only 0, 1.5 or 2 V"), (-1.5, "only 0, 1.5 or 2 V")):
        with pytest.raises(RangeError, match=match):
            driver.measure(1e3, 0.1, bias_V=bad)
    with pytest.raises(RangeError, match=r"0 \.\. 2 V"):
        driver.measure(1e3, 2.5)
    assert sim.lines == []
    driver.measure(1e3, 2.0, bias_V=2.0)
    assert (sim.level, sim.bias, sim.bias_on) == (2.0, 2.0, True)


def test_option_001_levels():
    """Option 001: 0-20 V rms and -40..+40 V bias, in driver and simulator."""
    world, sim, driver = make(sim_options={"option_001": True})
    assert driver.installed_options == ("001",)
    assert driver.settings()["installed_options"] == ("001",)
    driver.measure(1e3, 5.0, bias_V=-12.5)
    assert (sim.level, sim.bias) == (5.0, -12.5)
    with pytest.raises(RangeError, match=r"-40 \.\. 40 V"):
        driver.bias_V = 41.0
    with pytest.raises(RangeError, match=r"0 \.\. 20 V"):
        driver.amplitude_V = 21.0


def test_a_bias_the_unit_did_not_apply_is_an_error():
    """A standard unit applies its nearest setting: the read-back catches a driver that
    believed in option 001."""
    world, sim, driver = make()
    driver.installed_options = ("001",)
    with pytest.raises(InstrumentError, match="reads back as 1.5 V, not 1 V"):
        driver.measure(1e3, 0.1, bias_V=1.0)
    assert sim.lines[-1] == ":BIAS:VOLT:LEV?"


@pytest.mark.parametrize("status, match", [(3, "signal source overloaded"), (4, "ALC")])
def test_source_overload_and_alc_statuses_raise(status, match):
    class Status(KeysightE4980ASimulator):
        def _point(self, frequency):
            f, data = super()._point(frequency)
            return f, data.rsplit(",", 1)[0] + f",+{status}"

    world, sim, driver = analyzer_sim.make(KeysightE4980A, Status)
    with pytest.raises(InstrumentError, match=match) as err:
        driver.measure(1e3, 0.1)
    assert err.value.code == status


def test_limits_from_the_bench():
    world, sim, driver = make(limits={"amplitude_V": 0.05, "bias_V": 0.5})
    with pytest.raises(SafetyLimitError, match="amplitude_V"):
        driver.measure(1e3, 0.1)
    with pytest.raises(SafetyLimitError, match="bias_V"):
        driver.bias_V = 1.5
    with pytest.raises(RangeError):
        driver.amplitude_V = 3.0                 # above the instrument's 2 V
    assert sim.lines == []


def test_overload_status_is_an_instrument_error():
    world, sim, driver = make(temperature_K=298.15)  # cold sample: |Z(20 Hz)| ~ 1e8 Ohm
    with pytest.raises(InstrumentError, match="overload") as err:
        driver.measure(20.0, 0.1)
    assert err.value.code == 1
    assert driver.query(":FETC?") == "+9.90000E+37,+9.90000E+37,+1"


@pytest.mark.parametrize("reply, parsed", [
    ("+1.23450E+03,-4.56000E+01,+0", (1234.5, -45.6, 0)),          # User's Guide example
    ("+1.234500000E+03,-4.560000000E+01,+0\n", (1234.5, -45.6, 0)),  # :FORM:ASC:LONG ON
    ("+9.90000E+37,+9.90000E+37,+1", (9.9e37, 9.9e37, 1)),
    ("+9.90000E+37,+9.90000E+37,-1", (9.9e37, 9.9e37, -1)),
])
def test_fetch_replies(reply, parsed):
    assert parse_fetch(reply) == pytest.approx(parsed)


@pytest.mark.parametrize("reply", [
    "x+1.23450E+03,-4.56000E+01,+0", "+1.23450E+03,-4.56000E+01,+0,0", "+1.23450E+03,-4.56000E+01",
    "+1.2345E+03,-4.56000E+01,+0", "1.23450E+03,-4.56000E+01,+0", "+1.23450E+03,-4.56000E+01,0",
    "+1.23450E+3,-4.56000E+01,+0", "+1.23450E+03,-4.56000E+01,+10", ""])
def test_near_miss_fetch_replies_are_reply_errors(reply):
    with pytest.raises(ReplyError, match="FETC"):
        parse_fetch(reply)


@pytest.mark.parametrize("reply", ["MED,1 x", "x MED,1", "FAST,1", "MED,"])
def test_near_miss_aperture_replies_are_reply_errors(reply):
    assert parse_aperture(" long, 16 ") == ("LONG", 16)
    with pytest.raises(ReplyError):
        parse_aperture(reply)


def test_garbled_fetch_is_a_reply_error(bench):
    world, sim, driver = bench
    driver.measure(1e3, 0.1)
    driver.write(":TRIG:IMM")
    sim.inject("garble")
    with pytest.raises(ReplyError, match="FETC"):
        driver.fetch()
    assert_matches_physics(world, [1e3], [driver.measure(1e3, 0.1).impedance_Ohm])


def test_instrument_error_in_the_queue_stops_the_point(bench):
    world, sim, driver = bench
    driver.measure(1e3, 0.1)
    sim.inject("error")
    with pytest.raises(InstrumentError, match="-310"):
        driver.measure(1e3, 0.1)


def test_safe_state_turns_level_and_bias_off(bench):
    world, sim, driver = bench
    driver.measure(1e3, 0.5, bias_V=1.5)
    with driver:
        pass
    assert (sim.level, sim.bias, sim.bias_on) == (0.0, 0.0, False)
    assert driver.settings()["aperture"] == ("MED", 1)    # as the instrument says


def test_safe_state_is_confirmed_by_a_query():
    class StuckBias(KeysightE4980ASimulator):      # the bias stays on whatever is sent
        def __init__(self, world, options=None):
            super().__init__(world, options)
            self.command(":BIAS:STATe", lambda v: None)

    world, sim, driver = analyzer_sim.make(KeysightE4980A, StuckBias)
    driver.measure(1e3, 0.1, bias_V=2.0)
    sim.bias_on = True
    with pytest.raises(InstrumentError, match="bias"):
        driver.safe_state()


def test_pymeasure_agilent_e4980_unchanged_over_tcp():
    from pymeasure.instruments.agilent import AgilentE4980

    world = SimWorld.create(clock=VirtualClock(), seed=2, start_temperature_K=T_K)
    with TcpServer(KeysightE4980ASimulator(world)) as server:
        lcr = AgilentE4980(server.resource, visa_library="@py", read_termination="\n",
                           write_termination="\n")
        try:
            assert lcr.id.startswith("Keysight Technologies,E4980A")
            lcr.mode = "ZTD"
            lcr.frequency = 1e4
            lcr.ac_voltage = 0.1
            assert (lcr.mode, lcr.frequency, lcr.ac_voltage) == ("ZTD", 1e4, 0.1)
            lcr.aperture("LONG", 2)
            assert lcr.aperture() == ("LONG", 2)
            magnitude, phase = lcr.impedance
            lcr.trigger_source = "BUS"
            assert lcr.trigger_source == "BUS"
            frequencies = [2e6, 2e5, 2e4, 2e3, 200, 20]
            a, b, read = lcr.freq_sweep(frequencies, return_freq=True)
            assert lcr.trigger_source == "HOLD"
        finally:
            lcr.adapter.close()
    assert_matches_physics(world, [1e4], [magnitude * np.exp(1j * math.radians(phase))])
    assert read == frequencies
    assert_matches_physics(world, frequencies,
                           [m * np.exp(1j * math.radians(p)) for m, p in zip(a, b)])
