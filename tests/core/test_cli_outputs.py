"""Output a user names (`labctl sim --write-bench`, `export --out`, `demo --out`) and the
command line's own arguments: every problem is one clear line and a non-zero exit."""

from __future__ import annotations

import subprocess
import sys

import pytest

from labctl.bench import load_bench, parse_bench
from labctl.cli import main
from labctl.simulators.bench import SimBench

NAMED = """\
[instruments."my smu"]
driver = "keithley2450"
resource = "sim://smu"
options = { write_termination = "\\r\\n", read_termination = "\\u0003\\n", timeout_s = 1.5 }
limits = { voltage_V = 5.0, current_A = 0.01 }
interlocks = { compliance = { max_s = 20, action = "pause" } }

[instruments.furnace]
driver = "eurotherm3216"
resource = "sim://furnace"
options = { address = 7, check_identity = false }
interlocks = { sensor_break = false }
"""


def test_write_bench_round_trips_names_control_characters_and_interlocks(tmp_path):
    config = parse_bench(NAMED, "b.toml")
    served = {"my smu": "TCPIP::127.0.0.1::5025::SOCKET", "furnace": "/dev/pts/7"}
    SimBench.write_bench(None, tmp_path / "served.toml", served, config)
    again = load_bench(tmp_path / "served.toml")
    for name, spec in config.instruments.items():
        assert again.instruments[name].resource == served[name]
        assert (again.instruments[name].options, again.instruments[name].limits) == (
            spec.options, spec.limits)
        assert again.instruments[name].interlocks == spec.interlocks   # (were dropped)
    assert "sensor_break" not in again.instruments["furnace"].interlocks


@pytest.fixture
def a_file(tmp_path):
    path = tmp_path / "a-file"
    path.write_text("")
    return path


@pytest.mark.parametrize("where", ["a-file/bench.toml", "."])
def test_sim_write_bench_into_a_bad_place_is_one_error(tmp_path, a_file, capsys, where):
    target = tmp_path / where
    assert main(["sim", "--bench", "sim", "--write-bench", str(target)]) == 1
    err = capsys.readouterr().err
    assert err.startswith(f"labctl: error: {target}: cannot write the bench file: ")
    assert len(err.splitlines()) == 1


@pytest.mark.parametrize("argv, message", [
    (["sim", "--speed", "nan"], "argument --speed: must be a number > 0"),
    (["sim", "--speed", "inf"], "argument --speed: must be a number > 0"),
    (["sim", "--speed", "1e12"], "<= 10000"),
    (["sim", "--speed", "0"], "argument --speed"),
    (["sim", "--seed", "-3"], "argument --seed: must be an integer >= 0"),
])
def test_bad_arguments_are_usage_errors(capsys, argv, message):
    with pytest.raises(SystemExit) as info:
        main(argv)
    assert info.value.code == 2 and message in capsys.readouterr().err


def test_sim_on_a_bench_without_simulated_instruments_says_so(tmp_path, capsys):
    bench = tmp_path / "real.toml"
    bench.write_text('[instruments.smu]\ndriver = "keithley2450"\n'
                     'resource = "TCPIP::192.0.2.1::5025::SOCKET"\n')
    assert main(["sim", "--bench", str(bench)]) == 1
    assert "no simulated instrument to serve" in capsys.readouterr().err


@pytest.mark.parametrize("command", [["export", "1"], ["demo"]])
@pytest.mark.parametrize("where", ["a-file", "a-file/sub"])
def test_out_onto_a_file_is_one_error(tmp_path, a_file, capsys, command, where):
    db = tmp_path / "lab.sqlite"
    from labctl.store import Store
    Store.open(db).close()
    out = tmp_path / where
    assert main(command + ["--out", str(out), "--db", str(db)]) == 1
    err = capsys.readouterr().err
    assert f"{out}: cannot write the " in err and "a file stands where a folder is needed" in err


@pytest.mark.parametrize("command", [["runs", "show", "1"], ["runs"]])  # large, small output
def test_a_closed_pipe_is_no_traceback(tmp_path, command):
    from labctl.store import Store
    db = tmp_path / "lab.sqlite"
    with Store.open(db) as store:
        run = store.create_run("r", "x\\n" * 20000, {}, {})
        store.finish_run(run, "done")
    child = subprocess.Popen([sys.executable, "-m", "labctl.cli", *command, "--db", str(db)],
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    child.stdout.close()                     # the reader is gone before anything is written
    err = child.stderr.read().decode()
    child.stderr.close()
    assert child.wait(timeout=60) != 0
    assert "Traceback" not in err and "BrokenPipeError" not in err
