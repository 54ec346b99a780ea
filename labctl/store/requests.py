"""Requests to a running run from another process: `labctl pause|resume|abort RUN`.

A request is a row of the `requests` table, written with an event naming who asked, only
while the run is `running`. The run's runner looks for new requests at its checkpoints
(`pending_requests`: on SQLite one `PRAGMA data_version` read while no other connection
committed)
and marks each handled with what came of it, also as an event. A run that ends marks the
requests it did not act on as handled too, so no request waits for ever.
"""

from __future__ import annotations

import os
import socket
import sqlite3
from dataclasses import dataclass

from labctl.errors import StoreError
from labctl.runstate import REQUESTS, RunState
from labctl.store.rows import add_event, utc_now
from labctl.store.spool import ServerGone


@dataclass(frozen=True)
class Request:
    id: int
    run_id: int
    command: str            # one of runstate.REQUESTS
    requested_utc: str
    requester: str          # 'pid N on host H'
    handled_utc: str | None
    outcome: str | None


class Requests:
    """The `Store` methods of requests (mixed into `Store`; uses its connection)."""

    _seen_data_version: int | None = None   # while unchanged, no new requests can exist

    def request(self, run_id: int, command: str) -> Request:
        """Ask running run `run_id` to `command` (pause, resume, abort) at its next checkpoint;
        StoreError if the run is not running."""
        if command not in REQUESTS:
            raise StoreError(f"request {command!r} is not one of "
                             f"{tuple(str(c) for c in REQUESTS)}")
        requester = f"pid {os.getpid()} on host {socket.gethostname()}"
        with self._write() as db:
            status = self._status(db, "runs", run_id)
            if status != RunState.RUNNING:     # a paused run is stored running
                raise StoreError(f"run {run_id} is {status}, not running: nothing to {command}")
            now = utc_now()
            request_id = db.execute(
                "INSERT INTO requests (run_id, command, requested_utc, requester) "
                "VALUES (?,?,?,?) RETURNING id", (run_id, command, now, requester)).fetchone()[0]
            add_event(db, run_id, "info", f"{command} requested by {requester}")
        return Request(request_id, run_id, command, now, requester, None, None)

    def pending_requests(self, run_id: int) -> list[Request]:
        """Requests to `run_id` not handled yet, oldest first; cheap while nothing changed:
        only other connections write requests (the runner's own connection never does)."""
        try:
            with self._db_errors("read"):
                version = self._data_version()
                if version is not None and version == self._seen_data_version:
                    return []
                pending = [Request(*row) for row in self._conn.execute(
                    "SELECT * FROM requests WHERE run_id = ? AND handled_utc IS NULL "
                    "ORDER BY id", (run_id,))]
        except ServerGone:   # no request reaches a run while its server is gone
            return []
        if not pending:
            self._seen_data_version = version
        return pending

    def _data_version(self) -> int | None:
        """SQLite's count of other connections' commits (None on PostgreSQL: always look)."""
        if self._guard is None:
            return None
        return self._conn.execute("PRAGMA data_version").fetchone()[0]

    def handle_request(self, request: Request, outcome: str) -> None:
        """Mark `request` handled with `outcome` (also logged as an event of its run)."""
        with self._write() as db:
            db.execute("UPDATE requests SET handled_utc = ?, outcome = ? WHERE id = ?",
                       (utc_now(), outcome, request.id))
            add_event(db, request.run_id, "info", outcome)

    def requests(self, run_id: int) -> list[Request]:
        """Every request to `run_id`, oldest first."""
        return [Request(**r) for r in self._select(
            "SELECT * FROM requests WHERE run_id = ? ORDER BY id", run_id)]


def expire_requests(db: sqlite3.Connection, run_id: int, status: str) -> None:
    """Requests a run ending `status` did not act on: handled, with why."""
    db.execute("UPDATE requests SET handled_utc = ?, outcome = ? "
               "WHERE run_id = ? AND handled_utc IS NULL",
               (utc_now(), f"not acted on: the run ended {status}", run_id))
