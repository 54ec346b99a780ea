"""The case of the issue: `labctl run` against `labctl sim --speed 500`, and the simulator
killed with SIGKILL mid-run (every link dies at once: TCP sockets, the Eurotherm's and the
EmStat's ptys). The run
ends `failed` in the store with the cause as an error event, the command exits 1."""

import signal
import sys
import time
from datetime import datetime

from labctl.store import Store
from tests.processes import Child

RECIPE = """
[sample]
name = "pellet"
[roles]
fra = "fra"
furnace = "furnace"
[program]
temperatures_C = [300, 350, 400]
ramp_C_per_min = 20.0
stabilize = { band_K = 1.0, window_s = 120.0, poll_s = 10.0 }
[[program.body]]
protocol = "eis"
start_Hz = 1e5
stop_Hz = 1.0
points_per_decade = 4
"""
LABCTL = [sys.executable, "-m", "labctl.cli"]


def test_a_killed_simulator_fails_the_run_in_the_store(tmp_path):
    bench, recipe, db = tmp_path / "served.toml", tmp_path / "r.toml", tmp_path / "lab.sqlite"
    recipe.write_text(RECIPE)
    with Child([*LABCTL, "sim", "--bench", "sim-full", "--speed", "500",
                "--write-bench", str(bench)]) as server:
        server.read_until("Serving")
        with Child([*LABCTL, "run", str(recipe), "--bench", str(bench), "--speed", "500",
                    "--db", str(db)]) as run:
            run.read_until("program[1]/eis: done")
            server.signal(signal.SIGKILL)
            killed = time.time()
            assert run.wait() == 1
    assert "run 1 failed: " in run.output
    with Store.open(db) as store:
        stored = store.run(1)
        errors = [e.message for e in store.events(1) if e.level == "error"]
    assert stored.status == "failed" and stored.ended_utc is not None
    assert errors and errors[-1].startswith("run failed: ")
    ended = datetime.fromisoformat(stored.ended_utc).timestamp()
    print(f"kill -9 to the stored end: {ended - killed:.3f} s wall")
    assert ended - killed < 30.0       # bounded by the link timeouts of the safe state
