"""PalmSens EmStat4 over MethodSCRIPT: packet codec (documented examples, hypothesis
round trips), exact scripts, driver <-> simulator in process and over a pty, values
against the sample physics, abort, error codes, limits, and a bench with a furnace."""

import math

import numpy as np
import pytest
from hypothesis import given, strategies as st

from labctl.drivers import _methodscript as ms
from labctl.drivers.palmsens_emstat import EmStat4
from labctl.bench import open_bench, parse_bench
from labctl.capabilities import ImpedanceAnalyzer, SourceMeter
from labctl.clock import ScaledClock
from labctl.errors import InstrumentError, RangeError, ReplyError, SafetyLimitError
from labctl.simulators import _methodscript as sim_ms
from labctl.simulators._emstat_model import RESUME_GAP_S
from labctl.simulators.palmsens_emstat import EmStat4Simulator, eis_point_s
from labctl.simulators.port import SimulatorPort
from labctl.simulators.serve import PtyServer
from labctl.simulators.world import SimWorld
from tests.benches import FURNACE_LIMITS, bench, instrument

T_K = 623.15
NOISE = 6e-3                     # 6 sigma of the default sample's relative noise
RESOLUTION = 1000 / 2 ** 28      # half a count of the coarsest mantissa (prefixes 1000x apart)


class RecordingPort(SimulatorPort):
    def __init__(self, device):
        super().__init__(device)
        self.sent = bytearray()

    def write(self, data):
        self.sent += data
        return super().write(data)


def make(world, limits=None, **options):
    device = EmStat4Simulator(world, options)
    port = RecordingPort(device)
    driver = EmStat4.open(port, clock=world.clock, limits=limits, options=options)
    return device, port, driver


# -- codec: the driver's decoder on the vendor's literal lines, the simulator's encoder ------
def test_vendor_example_packets_decode():
    """Example_C/README.adoc: an EIS package on a 10 kOhm dummy cell and an LSV run."""
    f, zr, zi = ms.decode_packet("PdcDF5DFF4u;cc896D904m,10,287;cd82DB1A8u,10,287")
    assert (f.type, zr.type, zi.type) == ("dc", "cc", "cd")
    assert f.value == pytest.approx(99.999732, abs=1e-9)      # "Frequency(Hz): 100.0"
    assert zr.value == pytest.approx(9885.956, abs=1e-3)      # "Zreal(Ohm): 9885.956"
    assert zi.value == pytest.approx(2.995, abs=1e-3)         # "Zimag(Ohm): 2.995"
    assert (zr.status, zr.range_index, zi.range_index) == (0, 0x87, 0x87)
    lsv = ["Pda7F85F3Fu;ba48D503Dp,10,288", "Pda7F9234Bu;ba4E2C324p,10,288",
           "Pda806EC24u;baAE16C6Dp,10,288", "Pda807B031u;baB360495p,10,288",
           "Pda7F85F3Fu;ba4BA99F0p,10,288"]
    decoded = [[(v.type, v.value, v.status, v.range_index) for v in ms.decode_packet(line)]
               for line in lsv]
    expected = [(-0.499905, -57847747e-12), (-0.449717, -52247772e-12),
                (0.453668, 48327789e-12), (0.503857, 53871765e-12),
                (-0.499905, -54879760e-12)]          # (hex - 0x8000000) x prefix
    for row, (volts, amps) in zip(decoded, expected):
        assert row[0][:2] == ("da", pytest.approx(volts, abs=1e-9))
        assert row[1] == ("ba", pytest.approx(amps, rel=1e-12), 0, 0x88)


def test_simulator_encodes_the_vendor_examples():
    """The simulator's encoder picks the vendor's prefixes and digits (finest that fits)."""
    v = sim_ms.Value
    assert sim_ms.packet([v("dc", 99.999732), v("cc", 9885.956, 0, 0x87),
                          v("cd", 2.9946, 0, 0x87)]) == \
        "PdcDF5DFF4u;cc896D904m,10,287;cd82DB1A8u,10,287"
    assert sim_ms.packet([v("da", -0.499905), v("ba", -57847747e-12, 0, 0x88)]) == \
        "Pda7F85F3Fu;ba48D503Dp,10,288"
    assert sim_ms.packet([v("ba", math.nan, 2)]) == "Pba     nan,12"


