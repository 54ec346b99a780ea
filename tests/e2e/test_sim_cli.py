"""`labctl sim` serves the simulated bench on real links; `labctl bench check` reaches it."""

import signal
import subprocess
import sys

import pytest

from labctl.cli import main
from labctl.registry import simulated_drivers
from tests.processes import Child


def test_bench_check_on_the_built_in_sim_bench(capsys):
    assert main(["bench", "check", "sim"]) == 0
    out = capsys.readouterr().out
    assert "SCHLUMBERGER TECHNOLOGIES, 1260" in out
    assert "KEITHLEY INSTRUMENTS,MODEL 2450" in out
    assert "interlocks: compliance (max_s = 60, abort)" in out
    assert ("interlocks: sensor_break (abort), heater_not_followed (band_K = 15, after_s = "
            "300, abort)") in out
    assert "left in their safe state" in out


def test_sim_serves_a_bench_that_bench_check_can_open(tmp_path):
    bench_file = tmp_path / "served.toml"
    with Child([sys.executable, "-m", "labctl.cli", "sim", "--speed", "10", "--seed", "3",
                "--write-bench", str(bench_file)]) as server:
        text = server.read_until("Serving")
        assert "TCPIP::127.0.0.1::" in text and "/dev/pts/" in text
        for driver in simulated_drivers():  # every simulated instrument is served
            assert driver in text
        check = subprocess.run([sys.executable, "-m", "labctl.cli", "bench", "check",
                                str(bench_file)], capture_output=True, text=True, timeout=120)
        assert check.returncode == 0, check.stderr
        assert "SCHLUMBERGER TECHNOLOGIES, 1260" in check.stdout
        assert "KEITHLEY INSTRUMENTS,MODEL 2450" in check.stdout
        assert "eurotherm3216" in check.stdout
        assert "LSCI,MODEL336" in check.stdout and "E4980A" in check.stdout
        assert "EmStat4" in check.stdout or "EMSTAT4" in check.stdout.upper()
        _pymeasure_reads_the_served_smu(bench_file)
        server.signal(signal.SIGINT)
        assert server.wait() == 130
    assert "Stopped." in server.output


@pytest.mark.parametrize("sig, code", [(signal.SIGTERM, 143), (signal.SIGINT, 130)])
def test_sim_started_with_sigint_ignored_stops_cleanly_on_a_signal(sig, code):
    """As a background job of a script: SIGINT ignored at start, stopped with kill."""
    with Child([sys.executable, "-m", "labctl.cli", "sim", "--bench", "sim"],
               ignore_sigint=True) as server:
        server.read_until("Serving")
        server.signal(sig)
        assert server.wait() == code
    assert server.output.rstrip().endswith("Stopped.")   # servers and ptys closed first


def _pymeasure_reads_the_served_smu(bench_file):
    """A third-party driver, unchanged, on the resource `labctl sim` serves."""
    from pymeasure.instruments.keithley import Keithley2450

    from labctl.bench import load_bench

    resource = load_bench(bench_file).instruments["smu"].resource
    smu = Keithley2450(resource, read_termination="\n", visa_library="@py")
    try:
        assert "MODEL 2450" in smu.id
        smu.apply_voltage(compliance_current=1e-3)
        smu.measure_current()
        smu.source_voltage = 0.5
        smu.enable_source()
        # the pellet at 25 degC: ~5 pA averaged over the first 20 ms after the step, 2.7 pA
        # at 100 s (physics); far below the 1 mA compliance, so never a clamped reading
        assert 2e-12 < smu.current < 1e-9
        smu.disable_source()
    finally:
        smu.adapter.close()


def test_faults_typed_into_sim_reach_the_served_link(tmp_path):
    """A line on `labctl sim`'s standard input garbles a reply, unplugs an instrument (its
    port refuses connections) and plugs it in again on the same port."""
    from labctl.bench import load_bench
    from labctl.errors import InstrumentConnectionError
    from labctl.registry import load_driver
    from labctl.transport import open_transport

    bench_file = tmp_path / "served.toml"
    with Child([sys.executable, "-m", "labctl.cli", "sim", "--bench", "sim",
                "--write-bench", str(bench_file)], stdin=subprocess.PIPE) as server:
        server.read_until("Serving")
        resource = load_bench(bench_file).instruments["smu"].resource

        def identity() -> str:
            with open_transport(resource, load_driver("keithley2450").link) as link:
                return link.query("*IDN?")

        def type_in(line: str, answer: str) -> None:
            server.proc.stdin.write(line.encode() + b"\n")
            server.proc.stdin.flush()
            server.read_until(answer)
        type_in("smu garble 1", "smu: next 1 reply garble")
        assert "MODEL 2450" not in identity() and "MODEL 2450" in identity()
        type_in("smu unplug", "smu unplugged")
        with pytest.raises(InstrumentConnectionError, match="Connection refused"):
            identity()
        type_in("smu plug", f"smu plugged in at {resource}")
        assert "MODEL 2450" in identity()
        type_in("smu melt", "? expected NAME {no_reply|garble|delay|disconnect|error}")
        type_in("oven garble", "? no instrument 'oven'; served: furnace, fra, smu")


def test_sim_names_the_pellets_it_simulates():
    """sim-multi's four pellets, not the default sample no instrument measures."""
    from labctl.bench import load_bench
    from labctl.commands.sim import _samples
    from labctl.simulators.bench import SimBench

    said = _samples(SimBench.from_config(load_bench("sim-multi")).world)
    assert said.startswith("pellets A (") and ", D (" in said
    assert "Demo oxide-ion" not in said
    assert _samples(SimBench.from_config(load_bench("sim")).world).startswith("sample 'Demo")
