"""Clocks: every wait in labctl goes through one, so simulations can run in virtual time.

`RealClock` for hardware; `VirtualClock` for simulation (sleep advances time instantly and
deterministically); `ScaledClock` runs real time `speed` times faster (demos, `labctl sim`).
`now()` is seconds on the clock's own timeline; `epoch()` maps it to Unix time for records.
"""

from __future__ import annotations

import threading
import time
from typing import Callable, Protocol


class Clock(Protocol):
    def now(self) -> float:
        """Seconds on this clock's timeline (monotonic)."""

    def sleep(self, dt: float) -> None:
        """Let `dt` seconds pass."""

    def epoch(self) -> float:
        """Unix time corresponding to `now()`."""


def wait_until(clock: Clock, predicate: Callable[[], bool], timeout: float,
               poll: float) -> bool:
    """Poll `predicate` every `poll` s until it is true (True) or `timeout` s pass (False)."""
    if poll <= 0:
        raise ValueError("poll must be > 0")
    deadline = clock.now() + timeout
    while True:
        if predicate():
            return True
        remaining = deadline - clock.now()
        if remaining <= 0:
            return False
        clock.sleep(min(poll, remaining))


class _ClockMixin:
    def wait_until(self, predicate: Callable[[], bool], timeout: float, poll: float) -> bool:
        return wait_until(self, predicate, timeout, poll)


class RealClock(_ClockMixin):
    """Wall-clock time."""

    def now(self) -> float:
        return time.monotonic()

    def sleep(self, dt: float) -> None:
        if dt > 0:
            time.sleep(dt)

    def epoch(self) -> float:
        return time.time()


class ScaledClock(_ClockMixin):
    """Real time running `speed` times faster: now() = start + speed * elapsed real time."""

    def __init__(self, speed: float = 1.0, start: float = 0.0):
        if speed <= 0:
            raise ValueError("speed must be > 0")
        self.speed = speed
        self._start = start
        self._t0 = time.monotonic()
        self._epoch0 = time.time()

    def now(self) -> float:
        return self._start + self.speed * (time.monotonic() - self._t0)

    def sleep(self, dt: float) -> None:
        if dt > 0:
            time.sleep(dt / self.speed)

    def epoch(self) -> float:
        return self._epoch0 + (self.now() - self._start)


class VirtualClock(_ClockMixin):
    """Simulated time: `sleep` advances `now()` at once; thread-safe and deterministic."""

    def __init__(self, start: float = 0.0, epoch0: float = 1.7e9):
        self._now = float(start)
        self._start = float(start)
        self._epoch0 = epoch0
        self._lock = threading.Lock()

    def now(self) -> float:
        with self._lock:
            return self._now

    def sleep(self, dt: float) -> None:
        if dt < 0:
            raise ValueError("cannot sleep a negative time")
        with self._lock:
            self._now += dt

    def advance_to(self, t: float) -> None:
        """Move time forward to `t` (no-op if `t` is in the past)."""
        with self._lock:
            self._now = max(self._now, t)

    def epoch(self) -> float:
        return self._epoch0 + (self.now() - self._start)