@pytest.mark.parametrize("line, value, status, flagged", [
    ("Pba8000064n,12,209", 100e-9, 0x2, "overload"),     # mscript.py: 0x2 OVERLOAD
    ("Pba8000064n,14,209", 100e-9, 0x4, None),           # 0x4 UNDERLOAD: kept
    ("Pba8000064n,11", 100e-9, 0x1, None),               # 0x1 timing error
    ("Pee8000007i", 7.0, 0, None),                       # `i`: an integer, factor 1
    ("Pba     nan,10", math.nan, 0, "nan"),
    ("Pba8000064n,10,209,4A1", 100e-9, 0, None),         # noise metadata (4..) ignored
])
def test_status_bits_and_prefixes_as_documented(line, value, status, flagged):
    (var,) = ms.decode_packet(line)
    assert (var.value, var.status) == (pytest.approx(value, nan_ok=True), status)
    driver = EmStat4(None)
    if flagged:
        with pytest.raises(InstrumentError, match=flagged):
            driver._checked(var)
    else:
        assert driver._checked(var) == pytest.approx(value)


@pytest.mark.parametrize("bad", [
    "Pda7F85F3Fu;ba48D?03Dp", "Pda7F85F3F", "Xda7F85F3Fu", "Pda7F85F3Fu,1Z",
    "Pda7F85F3Fx", "Pda7F85F3Fuu", "P1a7F85F3Fu", "P", "Pda7F85F3Fu;",
    "Pba48D503Dp,10,2887", "Pba48D503Dp,10,28", "Pba48D503Dp,100,288", "Pba48D503Dp,10,2ZZ",
    "Pba48D503Dp,1", "Pba48D503Dp,10,288,"])
def test_near_miss_packets_are_reply_errors(bad):
    with pytest.raises(ReplyError):
        ms.decode_packet(bad)


@pytest.mark.parametrize("line, code, meaning", [
    ("e!4000: Line 2, Col 1", 0x4000, "script syntax error"),
    ("e!4001: Line 2, Col 1", 0x4001, "unknown command in the script"),
    ("!000F: Line 9", 0x000F, "potential outside"),
    ("!0011: Line 9", 0x0011, "frequency outside"),
    ("!0012: Line 9", 0x0012, "AC amplitude outside"),
    ("Z!0006", 0x0006, "not possible now"),
    ("w!0003", 0x0003, "unknown command"),
    ("!0032: Line 9", 0x0032, "undocumented error code"),   # no "cell overload" code
])
def test_error_codes_as_in_the_manuals_table(line, code, meaning):
    assert ms.error_code(line)[0] == code
    assert meaning in ms.describe_error(*ms.error_code(line))


@given(st.sampled_from(["da", "ba", "dc", "cc", "cd", "eb"]),
       st.one_of(st.just(math.nan), st.floats(min_value=-1e15, max_value=1e15)),
       st.integers(0, 15), st.one_of(st.none(), st.integers(0, 255)))
def test_simulator_encoding_decodes_in_the_driver(kind, value, status, index):
    """Two independent readings of the manual agree (value within half a count)."""
    (back,) = ms.decode_packet(sim_ms.packet([sim_ms.Value(kind, value, status, index)]))
    assert (back.type, back.status, back.range_index) == (kind, status, index)
    assert back.value == pytest.approx(value, rel=RESOLUTION, abs=0.5e-18, nan_ok=True)


@given(st.floats(min_value=-1e12, max_value=1e12, allow_nan=False))
def test_script_numbers_read_back_by_the_simulator(x):
    assert sim_ms.literal(ms.format_number(x)) == pytest.approx(x, rel=5e-7, abs=1e-18)


@pytest.mark.parametrize("value, text", [(0.1, "100m"), (-0.5, "-500m"), (2e5, "200k"),
                                         (0, "0"), (1e-5, "10u"), (41, "41"), (0.015, "15m")])
def test_script_numbers_as_in_the_manual(value, text):
    assert ms.format_number(value) == text


# -- scripts and host commands -------------------------------------------------------------
def test_capabilities_identity_and_exact_ca_script(world):
    _, port, driver = make(world)
    assert isinstance(driver, ImpedanceAnalyzer) and isinstance(driver, SourceMeter)
    assert driver.identify() == ("PalmSens EmStat4 HR, firmware es4_hr1.4.00 #labctl simulator, "
                                 "serial ES4HR-SIM-0001")
    driver.configure(current_limit_A=1e-3)
    driver.set_voltage(0.1)
    driver.output(True)
    port.sent.clear()
    assert len(list(driver.record(2.0, 0.1))) == 20
    assert port.sent.decode() == "\n".join([
        "e", "var f", "var r", "var j", "var p", "var i", "var t", "set_pgstat_chan 0",
        "set_pgstat_mode 2", "set_range ba 1m", "set_autoranging ba 100n 1m", "set_e 100m",
        "cell_on", "timer_start", "meas_loop_ca p i 100m 100m 2", "  timer_get t",
        "  pck_start", "  pck_add t", "  pck_add p", "  pck_add i", "  pck_end", "endloop",
        "on_finished:", "  cell_off", "", ""])


