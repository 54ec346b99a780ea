"""What the GUI holds while it is open: the bench, the runner and the event queue. Every
instrument access happens on the runner's worker, the bench's one I/O owner: runs, manual
commands, one-off protocols, and the live readings of an idle bench (`Readings` events:
furnace, SMU, and a switch matrix's closed channels read back),
which a timer on the GUI thread hands to the runner as a job (`Runner.call`) every POLL_S
while no run is in progress (a run's own readings arrive as its events).

On a simulated bench simulated time is a `PacedClock` at `speed` times real time
(watchable; `set_speed` changes it during a run): time passes only in the sleeps of a run
(what the host computes takes none, so the experiment is the same at every speed) and,
while no run is in progress, in the idle jobs (the furnace keeps ramping), one
IDLE_SLICE_S of real time each, so a command waits at most that long for the worker.
A bench file served by `labctl sim --speed X` is given `speed` X (a `ScaledClock`, and the
run process's `--speed`, as `labctl run`), so that the run's waits and time axes are the
simulated instruments' time.
"""

from __future__ import annotations

import os
import time
from concurrent.futures import Future
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Mapping

from PySide6.QtCore import QTimer

from labctl import events as ev
from labctl.bench import BenchConfig, open_bench
from labctl.capabilities import SourceMeter, Switch, TemperatureController
from labctl.clock import Clock, PacedClock, ScaledClock
from labctl.errors import ConfigError, LabctlError, describe
from labctl.gui.attached import AttachedRun, RunProcessEnded
from labctl.gui.bridge import EventQueue
from labctl.recipe import Recipe, check_setpoint, one_step_recipe, parse_recipe
from labctl.runner import Runner
from labctl.store import Store
from labctl.store.paths import location
from labctl.units import K_to_C

POLL_S = 1.0                      # real seconds between live readings
SIMULATED_SPEED = 60.0            # a simulated bench's default speed
IDLE_SLICE_S = 0.05               # real seconds an idle job lets simulated time pass


