"""Small helpers shared by the store's table modules: UTC timestamps, event rows."""

from __future__ import annotations

import sqlite3
from datetime import datetime, timezone


def utc_now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="milliseconds")


def add_event(db: sqlite3.Connection, run_id: int, level: str, message: str,
              step_id: int | None = None, time_utc: str | None = None) -> None:
    db.execute("INSERT INTO events (run_id, step_id, time_utc, level, message) "
               "VALUES (?,?,?,?,?)", (run_id, step_id, time_utc or utc_now(), level, message))
