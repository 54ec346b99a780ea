"""Schema version 3 (the `requests` table): a version-2 store migrates and keeps its runs,
and a run that was running when it was written takes requests afterwards."""

from __future__ import annotations

import sqlite3

from labctl.store import Store
from labctl.store.schema import MIGRATIONS, SCHEMA_VERSION, migrate
from labctl.store.store import _owner


def test_a_version_2_store_migrates_and_its_running_run_takes_requests(tmp_path):
    db = tmp_path / "v2.sqlite"
    conn = sqlite3.connect(db, isolation_level=None)
    migrate(conn, MIGRATIONS[:2], db)
    conn.execute("INSERT INTO runs VALUES (1, 'u', 'old', 'running', 't', NULL, '', '{}', '',"
                 " '{}', 'labctl 0.1', ?)", (_owner(),))
    conn.execute("INSERT INTO steps (id, run_id, seq, kind, params_json, status, temperature_K,"
                 " started_utc, path, result_json) VALUES (1, 1, 1, 'eis', '{}', 'done', 573.15,"
                 " 't', 'program[1]/eis', '{\"r_ion_Ohm\": 12.5}')")
    conn.close()
    with Store.open(db) as store:
        assert store._conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
        (step,) = store.steps(1)
        assert (step.path, step.result) == ("program[1]/eis", {"r_ion_Ohm": 12.5})
        assert store.requests(1) == []
        request = store.request(1, "abort")
        assert (request.run_id, request.command, request.outcome) == (1, "abort", None)
    schema = sqlite3.connect(db).execute(
        "SELECT sql FROM sqlite_master WHERE name = 'requests'").fetchone()[0]
    assert "-- who asked: 'pid N on host H'" in schema
