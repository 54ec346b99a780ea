"""`labctl gui`: bad arguments are clear errors; SIGTERM closes the window cleanly."""

from __future__ import annotations

import signal
import sys

from labctl.cli import main
from tests.benches import bench, instrument
from tests.processes import Child


def test_a_bad_bench_or_sample_is_an_error_before_any_window(tmp_path, capsys):
    assert main(["gui", "--bench", str(tmp_path / "nope.toml")]) == 1
    assert "nope.toml: cannot read bench file" in capsys.readouterr().err
    assert main(["gui", "--speed", "0"]) == 1
    assert "--speed must be > 0" in capsys.readouterr().err
    assert main(["gui", "--bench", "sim", "--sample", str(tmp_path / "nope.toml")]) == 1
    assert "nope.toml" in capsys.readouterr().err
    (tmp_path / "real.toml").write_text(
        bench(instrument("furnace", "eurotherm3216", "ASRL/dev/ttyUSB0::INSTR")))
    assert main(["gui", "--bench", str(tmp_path / "real.toml"), "--sample", "ysz"]) == 1
    assert "--sample and --fixture apply to simulated benches only" in capsys.readouterr().err


def test_sigterm_closes_the_window_and_exits_cleanly(tmp_path):
    with Child([sys.executable, "-m", "labctl.cli", "gui", "--bench", "sim",
                "--db", str(tmp_path / "lab.sqlite")]) as child:
        child.read_until("window open")
        child.signal(signal.SIGTERM)
        assert child.wait() == 128 + signal.SIGTERM
    assert "SIGTERM: stopping" in child.output
    assert "Traceback" not in child.output and "Fatal" not in child.output
