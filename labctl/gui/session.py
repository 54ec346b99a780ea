"""What the GUI holds while it is open: the bench, the runner, the event queue and the
poller of live readings. Every instrument access happens off the GUI thread: runs, manual
commands and one-off protocols on the runner's worker, live readings on the poller. The
poller reads only while no run or command handed to the runner is unfinished (a run's own
readings arrive as its events), and a command waits for a poll in progress: instruments
are never used by both.

On a simulated bench simulated time is a `PacedClock` at `speed` times real time
(watchable; `set_speed` changes it during a run): time passes only in the sleeps of a run
(what the host computes takes none, so the experiment is the same at every speed) and,
while no run is in progress or it is paused, in the poller's (the furnace keeps ramping).
"""

from __future__ import annotations

import threading
from concurrent.futures import Future
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Mapping


from labctl import events as ev
from labctl.bench import BenchConfig, open_bench
from labctl.capabilities import SourceMeter, TemperatureController
from labctl.clock import Clock, PacedClock
from labctl.errors import describe
from labctl.gui.bridge import EventQueue
from labctl.recipe import Recipe, check_setpoint, one_step_recipe
from labctl.runner import Runner
from labctl.units import K_to_C
from labctl.store.paths import location

POLL_S = 1.0                      # real seconds between live readings
IDLE_SLICE_S = 0.05               # real seconds the poller lets simulated time pass at once


@dataclass(frozen=True)
class Readings:
    """Live readings of the bench's instruments (from the poller, GUI-bound)."""

    values: dict[str, Any] = field(default_factory=dict)   # name -> reading (or None)
    errors: dict[str, str] = field(default_factory=dict)   # name -> what failed
    identities: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class CommandDone:
    """A command handed to the runner has ended (GUI-bound): `status` 'done', 'failed' or
    'aborted' (a run's), `reason` why not done."""

    future: Future
    what: str
    status: str
    reason: str = ""


class Session:
    """Bench + runner for the GUI; `handlers` get every event (runner events, `Readings`)
    on the GUI thread."""

    def __init__(self, config: BenchConfig, db_path: Path | str, speed: float = 60.0,
                 clock: Clock | None = None):
        """`clock`: for a simulated bench, default a PacedClock at `speed` (tests pass a
        VirtualClock: runs go as fast as the simulation computes, idle time stands still)."""
        self.config, self.db_path = config, location(db_path)
        self.clock = clock or (PacedClock(speed) if config.simulated else None)
        self.bench = open_bench(config, self.clock)
        self.runner = Runner(None, self.bench, self.db_path)
        self.handlers: list[Callable[[Any], None]] = []
        self.queue = EventQueue(self._dispatch)
        self.runner.subscribe(self.queue)
        self._stop = threading.Event()
        self._io = threading.Lock()      # held by a poll, and while a command is handed over
        self._pending = 0                # commands the runner has not finished
        self._poller = threading.Thread(target=self._poll, name="labctl-gui-poller",
                                        daemon=True)
        self._poller.start()

    @property
    def simulated(self) -> bool:
        """Simulated time at an adjustable speed (`set_speed`)."""
        return isinstance(self.clock, PacedClock)

    def set_speed(self, speed: float) -> None:
        if self.simulated:
            self.clock.set_speed(speed)

    def _dispatch(self, event: Any) -> None:
        for handler in self.handlers:
            handler(event)

    # -- commands (the runner executes them on its worker) ----------------------------------
    def start(self, recipe: Recipe) -> Future:
        return self._command(lambda: self.runner.start(recipe), "run")

    def one_off(self, kind: str, params: Mapping[str, Any]) -> Future:
        """A single protocol run now, validated like a recipe (ConfigError if not valid)."""
        recipe = one_step_recipe(kind, params, self.config)
        return self._command(lambda: self.runner.start(recipe), f"one-off {kind}")

    def safe_state(self) -> Future:
        return self._command(self.runner.safe_state, "safe state")

    def set_furnace(self, setpoint_K: float, rate_K_per_s: float) -> Future:
        """Ramp the furnace, checked like a recipe first (ConfigError if not valid)."""
        check_setpoint(self.config, setpoint_K, rate_K_per_s)
        return self._command(lambda: self.runner.set_furnace(setpoint_K, rate_K_per_s),
                             f"furnace to {K_to_C(setpoint_K):.1f} °C at "
                             f"{rate_K_per_s * 60:g} °C/min")

    def _command(self, submit: Callable[[], Future], what: str) -> Future:
        """Hand a command to the runner once no poll is in progress; until it is done the
        poller stays away. Its end is a `CommandDone` (a run's: how the run ended), its
        failure also an error in the event log."""
        with self._io:
            future = submit()
            self._pending += 1

        def done(f: Future) -> None:
            with self._io:
                self._pending -= 1
            if f.exception() is not None:
                status, reason = "failed", str(f.exception())
                self.queue(ev.LogMessage(self.runner.run_id, "error", f"{what} failed: {reason}"))
            elif f.result() in ("failed", "aborted"):      # a run: how it ended
                status, reason = f.result(), self.runner.reason
            elif isinstance(f.result(), list) and f.result():   # safe state: problems
                status, reason = "failed", "; ".join(f.result())
            else:
                status, reason = "done", ""
            self.queue(CommandDone(f, what, status, reason))
        future.add_done_callback(done)
        return future

    # -- live readings ------------------------------------------------------------------------
    def _poll(self) -> None:
        identities = {}
        with self._io:
            for name, inst in self.bench.instruments.items():
                try:
                    identities[name] = inst.identify()
                except Exception as exc:  # noqa: BLE001 - any link library's: shown, not fatal
                    identities[name] = f"? ({describe(exc)})"
        self.queue(Readings(identities=identities))
        while self._pass_time():
            with self._io:
                if self._pending:        # a run or command: its readings arrive as events
                    continue
                readings = Readings()
                for name, inst in self.bench.instruments.items():
                    if isinstance(inst, (TemperatureController, SourceMeter)):
                        try:
                            readings.values[name] = inst.read()
                        except Exception as exc:  # noqa: BLE001 - as above: polling goes on
                            readings.errors[name] = describe(exc)
            self.queue(readings)

    def _pass_time(self) -> bool:
        """Wait POLL_S real seconds (False: the session closes). On a simulated bench,
        simulated time passes meanwhile unless a run or command is under way (a paused
        run's furnace goes on): in slices, so that a command never overlaps one."""
        slices = max(1, round(POLL_S / IDLE_SLICE_S))   # at least one: never a busy loop
        for _ in range(slices):
            if self._stop.is_set():
                return False
            with self._io:
                idle = self.simulated and (not self._pending or self.runner.state == "paused")
                if idle:
                    self.clock.sleep(POLL_S / slices * self.clock.speed)
            if not idle and self._stop.wait(POLL_S / slices):
                return False
        return not self._stop.is_set()

    # -- lifetime -------------------------------------------------------------------------------
    def close(self) -> None:
        """Abort a run (the bench goes safe), stop the threads, close the bench."""
        self._stop.set()
        self._poller.join()
        self.runner.close()
        self.queue.timer.stop()
        self.bench.close()
