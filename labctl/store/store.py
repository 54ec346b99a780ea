"""`Store`: the runner's durable record of runs, steps, points and events.

The database is an SQLite file (WAL) or, for a lab's shared database, PostgreSQL
(postgres.py); the methods and their guarantees are the same for both.

Every write method commits before it returns: a point is "recorded" only once `add_*` has
returned, so events to the GUI/CLI go out after the commit. Fast producers pass many
points per call (see `PointWriter`). A `Store` holds one connection and is used from the
thread that opened it; other threads and processes (GUI, `labctl runs`) open their own.
The SQLite stores of a process share a `Guard` (guard.py) that keeps SQLite's locking sound
when other code opens and closes the database file, and refuses writes once it was not.
"""

from __future__ import annotations

import json
import os
import socket
import sqlite3
import uuid
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Iterator

import numpy as np

from labctl import __version__
from labctl.errors import StoreError
from labctl.runstate import Command, RunState, accepts
from labctl.store import points as pt
from labctl.store import postgres
from labctl.store.guard import Guard, close_guarded, open_guarded
from labctl.store.compensations import Compensations
from labctl.store.offline import Offline
from labctl.store.records import Event, NewPoints, ResumeInfo, Run, Step
from labctl.store.requests import Requests, expire_requests
from labctl.store.rows import add_event as _event
from labctl.store.rows import utc_now as _utc_now
from labctl.store.schema import LEVELS, STATUSES, connect
from labctl.store.spool import ServerGone, Spool, spool_path

FINAL_STATUSES = tuple(s for s in STATUSES if s != RunState.RUNNING)


__all__ = ["Event", "NewPoints", "ResumeInfo", "Run", "Step", "Store"]


