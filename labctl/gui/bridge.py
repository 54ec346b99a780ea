"""Runner events into the GUI thread without ever making the runner wait.

`EventQueue` is the subscriber the GUI gives the runner: calling it only appends the event
to a deque (thread-safe, never blocks). A timer on the GUI thread drains the deque in
batches and passes each event to the handler, so a burst of 10^4 points costs the GUI one
wake-up per interval, not one queued signal per point.
"""

from __future__ import annotations

import time
from collections import deque
from typing import Callable

from PySide6.QtCore import QObject, QTimer

from labctl.events import Event

DRAIN_MS = 30
BUDGET_S = 0.02      # longest a drain may keep the GUI thread; the rest waits for the next


class EventQueue(QObject):
    def __init__(self, handler: Callable[[Event], None], parent: QObject | None = None):
        super().__init__(parent)
        self._events: deque[Event] = deque()
        self._handler = handler
        self.timer = QTimer(self)
        self.timer.setInterval(DRAIN_MS)
        self.timer.timeout.connect(self.drain)
        self.timer.start()

    def __call__(self, event: Event) -> None:
        """The runner's subscriber (any thread): queue and return."""
        self._events.append(event)

    def __len__(self) -> int:
        return len(self._events)

    def drain(self) -> None:
        """Handle queued events for up to BUDGET_S (GUI thread)."""
        deadline = time.perf_counter() + BUDGET_S
        while self._events and time.perf_counter() < deadline:
            self._handler(self._events.popleft())
