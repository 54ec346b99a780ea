"""The channel between a run process and its clients (`labctl run`, `labctl attach`, the GUI).

A Unix socket `run-<pid>.sock` in the user's private lock folder (`claims.lock_dir`, mode
0700), spoken through `multiprocessing.connection` (length-prefixed pickled objects), every
connection authenticated with a key only the user can read (`channel.key`, mode 0600): no
network listener, no other user. The run process sends each client a `Hello` (run, state),
then every runner event; a client sends `Command`s (pause, resume, abort; speed: of a
simulated bench's paced clock) and gets an `Ack` once the runner took the command (a pause
or abort acts at the next checkpoint). A client
that goes away only closes its connection; the run goes on. Points measured while no one
watched are in the store (`Store.points_since`).
"""

from __future__ import annotations

import os
import queue
import secrets
import threading
import time
from dataclasses import dataclass
from multiprocessing.connection import Client, Connection, Listener
from pathlib import Path
from typing import Any

from labctl.claims import lock_dir
from labctl.errors import LabctlError

COMMANDS = ("pause", "resume", "abort", "speed")


@dataclass(frozen=True)
class Hello:
    """First message to a new client: the run as it is now."""

    run_id: int | None
    name: str
    state: str
    pid: int


@dataclass(frozen=True)
class Command:
    command: str             # one of COMMANDS
    requester: str           # who asks, for the run's events
    value: float | None = None   # speed: simulated time per real time


@dataclass(frozen=True)
class Ack:
    command: str
    ok: bool
    message: str             # what came of it, or why refused
    state: str               # the runner's state after it


class ChannelClosed(LabctlError):
    """The run process does not answer: it is closing (its run has ended) or gone."""


def socket_path(pid: int) -> Path:
    return lock_dir() / f"run-{pid}.sock"


def authkey() -> bytes:
    """The user's channel key (made on first use, readable by the user only)."""
    path = lock_dir() / "channel.key"
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return path.read_bytes()
    with os.fdopen(fd, "wb") as out:
        key = secrets.token_bytes(32)
        out.write(key)
    return key


class RunServer:
    """The run process's end: `publish` is the runner's subscriber (never blocks: a sender
    thread writes to the clients); commands from clients go to `runner`."""

    def __init__(self, runner: Any):
        self.runner, self.path = runner, socket_path(os.getpid())
        self.path.unlink(missing_ok=True)          # left by a killed process with our pid
        self._listener = Listener(str(self.path), family="AF_UNIX", authkey=authkey())
        self._clients: list[tuple[Connection, threading.Lock]] = []
        self._lock = threading.Lock()
        self._outbox: queue.Queue[Any] = queue.Queue()
        self.connected = threading.Event()         # a first client came
        self._name = ""
        self._threads = [threading.Thread(target=self._accept, name="labctl-channel-accept",
                                          daemon=True),
                         threading.Thread(target=self._send_all, name="labctl-channel-send",
                                          daemon=True)]
        for thread in self._threads:
            thread.start()

    def publish(self, event: Any) -> None:
        if type(event).__name__ == "RunStarted":
            self._name = event.name
        self._outbox.put(event)

    def close(self) -> None:
        """Send what is queued, then close every connection and the socket."""
        self._outbox.put(None)
        self._threads[1].join()
        self._listener.close()        # unlinks the socket; the accept thread ends
        with self._lock:
            for conn, _ in self._clients:
                conn.close()
            self._clients.clear()

    def __enter__(self) -> RunServer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _accept(self) -> None:
        while True:
            try:
                conn = self._listener.accept()
            except OSError:           # closed
                return
            except Exception:  # noqa: BLE001 - a client with a wrong key, or gone at once
                continue
            lock = threading.Lock()
            try:
                with lock:
                    conn.send(Hello(self.runner.run_id, self._name, self.runner.state,
                                    os.getpid()))
            except OSError:
                continue
            with self._lock:
                self._clients.append((conn, lock))
            threading.Thread(target=self._serve, args=(conn, lock), daemon=True,
                             name="labctl-channel-client").start()
            self.connected.set()

    def _serve(self, conn: Connection, lock: threading.Lock) -> None:
        """Commands of one client until it goes away."""
        while True:
            try:
                command = conn.recv()
            except (EOFError, OSError):
                return self._drop(conn)
            ack = self._execute(command)
            try:
                with lock:
                    conn.send(ack)
            except OSError:
                return self._drop(conn)

    def _execute(self, command: Command) -> Ack:
        if not isinstance(command, Command) or command.command not in COMMANDS:
            return Ack(str(command), False, f"not a command: {command!r}", self.runner.state)
        reason = f"{command.command} requested by {command.requester}"
        try:
            if command.command == "speed":
                self._set_speed(command.value)
            else:
                getattr(self.runner, command.command)(reason)
        except LabctlError as exc:
            return Ack(command.command, False, str(exc), self.runner.state)
        return Ack(command.command, True, reason, self.runner.state)

    def _set_speed(self, speed: float | None) -> None:
        clock = self.runner.bench.clock
        if not hasattr(clock, "set_speed"):
            raise LabctlError("the bench's clock is real time: its speed is not set")
        try:
            clock.set_speed(float(speed))
        except (TypeError, ValueError) as exc:
            raise LabctlError(f"speed {speed!r}: {exc}") from exc

    def _send_all(self) -> None:
        while (event := self._outbox.get()) is not None:
            with self._lock:
                clients = list(self._clients)
            for conn, lock in clients:
                try:
                    with lock:
                        conn.send(event)
                except OSError:
                    self._drop(conn)

    def _drop(self, conn: Connection) -> None:
        with self._lock:
            self._clients = [c for c in self._clients if c[0] is not conn]
        conn.close()


class RunClient:
    """A client of run process `pid`: `hello`, then `receive` events and acks."""

    def __init__(self, pid: int):
        self.path = socket_path(pid)
        try:
            self._conn = Client(str(self.path), family="AF_UNIX", authkey=authkey())
        except (OSError, EOFError) as exc:
            raise ChannelClosed(f"the run process {pid} does not answer ({self.path}): "
                              f"{exc}") from exc
        try:         # a process ending lets a client in (key checked), then no Hello comes
            self.hello: Hello = self._conn.recv()
        except (OSError, EOFError) as exc:
            self._conn.close()
            raise ChannelClosed(f"the run process {pid} closed the channel ({self.path}) "
                                "before its hello") from exc

    def receive(self, timeout: float) -> Any | None:
        """The next message within `timeout` s (None: none yet); EOFError once the run
        process closed the channel (the run ended, or the process is gone)."""
        try:
            if not self._conn.poll(timeout):
                return None
            return self._conn.recv()
        except (ConnectionError, OSError) as exc:
            raise EOFError(str(exc)) from exc

    def send(self, command: str, value: float | None = None) -> None:
        self._conn.send(Command(command, f"pid {os.getpid()} (labctl client)", value))

    def command(self, command: str, value: float | None = None, timeout: float = 30.0
                ) -> tuple[Ack, list[Any], float]:
        """Send `command` and wait for its ack: (ack, events received meanwhile, seconds
        from sending to the ack)."""
        sent = time.perf_counter()
        self.send(command, value)
        meanwhile = []
        while True:
            message = self.receive(max(0.0, sent + timeout - time.perf_counter()))
            if isinstance(message, Ack):
                return message, meanwhile, time.perf_counter() - sent
            if message is None:
                raise LabctlError(f"no acknowledgement of {command} within {timeout:g} s")
            meanwhile.append(message)

    def close(self) -> None:
        self._conn.close()

    def __enter__(self) -> RunClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
