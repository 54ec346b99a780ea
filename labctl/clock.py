"""Clocks: every wait in labctl goes through one, so simulations can run in virtual time.

`RealClock` for hardware; `VirtualClock` for simulation (sleep advances time instantly and
deterministically); `ScaledClock` runs real time `speed` times faster (`labctl sim`, whose
clients share only wall time); `PacedClock` is virtual time paced to `speed` times real time
(the GUI's simulated bench: watchable, and the experiment the same at every speed).
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


SPEED_CHANGE_S = 0.1   # a ScaledClock sleeper notices a new speed within this real time


class ScaledClock(_ClockMixin):
    """Real time running `speed` times faster: now() = start + speed * elapsed real time.
    `set_speed` changes the rate from now on (time stays continuous)."""

    def __init__(self, speed: float = 1.0, start: float = 0.0):
        if speed <= 0:
            raise ValueError("speed must be > 0")
        self.speed = speed
        self._origin = start          # clock time at real time _t0
        self._start = start
        self._t0 = time.monotonic()
        self._epoch0 = time.time()
        self._lock = threading.Lock()

    def now(self) -> float:
        with self._lock:
            return self._origin + self.speed * (time.monotonic() - self._t0)

    def set_speed(self, speed: float) -> None:
        if speed <= 0:
            raise ValueError("speed must be > 0")
        with self._lock:
            t0 = time.monotonic()
            self._origin += self.speed * (t0 - self._t0)
            self._t0, self.speed = t0, speed

    def sleep(self, dt: float) -> None:
        """Until `dt` clock seconds passed, following speed changes meanwhile."""
        end = self.now() + dt
        while (left := end - self.now()) > 0:
            time.sleep(min(left / self.speed, SPEED_CHANGE_S))

    def epoch(self) -> float:
        return self._epoch0 + (self.now() - self._start)


class PacedClock(_ClockMixin):
    """Virtual time that only `sleep` advances, paced to about `speed` times real time.

    What the host computes between sleeps takes no simulated time, so a simulated
    experiment gives the same result at every speed (that of a `VirtualClock`): on a
    `ScaledClock` the host's own work counts as simulated time, `speed` times over, so at
    a high speed readings came late and instrument timeouts (in clock seconds) expired
    while the host was still busy. A sleep ends when real time has caught up with the
    clock; a host too slow for the speed runs as fast as it can (the pace restarts from
    there, no catching up). `set_speed` changes the pace from now on."""

    def __init__(self, speed: float = 1.0, start: float = 0.0):
        if speed <= 0:
            raise ValueError("speed must be > 0")
        self.speed = speed
        self._now = self._start = float(start)
        self._epoch0 = time.time()
        self._lock = threading.Lock()
        self._anchor = (time.monotonic(), self._now)   # real time, clock time paced from

    def now(self) -> float:
        with self._lock:
            return self._now

    def set_speed(self, speed: float) -> None:
        if speed <= 0:
            raise ValueError("speed must be > 0")
        with self._lock:
            self.speed = speed
            self._anchor = (time.monotonic(), self._now)

    def sleep(self, dt: float) -> None:
        """Advance the clock by `dt`, once real time has caught up with it (a sleeper
        notices a new speed within SPEED_CHANGE_S). Concurrent sleepers: the clock goes
        to the latest end, never back."""
        if dt < 0:
            raise ValueError("cannot sleep a negative time")
        with self._lock:
            end = self._now + dt
        while True:
            with self._lock:
                real0, clock0 = self._anchor
                wait = real0 + (end - clock0) / self.speed - time.monotonic()
                if wait <= 0:
                    if wait < -SPEED_CHANGE_S:          # the host lagged: pace from here
                        self._anchor = (time.monotonic(), max(self._now, end))
                    self._now = max(self._now, end)
                    return
            time.sleep(min(wait, SPEED_CHANGE_S))

    def epoch(self) -> float:
        return self._epoch0 + (self.now() - self._start)


class VirtualClock(_ClockMixin):
    """Simulated time: `sleep` advances `now()` at once; thread-safe and deterministic.
    While `lanes` (a `labctl.lanes.Lanes`) runs threads side by side, a sleep of one of
    them waits its turn there, so that time passes for the lanes together."""

    def __init__(self, start: float = 0.0, epoch0: float = 1.7e9):
        self._now = float(start)
        self._start = float(start)
        self._epoch0 = epoch0
        self._lock = threading.Lock()
        self.lanes = None

    def now(self) -> float:
        with self._lock:
            return self._now

    def sleep(self, dt: float) -> None:
        if dt < 0:
            raise ValueError("cannot sleep a negative time")
        lanes = self.lanes
        if lanes is not None and lanes.member() is not None:
            lanes.sleep_until(self.now() + dt)
            return
        with self._lock:
            self._now += dt

    def advance_to(self, t: float) -> None:
        """Move time forward to `t` (no-op if `t` is in the past)."""
        with self._lock:
            self._now = max(self._now, t)

    def epoch(self) -> float:
        return self._epoch0 + (self.now() - self._start)