@dataclass(frozen=True)
class Readings:
    """Live readings of the bench's instruments (from an idle job, GUI-bound)."""

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
    on the GUI thread. With `bench_name` (how `labctl run --bench` names this bench) a run
    started here goes on in a run process of its own (`labctl.runprocess`), which outlives
    the GUI: the session hands it the bench (closes its own) and follows it over the
    channel (`attached`) until it ends, then opens the bench again (`simulation`: the
    `--sample`/`--seed` the run process applies to the bench, as `config` has them).
    `attach_run` follows a run already in progress the same way."""

    def __init__(self, config: BenchConfig, db_path: Path | str, speed: float | None = None,
                 clock: Clock | None = None, bench_name: str | None = None,
                 simulation: dict[str, Any] | None = None):
        """`clock`: for a simulated bench, default a PacedClock at `speed` (default
        SIMULATED_SPEED; tests pass a VirtualClock: runs go as fast as the simulation
        computes, idle time stands still); for a bench file, `speed` is that of the
        `labctl sim` serving it (None: a real bench, real time)."""
        self.config, self.db_path, self.bench_name = config, location(db_path), bench_name
        self.simulation = simulation or {}
        self.served_speed = None if config.simulated else speed
        self.clock = clock or (PacedClock(speed or SIMULATED_SPEED) if config.simulated
                               else ScaledClock(speed) if speed else None)
        self.handlers: list[Callable[[Any], None]] = []
        self.queue = EventQueue(self._dispatch)
        self.attached: AttachedRun | None = None
        self.timer = QTimer()
        self.timer.setInterval(round(IDLE_SLICE_S * 1000))
        self.timer.timeout.connect(self._idle)
        self._open()

    def _open(self) -> None:
        self.bench = open_bench(self.config, self.clock)
        self.runner = Runner(None, self.bench, self.db_path)
        self.runner.subscribe(self.queue)
        self._idle_job: Future | None = None
        self._since_reading_s = POLL_S       # the first idle job reads (and identifies)
        self._identified = False
        self.timer.start()

    def _release(self) -> None:
        """The bench to a run process: no more idle jobs, runner and bench closed."""
        self.timer.stop()
        self.runner.close()
        self.bench.close()

    @property
    def simulated(self) -> bool:
        """Simulated time at an adjustable speed (`set_speed`)."""
        return isinstance(self.clock, PacedClock)

    def set_speed(self, speed: float) -> None:
        if self.simulated:
            self.clock.set_speed(speed)
            if self.attached is not None:
                self.attached.send("speed", speed)

    def _dispatch(self, event: Any) -> None:
        if isinstance(event, RunProcessEnded) and self.attached is not None:
            self._run_process_ended(event)
        for handler in self.handlers:
            handler(event)

    # -- run processes --------------------------------------------------------------------------
    def runs_in_progress(self) -> list[tuple[int, str, int]]:
        """(run id, name, run process pid) of the database's runs in progress on this host."""
        if not self.db_path.exists():
            return []
        with Store.open(self.db_path) as store:     # marks a dead writer's run interrupted
            return [(run.id, run.name, pid) for run in store.runs() if run.status == "running"
                    and (pid := store.writer_pid(run.id)) not in (None, os.getpid())]

    def attach_run(self, run_id: int) -> None:
        """Follow run `run_id`, in progress in its run process (LabctlError if it is not)."""
        with Store.open(self.db_path, create=False) as store:
            pid, text = store.writer_pid(run_id), store.run(run_id).recipe_text
        if pid is None:
            raise LabctlError(f"run {run_id} is not in progress on this host")
        try:
            recipe = parse_recipe(text, self.config, source=f"<recipe of run {run_id}>")
        except ConfigError:     # started on another bench: its steps are not listed
            recipe = None
        self._hand_over(pid, recipe)

    def _start_process(self, recipe: Recipe) -> None:
        from labctl.runprocess import spawn

        folder = self.db_path.resolve().parent / "logs"
        folder.mkdir(exist_ok=True)
        path = folder / f"recipe-{time.strftime('%Y%m%d-%H%M%S')}-{os.getpid()}.toml"
        path.write_text(recipe.text, encoding="utf-8")
        self._release()
        try:
            process = spawn({"recipe": str(path), "bench": self.bench_name,
                             "db": str(self.db_path),
                             "speed": self.clock.speed if self.simulated else self.served_speed,
                             **self.simulation},
                            wait_for_client=True)
            process.until("listening")
            process.close()
        except BaseException:
            self._open()
            raise
        self._hand_over(process.pid, recipe, released=True)

    def _hand_over(self, pid: int, recipe: Recipe | None, released: bool = False) -> None:
        if not released:
            self._release()
        try:
            self.attached = AttachedRun(pid, self.queue)
        except BaseException:
            self._open()
            raise
        self.runner.recipe = recipe           # the run panel lists its steps

    def _run_process_ended(self, event: RunProcessEnded) -> None:
        """GUI thread: the followed run ended (or its process died): the bench is ours again
        once the run process has closed it."""
        from labctl.runprocess import wait_gone

        self.attached.close()
        self.attached = None
        wait_gone(event.pid)
        if not event.finished:
            with Store.open(self.db_path) as store:     # marks the run interrupted
                status = store.run(event.run_id).status if event.run_id else "not started"
            self.queue(ev.LogMessage(event.run_id, "error",
                                     f"run {event.run_id}: its run process {event.pid} ended "
                                     f"without finishing it: {status} (labctl run --resume "
                                     f"{event.run_id} continues it)"))
        self._open()

    def _own_bench(self) -> None:
        if self.attached is not None:
            raise LabctlError(f"run {self.attached.run_id} (run process {self.attached.pid}) "
                              "has the bench")

    # -- commands (the runner executes them on its worker) ----------------------------------
    def start(self, recipe: Recipe) -> Future | None:
        self._own_bench()
        if self.bench_name is None:
            return self._command(lambda: self.runner.start(recipe), "run")
        self._start_process(recipe)
        return None

    def pause(self) -> None:
        self._run_command("pause", self.runner.pause)

    def resume(self) -> None:
        self._run_command("resume", self.runner.resume)

    def abort(self) -> None:
        self._run_command("abort", lambda: self.runner.abort("aborted by the operator"))

    def _run_command(self, command: str, here: Callable[[], None]) -> None:
        if self.attached is not None:
            self.attached.send(command)      # acknowledged in the event log
        else:
            here()

    def one_off(self, kind: str, params: Mapping[str, Any]) -> Future:
        """A single protocol run now, validated like a recipe (ConfigError if not valid)."""
        self._own_bench()
        recipe = one_step_recipe(kind, params, self.config)
        return self._command(lambda: self.runner.start(recipe), f"one-off {kind}")

    def safe_state(self) -> Future:
        """Every instrument safe; a followed run process is asked to abort (it makes the
        bench safe)."""
        if self.attached is not None:
            self.attached.send("abort")
            future: Future = Future()
            future.set_result([])
            return self._command(lambda: future, f"abort of run {self.attached.run_id}")
        return self._command(self.runner.safe_state, "safe state")

    def set_furnace(self, setpoint_K: float, rate_K_per_s: float) -> Future:
        """Ramp the furnace, checked like a recipe first (ConfigError if not valid)."""
        self._own_bench()
        check_setpoint(self.config, setpoint_K, rate_K_per_s)
        return self._command(lambda: self.runner.set_furnace(setpoint_K, rate_K_per_s),
                             f"furnace to {K_to_C(setpoint_K):.1f} °C at "
                             f"{rate_K_per_s * 60:g} °C/min")

    def _command(self, submit: Callable[[], Future], what: str) -> Future:
        """Hand a command to the runner. Its end is a `CommandDone` (a run's: how the run
        ended), its failure also an error in the event log."""
        future = submit()

        def done(f: Future) -> None:
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

    # -- live readings (idle jobs on the runner's worker) ------------------------------------
    def _idle(self) -> None:
        """GUI thread, every IDLE_SLICE_S: the next idle job, once the last one is done."""
        if self._idle_job is not None and not self._idle_job.done():
            return
        self._since_reading_s += IDLE_SLICE_S
        read = self._since_reading_s >= POLL_S - 1e-9
        try:
            self._idle_job = self.runner.call(lambda: self._idle_work(read))
        except LabctlError:            # a run: its readings arrive as events
            return
        if read:
            self._since_reading_s = 0.0

    def _idle_work(self, read: bool) -> None:
        """Worker: let simulated time pass for a slice; identify the instruments once,
        read the live ones every POLL_S."""
        if self.simulated:
            self.clock.sleep(IDLE_SLICE_S * self.clock.speed)
        if not self._identified:
            self._identified = True
            self.queue(Readings(identities={name: _identity(inst) for name, inst
                                            in self.bench.instruments.items()}))
        if not read:
            return
        readings = Readings()
        for name, inst in self.bench.instruments.items():
            if isinstance(inst, (TemperatureController, SourceMeter, Switch)):
                try:
                    readings.values[name] = inst.read()
                except Exception as exc:  # noqa: BLE001 - any link library's: shown, reading goes on
                    readings.errors[name] = describe(exc)
        self.queue(readings)

    # -- lifetime -------------------------------------------------------------------------------
    def close(self) -> None:
        """Stop following a run process (its run goes on); else abort a run (the bench
        goes safe). Stop the worker and the timers, close the bench."""
        self.timer.stop()
        if self.attached is not None:
            self.attached.close()
            self.attached = None
        else:
            self._release()
        self.queue.timer.stop()


def _identity(inst) -> str:
    try:
        return inst.identify()
    except Exception as exc:  # noqa: BLE001 - any link library's: shown, not fatal
        return f"? ({describe(exc)})"
