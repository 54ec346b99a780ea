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
        np.testing.assert_array_equal(times, np.arange(len(times)))  # whole batches only
        assert store.resume_info(run).last_point_time_s == len(times) - 1
    assert sqlite3.connect(db).execute("PRAGMA integrity_check").fetchone() == ("ok",)


def read_counts(db: Path, run: int, step: int, writer: subprocess.Popen) -> list[int]:
    """With a store of one's own, read the growing step until the writer has exited."""
    with Store.open(db, create=False) as store:
        counts = []
        while not counts or writer.poll() is None:
            assert store.run(run).status in ("running", "done")
            counts.append(len(store.dc(step)))
        return counts


def test_readers_never_see_locks_while_a_writer_runs_at_full_speed(db, start_writer):
    proc, run, step = start_writer(db, batch=100, limit=200_000)
    with ThreadPoolExecutor(3) as pool:
        counts = list(pool.map(read_counts, [db] * 3, [run] * 3, [step] * 3, [proc] * 3))
    proc.stdin.close()
    acks = [int(line) for line in proc.stdout]
    proc.stdout.close()
    assert proc.wait() == 0 and acks[-1] == 200_000
    for seen in counts:
        assert seen == sorted(seen)
        assert len({n for n in seen if 0 < n < 200_000}) > 3  # reads overlapped writes
    with Store.open(db, create=False) as store:
        assert len(store.dc(step)) == 200_000
        assert store.run(run).status == "done"
