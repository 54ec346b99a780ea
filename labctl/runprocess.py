"""The run process: a run in a process of its own, which outlives the terminal or window
that started it.

`spawn` starts `python -m labctl.runprocess SPEC READY_FD WAIT`, which forks once more and
lets its parent end (the run process is nobody's child: no zombie, no terminal, a session
of its own) with its output going to a log file. The run process opens the bench (and so
holds its claim, `labctl.claims`), the runner and the database writer, serves the channel
(`labctl.channel`) and runs the recipe exactly as `labctl.commands.run.execute` does in
process. It tells the starter how far it got on the READY_FD pipe, one JSON object a line:
`{"pid": N}`, `{"listening": PATH}`, `{"run": ID}`, or `{"error": MESSAGE}` if it could
not start the run. WAIT=1: the run starts once a first client is connected (so the
starter sees it from its first event), or after CLIENT_WAIT_S without one.

Linux (fork, pidfd). SIGTERM to the run process aborts the run (the bench made safe), as
Ctrl-C did to an in-process run. If it dies (kill -9, OOM) its run stays 'running' with a
writer that is gone, which `Store.open` marks 'interrupted' (`labctl run --resume`
continues it).
"""

from __future__ import annotations

import json
import os
import select
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from labctl.errors import LabctlError
from labctl.store.postgres import is_url

CLIENT_WAIT_S = 30.0
GONE_WAIT_S = 60.0     # for a run process to close its bench once it is done


class RunProcess:
    """What `spawn` started: the pipe it reports on, and its log file."""

    def __init__(self, ready_fd: int, log_path: Path):
        self.ready_fd, self.log_path = ready_fd, log_path
        self.pid: int | None = None
        self._buffer = b""

    def until(self, key: str, timeout: float = 120.0) -> Any:
        """Read reports until `key` (its value); LabctlError on an error report, or if
        the process ended without (its log's end quoted)."""
        deadline = time.monotonic() + timeout
        while True:
            line = self._line(deadline)
            if line is None:
                self._ended()
                raise LabctlError(f"the run process ended before it reported {key}; its log "
                                  f"{self.log_path} ends:\n{tail(self.log_path)}")
            report = json.loads(line)
            if "error" in report:
                self._ended()
                raise LabctlError(report["error"])
            self.pid = report.get("pid", self.pid)
            if key in report:
                return report[key]

    def _line(self, deadline: float) -> bytes | None:
        """The next report line (None: the pipe closed), unbuffered: what select sees."""
        while b"\n" not in self._buffer:
            left = deadline - time.monotonic()
            if left <= 0 or not select.select([self.ready_fd], [], [], left)[0]:
                raise LabctlError(f"the run process did not report in time (log: "
                                  f"{self.log_path})")
            chunk = os.read(self.ready_fd, 4096)
            if not chunk:
                return None
            self._buffer += chunk
        line, self._buffer = self._buffer.split(b"\n", 1)
        return line

    def close(self) -> None:
        if self.ready_fd >= 0:
            os.close(self.ready_fd)
            self.ready_fd = -1

    def _ended(self) -> None:
        """It reported an error or closed its pipe: wait until it is gone (bench closed)."""
        self.close()
        if self.pid is not None:
            wait_gone(self.pid)


def log_folder(db: str) -> Path:
    """`logs/` beside a database file; for a lab server's database (a URL) in the user's
    state folder ($XDG_STATE_HOME, else ~/.local/state)."""
    if is_url(db):
        base = Path(os.environ.get("XDG_STATE_HOME") or Path.home() / ".local" / "state") / "labctl"
    else:
        base = Path(db).expanduser().resolve().parent
    folder = base / "logs"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def spawn(spec: dict[str, Any], *, wait_for_client: bool) -> RunProcess:
    """Start a run process for `spec` (the arguments of `execute`; `db` required)."""
    logs = log_folder(spec["db"])
    fd, log_path = tempfile.mkstemp(prefix=f"run-{time.strftime('%Y%m%d-%H%M%S')}-",
                                    suffix=".log", dir=logs)
    read_end, write_end = os.pipe()
    with os.fdopen(fd, "ab") as log:
        starter = subprocess.Popen(
            [sys.executable, "-m", "labctl.runprocess", json.dumps(spec), str(write_end),
             "1" if wait_for_client else "0"],
            stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
            pass_fds=(write_end,), start_new_session=True)
    os.close(write_end)
    starter.wait()           # it forks the run process and ends at once
    return RunProcess(read_end, Path(log_path))


def wait_gone(pid: int, timeout: float = GONE_WAIT_S) -> bool:
    """Wait until process `pid` (not a child of ours) has ended; False on timeout."""
    try:
        fd = os.pidfd_open(pid)
    except ProcessLookupError:
        return True
    try:
        return bool(select.select([fd], [], [], timeout)[0])
    finally:
        os.close(fd)


def tail(path: Path, lines: int = 12) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError as exc:
        return f"({exc.strerror})"


def main(argv: list[str]) -> int:
    spec, ready_fd, wait = json.loads(argv[0]), int(argv[1]), argv[2] == "1"
    if os.fork() > 0:
        os._exit(0)                    # the starter ends; the run process is an orphan
    ready = os.fdopen(ready_fd, "w", buffering=1, encoding="utf-8")

    def report(**item: Any) -> None:
        try:
            ready.write(json.dumps(item) + "\n")
        except (OSError, ValueError):       # the starter went away (or it was closed)
            pass

    report(pid=os.getpid())
    print(f"labctl run process {os.getpid()}: {json.dumps(spec)}", flush=True)
    try:
        outcome = _run(spec, wait, report)
    except LabctlError as exc:
        report(error=str(exc))
        print(f"labctl: error: {exc}", flush=True)
        return 1
    except BaseException as exc:
        report(error=f"the run process failed: {exc!r} (see its log)")
        raise
    finally:
        try:
            ready.close()
        except OSError:
            pass
    return outcome.exit_code


def _run(spec: dict[str, Any], wait: bool, report) -> Any:
    from contextlib import contextmanager

    from rich.console import Console

    from labctl import events as ev
    from labctl.channel import RunServer
    from labctl.commands.run import execute

    def announce(event: Any) -> None:
        if isinstance(event, ev.RunStarted):
            report(run=event.run_id)

    @contextmanager
    def serve(runner):
        with RunServer(runner) as server:
            runner.subscribe(server.publish)
            runner.subscribe(announce)
            report(listening=str(server.path))
            if wait:
                server.connected.wait(CLIENT_WAIT_S)
            yield server

    return execute(spec.get("recipe"), spec["bench"], db=spec["db"], seed=spec.get("seed"),
                   sample=spec.get("sample"), fixture=spec.get("fixture"),
                   resume=spec.get("resume"),
                   speed=spec.get("speed"), console=Console(force_terminal=False),
                   serve=serve)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
