"""Solartron 1260 driver against its simulator: in process (virtual clock) and over TCP."""

from __future__ import annotations

import math
import re

import numpy as np
import pytest

from labctl.drivers.solartron1260 import Solartron1260, parse_result
from labctl.capabilities import ImpedanceAnalyzer
from labctl.clock import VirtualClock
from labctl.errors import (InstrumentError, InstrumentTimeout, RangeError, ReplyError,
                           SafetyLimitError)
from labctl.simulators.port import SimulatorPort
from labctl.simulators.serve import TcpServer
from labctl.simulators.solartron1260 import Solartron1260Simulator
from labctl.simulators.world import SimWorld

from tests.drivers import analyzer_sim
from tests.drivers.analyzer_sim import T_K

SPECTRUM_HZ = np.geomspace(1e6, 0.1, 29)   # 1 MHz .. 0.1 Hz, 4 points per decade


def make(temperature_K=T_K, **options):
    return analyzer_sim.make(Solartron1260, Solartron1260Simulator, temperature_K, **options)


def assert_matches_physics(world, points):
    """Within the noise and the 5-digit resolution of the result line."""
    analyzer_sim.assert_matches_physics(world, [p.frequency_Hz for p in points],
                                        [p.impedance_Ohm for p in points], 2e-4)


bench = analyzer_sim.bench_fixture(Solartron1260, Solartron1260Simulator)


def test_is_an_impedance_analyzer(bench):
    world, sim, driver = bench
    assert isinstance(driver, ImpedanceAnalyzer)
    assert driver.identify() == "SCHLUMBERGER TECHNOLOGIES, 1260 IMPEDANCE ANALYZER, 0, 0"
    assert driver.frequency_range_Hz == (10e-6, 32e6)


def test_setup_and_point_commands_as_in_the_manual(bench):
    world, sim, driver = bench
    driver.measure(1e3, 0.01)
    assert sim.lines == ["TT2", "OP2,1", "OT1", "OS0", "SO1,3", "IP1,1", "OU1,0", "DC1,0",
                         "DC3,0", "RA1,0", "RA3,0", "AU0", "CZ0", "MS 0.0000000E+0",
                         "FR 1.0000000E+3", "VA 1.0000000E-2", "VB 0.0000000E+0",
                         "IS 1.0000000E-1", "SI"]
    assert sim.command_errors == []


def test_result_line_is_fixed_width_e_format():
    world, sim, _ = make()
    port = SimulatorPort(sim, timeout=10)
    port.write(b"OP2,1\nOT1\nVA 0.01\nFR 1.234E+3\nSI\n")
    line = port.read_until(b"\r\n").decode()
    assert re.fullmatch(r"\+1\.2340000E\+03,[+-]\d\.\d{4}E[+-]\d\d,[+-]\d\.\d{4}E[+-]\d\d,0,00"
                        r"\r\n", line), line


def test_no_result_on_the_bus_without_op2():
    world, sim, _ = make()
    port = SimulatorPort(sim, timeout=10)
    port.write(b"OT1\nSI\n")
    assert port.read_until(b"\r\n") == b""


def test_bad_commands_are_ignored_and_listed():
    world, sim, _ = make()
    SimulatorPort(sim).write(b"FR 5E7\nRA3,9\nXX1\nVA 0.5\n")
    assert sim.command_errors == ["FR 5E7", "RA3,9", "XX1"]
    assert (sim.numbers["FR"], sim.numbers["VA"]) == (1e3, 0.5)


def test_amplitude_at_most_1_V_above_10_MHz(bench):
    """3 V rms up to 10 MHz, 1 V above: the driver refuses the pair before sending."""
    world, sim, driver = bench
    with pytest.raises(RangeError, match=r"amplitude_V = 1.5 V at 2e\+07 Hz.* 1 V rms"):
        driver.measure(2e7, 1.5)
    with pytest.raises(RangeError, match="at most 1 V rms"):
        driver.sweep([1e3, 1.1e7], 2.0)
    assert sim.lines == []
    driver.measure(1e3, 3.0)
    sim.lines.clear()
    driver.measure(2e7, 1.0)                  # VA first: never 3 V at 20 MHz on the way
    assert [line for line in sim.lines if line[:2] in ("FR", "VA")] == \
        ["VA 1.0000000E+0", "FR 2.0000000E+7"]
    driver.measure(1e3, 3.0)
    assert sim.command_errors == [] and sim.numbers["VA"] == 3.0


