"""The run's safety watchdog: looks at the bench between a protocol's points.

The runner calls `check(ctx)` at every checkpoint, also while paused. At most every
`interval_s` of bench time it evaluates the interlocks (labctl.interlocks) of the
instruments that play a role in the running step, then reads the furnace playing the
"furnace" role and logs the reading. An interlock that trips raises `Tripped` once; it
stays in `tripped` (label -> reason) until a look finds it clear. A driver error met while
looking (a stalled or vanished instrument, a sensor break no interlock handles) propagates:
the runner fails the run and makes the bench safe.
"""

from __future__ import annotations

from typing import Any

from labctl.interlocks import Interlock, Look, Tripped, build


class Watchdog:
    def __init__(self, interval_s: float = 30.0):
        self.interval_s = interval_s
        self.tripped: dict[str, str] = {}
        self._interlocks: dict[str, list[Interlock]] = {}
        self._last_s = -float("inf")

    def reset(self, now_s: float, specs: dict[str, Any]) -> None:
        """A run (re)starts at bench time `now_s` on a bench of instrument `specs`
        (`InstrumentSpec`s by name): every interlock anew, none tripped."""
        self._last_s = now_s - self.interval_s
        self._interlocks = {name: build(name, spec.interlocks) for name, spec in specs.items()}
        self.tripped = {}

    def check(self, ctx: Any) -> None:
        now = ctx.clock.now()
        if now - self._last_s < self.interval_s:
            return
        self._last_s = now
        look = Look(ctx.instruments, now)
        for name in dict.fromkeys(ctx.position.roles.values()):
            for interlock in self._interlocks.get(name, ()):
                self._evaluate(interlock, look)
        furnace = ctx.position.roles.get("furnace")
        reading = None if furnace is None else look.temperature(furnace)
        if reading is not None:
            ctx.record_temperature(reading)

    def _evaluate(self, interlock: Interlock, look: Look) -> None:
        reason = interlock.check(look)
        if reason is None:
            self.tripped.pop(interlock.label, None)
        elif interlock.label not in self.tripped:
            self.tripped[interlock.label] = reason
            raise Tripped(interlock, reason)
