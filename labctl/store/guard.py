"""Keep SQLite's locking sound when other code in the process opens and closes the database.

A POSIX advisory lock belongs to the process and is dropped when the process closes *any*
descriptor of the file ("How To Corrupt An SQLite Database File", 2.2); a file dialog's
MIME probing of the folder is enough. Another process then believes it is the last
connection: at its close it checkpoints and deletes the WAL and -shm that this process
still writes to, and acknowledged points are lost.

A `Guard` holds Linux open-file-description (OFD) read locks, which belong to the guard's
own descriptor and survive any other close(), on the bytes SQLite's protocol relies on:
the database file's SHARED range (so no other process gets the EXCLUSIVE lock it needs to
delete the WAL) and the -shm file's dead-man-switch byte (so no other process reinitialises
the WAL index). OFD and classic locks conflict, so these block exactly what SQLite's own
SHARED and DMS locks block. One guard per process and file, shared by its stores; its
descriptors close only with the process's last store of the file, after SQLite closed its
connection (closing them while SQLite holds locks would itself drop them).

`Guard.check` (in every write transaction) refuses to write on when the WAL at the path is
not the one that was open, or the process lost SQLite's lock (seen in /proc/locks).
"""

from __future__ import annotations

import fcntl
import os
import sqlite3
import struct
import threading
from pathlib import Path
from typing import Callable

from labctl.errors import StoreError

# SQLite's lock bytes (part of the file format's locking protocol, os.h and walformat.html)
SHARED_FIRST = 0x40000000 + 2       # PENDING_BYTE + 2
SHARED_SIZE = 510
SHM_DMS = (22 + 8) * 4 + 8          # UNIX_SHM_BASE + SQLITE_SHM_NLOCK: the dead-man switch
PROC_LOCKS = Path("/proc/locks")
OFD = hasattr(fcntl, "F_OFD_SETLK")

_lock = threading.Lock()            # opening and closing connections never interleave
_guards: dict[tuple[int, int], Guard] = {}


class Guard:
    """OFD read locks on `path` and its -shm for as long as the process has it open."""

    def __init__(self, path: Path):
        self.path, self.wal_path = path, Path(f"{path}-wal")
        self.key, self.wal = _identity(path), _identity(self.wal_path)
        self.lock_visible = sqlite_lock_held(path)   # /proc/locks shows this file system
        self.users = 0
        self.fds = [_ofd_read_lock(p, start, size) for p, start, size in
                    ((path, SHARED_FIRST, SHARED_SIZE), (Path(f"{path}-shm"), SHM_DMS, 1))
                    ] if OFD else []

    def check(self) -> None:
        """Raise `StoreError` unless this process's SQLite locks and WAL are intact."""
        if _identity(self.wal_path) != self.wal:
            raise StoreError(f"{self.path}: the write-ahead log {self.wal_path.name} was "
                             "deleted or replaced behind this process's back; refusing to "
                             "write on (close labctl and open the database again)")
        if self.lock_visible and not sqlite_lock_held(self.path):
            raise StoreError(f"{self.path}: this process lost its SQLite lock on the database "
                             "(some code opened and closed the file behind SQLite's back); "
                             "refusing to write on (close labctl and open the database again)")

    def unlock(self) -> None:
        for fd in self.fds:
            fcntl.fcntl(fd, fcntl.F_OFD_SETLK, _flock(fcntl.F_UNLCK, 0, 0))

    def close(self) -> None:
        for fd in self.fds:
            os.close(fd)


def sqlite_lock_held(path: Path) -> bool:
    """Whether /proc/locks shows this process's SQLite lock on the SHARED range of `path`."""
    try:
        db, text = os.stat(path), PROC_LOCKS.read_text()
    except OSError:
        return False
    file_id = f"{os.major(db.st_dev):02x}:{os.minor(db.st_dev):02x}:{db.st_ino}"
    pid = str(os.getpid())
    for line in text.splitlines():
        fields = line.split()    # n: POSIX ADVISORY READ|WRITE pid maj:min:inode start end
        if (len(fields) == 8 and fields[1] == "POSIX" and fields[4] == pid
                and fields[5] == file_id and fields[7] != "EOF"
                and int(fields[6]) <= SHARED_FIRST <= int(fields[7])):
            return True
    return False


def open_guarded(path: Path, connect: Callable[[], sqlite3.Connection]
                 ) -> tuple[sqlite3.Connection, Guard]:
    """`connect()` and the process's guard of `path` (taken by its first store)."""
    with _lock:
        conn = connect()
        try:
            key = _identity(path)
            guard = _guards.get(key) or Guard(path)
        except OSError as exc:
            conn.close()
            raise StoreError(f"{path}: cannot guard the database's locks: {exc}") from exc
        _guards[key] = guard
        guard.users += 1
    return conn, guard


def close_guarded(conn: sqlite3.Connection, guard: Guard) -> None:
    """Close `conn`. The process's last store of the file first lifts the guard's locks, so
    that SQLite removes the WAL if this is the last connection anywhere, and closes the
    guard's descriptors only after SQLite's."""
    with _lock:
        guard.users -= 1
        if guard.users:
            return conn.close()
        del _guards[guard.key]
        guard.unlock()
        try:
            conn.close()
        finally:
            guard.close()


def _ofd_read_lock(path: Path, start: int, size: int) -> int:
    fd = os.open(path, os.O_RDONLY | os.O_CLOEXEC)
    try:
        fcntl.fcntl(fd, fcntl.F_OFD_SETLK, _flock(fcntl.F_RDLCK, start, size))
    except OSError:
        os.close(fd)
        raise
    return fd


def _flock(kind: int, start: int, size: int) -> bytes:
    """A `struct flock` (l_type, l_whence, l_start, l_len, l_pid; l_pid 0 for OFD locks)."""
    return struct.pack("hhqqi4x", kind, os.SEEK_SET, start, size, 0)


def _identity(path: Path) -> tuple[int, int] | None:
    try:
        st = os.stat(path)
    except FileNotFoundError:
        return None
    return st.st_dev, st.st_ino