def test_simulator_refuses_more_than_1_V_above_10_MHz():
    world, sim, _ = make()
    SimulatorPort(sim).write(b"VA 3\nFR 2E7\nFR 1E7\nVA 1.5\nFR 1E7\nVA 1\nFR 2E7\nVA 1.01\n")
    assert sim.command_errors == ["FR 2E7", "VA 1.01"]
    assert (sim.numbers["FR"], sim.numbers["VA"]) == (2e7, 1.0)


@pytest.mark.parametrize("coordinates", ["rectangular", "polar"])
def test_full_spectrum_equals_sample_physics(coordinates):
    world, sim, driver = make(coordinates=coordinates)
    points = list(driver.sweep(SPECTRUM_HZ, 0.01))
    assert [p.frequency_Hz for p in points] == list(SPECTRUM_HZ)
    assert_matches_physics(world, points)
    assert points[-1].impedance_Ohm.imag < 0      # capacitive


def test_full_spectrum_over_tcp():
    world = SimWorld.create(clock=VirtualClock(), seed=1, start_temperature_K=T_K)
    with TcpServer(Solartron1260Simulator(world)) as server:
        driver = Solartron1260.open(server.resource, clock=world.clock)
        try:
            assert driver.identify().startswith("SCHLUMBERGER")
            points = list(driver.sweep(SPECTRUM_HZ, 0.01))
        finally:
            driver.close()
    assert_matches_physics(world, points)


def test_sweep_duration_follows_the_integration_settings():
    world, sim, driver = make(min_integration_s=0.2, integration_cycles=3, delay_s=0.5)
    driver.identify()                          # reset and setup, before the clock starts
    t0 = world.clock.now()
    points = list(driver.sweep(SPECTRUM_HZ, 0.01))
    per_point = [0.5 + max(1, math.ceil(max(0.2, 3 / f) * f - 1e-3)) / f + sim.settling_s
                 for f in SPECTRUM_HZ]
    assert world.clock.now() - t0 == pytest.approx(sum(per_point), rel=1e-6)
    assert np.diff([t0] + [p.time_s for p in points]) == pytest.approx(per_point, rel=1e-6)
    assert per_point[-1] > 30                   # 3 cycles at 0.1 Hz dominate the run


def test_drifting_temperature_shows_in_the_spectrum(bench):
    world, sim, driver = bench
    before = driver.measure(1e3, 0.01)
    with world.control() as loop:
        loop.set_target(T_K + 50)
    world.clock.sleep(1800)
    after = driver.measure(1e3, 0.01)
    assert world.sample_temperature_K() > T_K + 10
    assert abs(after.impedance_Ohm) < 0.7 * abs(before.impedance_Ohm)
    assert_matches_physics(world, [after])


def test_stale_result_of_another_frequency_is_skipped(bench):
    world, sim, driver = bench
    driver.measure(1e3, 0.01)
    driver.write("SI")                          # a 1 kHz result nobody has read yet
    point = driver.measure(10.0, 0.01)
    assert point.frequency_Hz == 10.0
    assert_matches_physics(world, [point])


def test_a_stale_result_one_per_mille_away_is_skipped(bench):
    """The stale check compares the line's 8-digit frequency, not roughly."""
    world, sim, driver = bench
    driver.measure(1001.0, 0.01)
    driver.write("SI")                          # a 1001 Hz result nobody has read yet
    assert driver.measure(1000.0, 0.01).frequency_Hz == 1000.0
    assert sim.ready_time() is None             # the 1000 Hz line was read, the other skipped


def test_only_stale_results_are_an_error(bench):
    world, sim, driver = bench
    driver.measure(1e3, 0.01)
    for _ in range(4):
        driver.write("SI")
    with pytest.raises(ReplyError, match="stale"):
        driver.measure(10.0, 0.01)


def test_late_reply_after_a_timeout_is_not_taken_for_the_next_point(bench):
    world, sim, driver = bench
    driver.identify()
    sim.inject("delay", seconds=8.0)   # after the 5 s timeout, before 1 Hz ends
    with pytest.raises(InstrumentTimeout):
        driver.measure(1e3, 0.01)
    point = driver.measure(1.0, 0.01)
    assert point.frequency_Hz == 1.0
    assert_matches_physics(world, [point])


def test_garbled_result_is_a_reply_error_and_the_next_point_works(bench):
    world, sim, driver = bench
    driver.identify()
    sim.inject("garble")
    with pytest.raises(ReplyError):
        driver.measure(1e3, 0.01)
    assert_matches_physics(world, [driver.measure(1e3, 0.01)])


