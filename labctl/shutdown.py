"""Orderly stop of long-running commands on SIGINT, SIGTERM and SIGHUP.

Ctrl-C is not the only way an unattended run ends: `kill PID` and service managers send
SIGTERM, a closing terminal SIGHUP, and a job a non-interactive shell starts in the
background inherits SIGINT *ignored* (Python then never raises KeyboardInterrupt).
`StopSignals` treats the three alike, whatever their disposition at start:

- the first signal is a *stop request*: it is recorded, `on_signal(signame)` is called
  (in the main thread) and `check()` raises `Stopped` from then on, at the points the
  command chooses; nothing is raised asynchronously, so an instrument query or a store
  commit is never cut in half;
- further signals are remembered (`received`) and announced on stderr, nothing else: a
  second Ctrl-C cannot skip the safe state;
- leaving the block restores the previous handlers; the command then exits with
  `exit_code` (128 + signal number: 130 SIGINT, 143 SIGTERM, 129 SIGHUP). `Stopped`
  carries the same code; `labctl.cli.main` turns it into the exit status.

Enter it in the main thread (Python runs signal handlers only there). Uses:

    # a loop on the main thread (labctl demo): stop at safe points
    with StopSignals() as stop:
        for step in steps:
            stop.check()                  # raises Stopped("SIGTERM") once asked to stop
            ...
    # except Stopped: bench.safe_state(); store.log_event(...); store.finish_run(..., "aborted")

    # a worker thread (labctl run): forward the request, wait for the worker's safe end
    with StopSignals(on_signal=lambda sig: runner.stop(f"stopped by {sig}")) as stop:
        runner.start(); runner.wait()
    return stop.exit_code or 0

    # serving until stopped (labctl sim)
    with StopSignals() as stop:
        serve(); stop.wait()
    close(); return stop.exit_code

    # a Qt event loop (labctl gui): Python handlers run only when Python code runs, so
    # wake the loop through the signal wake-up socket
    with StopSignals(on_signal=lambda sig: window.close()) as stop:
        notifier = QSocketNotifier(stop.fileno(), QSocketNotifier.Type.Read)
        notifier.activated.connect(stop.drain)
        app.exec()
"""

from __future__ import annotations

import os
import signal
import socket
import threading
import time
from typing import Callable

SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)
WAKE_S = 0.2     # wait(): how often the main thread wakes to run pending signal handlers


class Stopped(KeyboardInterrupt):
    """A stop request (signal `signame`) taken at a safe point; a KeyboardInterrupt, so
    `except Exception` does not swallow it."""

    def __init__(self, signame: str):
        super().__init__(signame)
        self.signame = signame
        self.exit_code = code_for(signame)


def code_for(signame: str) -> int:
    """The shell's convention for a command ended by a signal: 128 + its number."""
    return 128 + signal.Signals[signame].value


class StopSignals:
    """Context manager: SIGINT, SIGTERM and SIGHUP become one stop request (see module)."""

    def __init__(self, on_signal: Callable[[str], None] | None = None):
        self.on_signal = on_signal
        self.received: list[str] = []
        self._stop = threading.Event()
        self._previous: dict[int, object] = {}
        self._wakeup: tuple[socket.socket, socket.socket] | None = None
        self._previous_wakeup_fd = -1

    @property
    def requested(self) -> str | None:
        """Name of the signal that asked to stop, or None."""
        return self.received[0] if self.received else None

    @property
    def exit_code(self) -> int | None:
        return code_for(self.requested) if self.requested else None

    def check(self) -> None:
        """A safe point: raise `Stopped` if a stop was requested."""
        if self.requested:
            raise Stopped(self.requested)

    def wait(self, timeout: float | None = None) -> bool:
        """Block until a stop is requested (True) or `timeout` seconds pass (False).

        Waits in slices: the kernel may deliver the signal to another thread (a server's),
        and Python runs the handler only when the main thread wakes up to run code."""
        deadline = None if timeout is None else time.monotonic() + timeout
        while not self._stop.is_set():
            left = WAKE_S if deadline is None else min(WAKE_S, deadline - time.monotonic())
            if left <= 0:
                return False
            self._stop.wait(left)
        return True

    def fileno(self) -> int:
        """A socket that becomes readable when a signal arrives, for event loops that run
        no Python code while idle (Qt: QSocketNotifier on it, `drain` as its slot)."""
        if self._wakeup is None:
            self._wakeup = socket.socketpair()
            for end in self._wakeup:
                end.setblocking(False)
            self._previous_wakeup_fd = signal.set_wakeup_fd(self._wakeup[1].fileno(),
                                                            warn_on_full_buffer=False)
        return self._wakeup[0].fileno()

    def drain(self) -> None:
        """Empty the wake-up socket (the signal handlers have run by the time this does)."""
        try:
            while self._wakeup[0].recv(512):
                pass
        except BlockingIOError:
            pass

    def _handle(self, signum: int, frame: object) -> None:
        name = signal.Signals(signum).name
        self.received.append(name)
        if len(self.received) > 1:
            _say(f"labctl: {name} while stopping on {self.requested}: finishing the safe stop")
            return
        _say(f"labctl: {name}: stopping")
        self._stop.set()
        if self.on_signal is not None:
            self.on_signal(name)

    def __enter__(self) -> StopSignals:
        for signum in SIGNALS:
            self._previous[signum] = signal.signal(signum, self._handle)
        return self

    def __exit__(self, *exc: object) -> None:
        for signum, handler in self._previous.items():   # None: set outside Python
            signal.signal(signum, signal.SIG_DFL if handler is None else handler)
        self._previous.clear()
        if self._wakeup is not None:
            signal.set_wakeup_fd(self._previous_wakeup_fd)
            for end in self._wakeup:
                end.close()
            self._wakeup = None


def _say(message: str) -> None:
    """One line to stderr, unbuffered: a handler may interrupt a buffered write."""
    try:
        os.write(2, (message + "\n").encode())
    except OSError:   # stderr gone with the terminal (SIGHUP)
        pass
