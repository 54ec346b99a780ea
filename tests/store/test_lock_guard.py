"""Issue 23: code in the writer's process that opens and closes the database behind SQLite's
back (a file dialog's probing) must not let another process delete the WAL, and the store
refuses to write on once its locks or WAL are gone; nothing acknowledged is lost."""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path

import numpy as np
import pytest

from labctl.errors import StoreError
from labctl.store import Store
from labctl.store.guard import sqlite_lock_held
from tests.store.outsiders import listed_points, probe


def batch(start: int, n: int = 100) -> dict:
    return {"time_s": np.arange(start, start + n, dtype=float), "voltage_V": 0.1,
            "current_A": 1e-6}


def integrity(db: Path) -> str:
    conn = sqlite3.connect(db)
    try:
        return conn.execute("PRAGMA integrity_check").fetchone()[0]
    finally:
        conn.close()


def test_a_probe_then_labctl_runs_keeps_the_wal_and_the_writer_stops_cleanly(db):
    """The issue's sequence: the GUI's browser and writer stores, a probe in their process,
    `labctl runs` in another; it used to checkpoint and delete the WAL still written to."""
    browser, writer = Store.open(db), Store.open(db)
    run = writer.create_run("during the dialog", "", {}, {})
    step = writer.start_step(run, "dc_polarization", {})
    acked = sum(writer.add_dc(step, batch(i * 100)) for i in range(20))
    wal = os.stat(f"{db}-wal").st_ino

    probe(db)
    assert listed_points(db, run) == acked
    assert os.stat(f"{db}-wal").st_ino == wal          # the other process kept the WAL
    with pytest.raises(StoreError, match="lost its SQLite lock.*refusing to write on"):
        writer.add_dc(step, batch(acked))
    assert len(browser.dc(step)) == acked
    writer.close()
    browser.close()
    assert not Path(f"{db}-wal").exists()               # the last close cleaned up

    with Store.open(db) as store:                       # locks again: the run goes on
        assert np.array_equal(store.dc(step)["time_s"], np.arange(acked))
        store.add_dc(step, batch(acked))
        store.finish_run(run, "done")
    assert listed_points(db, run) == acked + 100
    assert integrity(db) == "ok"


def test_a_wal_replaced_behind_the_store_stops_its_writes(db):
    writer = Store.open(db)
    run = writer.create_run("wal moved", "", {}, {})
    step = writer.start_step(run, "dc_polarization", {})
    acked = writer.add_dc(step, batch(0))
    os.rename(f"{db}-wal", f"{db}-wal.moved")
    Path(f"{db}-wal").touch()
    with pytest.raises(StoreError, match=r"log lab\.sqlite-wal was deleted or replaced"):
        writer.add_dc(step, batch(acked))
    os.replace(f"{db}-wal.moved", f"{db}-wal")
    writer.close()
    with Store.open(db) as store:
        assert len(store.dc(step)) == acked
    assert integrity(db) == "ok"


def test_closing_one_store_keeps_the_process_locks_of_the_others(db):
    first = Store.open(db)
    run = first.create_run("two stores", "", {}, {})
    for _ in range(3):
        Store.open(db, create=False).close()
    assert sqlite_lock_held(db)
    first.log_event(run, "info", "still writing")
    first.close()
    assert not Path(f"{db}-wal").exists()
