"""`labctl runs` and `labctl export`, each a process of its own, poll a long run (virtual
clock) while the runner writes: they see every committed point, and their closing never
takes the WAL from the writer (issue 23)."""

from __future__ import annotations

import os
import sqlite3

from labctl import events as ev
from tests.runner.toy_protocols import plateau_recipe
from tests.store.outsiders import exported_points, listed_points

TIMEOUT = 120.0


def test_cli_readers_poll_a_running_run(make_runner, db, tmp_path):
    runner = make_runner(plateau_recipe(573.15, 623.15, readings=20))
    recorded, polls, wal = [0], [], []

    def poll(event) -> None:
        """At the end of each step, in the runner's thread: the run waits for the readers."""
        if isinstance(event, ev.PointRecorded):
            recorded[0] += 1
        elif isinstance(event, ev.StepFinished):
            wal.append(os.stat(f"{db}-wal").st_ino)
            seen = (listed_points(db, event.run_id) if event.kind != "dc" else
                    exported_points(db, event.run_id, tmp_path / f"poll{len(polls)}"))
            polls.append((recorded[0], seen))

    runner.subscribe(poll)
    assert runner.start().result(TIMEOUT) == "done"
    assert len(polls) == 6 and all(seen == committed for committed, seen in polls)
    assert polls[-1][0] == 2 * (12 + 20) and len(set(wal)) == 1
    assert listed_points(db, runner.run_id) == polls[-1][0]
    conn = sqlite3.connect(db)
    assert conn.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    conn.close()