def test_eis_script_groups_log_spaced_frequencies(world):
    _, port, driver = make(world)
    freqs = [1e5, 1e4, 1e3, 100.0, 50.0]
    points = list(driver.sweep(freqs, 0.01))
    loops = [line for line in port.sent.decode().splitlines() if line.startswith("meas_loop")]
    assert loops == ["meas_loop_eis f r j 10m 100k 100 4 0", "meas_loop_eis f r j 10m 50 50 1 0"]
    assert [p.frequency_Hz for p in points] == pytest.approx(freqs)


# -- values against the physics --------------------------------------------------------------
def test_eis_streams_points_that_match_the_sample(world):
    _, _, driver = make(world)
    freqs = np.logspace(5, -1, 13)
    sweep = driver.sweep(freqs, 0.01, bias_V=0.0)
    first = next(sweep)
    assert first.time_s == pytest.approx(eis_point_s(1e5))       # streamed, not at the end
    points = [first, *sweep]
    z = world.sample.impedance(freqs, world.sample_temperature_K())
    assert [p.impedance_Ohm for p in points] == pytest.approx(list(z), rel=NOISE)
    assert points[-1].time_s == pytest.approx(sum(eis_point_s(f) for f in freqs))
    assert all(p.impedance_Ohm.imag < 0 and p.amplitude_V == 0.01 for p in points)
    assert driver.measure(1e3, 0.01).impedance_Ohm == pytest.approx(
        complex(world.sample.impedance(1e3, T_K)), rel=NOISE)


def test_chronoamperometry_matches_step_current(world):
    _, _, driver = make(world)
    driver.configure(current_limit_A=1e-3, nplc=5)
    driver.set_voltage(0.5)
    driver.output(True)
    start = world.clock.now()
    readings = list(driver.record(30.0, 0.5))
    times = np.array([r.time_s - start for r in readings])
    assert times == pytest.approx(np.arange(1, 61) * 0.5)
    expected = world.sample.step_current(0.5, times, T_K)
    assert [r.current_A for r in readings] == pytest.approx(list(expected), rel=NOISE)
    assert {r.voltage_V for r in readings} == {0.5}
    again = driver.read()                        # back to back: the program continues
    assert again.current_A == pytest.approx(
        float(world.sample.step_current(0.5, again.time_s - start, T_K)), rel=NOISE)
    world.clock.sleep(2 * RESUME_GAP_S)
    single = driver.read()                       # after a gap: a relaxed cell, a new step
    assert single.current_A == pytest.approx(float(world.sample.step_current(0.5, 0.1, T_K)), rel=NOISE)


def test_linear_sweep_matches_sweep_current_into_decomposition(world):
    _, _, driver = make(world)
    driver.configure(current_limit_A=0.1)
    readings = list(driver.linear_sweep(0.0, 3.0, 0.05, 0.05))
    t = np.array([r.time_s - readings[0].time_s for r in readings])
    v = np.array([r.voltage_V for r in readings])
    assert v == pytest.approx(np.linspace(0, 3, 61)) and t == pytest.approx(v / 0.05)
    expected = world.sample.sweep_current(v[1:], t[1:], T_K)
    assert [r.current_A for r in readings[1:]] == pytest.approx(list(expected), rel=NOISE)
    assert readings[-1].current_A > 100 * readings[20].current_A   # beyond the oxidation onset


# -- abort, errors, limits ----------------------------------------------------------------------
def test_closing_a_sweep_early_aborts_and_leaves_the_cell_off(world):
    device, port, driver = make(world)
    sweep = driver.sweep(np.logspace(0, -3, 10), 0.01)
    next(sweep)
    assert device.cell.on
    sweep.close()
    assert not device.cell.on and device.ready_time() is None
    assert world.clock.now() < 100                    # the 0.001 Hz point was never measured
    assert port.sent.decode().endswith("Z\n")
    assert driver.measure(1e4, 0.01).frequency_Hz == pytest.approx(1e4)   # usable afterwards


def test_safe_state_mid_record_aborts_and_the_generator_ends(world):
    device, _, driver = make(world)
    driver.configure(1e-3)
    driver.output(True)
    readings = driver.record(600.0, 1.0)
    assert next(readings).time_s == pytest.approx(1.0)
    driver.safe_state()
    assert not device.cell.on and list(readings) == []
    with pytest.raises(InstrumentError, match="output is off"):
        driver.read()


