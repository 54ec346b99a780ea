"""A run whose writer process was killed shows as 'interrupted' to any command that opens
the store, never as 'running' forever."""

from __future__ import annotations

import os
import signal

from labctl.cli import main
from labctl.store import Store


def kill_9(proc) -> None:
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    proc.stdout.close()
    proc.stdin.close()


def test_runs_shows_the_run_of_a_killed_writer_as_interrupted(db, capsys, start_writer):
    proc, run, _ = start_writer(db, batch=10, limit=10**9)
    try:
        proc.stdout.readline()                        # one batch acknowledged
        assert main(["runs", "--db", str(db)]) == 0   # the writer is alive: still running
        assert capsys.readouterr().out.splitlines()[1].split()[4] == "running"
    finally:
        kill_9(proc)
    assert main(["runs", "--db", str(db)]) == 0
    assert capsys.readouterr().out.splitlines()[1].split()[4] == "interrupted"
    with Store.open(db, create=False) as store:
        assert store.run(run).status == "interrupted"
        assert "writer process is gone" in store.events(run)[-1].message