class Store(Requests, Offline, Compensations):
    """A labctl database; see docs/store.md for the schema."""

    def __init__(self, conn: sqlite3.Connection | postgres.Connection, path: Path | str,
                 guard: Guard | None):
        self._conn, self.path, self._guard = conn, path, guard
        self._errors = (sqlite3.Error,) if guard else postgres.errors()
        self._seqs: dict[int, int] = {}    # run id -> number of its latest step, if known

    @classmethod
    def open(cls, path: str | os.PathLike, *, create: bool = True,
             spool: Path | None = None) -> Store:
        """Open (creating it if `create`, and migrating) the database at `path`, a file or a
        `postgresql://` URL; runs left 'running' by a process that is gone are marked
        'interrupted' (`mark_interrupted`; not by a read-only database role). A writer
        (`create`) of a PostgreSQL store spools run writes to `spool` (default:
        `spool_path`) while the server is gone, and replays what an earlier process left."""
        if postgres.is_url(path):
            store = cls(postgres.connect(path, create=create), path, None)
            if create and store._conn.writable:
                store._use_spool(Spool(Path(spool) if spool else spool_path(path)))
        else:
            path = Path(path).expanduser()
            conn, guard = open_guarded(path, lambda: connect(path, create=create))
            store = cls(conn, path, guard)
        try:
            if getattr(store._conn, "writable", True):
                store.mark_interrupted()
        except BaseException:
            store.close()
            raise
        return store

    def close(self) -> None:
        self.close_spool()
        if self._guard:
            close_guarded(self._conn, self._guard)
        else:
            self._conn.close()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    # -- writing ---------------------------------------------------------------------------

    def create_run(self, name: str, recipe_text: str, bench_snapshot: dict, sample: dict,
                   operator: str = "") -> int:
        with self._write() as db:
            run_id = db.execute(
                "INSERT INTO runs (uuid, name, status, started_utc, operator, sample_json, "
                "recipe_text, bench_json, software, owner, bench_host, bench_name) "
                "VALUES (?,?,?,?,?,?,?,?,?,?,?,?) RETURNING id",
                (str(uuid.uuid4()), name, "running", _utc_now(), operator, _json(sample),
                 recipe_text, _json(bench_snapshot), f"labctl {__version__}", _owner(),
                 socket.gethostname(), _bench_name(bench_snapshot)),
            ).fetchone()[0]
        self._seqs[run_id] = 0
        return run_id

    def start_step(self, run_id: int, kind: str, params: dict,
                   temperature_K: float | None = None, path: str | None = None,
                   sample: str | None = None) -> int:
        """A new running step; `path` is the recipe position that measures it, `sample` the
        name of the sample it measures in a run of several (None: the run's only sample)."""
        return self._call("_start_sample_step", run_id, kind, _json(params), temperature_K,
                          path, sample, _utc_now(), offline=lambda: self._offline_step(run_id))

    def _start_step(self, run_id: int, kind: str, params_json: str, temperature_K, path,
                    now: str, step_id: int | None = None, seq: int | None = None) -> int:
        """A step start spooled by a labctl from before steps named their sample (schema
        v6), replayed as it was written: a step of the run's only sample."""
        return self._start_sample_step(run_id, kind, params_json, temperature_K, path, None,
                                       now, step_id, seq)

    def _start_sample_step(self, run_id: int, kind: str, params_json: str, temperature_K,
                           path, sample: str | None, now: str, step_id: int | None = None,
                           seq: int | None = None) -> int:
        with self._write() as db:
            self._require_running(db, "runs", run_id)
            if seq is None:
                seq = db.execute("SELECT coalesce(max(seq), 0) + 1 FROM steps "
                                 "WHERE run_id = ?", (run_id,)).fetchone()[0]
            row = {"run_id": run_id, "seq": seq, "kind": kind, "params_json": params_json,
                   "status": "running", "temperature_K": temperature_K, "started_utc": now,
                   "path": path, "sample": sample, **({} if step_id is None else {"id": step_id})}
            step_id = db.execute(f"INSERT INTO steps ({', '.join(row)}) VALUES "
                                 f"({', '.join('?' * len(row))}) RETURNING id",
                                 tuple(row.values())).fetchone()[0]
        self._seqs[run_id] = seq
        return step_id

    def finish_step(self, step_id: int, status: str, result: dict | None = None) -> None:
        """End a running step, with its result (a JSON object) if it has one."""
        _check_final(status)
        self._call("_finish_step", step_id, status, None if result is None else _json(result),
                   _utc_now())

    def _finish_step(self, step_id: int, status: str, result_json: str | None,
                     now: str) -> None:
        with self._write() as db:
            self._require_running(db, "steps", step_id)
            db.execute("UPDATE steps SET status = ?, ended_utc = ?, result_json = ? "
                       "WHERE id = ?", (status, now, result_json, step_id))

    def finish_position(self, run_id: int, path: str) -> None:
        """Record that the run completed recipe position `path` (a resume skips it)."""
        self._call("_finish_position", run_id, path, _utc_now())

    def _finish_position(self, run_id: int, path: str, now: str) -> None:
        with self._write() as db:
            self._require_running(db, "runs", run_id)
            db.execute("DELETE FROM positions WHERE run_id = ? AND path = ?", (run_id, path))
            db.execute("INSERT INTO positions (run_id, path, ended_utc) VALUES (?,?,?)",
                       (run_id, path, now))

    def supersede(self, run_id: int, path: str) -> int:
        """Mark the steps recipe position `path` measured so far as superseded (it is
        measured again); returns how many."""
        with self._write() as db:
            self._require_running(db, "runs", run_id)
            return db.execute("UPDATE steps SET superseded = 1 WHERE run_id = ? AND path = ?",
                              (run_id, path)).rowcount

    def add_impedance(self, step_id: int, points: pt.Points, temperature_K: Any = None) -> int:
        """Commit impedance points of a running step; `temperature_K` is a scalar or per point."""
        return self._add(pt.IMPEDANCE, step_id, points, temperature_K)

    def add_dc(self, step_id: int, points: pt.Points, temperature_K: Any = None) -> int:
        """Commit DC readings of a running step; `temperature_K` is a scalar or per point."""
        return self._add(pt.DC, step_id, points, temperature_K)

    def add_gas(self, step_id: int, readings: pt.Points, temperature_K: Any = None) -> int:
        """Commit atmosphere readings (pO2, flows) of a running step."""
        return self._add(pt.GAS, step_id, readings, temperature_K)

    def add_temperature(self, run_id: int, readings: pt.Points) -> int:
        """Commit temperature-controller readings of a running run."""
        return self._add(pt.TEMPERATURE, run_id, readings, None)

    def log_event(self, run_id: int, level: str, message: str,
                  step_id: int | None = None) -> None:
        if level not in LEVELS:
            raise StoreError(f"event level {level!r} is not one of {LEVELS}")
        self._call("_log_event", run_id, level, message, step_id, _utc_now())

    def _log_event(self, run_id: int, level: str, message: str, step_id: int | None,
                   now: str) -> None:
        with self._write() as db:
            _event(db, run_id, level, message, step_id, now)

    def finish_run(self, run_id: int, status: str) -> None:
        """End a running run; steps still running get the same status."""
        _check_final(status)
        self._call("_finish_run", run_id, status, _utc_now())

    def _finish_run(self, run_id: int, status: str, now: str) -> None:
        with self._write() as db:
            self._require_running(db, "runs", run_id)
            self._end(db, run_id, status, now)

    def finished_positions(self, run_id: int) -> list[str]:
        """Recipe positions the run completed, in order."""
        return [r["path"] for r in self._select(
            "SELECT path FROM positions WHERE run_id = ? ORDER BY rowid", run_id)]

    def mark_interrupted(self) -> list[int]:
        """Mark runs left 'running' by a dead process (on this host) as 'interrupted'."""
        if not self._dead_runs():  # the common case takes no write lock
            return []
        with self._write() as db:
            dead = self._dead_runs()
            for run_id in dead:
                self._end(db, run_id, "interrupted")
                _event(db, run_id, "warning", "run interrupted: its writer process is gone")
        return dead

    def writer_pid(self, run_id: int) -> int | None:
        """The pid of the process writing running run `run_id` on this host (None: the
        run is not running, or is written on another host)."""
        rows = self._select("SELECT owner FROM runs WHERE id = ? AND status = 'running'", run_id)
        if not rows:
            return None
        host, _, pid = rows[0]["owner"].rsplit(" ", 2)
        return int(pid) if host == socket.gethostname() else None

    def _dead_runs(self) -> list[int]:
        with self._db_errors("read"):
            return [run_id for run_id, owner in self._conn.execute(
                "SELECT id, owner FROM runs WHERE status = 'running'") if not _alive(owner)]

    def resume_run(self, run_id: int) -> ResumeInfo:
        """Take over an interrupted, failed or aborted run: it is 'running' again, owned by
        this process."""
        with self._write() as db:
            status = self._status(db, "runs", run_id)
            if not accepts(status, Command.RESUME_INTERRUPTED):
                raise StoreError(f"run {run_id} is {status}, only an interrupted, failed or "
                                 "aborted run resumes")
            db.execute("UPDATE runs SET status = 'running', ended_utc = NULL, owner = ? "
                       "WHERE id = ?", (_owner(), run_id))
            _event(db, run_id, "info", "run resumed")
        info = self.resume_info(run_id)
        self._seqs[run_id] = max((s.seq for s in self.steps(run_id)), default=0)
        return info

    def _add(self, table: pt.PointTable, key: int, points: pt.Points, temperature_K) -> int:
        rows = list(pt.rows(table, key, points, temperature_K))
        return self._call("_insert_points", table.name, key, rows,
                          offline=lambda: ((), len(rows)))

    def _insert_points(self, table_name: str, key: int, rows: list) -> int:
        table = pt.TABLES[table_name]
        with self._write() as db:
            self._require_running(db, "runs" if table.key == "run_id" else "steps", key)
            return db.executemany(table.insert_sql, rows).rowcount

    def _end(self, db: sqlite3.Connection, run_id: int, status: str,
             now: str | None = None) -> None:
        now = now or _utc_now()
        db.execute("UPDATE steps SET status = ?, ended_utc = ? "
                   "WHERE run_id = ? AND status = 'running'", (status, now, run_id))
        db.execute("UPDATE runs SET status = ?, ended_utc = ? WHERE id = ?",
                   (status, now, run_id))
        expire_requests(db, run_id, status)

    def _status(self, db: sqlite3.Connection, table: str, key: int) -> str:
        row = db.execute(f"SELECT status FROM {table} WHERE id = ?", (key,)).fetchone()
        if row is None:
            raise StoreError(f"{self.path}: no {table[:-1]} with id {key}")
        return row[0]

    def _require_running(self, db: sqlite3.Connection, table: str, key: int) -> None:
        """Refuse writes to a run or step that ended; a replayed spool call was made while
        it ran (another process may have marked it interrupted since: the bench's
        process died before the replay)."""
        status = self._status(db, table, key)
        if status != "running" and self._replay_key is None:
            raise StoreError(f"{table[:-1]} {key} is {status}, not running")

    @contextmanager
    def _write(self) -> Iterator[sqlite3.Connection]:
        """One committed transaction, unless the process lost its WAL or locks (see `Guard`)."""
        with self._db_errors("write"):
            self._conn.execute("BEGIN IMMEDIATE")
            try:
                self._mark_replayed(self._conn)
                yield self._conn
                if self._guard:
                    self._guard.check()
                self._conn.execute("COMMIT")
            except BaseException:
                if self._conn.in_transaction:
                    self._conn.execute("ROLLBACK")
                raise

    @contextmanager
    def _db_errors(self, action: str) -> Iterator[None]:
        """Database errors as `StoreError` (SQLite misuse, e.g. from another thread, stays
        raw)."""
        try:
            yield
        except sqlite3.ProgrammingError:
            raise
        except self._errors as exc:
            lost = getattr(self._conn, "lost", False)
            raise (ServerGone if lost else StoreError)(
                f"{self.path}: {action} failed: {exc}") from exc

    # -- reading ---------------------------------------------------------------------------

    def runs(self, *, bench: str | None = None, since: str | None = None,
             sample: str | None = None, status: str | None = None) -> list[Run]:
        """The runs, oldest first; only those of `bench` (its name or host), started at or
        after `since` (ISO 8601 UTC text), whose sample metadata contains `sample` (any
        case), with `status`, where given."""
        where = {"(bench_name = ? OR bench_host = ?)": (bench, bench),
                 "started_utc >= ?": (since,),
                 "lower(sample_json) LIKE ?": (f"%{(sample or '').lower()}%",),
                 "status = ?": (status,)}
        chosen = [(sql, params) for (sql, params), given in
                  zip(where.items(), (bench, since, sample, status)) if given is not None]
        sql = " AND ".join(c for c, _ in chosen) or "1 = 1"
        return [_run(r) for r in self._select(f"SELECT * FROM run_summary WHERE {sql} "
                                              "ORDER BY id", *(p for _, ps in chosen for p in ps))]

    def run(self, run_id: int) -> Run:
        rows = self._select("SELECT * FROM run_summary WHERE id = ?", run_id)
        if not rows:
            raise StoreError(f"{self.path}: no run with id {run_id}")
        return _run(rows[0])

    def steps(self, run_id: int) -> list[Step]:
        return [_step(r) for r in self._select(
            "SELECT * FROM step_summary WHERE run_id = ? ORDER BY seq", run_id)]

    def events(self, run_id: int) -> list[Event]:
        return [Event(**r) for r in self._select(
            "SELECT * FROM events WHERE run_id = ? ORDER BY id", run_id)]

    def impedance(self, step_id: int) -> np.ndarray:
        """Fields time_s, frequency_Hz, impedance_Ohm (complex), amplitude_V, bias_V,
        temperature_K."""
        return self._points(pt.IMPEDANCE, step_id)

    def dc(self, step_id: int) -> np.ndarray:
        """Fields time_s, voltage_V, current_A, temperature_K."""
        return self._points(pt.DC, step_id)

    def gas(self, step_id: int) -> np.ndarray:
        """Fields time_s, pO2_Pa, o2_flow_sccm, n2_flow_sccm, co_flow_sccm, co2_flow_sccm,
        temperature_K."""
        return self._points(pt.GAS, step_id)

    def temperature_log(self, run_id: int) -> np.ndarray:
        """Fields time_s, temperature_K, setpoint_K, output_percent."""
        return self._points(pt.TEMPERATURE, run_id)

    def points_since(self, run_id: int, cursor: tuple[int, int, int] = (0, 0, 0)) -> NewPoints:
        """Every point of run `run_id` committed after `cursor` (from the previous call's
        result; the default: all), by step: a reader following a running run (the GUI
        reopening it) reads each point once. Cursors are rowids of the point tables."""
        with self._db_errors("read"):
            parts = [pt.read_after(self._conn, table, run_id, after)
                     for table, after in zip((pt.IMPEDANCE, pt.DC, pt.TEMPERATURE), cursor)]
        (zk, z, zc), (dk, d, dc), (_, temperature, tc) = parts
        return NewPoints(_by_key(zk, z), _by_key(dk, d), temperature, (zc, dc, tc))

    def resume_info(self, run_id: int) -> ResumeInfo:
        run = self.run(run_id)
        steps = self.steps(run_id)
        done = [s for s in steps if s.status == "done"]
        last_completed = done[-1] if done else None
        unfinished = steps[-1] if steps and steps[-1] is not last_completed else None
        last_time = self._select(
            "SELECT max(t) AS t FROM (SELECT max(time_s) AS t FROM temperature_log"
            " WHERE run_id = ? UNION ALL SELECT max(time_s) FROM impedance_points"
            " JOIN steps ON steps.id = step_id WHERE run_id = ? UNION ALL"
            " SELECT max(time_s) FROM dc_points JOIN steps ON steps.id = step_id"
            " WHERE run_id = ?) AS latest", run_id, run_id, run_id)[0]["t"]
        return ResumeInfo(run_id, run.status, last_completed, unfinished, last_time)

    def _select(self, sql: str, *params) -> list[dict]:
        with self._db_errors("read"):
            cursor = self._conn.execute(sql, params)
            names = [d[0] for d in cursor.description]
            return [dict(zip(names, row)) for row in cursor]

    def _points(self, table: pt.PointTable, key: int) -> np.ndarray:
        with self._db_errors("read"):
            return pt.read(self._conn, table, key)


