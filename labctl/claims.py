"""One bench, one owner: an exclusive claim on every instrument resource a process opens.

A claim is an `flock` on one lock file per resource in a per-user folder
(`$LABCTL_LOCK_DIR`, else `$XDG_RUNTIME_DIR/labctl`, else `<tempdir>/labctl-<uid>`). The
kernel drops it when the process ends in any way, `kill -9` included; it belongs to the
open file description (unlike fcntl/lockf record locks, closing another descriptor of
the file does not drop it), and a second claim conflicts even within one process. The
holder writes who it is into its file; a second claimant reads that and is refused
before a single byte reaches the instrument:

    furnace (ASRL/dev/pts/3::INSTR) is in use by run 12 'YSZ Arrhenius' (pid 4711, since 14:02)

Serial ports are also opened exclusively (pyserial `exclusive=True`: an flock on the
device itself, which holds against other users and other programs that lock it too).
In-process simulated instruments (`sim://`) are not claimed: every process simulates its
own world, so there is nothing two processes could share or disturb.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import sys
import tempfile
import time
from pathlib import Path

from labctl.errors import InstrumentBusyError, LabctlError
from labctl.transport import is_visa_resource, serial_port_name, socket_address

LOCK_DIR_ENV = "LABCTL_LOCK_DIR"


def lock_dir() -> Path:
    """The folder of the lock files (created, private to the user)."""
    if os.environ.get(LOCK_DIR_ENV):
        folder = Path(os.environ[LOCK_DIR_ENV])
    elif os.environ.get("XDG_RUNTIME_DIR"):
        folder = Path(os.environ["XDG_RUNTIME_DIR"]) / "labctl"
    else:
        folder = Path(tempfile.gettempdir()) / f"labctl-{os.getuid()}"
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    return folder


def resource_key(resource: str) -> str:
    """One key per physical resource, whichever way a bench spells it: a TCP socket by
    host and port (VISA or pyserial URL), a serial port by its device file with symlinks
    resolved (`ASRL/dev/ttyUSB0::INSTR`, `/dev/serial/by-id/...`), other VISA resources
    case-insensitively."""
    if address := socket_address(resource):
        return f"tcp:{address[0].lower()}:{address[1]}"
    port = serial_port_name(resource)
    if port.startswith("/"):
        return f"serial:{os.path.realpath(port)}"
    return f"visa:{resource.upper()}" if is_visa_resource(resource) else resource


def lock_path(resource: str) -> Path:
    key = resource_key(resource)
    readable = re.sub(r"[^A-Za-z0-9.]+", "_", key).strip("_")[:60]
    return lock_dir() / f"{readable}-{hashlib.sha256(key.encode()).hexdigest()[:12]}.lock"


def current_command() -> str:
    """What this process is, for a refused claimant: `labctl run examples/x.toml`, a run
    process, or the script's name and first arguments."""
    argv = sys.argv or ["python"]
    name = Path(argv[0]).name
    if name == "runprocess.py":          # its arguments are a JSON spec: not for people
        return "a labctl run process"
    name = "labctl" if name in ("cli.py", "__main__.py") else name
    return " ".join([name, *argv[1:3]])


class Claims:
    """Claims held on the resources of one bench (name -> resource), released together;
    instruments of the bench that share a resource share its claim."""

    def __init__(self, resources: dict[str, str], command: str | None = None):
        self.resources = dict(resources)
        self.holder = {"pid": os.getpid(), "since": time.time(),
                       "command": command or current_command(), "run": None}
        self._fds: dict[str, int] = {}    # resource key -> locked descriptor
        busy = []
        try:
            for name, resource in self.resources.items():
                if resource_key(resource) in self._fds:
                    continue
                if (message := self._take(name, resource)) is not None:
                    busy.append(message)
        except BaseException:
            self.release()
            raise
        if busy:
            self.release()
            raise InstrumentBusyError("\n".join(busy))

    def _take(self, name: str, resource: str) -> str | None:
        """Lock `resource`; what holds it if another claim does (None: taken)."""
        try:
            import fcntl
        except ImportError:   # Windows: the OS opens a COM port for one process only
            return None
        try:
            path = lock_path(resource)
            fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
        except OSError as exc:
            raise LabctlError(f"cannot claim {name} ({resource}): {exc.strerror}: "
                              f"{exc.filename} (the lock folder is set by ${LOCK_DIR_ENV})"
                              ) from exc
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            try:
                return f"{name} ({resource}) is in use by {describe_holder(os.pread(fd, 4096, 0))}"
            finally:
                os.close(fd)
        self._fds[resource_key(resource)] = fd
        self._write(fd)
        return None

    def hold_for_run(self, run_id: int | None, run_name: str = "") -> None:
        """Name the run the bench serves (None: no run now) in every lock file."""
        self.holder["run"] = None if run_id is None else {"id": run_id, "name": run_name}
        for fd in self._fds.values():
            self._write(fd)

    def _write(self, fd: int) -> None:
        os.ftruncate(fd, 0)
        os.pwrite(fd, json.dumps(self.holder).encode(), 0)

    def release(self) -> None:
        """Drop every claim (closing the descriptor unlocks it)."""
        for fd in self._fds.values():
            os.close(fd)
        self._fds.clear()


def describe_holder(data: bytes) -> str:
    """`run 12 'YSZ Arrhenius' (pid 4711, since 14:02)` from a lock file's contents."""
    try:
        holder = json.loads(data)
        pid, since = int(holder["pid"]), float(holder["since"])
    except (ValueError, KeyError, TypeError):   # being written this very moment
        return "another labctl process"
    run = holder.get("run")
    who = f"run {run['id']} {run['name']!r}" if run else holder.get("command") or "labctl"
    started = time.localtime(since)
    when = time.strftime("%H:%M" if started[:3] == time.localtime()[:3] else "%Y-%m-%d %H:%M",
                         started)
    return f"{who} (pid {pid}, since {when})"
