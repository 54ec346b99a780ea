"""Subprocesses for tests: output read against a deadline (no sleeps), always stopped.

`Child` is a context manager: leaving it stops the process (`stop`: SIGTERM, then SIGKILL
after a bounded wait). The session marks every process it starts through the environment
variable `SESSION_MARK` (inherited, so grandchildren too); `marked_processes` finds those
still alive, which tests/conftest.py kills and reports. A test that passes `env=` must
start from `os.environ` to keep the mark.
"""

from __future__ import annotations

import os
import select
import signal
import subprocess
import time
from pathlib import Path

SESSION_MARK = "LABCTL_TEST_SESSION"


class Child:
    """A subprocess whose stdout and stderr (merged) the test reads with timeouts."""

    def __init__(self, args: list[str], *, ignore_sigint: bool = False, **popen):
        # A background job of a non-interactive shell starts with SIGINT ignored; an
        # ignored disposition survives exec.
        preexec = (lambda: signal.signal(signal.SIGINT, signal.SIG_IGN)) if ignore_sigint else None
        self.proc = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                     preexec_fn=preexec, **popen)
        self._bytes = b""
        self._eof = False

    @property
    def output(self) -> str:
        return self._bytes.decode(errors="replace")

    def read_until(self, text: str, timeout: float = 60.0) -> str:
        """Read until `text` appears in the output; returns the output so far."""
        deadline = time.monotonic() + timeout
        while text not in self.output:
            left = deadline - time.monotonic()
            if self._eof or left <= 0:
                raise AssertionError(f"{text!r} not in the output of {self.proc.args} "
                                     f"({'it ended' if self._eof else 'timed out'}):\n{self.output}")
            self._read(left)
        return self.output

    def wait(self, timeout: float = 60.0) -> int:
        """Read the output to its end and wait for the exit; returns the exit status."""
        deadline = time.monotonic() + timeout
        while not self._eof:
            left = deadline - time.monotonic()
            if left <= 0:
                raise AssertionError(f"{self.proc.args} still running after {timeout} s:\n"
                                     f"{self.output}")
            self._read(left)
        return self.proc.wait(max(deadline - time.monotonic(), 1.0))

    def signal(self, sig: int) -> None:
        self.proc.send_signal(sig)

    def stop(self, grace_s: float = 10.0) -> None:
        stop(self.proc, grace_s)

    def _read(self, timeout: float) -> None:
        fd = self.proc.stdout.fileno()
        if select.select([fd], [], [], timeout)[0]:
            chunk = os.read(fd, 65536)
            self._bytes += chunk
            self._eof = not chunk

    def __enter__(self) -> Child:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def stop(proc: subprocess.Popen, grace_s: float = 10.0) -> None:
    """End `proc` if it still runs (SIGTERM, SIGKILL after `grace_s`); close its pipes."""
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(grace_s)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(grace_s)
    for pipe in (proc.stdin, proc.stdout, proc.stderr):
        if pipe is not None:
            pipe.close()


def marked_processes(mark: str) -> list[int]:
    """Pids (not this process) whose environment carries SESSION_MARK=mark."""
    needle = f"{SESSION_MARK}={mark}".encode()
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        try:
            environ = (entry / "environ").read_bytes()
        except OSError:   # gone meanwhile, or another user's
            continue
        if needle in environ.split(b"\0"):
            found.append(int(entry.name))
    return found
