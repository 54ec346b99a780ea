"""The `Store` methods that keep a run writing through a lost PostgreSQL server (spool.py).

A run write goes through `_call`: on the server while it answers, else into the spool;
while the spool holds calls, new ones queue behind them, so the server sees every write
in the order the bench made it. Reads need the server (they raise `ServerGone`), except
`pending_requests`, which has nothing new to say while the server is gone.
"""

from __future__ import annotations

import logging
import time
from typing import Any, Callable

from labctl.errors import StoreError
from labctl.store import postgres
from labctl.store.spool import RETRY_S, ServerGone, Spool

RESERVED_STEPS = 16     # step ids reserved on the server for steps started offline
log = logging.getLogger("labctl.store.spool")


class AlreadyReplayed(Exception):
    """The spooled call was applied by an earlier replay (its key is in `replayed`)."""


class Offline:
    """Mixed into `Store`; uses its connection, `path`, `_write` and `_seqs`."""

    _spool: Spool | None = None
    _pending = False                       # the spool holds calls
    _retry_at = 0.0
    _replay_key: tuple[str, int] | None = None
    retry_s = RETRY_S

    def _use_spool(self, spool: Spool) -> None:
        """Spool run writes to `spool` while the server is gone; replay what it holds."""
        self._spool, self._pending = spool, bool(spool.calls())
        self._reserved: list[int] = []
        self._reserve()
        self._online()

    def _call(self, method: str, *args,
              offline: Callable[[], tuple[tuple, Any]] = lambda: ((), None)) -> Any:
        """`method(*args)` on the server, or into the spool while the server is gone (with
        the extra arguments and the result `offline()` gives)."""
        if self._spool is None:
            return getattr(self, method)(*args)
        if self._online():
            try:
                return getattr(self, method)(*args)
            except ServerGone as exc:
                log.warning("%s; spooling the run's writes to %s", exc, self._spool.path)
        extra, result = offline()
        self._spool.append(method, [*args, *extra])
        self._pending = True
        return result

    def _online(self) -> bool:
        """Whether the server takes writes now: reconnected if it was lost and the spool
        replayed (tried at most every `retry_s`)."""
        if not self._conn.lost and not self._pending:
            return True
        now = time.monotonic()
        if now < self._retry_at:
            return False
        self._retry_at = now + self.retry_s
        try:
            if self._conn.lost:
                self._conn.close()
                self._conn = postgres.connect(self.path, create=False)
                self._reserve()
            self._replay()
        except ServerGone:
            return False
        return True

    def _replay(self) -> None:
        calls = self._spool.calls()
        if calls:
            log.info("%s: replaying %d spooled writes", self.path, len(calls))
        for seq, method, args in calls:
            self._replay_key = (self._spool.origin, seq)
            try:
                getattr(self, method)(*args)
            except AlreadyReplayed:
                pass
            finally:
                self._replay_key = None
            self._spool.done(seq)
            log.debug("replayed spooled write %d (%s)", seq, method)
        self._pending = False

    def _mark_replayed(self, db) -> None:
        """In a write transaction: record the replayed call's key; `AlreadyReplayed` if an
        earlier replay applied it (or another process replaying the same spool just did:
        the insert waits for its transaction)."""
        if self._replay_key is None:
            return
        if db.execute("INSERT INTO replayed (origin, seq) VALUES (?, ?) ON CONFLICT DO NOTHING "
                      "RETURNING seq", self._replay_key).fetchone() is None:
            raise AlreadyReplayed

    def _reserve(self) -> None:
        """Step ids from the server for steps started while it is gone."""
        if self._conn.writable and len(self._reserved) < RESERVED_STEPS:
            with self._db_errors("reserve step ids"):
                self._reserved += [r[0] for r in self._conn.execute(
                    "SELECT nextval(pg_get_serial_sequence('steps', 'id')) "
                    "FROM generate_series(1, ?)", (RESERVED_STEPS - len(self._reserved),))]

    def _offline_step(self, run_id: int) -> tuple[tuple[int, int], int]:
        """Id and number of a step started while the server is gone."""
        if run_id not in self._seqs or not self._reserved:
            raise StoreError(f"{self.path}: the server is gone and this process cannot "
                             f"number a new step of run {run_id}")
        self._seqs[run_id] += 1
        step_id = self._reserved.pop(0)
        return (step_id, self._seqs[run_id]), step_id

    def close_spool(self) -> None:
        if self._spool is not None:
            self._spool.close()
