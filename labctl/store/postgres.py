"""The PostgreSQL backend of the store: `--db postgresql://user@host/dbname` (psycopg 3).

The schema is `schema.MIGRATIONS`, written in SQLite's dialect and rendered here
(`render`): INTEGER -> BIGINT, REAL -> DOUBLE PRECISION, `id INTEGER PRIMARY KEY` -> an
identity column; a table without an `id` gets a `rowid` identity column (insertion order,
as SQLite's implicit rowid); PRAGMAs are SQLite's own and dropped. The version is the row
of `labctl_schema`; each migration runs in one transaction under an advisory lock, so
benches opening a new database at the same time do not race.

`Connection` gives the store a psycopg connection with sqlite3's surface (`?` parameters,
`execute`, `executemany`, `in_transaction`): store.py has one code path for both.
Credentials come only from libpq's standard places (PGPASSFILE or ~/.pgpass, a service
file, PG* environment variables): a URL carrying a password is refused, so no password
reaches a run's metadata, a message or a log.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Any, Iterable

from labctl.errors import StoreError
from labctl.store.schema import APPLICATION_ID, MIGRATIONS, VIEWS
from labctl.store.spool import ServerGone

SCHEMES = ("postgresql://", "postgres://")
CONNECT_TIMEOUT_S = 10
# PostgreSQL folds unquoted names to lower case: readers get the schema's spelling back
_NAMES = {n.lower(): n for n in re.findall(r"\b[a-z]\w*_[A-Z]\w*", " ".join(
    s for m in MIGRATIONS for s in m))}


def is_url(location: Any) -> bool:
    """Whether `location` (a `--db` value) names a PostgreSQL database."""
    return isinstance(location, str) and location.startswith(SCHEMES)


def errors() -> tuple[type[Exception], ...]:
    import psycopg
    return (psycopg.Error,)


def connect(url: str, *, create: bool) -> Connection:
    """A connection to the migrated labctl store at `url` (autocommit mode).

    Raises `StoreError` for a URL with a password, a server that cannot be reached, a
    database that is not a labctl store (or holds none yet, unless `create`), or a newer
    schema.
    """
    try:
        import psycopg
        from psycopg.conninfo import conninfo_to_dict
    except ImportError as exc:
        raise StoreError(f"{url}: PostgreSQL needs psycopg: "
                         "pip install 'labctl-ionics[postgresql]'") from exc
    try:
        params = conninfo_to_dict(url)
    except psycopg.Error as exc:
        raise StoreError(f"not a valid PostgreSQL URL ({exc})") from None
    if "password" in params:
        raise StoreError("a password in the database URL is refused: put it in "
                         "~/.pgpass (or $PGPASSFILE) or a service file, as libpq reads them")
    try:
        pg = psycopg.connect(url, autocommit=True, connect_timeout=CONNECT_TIMEOUT_S)
    except psycopg.OperationalError as exc:
        raise ServerGone(f"{url}: cannot connect: {exc}") from exc
    conn = Connection(pg)
    try:
        migrate(conn, MIGRATIONS, url, create=create)
        conn.writable = conn.execute(
            "SELECT has_table_privilege('runs', 'INSERT')").fetchone()[0]
    except psycopg.Error as exc:
        conn.close()
        raise StoreError(f"{url}: cannot use as a labctl store: {exc}") from exc
    except StoreError:
        conn.close()
        raise
    return conn


def migrate(conn: Connection, migrations: tuple[tuple[str, ...], ...], url: str, *,
            create: bool = True) -> None:
    """Bring the schema to `len(migrations)`, each step in its own transaction."""
    target = len(migrations)
    version = _check(conn, target, url)
    if version == target:
        return
    if version == 0 and not create:
        raise StoreError(f"{url}: holds no labctl store yet (a bench's first run creates it)")
    while version < target:
        conn.execute("BEGIN")
        try:
            conn.execute("SELECT pg_advisory_xact_lock(?)", (APPLICATION_ID,))
            version = _check(conn, target, url)
            if version < target:
                _step(conn, migrations[version], version)
                version += 1
            conn.execute("COMMIT")
        except BaseException:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            raise


def _step(conn: Connection, statements: tuple[str, ...], version: int) -> None:
    """Migrate from `version` to the next; the views are made again (PostgreSQL fixed
    their `*` columns when it created them)."""
    if version == 0:
        conn.execute("CREATE TABLE labctl_schema (version INTEGER NOT NULL)")
        conn.execute("INSERT INTO labctl_schema VALUES (0)")
    conn.execute("DROP VIEW IF EXISTS run_summary, step_summary")
    for statement in statements:
        if statement not in VIEWS and render(statement):
            conn.execute(render(statement))
    for view in VIEWS:
        conn.execute(view)
    conn.execute("UPDATE labctl_schema SET version = ?", (version + 1,))


def _check(conn: Connection, target: int, url: str) -> int:
    """The schema version of a labctl (or empty) database; errors for anything else."""
    tables = {r[0] for r in conn.execute(
        "SELECT tablename FROM pg_tables WHERE schemaname = current_schema()")}
    if "labctl_schema" not in tables:
        if tables:
            raise StoreError(f"{url}: a PostgreSQL database, but not a labctl store")
        return 0
    version = conn.execute("SELECT version FROM labctl_schema").fetchone()[0]
    if version > target:
        raise StoreError(f"{url}: schema version {version} is newer than this labctl "
                         f"understands ({target}); upgrade labctl")
    return version


def render(statement: str) -> str:
    """A schema statement in PostgreSQL's dialect ('' for SQLite's PRAGMAs)."""
    if statement.startswith("PRAGMA"):
        return ""
    if statement.startswith("CREATE TABLE") and "id INTEGER PRIMARY KEY" not in statement:
        statement = statement.replace("(", "(\n    rowid BIGINT GENERATED ALWAYS AS IDENTITY,",
                                      1)
    statement = statement.replace("id INTEGER PRIMARY KEY",
                                  "id BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY")
    statement = re.sub(r"\bINTEGER\b", "BIGINT", statement)
    return re.sub(r"\bREAL\b", "DOUBLE PRECISION", statement)


@lru_cache(maxsize=16)
def _copy_sql(sql: str) -> str | None:
    """`INSERT INTO t (columns) VALUES (?, ...)` as `COPY t (columns) FROM STDIN`."""
    match = re.fullmatch(r"INSERT INTO (\w+ \([\w, ]+\)) VALUES \([?, ]+\)", sql)
    return f"COPY {match[1]} FROM STDIN" if match else None


@lru_cache(maxsize=256)
def _sql(sql: str) -> str:
    """The store's SQL (sqlite3's `?` parameters) for psycopg."""
    return sql.replace("BEGIN IMMEDIATE", "BEGIN").replace("?", "%s")


class Connection:
    """A psycopg connection with the part of sqlite3's interface that the store uses."""

    writable = True

    def __init__(self, pg):
        self._pg = pg

    def execute(self, sql: str, params: Iterable[Any] = ()) -> Cursor:
        cursor = self._pg.cursor()
        cursor.execute(_sql(sql), tuple(params))
        return Cursor(cursor)

    def executemany(self, sql: str, rows: Iterable[tuple]) -> Cursor:
        """Many rows (an INSERT: through COPY, the fast path); NaN stored as NULL, as
        SQLite does."""
        cursor = self._pg.cursor()
        copy = _copy_sql(sql)
        if copy is None:
            cursor.executemany(_sql(sql), list(rows))
            return Cursor(cursor)
        with cursor.copy(copy) as pipe:
            for row in rows:
                pipe.write_row(tuple(None if v != v else v for v in row))
        return Cursor(cursor)

    @property
    def in_transaction(self) -> bool:
        from psycopg.pq import TransactionStatus
        return self._pg.info.transaction_status in (TransactionStatus.INTRANS,
                                                    TransactionStatus.INERROR)

    @property
    def lost(self) -> bool:
        """Whether the connection to the server is gone."""
        return self._pg.closed or self._pg.broken

    def close(self) -> None:
        self._pg.close()


class Cursor:
    """A psycopg cursor whose column names are spelled as in the schema."""

    def __init__(self, cursor):
        self._cursor = cursor
        self.rowcount = cursor.rowcount

    @property
    def description(self) -> list[tuple[str]]:
        return [(_NAMES.get(c.name, c.name),) for c in self._cursor.description]

    def fetchone(self) -> tuple | None:
        return self._cursor.fetchone()

    def fetchall(self) -> list[tuple]:
        return self._cursor.fetchall()

    def __iter__(self):
        return iter(self._cursor)
