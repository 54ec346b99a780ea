"""A run of several pellets killed (SIGKILL) while one polarizes beside another's spectrum
resumes per sample and position: what each pellet finished stays, what was cut short is
measured again (the old step superseded), and the run ends with every pellet's every
position measured once."""

from __future__ import annotations

import os
import select
import signal
import sqlite3
import subprocess
import sys

import pytest

from labctl.bench import parse_bench
from labctl.cli import main
from labctl.recipe import parse_recipe
from labctl.store import Store
from tests.e2e.test_kill_resume import rows
from tests.runner.test_multisample import BENCH, RECIPE

PROGRAM = RECIPE.replace("[400, 425]", "[400]").replace("at_C = [425]", "at_C = [400]")


def polarizing(db) -> bool:
    """Whether a polarization has committed points (the lanes are both busy by then)."""
    try:
        conn = sqlite3.connect(db)
        try:
            return conn.execute("SELECT count(*) FROM dc_points").fetchone()[0] > 20
        finally:
            conn.close()
    except sqlite3.OperationalError:   # not created yet
        return False


def test_a_killed_multisample_run_resumes_per_sample_and_position(tmp_path):
    bench, recipe, db = tmp_path / "bench.toml", tmp_path / "recipe.toml", tmp_path / "lab.sqlite"
    bench.write_text(BENCH)
    recipe.write_text(PROGRAM)
    with open(tmp_path / "run.log", "w") as log:
        subprocess.run([sys.executable, "-m", "labctl.cli", "run", str(recipe), "--bench",
                        str(bench), "--db", str(db), "--detach"], stdout=log,
                       stderr=subprocess.STDOUT, check=True, timeout=120)
    with Store.open(db) as store:
        pid = store.writer_pid(1)
    gone = os.pidfd_open(pid)
    try:
        while not polarizing(db):
            if select.select([gone], [], [], 0.02)[0]:
                pytest.fail("the run ended before a polarization")
        os.kill(pid, signal.SIGKILL)
        assert select.select([gone], [], [], 60)[0]
    finally:
        os.close(gone)
    before = rows(db)
    with Store.open(db) as store:
        finished_before = set(store.finished_positions(1))
    assert "program[1]/stabilize" in finished_before
    assert main(["run", "--resume", "1", "--bench", str(bench), "--db", str(db)]) == 0

    positions = [s.path for s in parse_recipe(PROGRAM, parse_bench(BENCH, str(bench))).steps]
    for table, kept in before.items():
        assert kept <= rows(db)[table], f"{table}: committed rows lost"
    with Store.open(db) as store:
        assert store.run(1).status == "done"
        assert set(store.finished_positions(1)) == set(positions)
        steps = store.steps(1)
    counted = [s for s in steps if not s.superseded and s.kind != "stabilize"]
    assert sorted((s.path, s.sample) for s in counted) == sorted(
        (p, p.split("/")[1]) for p in positions if p.count("/") == 2)
    assert all(s.status == "done" for s in counted)
    assert all(s.superseded for s in steps if s.status != "done")
    # the polarization cut short was measured again; what was finished before was not
    again = {s.path for s in steps if s.superseded}
    assert any("dc_polarization" in path for path in again)
    assert not again & (finished_before - {"program[1]/stabilize"})