def test_safe_state_confirms_the_cell_is_off(world):
    """Even if an abort did not switch the cell off, the cell_off script does, and its
    acknowledgement (`e`, blank line) is read, not skipped."""
    class NoOnFinished(EmStat4Simulator):        # Z ends the script, skips on_finished:
        def _abort(self):
            self.reply("Z")
            self.reply("")
            self._run = self._next = None

    device = NoOnFinished(world, {})
    port = RecordingPort(device)
    driver = EmStat4.open(port, clock=world.clock)
    sweep = driver.sweep([1.0, 0.1], 0.01)
    next(sweep)
    driver.safe_state()
    assert not device.cell.on and port.sent.decode().endswith("Z\ne\ncell_off\n\n")


def test_an_error_from_the_cell_off_script_is_raised(world):
    class NoCellOff(EmStat4Simulator):
        def handle(self, line):
            return "e!4001: Line 1, Col 1" if line == "cell_off" else super().handle(line)

    device = NoCellOff(world, {})
    driver = EmStat4.open(RecordingPort(device), clock=world.clock)
    with pytest.raises(InstrumentError, match="cell_off script not confirmed.*0x4001") as err:
        driver.safe_state()
    assert err.value.code == 0x4001


def test_script_errors_name_the_script_line(world):
    """0x4001: unknown command in a script; 0x4000: any other syntax error."""
    _, _, driver = make(world)
    with pytest.raises(InstrumentError, match=r"0x4001: unknown command in the script.*"
                       r"line 2: 'meas_loop_cv p i'") as err:
        list(driver.execute(["var p", "meas_loop_cv p i", "endloop"]))
    assert err.value.code == 0x4001
    with pytest.raises(InstrumentError, match=r"0x4000: script syntax error.*"
                       r"line 1: 'pck_add x'") as err:
        list(driver.execute(["pck_add x"]))             # undeclared variable
    assert err.value.code == 0x4000


def test_runtime_errors_switch_the_cell_off(world):
    device, _, driver = make(world)
    with pytest.raises(InstrumentError, match="0x0011.*meas_loop_eis") as err:
        list(driver.execute(["var f", "var r", "var j", "cell_on",
                             "meas_loop_eis f r j 10m 1M 1k 3 0", "endloop"]))
    assert err.value.code == ms.FREQUENCY_RANGE and not device.cell.on
    driver.set_voltage(0.2)
    driver.output(True)
    readings = driver.record(10.0, 1.0)
    next(readings)
    device.inject("error")                    # an overload: a status bit, no error code
    with pytest.raises(InstrumentError, match="current overload") as err:
        list(readings)
    assert err.value.code is None and not device.cell.on


def test_host_command_errors_and_nan_without_cell(world):
    _, _, driver = make(world)
    assert driver.query("w") == "w!0003"
    driver.abort()                                      # Z!0006: nothing running, no error
    (packet,) = driver.execute(["var f", "var r", "var j",
                                "meas_loop_eis f r j 10m 1k 1k 1 0", "pck_start", "pck_add r",
                                "pck_end", "endloop"])
    assert math.isnan(packet[0].value)


def test_overload_raises_and_switches_the_cell_off(world):
    device, _, driver = make(world)
    driver.configure(current_limit_A=1e-7, current_range_A=1e-7)
    driver.set_voltage(2.0)
    driver.output(True)
    with pytest.raises(InstrumentError, match="overload in the 1e-07 A range"):
        list(driver.record(5.0, 1.0))
    assert not device.cell.on


def test_garbled_packet_is_an_error_and_the_link_recovers(world):
    device, _, driver = make(world)
    points = driver.sweep([1e3, 100.0, 10.0], 0.01)
    next(points)
    device.inject("garble")
    with pytest.raises(ReplyError):
        list(points)
    assert not device.cell.on
    assert driver.measure(1e3, 0.01).impedance_Ohm.real > 0


def test_lost_packet_is_an_error_not_a_short_spectrum(world):
    device, _, driver = make(world)
    points = driver.sweep([1e3, 100.0, 10.0], 0.01)
    next(points)
    device.inject("no_reply")                  # the 100 Hz packet line is lost on the link
    with pytest.raises(ReplyError, match="2 of 3"):
        list(points)
    assert not device.cell.on
    assert driver.measure(1e3, 0.01).frequency_Hz == pytest.approx(1e3)


