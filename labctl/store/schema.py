"""The schema of the labctl store (written in SQLite's dialect; postgres.py renders it), its version and migrations; opening a connection.

The schema version is `PRAGMA user_version`; `PRAGMA application_id` marks the file as a
labctl store. `MIGRATIONS[i]` takes a database from version i to i+1 in one transaction, so
a database written by any release opens with any later one. The SQL comments below are
kept by SQLite: `sqlite3 FILE .schema` shows them. See docs/store.md.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

from labctl.errors import StoreError
from labctl.runstate import REQUESTS, STORED

APPLICATION_ID = 0x4C41424C  # "LABL"
STATUSES = tuple(str(s) for s in STORED)    # 'running', 'done', 'failed', 'aborted', ...
LEVELS = ("debug", "info", "warning", "error", "critical")
COMMANDS = tuple(str(c) for c in REQUESTS)  # what another process may ask of a running run

_STATUS = "TEXT NOT NULL CHECK (status IN ({}))".format(", ".join(f"'{s}'" for s in STATUSES))
_LEVEL = "TEXT NOT NULL CHECK (level IN ({}))".format(", ".join(f"'{s}'" for s in LEVELS))

# SQLite expands `steps.*` when a view is read; PostgreSQL when it is created (postgres.py
# creates them again after each migration)
VIEWS = (
    """CREATE VIEW step_summary AS SELECT steps.*,
    (SELECT count(*) FROM impedance_points WHERE step_id = steps.id)
    + (SELECT count(*) FROM dc_points WHERE step_id = steps.id) AS points
FROM steps""",
    """CREATE VIEW run_summary AS SELECT runs.*,
    (SELECT count(*) FROM step_summary WHERE run_id = runs.id) AS steps,
    CAST((SELECT coalesce(sum(points), 0) FROM step_summary WHERE run_id = runs.id)
         AS INTEGER) AS points
