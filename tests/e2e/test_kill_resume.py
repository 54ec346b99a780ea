"""Crash safety: the run process of `labctl run` killed with SIGKILL at random moments; `labctl run --resume`
ends each run complete, with every point committed before the kill still in the store and
the measurements cut short or repeated marked superseded."""

from __future__ import annotations

import os
import random
import select
import signal
import sqlite3
import subprocess
import sys

import pytest

from labctl.bench import load_bench
from labctl.cli import main
from labctl.recipe import load_recipe
from labctl.store import Store
from tests.runner.toy_protocols import HOT_SIM as BENCH

RECIPE = """
[sample]
name = "pellet"
thickness_m = 0.5e-3
area_m2 = 1e-4
[program]
temperatures_C = [400, 425]
ramp_C_per_min = 10.0
stabilize = { band_K = 1.0, window_s = 60.0, poll_s = 10.0 }
[[program.body]]
protocol = "eis"
start_Hz = 1e5
stop_Hz = 1.0
points_per_decade = 4
[[program.body]]
protocol = "dc_polarization"
voltage_V = 0.5
max_duration_s = 1800.0
"""
COUNT = ("SELECT (SELECT count(*) FROM impedance_points) + (SELECT count(*) FROM dc_points)"
         " + (SELECT count(*) FROM temperature_log)")


def rows(db):
    """Every committed point, temperature reading and step row of the database."""
    conn = sqlite3.connect(db)
    try:
        return {table: set(conn.execute(f"SELECT rowid, * FROM {table}"))
                for table in ("impedance_points", "dc_points", "temperature_log")}
    finally:
        conn.close()


def committed(db) -> int:
    try:
        conn = sqlite3.connect(db)
        try:
            return conn.execute(COUNT).fetchone()[0]
        finally:
            conn.close()
    except sqlite3.OperationalError:   # not created yet
        return 0


def run_until_killed(args, db, after_points, log):
    """Start `labctl run --detach`, SIGKILL its run process once `after_points` rows are
    committed."""
    subprocess.run([sys.executable, "-m", "labctl.cli", *args, "--detach"], stdout=log,
                   stderr=subprocess.STDOUT, check=True, timeout=120)
    with Store.open(db) as store:
        pid = store.writer_pid(1)
    gone = os.pidfd_open(pid)
    try:
        while committed(db) < after_points:
            if select.select([gone], [], [], 0.02)[0]:   # polls the database, ends on exit
                pytest.fail(f"the run ended before {after_points} rows")
        os.kill(pid, signal.SIGKILL)
        assert select.select([gone], [], [], 60)[0]
    finally:
        os.close(gone)


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_a_killed_run_resumes_to_completion_and_loses_no_point(tmp_path, seed, capsys):
    (tmp_path / "bench.toml").write_text(BENCH)
    (tmp_path / "recipe.toml").write_text(RECIPE)
    bench, db = str(tmp_path / "bench.toml"), tmp_path / "lab.sqlite"
    after = random.Random(seed).randint(5, 150)
    with open(tmp_path / "run.log", "w") as log:
        run_until_killed(["run", str(tmp_path / "recipe.toml"), "--bench", bench, "--db", str(db)],
                         db, after, log)
    before = rows(db)
    assert sum(len(r) for r in before.values()) >= after

    assert main(["runs", "--db", str(db)]) == 0
    assert "interrupted" in capsys.readouterr().out    # the dead writer's run
    assert main(["run", "--resume", "1", "--bench", bench, "--db", str(db)]) == 0

    after_resume = rows(db)
    for table, kept in before.items():
        assert kept <= after_resume[table], f"{table}: committed rows lost"
    positions = [s.path for s in load_recipe(tmp_path / "recipe.toml", load_bench(bench)).steps]
    with Store.open(db) as store:
        assert store.run(1).status == "done"
        assert set(store.finished_positions(1)) == set(positions)
        steps = store.steps(1)
        counted = [s for s in steps if not s.superseded]
        assert sorted(s.path for s in counted) == sorted(p for p in positions
                                                        if p != "final/cool_down")
        assert all(s.status == "done" for s in counted)
        assert all(s.superseded for s in steps if s.status != "done")
    assert main(["runs", "show", "1", "--db", str(db)]) == 0
    shown = capsys.readouterr().out
    assert "run 1: recipe  [done]" in shown
    assert ("(superseded)" in shown) == any(s.superseded for s in steps)
