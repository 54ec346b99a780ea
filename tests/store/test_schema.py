"""Schema: creation, version, migrations, and clear errors for files that are not usable."""

from __future__ import annotations

import sqlite3

import pytest

from labctl.errors import StoreError
from labctl.store import Store
from labctl.store.schema import APPLICATION_ID, MIGRATIONS, SCHEMA_VERSION, connect, migrate


def test_new_database_is_a_versioned_wal_labctl_store(store, db):
    conn = sqlite3.connect(db)
    assert conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
    assert conn.execute("PRAGMA application_id").fetchone()[0] == APPLICATION_ID
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    names = {r[0] for r in conn.execute("SELECT name FROM sqlite_master")}
    assert {"runs", "steps", "impedance_points", "dc_points", "temperature_log", "events",
            "run_summary", "step_summary"} <= names


def test_store_connections_are_durable(db):
    """WAL, and synchronous=FULL (2): a commit survives a power cut, not only a crash."""
    conn = connect(db, create=True)
    try:
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert conn.execute("PRAGMA synchronous").fetchone()[0] == 2
        assert conn.execute("PRAGMA foreign_keys").fetchone()[0] == 1
    finally:
        conn.close()


def test_plain_sqlite3_reads_a_run(filled, db):
    _, run, eis, _ = filled
    conn = sqlite3.connect(db)
    name, steps, points = conn.execute(
        "SELECT name, steps, points FROM run_summary WHERE id = ?", (run,)).fetchone()
    assert (name, steps, points) == ("YSZ 8 mol%", 2, 41)
    z = conn.execute("SELECT z_real_Ohm, z_imag_Ohm FROM impedance_points WHERE step_id = ?",
                     (eis,)).fetchall()
    assert len(z) == 36 and all(imag < 0 for _, imag in z)


def test_reopening_keeps_data(filled, db):
    _, run, _, _ = filled
    with Store.open(db) as again:
        assert again.run(run).points == 41


def test_missing_file_without_create(tmp_path):
    with pytest.raises(StoreError, match="no such database"):
        Store.open(tmp_path / "nope.sqlite", create=False)
    assert not (tmp_path / "nope.sqlite").exists()


def test_garbage_file_is_refused_and_left_alone(db):
    db.write_bytes(b"this is not sqlite " * 100)
    with pytest.raises(StoreError, match="labctl store"):
        Store.open(db)
    assert db.read_bytes() == b"this is not sqlite " * 100


def test_truncated_database_is_refused(filled, db):
    filled[0].close()
    sqlite3.connect(db).execute("PRAGMA wal_checkpoint(TRUNCATE)")
    data = db.read_bytes()
    db.write_bytes(data[:len(data) // 2])
    with pytest.raises(StoreError):
        Store.open(db)


def test_other_sqlite_database_is_refused(db):
    sqlite3.connect(db).execute("CREATE TABLE photos (id INTEGER)")
    with pytest.raises(StoreError, match="not a labctl store"):
        Store.open(db)


def test_newer_schema_is_refused(store, db):
    store.close()
    sqlite3.connect(db).execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    with pytest.raises(StoreError, match="newer"):
        Store.open(db)


def test_directory_path_gives_store_error(tmp_path):
    with pytest.raises(StoreError, match=str(tmp_path)):
        Store.open(tmp_path)


def _raw(path):
    return sqlite3.connect(path, isolation_level=None)


def test_migrations_apply_in_order_from_any_version(filled, db):
    filled[0].close()
    later = MIGRATIONS + (("ALTER TABLE runs ADD COLUMN note TEXT",),
                          ("UPDATE runs SET note = 'v3'",))
    conn = _raw(db)
    migrate(conn, later, db)
    assert conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION + 2
    assert conn.execute("SELECT note FROM runs").fetchall() == [("v3",)]


def test_failed_migration_rolls_back(filled, db):
    filled[0].close()
    broken = MIGRATIONS + (("ALTER TABLE runs ADD COLUMN note TEXT", "SELECT * FROM nowhere"),)
    conn = _raw(db)
    with pytest.raises(sqlite3.OperationalError):
        migrate(conn, broken, db)
    assert conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
    assert "note" not in {r[1] for r in conn.execute("PRAGMA table_info(runs)")}


def test_a_version_1_store_migrates_and_keeps_its_steps(tmp_path):
    db = tmp_path / "v1.sqlite"
    conn = _raw(db)
    migrate(conn, MIGRATIONS[:1], db)
    conn.execute("INSERT INTO runs VALUES (1, 'u', 'old', 'done', 't', 't', '', '{}', '', '{}',"
                 " 'labctl 0.1', 'h b 1')")
    conn.execute("INSERT INTO steps VALUES (1, 1, 1, 'eis', '{}', 'done', 300.0, 't', 't')")
    conn.close()
    with Store.open(db) as store:
        (step,) = store.steps(1)
        assert (step.kind, step.path, step.result, step.superseded) == ("eis", None, None, False)
        assert store.finished_positions(1) == []