def _by_key(keys: np.ndarray, points: np.ndarray) -> dict[int, np.ndarray]:
    return {int(k): points[keys == k] for k in dict.fromkeys(keys.tolist())}


def _run(row: dict) -> Run:
    row.pop("owner")
    row["sample"] = json.loads(row.pop("sample_json"))
    row["bench"] = json.loads(row.pop("bench_json"))
    return Run(**row)


def _step(row: dict) -> Step:
    row["params"] = json.loads(row.pop("params_json"))
    result = row.pop("result_json")
    row["result"] = None if result is None else json.loads(result)
    row["superseded"] = bool(row["superseded"])
    return Step(**row)


def _check_final(status: str) -> None:
    if status not in FINAL_STATUSES:
        raise StoreError(f"final status must be one of {FINAL_STATUSES}, not {status!r}")


def _json(value: dict) -> str:
    return json.dumps(value, sort_keys=True, default=_plain)


def _plain(value: Any) -> Any:
    """numpy scalars as Python numbers and booleans; anything else as its text."""
    return value.item() if isinstance(value, np.generic) else str(value)


def _bench_name(bench_snapshot: dict) -> str | None:
    """The bench's name: its bench file's name without suffix (the snapshot's 'bench')."""
    source = bench_snapshot.get("bench")
    return Path(str(source)).stem if source else None


def _boot_id() -> str:
    try:
        return Path("/proc/sys/kernel/random/boot_id").read_text().strip()
    except OSError:
        return "-"


def _alive(owner: str) -> bool:
    """Whether writer process `owner` may still run (on another host or OS: cannot tell)."""
    host, boot, pid = owner.rsplit(" ", 2)
    if host != socket.gethostname() or os.name != "posix":
        return True
    if boot != _boot_id():
        return False
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        pass
    return not _zombie(int(pid))


def _zombie(pid: int) -> bool:
    """Whether `pid` has ended but not been reaped yet (a killed run process waits for
    init to reap it: kill(pid, 0) still finds it)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat[stat.rindex(")") + 2:].startswith("Z")


def _owner() -> str:
    """This process as a run's writer: 'host boot-id pid'."""
    return f"{socket.gethostname()} {_boot_id()} {os.getpid()}"