FROM runs""",
)

_V1 = (
    f"""CREATE TABLE runs (
    id INTEGER PRIMARY KEY,
    uuid TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    status {_STATUS},
    started_utc TEXT NOT NULL,       -- ISO 8601, UTC
    ended_utc TEXT,                  -- NULL while running
    operator TEXT NOT NULL,
    sample_json TEXT NOT NULL,       -- sample metadata incl. geometry, JSON object
    recipe_text TEXT NOT NULL,       -- the recipe file as the user wrote it
    bench_json TEXT NOT NULL,        -- bench snapshot: instrument identities, settings, limits
    software TEXT NOT NULL,          -- e.g. 'labctl 0.1.0'
    owner TEXT NOT NULL              -- writer process 'host boot-id pid' (finds dead runs)
)""",
    f"""CREATE TABLE steps (
    id INTEGER PRIMARY KEY,
    run_id INTEGER NOT NULL REFERENCES runs(id),
    seq INTEGER NOT NULL,            -- 1, 2, ... in the order the run started them
    kind TEXT NOT NULL,              -- e.g. 'eis', 'dc_polarization', 'temperature'
    params_json TEXT NOT NULL,       -- step parameters, JSON object
    status {_STATUS},
    temperature_K REAL,              -- nominal sample temperature of the step
    started_utc TEXT NOT NULL,
    ended_utc TEXT,
    UNIQUE (run_id, seq)
)""",
    """CREATE TABLE impedance_points (
    step_id INTEGER NOT NULL REFERENCES steps(id),
    time_s REAL NOT NULL,            -- bench-clock seconds when the point completed
    frequency_Hz REAL,
    z_real_Ohm REAL,                 -- Z'
    z_imag_Ohm REAL,                 -- Z'' (negative for capacitive)
    z_abs_Ohm REAL,                  -- |Z|
    phase_rad REAL,                  -- arg Z
    amplitude_V REAL,                -- AC amplitude, rms
    bias_V REAL,
    temperature_K REAL               -- sample temperature at the point (NULL: unknown)
)""",
    "CREATE INDEX impedance_points_step ON impedance_points(step_id)",
    """CREATE TABLE dc_points (
    step_id INTEGER NOT NULL REFERENCES steps(id),
    time_s REAL NOT NULL,
    voltage_V REAL,
    current_A REAL,
    temperature_K REAL
)""",
    "CREATE INDEX dc_points_step ON dc_points(step_id)",
    """CREATE TABLE temperature_log (
    run_id INTEGER NOT NULL REFERENCES runs(id),
    time_s REAL NOT NULL,
    temperature_K REAL,              -- process value
    setpoint_K REAL,                 -- working set-point
    output_percent REAL              -- heater output
)""",
    "CREATE INDEX temperature_log_run ON temperature_log(run_id)",
    f"""CREATE TABLE events (
    id INTEGER PRIMARY KEY,
    run_id INTEGER NOT NULL REFERENCES runs(id),
    step_id INTEGER REFERENCES steps(id),
    time_utc TEXT NOT NULL,
    level {_LEVEL},
    message TEXT NOT NULL
)""",
    "CREATE INDEX events_run ON events(run_id)",
    *VIEWS,
    f"PRAGMA application_id = {APPLICATION_ID}",
)

# version 2: what the runner needs to resume a recipe and analysis to read protocol results
_V2 = (
    # recipe position that measured the step, e.g. 'program[2]/eis' (NULL: not from a recipe)
    "ALTER TABLE steps ADD COLUMN path TEXT",
    # the measurement's result (JSON object), NULL until it finishes with one
    "ALTER TABLE steps ADD COLUMN result_json TEXT",
    # 1: its recipe position was measured again after a resume; the later step counts
    "ALTER TABLE steps ADD COLUMN superseded INTEGER NOT NULL DEFAULT 0",
    """CREATE TABLE positions (
    run_id INTEGER NOT NULL REFERENCES runs(id),
    path TEXT NOT NULL,              -- a recipe position the run completed (resume skips it)
    ended_utc TEXT NOT NULL,
    PRIMARY KEY (run_id, path)
)""",
)

# version 3: pause, resume and abort requested from another process (`labctl abort RUN`)
_V3 = (
    f"""CREATE TABLE requests (
    id INTEGER PRIMARY KEY,
    run_id INTEGER NOT NULL REFERENCES runs(id),
    command TEXT NOT NULL CHECK (command IN ({", ".join(f"'{c}'" for c in COMMANDS)})),
    requested_utc TEXT NOT NULL,
    requester TEXT NOT NULL,         -- who asked: 'pid N on host H'
    handled_utc TEXT,                -- NULL until the run's runner acted on it
    outcome TEXT                     -- what came of it, e.g. 'aborted at checkpoint ...'
)""",
    "CREATE INDEX requests_pending ON requests(run_id) WHERE handled_utc IS NULL",
)

# version 4: a lab's runs in one database (PostgreSQL): which bench measured each run
_V4 = (
    "ALTER TABLE runs ADD COLUMN bench_host TEXT",   # host name of the bench PC
    "ALTER TABLE runs ADD COLUMN bench_name TEXT",   # the bench file's name, e.g. 'bench-a'
)

# version 5: writes a bench spooled while the server was gone, replayed (spool.py)
_V5 = (
    """CREATE TABLE replayed (
    origin TEXT NOT NULL,            -- the spool's id (a UUID)
    seq INTEGER NOT NULL,            -- the call's number in that spool
    PRIMARY KEY (origin, seq)
)""",
)

# version 6: several pellets in one run: which sample a step measured (NULL: the run's only
# sample); the run's sample_json then is {"name": ..., "samples": [{"name": ..., ...}, ...]}
_V6 = (
    "ALTER TABLE steps ADD COLUMN sample TEXT",
)

# version 7: fixture compensation, per bench channel (labctl/compensation.py), and which
# standards each step measured through
_V7 = (
    """CREATE TABLE compensations (
    id INTEGER PRIMARY KEY,
    bench_name TEXT NOT NULL,        -- the bench file's name, as runs.bench_name
    channel TEXT NOT NULL,           -- analyzer and pellet position: 'fra:A' ('fra': no switch)
    kind TEXT NOT NULL CHECK (kind IN ('open', 'short', 'load')),
    method TEXT NOT NULL CHECK (method IN ('measured', 'instrument')),  -- instrument: the
                                     -- analyzer's own correction (no data here)
    measured_utc TEXT NOT NULL,
    step_id INTEGER REFERENCES steps(id),   -- the step that measured it (NULL: none)
    load_Ohm REAL,                   -- the load standard's true resistance
    frequency_Hz_json TEXT NOT NULL, -- JSON list, ascending
    z_real_Ohm_json TEXT NOT NULL,   -- JSON list, Z' at each frequency
    z_imag_Ohm_json TEXT NOT NULL    -- JSON list, Z''
)""",
    "CREATE INDEX compensations_channel ON compensations(bench_name, channel, kind)",
    """CREATE TABLE step_compensation (
    step_id INTEGER NOT NULL REFERENCES steps(id),
    channel TEXT NOT NULL,           -- the channel the step measured through
    open_id INTEGER REFERENCES compensations(id),    -- NULL: none applied
    short_id INTEGER REFERENCES compensations(id),
    load_id INTEGER REFERENCES compensations(id),
    note TEXT NOT NULL,              -- why none is applied ('CompensationMissing: ...'), or ''
    PRIMARY KEY (step_id)
)""",
)


# version 8: the atmosphere of a step over time (pO2 sweeps: on disk as acknowledged)
_V8 = (
    """CREATE TABLE gas_points (
    step_id INTEGER NOT NULL REFERENCES steps(id),
    time_s REAL NOT NULL,            -- bench-clock seconds of the oxygen sensor's reading
    pO2_Pa REAL,                     -- oxygen partial pressure the sensor reads
    o2_flow_sccm REAL,               -- flow of each gas line (NULL: no such line, or not
    n2_flow_sccm REAL,               --   following its set-point)
    co_flow_sccm REAL,
    co2_flow_sccm REAL,
    temperature_K REAL               -- sample temperature at the reading (NULL: unknown)
)""",
    "CREATE INDEX gas_points_step ON gas_points(step_id)",
)

MIGRATIONS: tuple[tuple[str, ...], ...] = (_V1, _V2, _V3, _V4, _V5, _V6, _V7, _V8)
SCHEMA_VERSION = len(MIGRATIONS)


def connect(path: Path, *, create: bool) -> sqlite3.Connection:
    """A connection to a migrated labctl store (WAL, synchronous=FULL, autocommit mode).

    Raises `StoreError` for a missing file (unless `create`), a file that is not a labctl
    store, a newer schema, or a file that cannot be written.
    """
    if not create and path.is_file() and path.stat().st_size == 0:
        # SQLite would make it a database: a reader must not (a writer may, as the file
        # can be a store being created, seen by a reader's connect before its schema)
        raise StoreError(f"{path}: an empty file, not a labctl store")
    if not path.exists():
        if not create:
            raise StoreError(f"{path}: no such database")
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise StoreError(f"{path}: cannot create the database directory: {exc}") from exc
    try:
        conn = sqlite3.connect(path, isolation_level=None, timeout=30.0)
    except sqlite3.Error as exc:
        raise StoreError(f"{path}: cannot open database: {exc}") from exc
    try:
        conn.execute("PRAGMA journal_mode = WAL")
        conn.execute("PRAGMA synchronous = FULL")
        conn.execute("PRAGMA foreign_keys = ON")
        migrate(conn, MIGRATIONS, path)
    except sqlite3.DatabaseError as exc:
        conn.close()
        raise StoreError(f"{path}: cannot use as a labctl store: {exc}") from exc
    except StoreError:
        conn.close()
        raise
    return conn


def migrate(conn: sqlite3.Connection, migrations: tuple[tuple[str, ...], ...],
            path: Path) -> None:
    """Bring the schema to `len(migrations)`, each step in its own transaction."""
    target = len(migrations)
    if _check(conn, target, path) == target:  # the common case takes no write lock
        return
    while True:
        conn.execute("BEGIN IMMEDIATE")
        try:
            version = _check(conn, target, path)
            if version == target:
                conn.execute("COMMIT")
                return
            for statement in migrations[version]:
                conn.execute(statement)
            conn.execute(f"PRAGMA user_version = {version + 1}")
            conn.execute("COMMIT")
        except BaseException:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            raise


def _check(conn: sqlite3.Connection, target: int, path: Path) -> int:
    """The schema version of a labctl (or empty) database; errors for anything else."""
    version = conn.execute("PRAGMA user_version").fetchone()[0]
    app_id = conn.execute("PRAGMA application_id").fetchone()[0]
    if app_id == 0 and version == 0:
        if conn.execute("SELECT count(*) FROM sqlite_master").fetchone()[0]:
            raise StoreError(f"{path}: an SQLite database, but not a labctl store")
    elif app_id != APPLICATION_ID:
        raise StoreError(f"{path}: an SQLite database, but not a labctl store")
    if version > target:
        raise StoreError(f"{path}: schema version {version} is newer than this labctl "
                         f"understands ({target}); upgrade labctl")
    return version