@pytest.mark.parametrize("call, match", [
    (lambda d: d.measure(3e5, 0.01), "frequency = 300000 Hz"),
    (lambda d: d.measure(1e-6, 0.01), "frequency"),
    (lambda d: d.measure(1e3, 1.0), "amplitude"),
    (lambda d: d.measure(1e3, 0.0), "amplitude"),
    (lambda d: d.set_voltage(6.5), r"voltage_V = 6.5 V .* -6 \.\. 6 V"),
    (lambda d: d.configure(0.5), "current_limit"),
    (lambda d: d.linear_sweep(0, 1, 0.0, 0.1), "step"),
])
def test_instrument_ranges_are_refused_before_sending(world, call, match):
    _, port, driver = make(world)
    with pytest.raises(RangeError, match=match):
        call(driver)
    assert port.sent == b""


def test_model_and_bench_limits(world):
    _, port, lr = make(world, model="LR")
    with pytest.raises(RangeError, match="-3 .. 3 V"):
        lr.linear_sweep(0, 4.0, 0.01, 0.1)
    device, port, driver = make(world, limits={"voltage_V": 1.0, "amplitude_V": 0.05,
                                               "current_A": 5e-8})
    for call in (lambda: driver.set_voltage(1.5), lambda: driver.measure(1e3, 0.1, bias_V=0),
                 lambda: driver.configure(1e-6), lambda: driver.sweep([1e3], 0.01, bias_V=-1.2)):
        with pytest.raises(SafetyLimitError):
            call()
    assert port.sent == b""
    driver.configure(5e-8)
    with pytest.raises(SafetyLimitError, match="cell current .* exceeds the limit current_A"):
        list(driver.linear_sweep(0.0, 1.0, 0.1, 0.1))   # charging current ~0.1 uA
    assert not device.cell.on


# -- over a real pseudo-terminal, and a bench with a furnace ------------------------------------
def test_all_three_techniques_over_a_pty(world):
    device = EmStat4Simulator(world, {})
    with PtyServer(device) as server:
        with EmStat4.open(server.port, clock=world.clock, options={"timeout_s": 0.5}) as driver:
            assert driver.identify().startswith("PalmSens EmStat4 HR")
            points = list(driver.sweep([1e4, 1e3, 100.0], 0.01))
            assert points[1].impedance_Ohm == pytest.approx(
                complex(world.sample.impedance(1e3, T_K)), rel=NOISE)
            driver.set_voltage(0.3)
            driver.output(True)
            assert len(list(driver.record(5.0, 1.0))) == 5
            assert len(list(driver.linear_sweep(0.0, -0.5, 0.1, 0.1))) == 6
            assert device.cell.on is False
    assert not device.cell.on


def test_abort_mid_sweep_over_a_pty():
    world = SimWorld.create(clock=ScaledClock(speed=1000.0), seed=0, start_temperature_K=T_K)
    device = EmStat4Simulator(world, {})
    with PtyServer(device) as server:
        with EmStat4.open(server.port, clock=world.clock, options={"timeout_s": 0.5}) as driver:
            sweep = driver.sweep([10.0, 1e-3, 1e-4], 0.01)    # 0.3 s, 3000 s, 30000 s
            assert next(sweep).frequency_Hz == pytest.approx(10.0)
            sweep.close()
            assert not device.cell.on and device.ready_time() is None
            assert world.clock.now() < 1000
            assert driver.measure(1e4, 0.01).frequency_Hz == pytest.approx(1e4)


BENCH = bench(instrument("furnace", "eurotherm3216", options={"address": 1},
                         limits=FURNACE_LIMITS),
              instrument("pstat", "emstat4", limits={"voltage_V": 3.0, "current_A": 0.01,
                                                     "amplitude_V": 0.1}),
              seed=1, start_temperature_C=350.0)


def test_bench_with_only_an_emstat4_and_a_furnace():
    with open_bench(parse_bench(BENCH, "bench.toml")) as bench:
        (pstat,) = bench.find(ImpedanceAnalyzer)
        assert bench.find(SourceMeter) == [pstat]
        world = bench.simulation.world
        cold = pstat.measure(1e2, 0.01).impedance_Ohm
        bench["furnace"].set_setpoint(T_K + 50)
        bench.clock.sleep(4 * 3600)
        hot_T = world.sample_temperature_K()
        assert hot_T == pytest.approx(T_K + 50, abs=1.0)
        hot = pstat.measure(1e2, 0.01).impedance_Ohm
        assert abs(hot) < abs(cold) / 2
        assert hot == pytest.approx(complex(world.sample.impedance(1e2, hot_T)), rel=NOISE)
        pstat.configure(1e-3)
        pstat.set_voltage(0.2)
        pstat.output(True)
        assert len(list(pstat.record(60.0, 10.0))) == 6
        assert len(list(pstat.linear_sweep(0.0, 1.0, 0.1, 0.1))) == 11
    assert not bench.simulation.devices["pstat"].cell.on
