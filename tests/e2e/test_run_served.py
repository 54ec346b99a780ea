"""The same recipe against `labctl sim --speed X` over real links (pty for the Eurotherm,
TCP sockets for the others), with `labctl run --speed X`: it runs unchanged."""

import signal
import sys

from labctl.cli import main
from labctl.store import Store
from tests.processes import Child

RECIPE = """
[sample]
name = "pellet"
[program]
temperatures_C = [300]
ramp_C_per_min = 20.0
stabilize = { band_K = 1.0, window_s = 120.0, poll_s = 10.0 }
[[program.body]]
protocol = "eis"
start_Hz = 1e5
stop_Hz = 10.0
points_per_decade = 4
"""


def test_a_recipe_runs_against_served_simulators(tmp_path, capsys):
    bench, recipe, db = tmp_path / "served.toml", tmp_path / "r.toml", tmp_path / "lab.sqlite"
    recipe.write_text(RECIPE)
    with Child([sys.executable, "-m", "labctl.cli", "sim", "--bench", "sim", "--speed", "500",
                "--write-bench", str(bench)]) as server:
        server.read_until("Serving")
        assert main(["run", str(recipe), "--bench", str(bench), "--speed", "500",
                     "--db", str(db)]) == 0
        server.signal(signal.SIGINT)
        assert server.wait() == 130
    assert "x real time" in capsys.readouterr().out
    with Store.open(db) as store:
        steps = store.steps(1)
        assert [(s.path, s.status) for s in steps] == [("program[1]/stabilize", "done"),
                                                       ("program[1]/eis", "done")]
        assert steps[0].result["stable"] and steps[1].points == 17


def test_a_speed_that_is_not_positive_is_refused(tmp_path, capsys):
    recipe = tmp_path / "r.toml"
    recipe.write_text(RECIPE)
    assert main(["run", str(recipe), "--bench", "sim", "--speed", "0"]) == 1
    assert "--speed must be > 0, got 0" in capsys.readouterr().err