def test_current_overload_on_a_fixed_range(bench):
    world, sim, driver = bench
    driver.identify()
    driver.write("RA3,1")                       # 6 uA range; 1 V on ~2 kOhm at 1 MHz
    with pytest.raises(InstrumentError, match="current input overload") as err:
        driver.measure(1e6, 1.0)
    assert err.value.code == 3


def test_dc_bias_overloads_the_dc_coupled_voltage_input(bench):
    world, sim, driver = bench
    with pytest.raises(InstrumentError, match="V1") as err:
        driver.measure(1e3, 0.01, bias_V=10.0)
    assert err.value.code == 1


def test_impedance_too_high_for_the_current_input():
    world, sim, driver = make(temperature_K=298.15)      # cold sample: |Z| ~ 2e10 Ohm
    with pytest.raises(InstrumentError, match="too high") as err:
        driver.measure(0.1, 0.01)
    assert err.value.code == 4


VALID = "+1.0000000E+03,+1.2345E+03,-4.5678E+01,0,00"


@pytest.mark.parametrize("line, parsed", [
    (VALID, (1e3, 1234.5, -45.678, 0)),
    (VALID + "\r\n", (1e3, 1234.5, -45.678, 0)),
    ("-1.2340000E-05,-9.9999E+09,+0.0000E+00,4,-1", (-1.234e-5, -9.9999e9, 0.0, 4)),
    ("+3.2000000E+07,+1.0000E-01,+1.0000E-01,3,+1", (3.2e7, 0.1, 0.1, 3)),
])
def test_result_lines(line, parsed):
    assert parse_result(line) == pytest.approx(parsed)


@pytest.mark.parametrize("line", [
    "X" + VALID, VALID + "X", VALID + ",00", "+1.0000000E+03" + VALID[14:].replace(",0,", ",10,"),
    VALID.replace("+1.2345E+03", "+1.23X5E+03"), VALID.replace("+1.2345E+03", "+1.234E+03"),
    VALID.replace("-4.5678E+01", "-4.5678E+1"), VALID.replace("+1.0000000E+03", "+1.000000E+03"),
    VALID.replace("+1.0000000E+03", "1.0000000E+03"), VALID[:-2] + "07", VALID[:-2] + "0",
    VALID[:-2] + "+2", VALID[:-2] + "1", VALID.replace(",", ";"), ""])
def test_near_miss_result_lines_are_reply_errors(line):
    with pytest.raises(ReplyError, match="1260 format"):
        parse_result(line)


def test_integration_out_of_range_is_refused_before_sending(bench):
    """5 cycles at 10 uHz is 5e5 s, above the 1e5 s the 1260 integrates."""
    world, sim, driver = bench
    driver.identify()
    sim.lines.clear()
    with pytest.raises(RangeError, match=r"integration_s = 500000 s .* 0.01 \.\. 100000 s"):
        driver.measure(1e-5, 0.01)
    with pytest.raises(RangeError, match="integration"):
        driver.sweep([1e3, 1e-5], 0.01)
    assert sim.lines == []


def test_limits_and_ranges_refused_before_anything_is_sent():
    world, sim, driver = make(limits={"amplitude_V": 0.05, "bias_V": 0.5})
    with pytest.raises(SafetyLimitError, match="amplitude_V"):
        driver.measure(1e3, 0.1)
    with pytest.raises(SafetyLimitError, match="bias_V"):
        driver.measure(1e3, 0.01, bias_V=-1.0)
    with pytest.raises(RangeError, match=r"1e-05 \.\. 3.2e\+07 Hz"):
        driver.measure(50e6, 0.01)
    with pytest.raises(RangeError, match="Hz"):
        driver.sweep([1e3, 1e2, 50e6], 0.01)
    with pytest.raises(SafetyLimitError):
        driver.amplitude_V = 1.0
    assert sim.lines == []
    assert Solartron1260.limit_keys.keys() == {"amplitude_V", "bias_V"}


def test_safe_state_zeroes_the_generator(bench):
    world, sim, driver = bench
    driver.measure(1e3, 0.5, bias_V=0.2)
    with driver:
        pass
    assert sim.numbers["VA"] == 0.0 and sim.numbers["VB"] == 0.0
    assert sim.lines[-3:] == ["VA 0.0000000E+0", "VB 0.0000000E+0", "*IDN?"]  # confirmed
    snapshot = driver.settings()        # write-only settings: as last sent
    assert snapshot["options"]["coordinates"] == "rectangular"
    assert (snapshot["amplitude_V"], snapshot["bias_V"], snapshot["frequency_Hz"]) == (0, 0, 1e3)
