"""The GUI's end of a run process's channel: its events into the GUI's event queue.

A reader thread receives the run process's messages and queues them (never touching Qt):
first `Attached` (the run as it was when the GUI came), then every runner event; an `Ack`
becomes a log message; the channel's end becomes `RunProcessEnded`. Commands are sent
without waiting: their acknowledgement arrives as a log message, their effect as events.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from labctl import events as ev
from labctl.channel import Ack, RunClient


@dataclass(frozen=True)
class Attached:
    """The GUI follows run `run_id` (None: the run process has not started it yet)."""

    run_id: int | None
    name: str
    state: str
    pid: int


@dataclass(frozen=True)
class RunProcessEnded:
    """The channel closed: the run ended (`finished`) or its process is gone."""

    run_id: int | None
    pid: int
    finished: bool


class AttachedRun:
    def __init__(self, pid: int, queue: Callable[[Any], None]):
        self.pid, self._queue = pid, queue
        self._client = RunClient(pid)
        hello = self._client.hello
        self.run_id = hello.run_id
        self._finished = False
        self._closed = threading.Event()
        queue(Attached(hello.run_id, hello.name, hello.state, pid))
        self._thread = threading.Thread(target=self._read, name="labctl-gui-channel",
                                        daemon=True)
        self._thread.start()

    def send(self, command: str, value: float | None = None) -> None:
        self._client.send(command, value)

    def close(self) -> None:
        """Stop following (the run goes on)."""
        self._closed.set()
        self._thread.join()
        self._client.close()

    def _read(self) -> None:
        while not self._closed.is_set():
            try:
                message = self._client.receive(0.1)
            except EOFError:
                self._queue(RunProcessEnded(self.run_id, self.pid, self._finished))
                return
            if isinstance(message, Ack):
                self._queue(ev.LogMessage(self.run_id, "info" if message.ok else "error",
                                          f"{message.command}: {message.message}"))
            elif message is not None:
                self.run_id = getattr(message, "run_id", self.run_id)
                self._finished = self._finished or isinstance(message, ev.RunFinished)
                self._queue(message)
