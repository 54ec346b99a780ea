"""A throw-away PostgreSQL server for tests and benchmarks: the distribution's binaries
(Debian: `apt-get install postgresql`), a cluster in a temporary folder, loopback only.

Local (Unix-socket) connections are trusted; TCP connections on 127.0.0.1 need a password
(scram-sha-256), so tests can check that libpq takes it from PGPASSFILE. As root, the
server runs as the `postgres` system user (PostgreSQL refuses to run as root).
"""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
from pathlib import Path

import psycopg

SUPERUSER = "postgres"


def binaries() -> Path | None:
    """The folder holding initdb and pg_ctl, or None where there are none."""
    found = shutil.which("pg_ctl")
    if found and shutil.which("initdb"):
        return Path(found).resolve().parent
    versions = sorted(glob.glob("/usr/lib/postgresql/*/bin/pg_ctl"))
    return Path(versions[-1]).parent if versions else None


class Server:
    """A PostgreSQL server of its own: `start()`, `stop()` (may start again), `remove()`."""

    def __init__(self, bin_dir: Path, *, fsync: bool = False):
        self.bin_dir, self.fsync = bin_dir, fsync
        self.root = Path(tempfile.mkdtemp(prefix="labctl-pg-"))
        self.data, self.log = self.root / "data", self.root / "server.log"
        self.port = _free_port()
        self._user = "postgres" if os.geteuid() == 0 else None
        if self._user:
            account = pwd.getpwnam(self._user)
            os.chown(self.root, account.pw_uid, account.pw_gid)
        self._run("initdb", "-D", str(self.data), "-U", SUPERUSER, "-E", "UTF8",
                  "--auth-local=trust", "--auth-host=scram-sha-256", "--no-sync")

    def start(self) -> None:
        # fsync off (tests): a server stopped cleanly keeps every committed transaction
        options = (f"-k {self.root} -p {self.port} -c listen_addresses=127.0.0.1 "
                   f"-c fsync={'on' if self.fsync else 'off'} -c max_connections=60")
        self._run("pg_ctl", "-D", str(self.data), "-l", str(self.log), "-o", options,
                  "-w", "start")

    def stop(self) -> None:
        self._run("pg_ctl", "-D", str(self.data), "-m", "fast", "-w", "stop")

    def remove(self) -> None:
        if (self.data / "postmaster.pid").exists():
            self._run("pg_ctl", "-D", str(self.data), "-m", "immediate", "-w", "stop")
        shutil.rmtree(self.root, ignore_errors=True)

    def url(self, database: str, user: str = SUPERUSER, schema: str = "") -> str:
        """A URL over the trusted Unix socket (tables in `schema` if given)."""
        return (f"postgresql://{user}@/{database}?host={self.root}&port={self.port}"
                + "".join(f"&{p}" for p in _search_path(schema)))

    def tcp_url(self, database: str, user: str, schema: str = "") -> str:
        """A URL over TCP on loopback (needs the user's password from libpq's places)."""
        return (f"postgresql://{user}@127.0.0.1:{self.port}/{database}"
                + "".join(f"?{p}" for p in _search_path(schema)))

    def admin(self, *statements: str, database: str = "postgres") -> None:
        """Run SQL as the superuser."""
        with psycopg.connect(self.url(database), autocommit=True) as conn:
            for statement in statements:
                conn.execute(statement)

    def _run(self, program: str, *args: str) -> None:
        command = [str(self.bin_dir / program), *args]
        if self._user:
            command = ["runuser", "-u", self._user, "--", *command]
        done = subprocess.run(command, capture_output=True, text=True, cwd=self.root)
        if done.returncode:
            raise RuntimeError(f"{program} failed ({done.returncode}): {done.stderr.strip()}")


def _search_path(schema: str) -> list[str]:
    """The URL parameter that puts a connection's tables in `schema`, if given."""
    return [f"options=-csearch_path%3D{schema}"] if schema else []


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]
