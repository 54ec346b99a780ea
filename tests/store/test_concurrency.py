"""A writer process at full speed vs. `kill -9` and vs. concurrent readers."""

from __future__ import annotations

import os
import random
import signal
import sqlite3
import subprocess
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pytest

from labctl.store import Store


@pytest.mark.parametrize("seed", range(4))
def test_kill_9_loses_no_acknowledged_point(db, seed, start_writer):
    rng = random.Random(seed)
    batch = rng.choice([1, 7, 100, 1000])
    proc, run, step = start_writer(db, batch, limit=10**9)
    acks = [int(proc.stdout.readline()) for _ in range(rng.randrange(1, 300))]
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    rest = proc.stdout.read()
    acks += [int(line) for line in rest.split("\n")[:-1]]  # a cut-off last line is no ack
    proc.stdout.close()
    proc.stdin.close()

    assert proc.returncode == -signal.SIGKILL
    with Store.open(db) as store:                          # marks the dead writer's run
        assert store.run(run).status == "interrupted" and store.mark_interrupted() == []
        times = store.dc(step)["time_s"]
        assert len(times) >= acks[-1]
        np.testing.assert_array_equal(times, np.arange(len(times)))
        assert len(times) % batch == 0                     # whole batches only
        assert store.resume_info(run).last_point_time_s == len(times) - 1
    assert sqlite3.connect(db).execute("PRAGMA integrity_check").fetchone() == ("ok",)


def read_until_it_grows(db: Path, run: int, step: int, writer: subprocess.Popen,
                        sizes: int = 4) -> list[int]:
    """With a store of one's own, read the step until it was seen at `sizes` sizes."""
    with Store.open(db, create=False) as store:
        counts: list[int] = []
        while len(set(counts)) < sizes:
            assert writer.poll() is None and store.run(run).status == "running"
            counts.append(len(store.dc(step)))
        return counts


def test_readers_never_see_locks_while_a_writer_runs_at_full_speed(db, start_writer):
    """Three readers see the step grow (the writer runs until they have), never a lock
    error, and only whole committed batches."""
    proc, run, step = start_writer(db, batch=100, limit=10**9)
    try:
        with ThreadPoolExecutor(3) as pool:
            counts = list(pool.map(read_until_it_grows, [db] * 3, [run] * 3, [step] * 3,
                                   [proc] * 3))
    finally:
        proc.stdin.close()
    acks = [int(line) for line in proc.stdout]
    proc.stdout.close()
    assert proc.wait() == 0
    for seen in counts:
        assert seen == sorted(seen) and all(n % 100 == 0 for n in seen)
    with Store.open(db, create=False) as store:
        assert len(store.dc(step)) == acks[-1]
        assert store.run(run).status == "done"
