"""Protocols side by side: one thread (lane) per instrument group, on one bench clock.

`side_by_side(lanes, steps, key, sample, run)` runs `steps` (several samples' chains: each sample's
steps in their order) on one lane per `key` (e.g. the instruments a step uses: the FRA's
lane, the SMU's): a lane takes the first step of its key whose sample is not being measured
and whose earlier steps are done. So pellet A polarizes on the SMU while the FRA measures
pellet B's spectrum. The first exception of a lane is in `errors` at once (the runner's
lanes stop on it) and is raised once all have ended.

On a real (or paced, scaled) clock the lanes simply run in parallel. On a `VirtualClock`
they take turns as a discrete-event simulation: a lane's sleep waits until every other
lane sleeps too (or waits for something, `wait`) and its own wake-up is the earliest; then
the clock moves to it. Time passes for all lanes together, and a run is as long in
simulated time as it would be on the bench. `exclusive` is a lock that does not stop time
while it is waited for (switching the relays, the watchdog's look).
"""

from __future__ import annotations

import threading
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, Callable, Hashable, Iterator, Sequence

from labctl.clock import VirtualClock


@dataclass(eq=False)
class _Member:
    index: int
    wake: float | None = None                        # sleeping until
    waiting: Callable[[], bool] | None = None        # blocked until this holds
    done: bool = False


class Lanes:
    """The threads running side by side, and what lets virtual time pass for them."""

    def __init__(self, clock: Any):
        self.clock = clock
        self.virtual = isinstance(clock, VirtualClock)
        self._cond = threading.Condition()
        self._members: list[_Member] = []
        self._local = threading.local()
        self._holder: int | None = None
        self._depth = 0
        self.errors: list[BaseException] = []   # of `side_by_side`'s lanes, first first

    def member(self) -> _Member | None:
        return getattr(self._local, "member", None)

    def run(self, targets: dict[str, Callable[[], None]]) -> None:
        """Run each target as a lane (all counted as running before any starts) until all
        have ended; on a virtual clock, its sleeps go through this object meanwhile."""
        with self._cond:
            members = [_Member(len(self._members) + i) for i in range(len(targets))]
            self._members += members

        def body(member: _Member, target: Callable[[], None]) -> None:
            self._local.member = member
            try:
                target()
            finally:
                with self.changing():
                    member.done = True

        threads = [threading.Thread(target=body, args=(m, t), name=f"labctl-lane-{name}",
                                    daemon=True)
                   for m, (name, t) in zip(members, targets.items())]
        previous = getattr(self.clock, "lanes", None)
        if self.virtual:
            self.clock.lanes = self
        try:
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()
        finally:
            if self.virtual:
                self.clock.lanes = previous

    def sleep_until(self, end: float) -> None:
        """A lane's sleep on the virtual clock: its turn, then the clock moved to `end`."""
        me = self.member()
        with self._cond:
            me.wake = end
            self._cond.notify_all()
            self._cond.wait_for(lambda: self._turn(me))
            me.wake = None
            self.clock.advance_to(end)

    def wait(self, predicate: Callable[[], bool]) -> None:
        """Block (not holding up time) until `predicate` holds; it reads only state changed
        under this object's lock, whose changes are announced by `notify`."""
        me = self.member()
        with self._cond:
            if me is not None:
                me.waiting = predicate
                self._cond.notify_all()
            try:
                self._cond.wait_for(predicate)
            finally:
                if me is not None:
                    me.waiting = None

    @contextmanager
    def changing(self) -> Iterator[None]:
        """Change what `wait` predicates read; the waiters are told."""
        with self._cond:
            yield
            self._cond.notify_all()

    @contextmanager
    def exclusive(self) -> Iterator[None]:
        """A re-entrant lock among the lanes (and the runner's thread)."""
        me = threading.get_ident()
        with self._cond:
            if self._holder != me:
                self.wait(lambda: self._holder is None)
                self._holder = me
            self._depth += 1
        try:
            yield
        finally:
            with self.changing():
                self._depth -= 1
                if not self._depth:
                    self._holder = None

    def _turn(self, me: _Member) -> bool:
        """Whether sleeping lane `me` wakes now: no other lane can run, and its wake-up is
        the earliest (ties: the lane started first)."""
        others = [m for m in self._members if m is not me and not m.done]
        if any(m.wake is None and (m.waiting is None or m.waiting()) for m in others):
            return False
        return all((me.wake, me.index) < (m.wake, m.index) for m in others
                   if m.wake is not None)


def side_by_side(lanes: Lanes, steps: Sequence[Any], key: Callable[[Any], Hashable],
                 sample: Callable[[Any], str], run: Callable[[Any], None]) -> None:
    """Run `steps` on one lane per `key`, each sample's steps in order (see the module);
    the first exception of a lane is in `lanes.errors` at once, and raised at the end."""
    pending, busy = list(steps), set()

    def ready(k: Hashable) -> Any | None:
        seen: set[str] = set()
        for step in pending:
            if sample(step) not in seen and key(step) == k and sample(step) not in busy:
                return step
            seen.add(sample(step))
        return None

    def lane(k: Hashable) -> None:
        while True:
            lanes.wait(lambda: bool(lanes.errors) or ready(k) is not None
                       or not any(key(s) == k for s in pending))
            with lanes.changing():
                step = None if lanes.errors else ready(k)
                if step is None:
                    return
                pending.remove(step)
                busy.add(sample(step))
            try:
                run(step)
            except BaseException as exc:   # the first ends the group; raised below
                with lanes.changing():
                    lanes.errors.append(exc)
            finally:
                with lanes.changing():
                    busy.discard(sample(step))

    lanes.errors.clear()
    lanes.run({str(k): (lambda k=k: lane(k)) for k in dict.fromkeys(map(key, steps))})
    if lanes.errors:
        raise lanes.errors[0]
