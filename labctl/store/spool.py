"""A bench's local spool for a PostgreSQL store whose server went away mid-run.

While the server cannot be reached, the store's run writes (steps started and finished,
points, events, positions, the run's end) are committed to a local SQLite file (WAL,
synchronous=FULL) instead, each as a call with its arguments and its time: the bench
measures on, and a point is still committed before it is reported. Once the server is
back (the store retries at most every `RETRY_S`, and on the next open), the calls are
replayed in order, each in one server transaction that also records its key (the spool's
origin and the call's number) in the `replayed` table; a call whose key is there already
is skipped, so a replay cut short (the process killed) and started again applies every
call exactly once. A step started offline takes an id reserved from the server beforehand.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import sqlite3
import uuid
from pathlib import Path

from labctl.errors import StoreError

RETRY_S = 5.0       # the least time between two attempts to reach a lost server
log = logging.getLogger(__name__)


class ServerGone(StoreError):
    """The PostgreSQL server of the store cannot be reached (the connection is lost)."""


def spool_path(url: str) -> Path:
    """The default spool of the store at `url`: one file per database, per user."""
    data_home = os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share"
    name = hashlib.sha256(url.encode()).hexdigest()[:16]
    return Path(data_home) / "labctl" / "spool" / f"{name}.sqlite"


class Spool:
    """Calls waiting for the server, in order; the file is made only when first needed."""

    def __init__(self, path: Path):
        self.path = path
        self._conn: sqlite3.Connection | None = None
        self.origin = ""

    def append(self, method: str, args: list) -> None:
        """Commit one call (its arguments JSON-able) to the spool."""
        conn = self._open()
        conn.execute("INSERT INTO calls (method, args_json) VALUES (?, ?)",
                     (method, json.dumps(args)))

    def calls(self) -> list[tuple[int, str, list]]:
        """The waiting calls, oldest first: (number, method, arguments)."""
        if self._conn is None and not self.path.exists():
            return []
        return [(seq, method, json.loads(args)) for seq, method, args in self._open().execute(
            "SELECT seq, method, args_json FROM calls ORDER BY seq")]

    def done(self, seq: int) -> None:
        self._open().execute("DELETE FROM calls WHERE seq = ?", (seq,))

    def close(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None

    def _open(self) -> sqlite3.Connection:
        if self._conn is None:
            try:
                self.path.parent.mkdir(parents=True, exist_ok=True)
                conn = sqlite3.connect(self.path, isolation_level=None, timeout=30.0)
                conn.execute("PRAGMA journal_mode = WAL")
                conn.execute("PRAGMA synchronous = FULL")
                conn.execute("CREATE TABLE IF NOT EXISTS calls (seq INTEGER PRIMARY KEY "
                             "AUTOINCREMENT, method TEXT NOT NULL, args_json TEXT NOT NULL)")
                conn.execute("CREATE TABLE IF NOT EXISTS origin (id TEXT NOT NULL)")
                conn.execute("INSERT INTO origin SELECT ? WHERE NOT EXISTS "
                             "(SELECT * FROM origin)", (str(uuid.uuid4()),))
                self.origin = conn.execute("SELECT id FROM origin").fetchone()[0]
            except (OSError, sqlite3.Error) as exc:
                raise StoreError(f"{self.path}: cannot use as the store's spool: {exc}") from exc
            self._conn = conn
        return self._conn
