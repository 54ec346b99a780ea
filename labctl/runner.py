"""The runner: executes a recipe on a worker thread as an explicit state machine.

States and the only transitions allowed: `labctl.runstate` (start, pause and resume take
effect at a checkpoint; an abort, a fault or a tripped interlock goes to `aborting`, the
bench is made safe, the run is stored 'aborted' or 'failed' and the runner is `failed`).
An interlock whose action is `pause` (labctl.interlocks) pauses the run instead: outputs
safe, the interrupted step abandoned; after the operator resumed (refused while the
interlock is still tripped) the run goes on from that step, or from its plateau's first.

On an abort or fault, outputs go off and the furnace to its safe set-point before anything
else (instruments without temperature control first), then the run is closed in the store
with the reason. The worker opens its own `Store` on the database file (a store connection
belongs to one thread). Subscribers get events on the worker thread (or, while protocols
run side by side, on a lane's: `labctl.runsamples`) and must not block.
Manual commands for a bench panel (`safe_state`, `set_furnace`) run on the worker thread
between runs and return a `Future`; `safe_state()` during a run aborts it. Another process
asks through the store (`Store.request`, `labctl pause|resume|abort RUN`); the runner looks
at every checkpoint, also while paused (every `paused_poll_s`).
"""

from __future__ import annotations

import os
import queue
import sys
import threading
from concurrent.futures import Future
from typing import Any, Callable

from labctl import __version__
from labctl import events as ev
from labctl.bench import Bench
from labctl.capabilities import TemperatureController
from labctl.context import Aborted
from labctl.errors import LabctlError, describe
from labctl.interlocks import Tripped
from labctl.lanes import Lanes
from labctl.recipe import Recipe, Step
from labctl.runcontext import StoreContext
from labctl.several_samples import SeveralSamples, block, plan
from labctl.runstate import (ACTIVE, Command, RunState, accepts, check_command,
                             check_transition)
from labctl.store.paths import location
from labctl.store.store import Store
from labctl.watchdog import Watchdog

DONE = {Command.PAUSE: "paused", Command.RESUME: "resumed", Command.ABORT: "aborted"}


class Suspended(Aborted):
    """An interlock paused the run: the step it interrupted is measured again."""


class Runner(SeveralSamples):
    """Runs `recipe` on `bench`, recording into the database of `store` (a Store or path)."""

    paused_poll_s = 1.0     # real seconds between the watchdog's looks while paused

    def __init__(self, recipe: Recipe | None, bench: Bench, store: Store | str | os.PathLike,
                 *, watchdog: Watchdog | None = None):
        self.recipe, self.bench = recipe, bench
        self.db_path = location(store.path if isinstance(store, Store) else store)
        self.watchdog = watchdog or Watchdog()
        self.run_id: int | None = None
        self.status: str | None = None      # how the last run ended: done, failed, aborted
        self.reason = ""
        self._state = RunState.IDLE
        self._abort_reason: str | None = None
        self._finishing = False
        self._cond = threading.Condition()
        self._subscribers: list[ev.Subscriber] = []
        self._jobs: queue.Queue[tuple[Callable[[], Any], Future] | None] = queue.Queue()
        self._thread: threading.Thread | None = None
        self._done_steps = 0
        self._total_steps = 0
        self._elapsed_s = 0.0
        self._lanes = Lanes(bench.clock)        # protocols side by side (several_samples)

    # -- observing ----------------------------------------------------------------------
    @property
    def state(self) -> RunState:
        with self._cond:
            return self._state

    def subscribe(self, fn: ev.Subscriber) -> None:
        self._subscribers.append(fn)

    def wait(self, timeout: float | None = None) -> bool:
        """Block until the current run has ended (True) or `timeout` s passed (False)."""
        with self._cond:
            return self._cond.wait_for(lambda: self._state not in ACTIVE,
                                       timeout)

    # -- run commands ----------------------------------------------------------------------
    def start(self, recipe: Recipe | None = None, *, resume: int | None = None) -> Future:
        """Start `recipe` (default: the runner's) as a new run, or continue run `resume`
        from its first unfinished step."""
        recipe = recipe or self.recipe
        if recipe is None:
            raise LabctlError("no recipe to run")
        with self._cond:
            self._command(Command.START, RunState.RUNNING)
            self._abort_reason = None
            self.recipe, self.status, self.reason = recipe, None, ""
        return self._submit(lambda: self._run(recipe, resume))

    def pause(self, reason: str = "") -> None:
        with self._cond:
            if self._finishing:
                raise LabctlError("the run is finishing")
            self._command(Command.PAUSE, RunState.PAUSED, reason)

    def resume(self, reason: str = "") -> None:
        """Go on; refused while an interlock is still tripped (until a look finds it clear)."""
        with self._cond:
            check_command(self._state, Command.RESUME, "the runner")
            if tripped := dict(self.watchdog.tripped):
                raise LabctlError("cannot resume: interlock still tripped: " + "; ".join(
                    f"{label}: {reason}" for label, reason in tripped.items()))
            self._transition(RunState.RUNNING, reason)

    def abort(self, reason: str = "aborted by the operator") -> None:
        """Stop the run at its next checkpoint; the bench is made safe."""
        with self._cond:
            if self._state == RunState.ABORTING or self._finishing:
                return
            self._command(Command.ABORT, RunState.ABORTING, reason)
            self._abort_reason = reason

    def stop(self, reason: str) -> bool:
        """Abort the run in progress, if there is one (a stop signal or a closing window may
        come before a run started or after it ended); whether a run was told to stop."""
        with self._cond:
            if not accepts(self._state, Command.ABORT):
                return False
            self.abort(reason)
            return True

    # -- manual commands (bench panel) ------------------------------------------------------
    def safe_state(self) -> Future:
        """Every instrument to its safe state; during a run this aborts the run."""
        with self._cond:
            if self._state in (RunState.RUNNING, RunState.PAUSED):
                self._abort_reason = "safe state requested"
                self._transition(RunState.ABORTING, self._abort_reason)
        return self._submit(self._make_safe)

    def set_furnace(self, setpoint_K: float, rate_K_per_s: float,
                    name: str | None = None) -> Future:
        """Ramp the furnace (`name`, default: the only temperature controller) to
        `setpoint_K` at `rate_K_per_s`; refused while a run is in progress."""
        with self._cond:
            if self._state in ACTIVE:
                raise LabctlError(f"a run is {self._state}: the furnace belongs to it")
        furnace = self._furnace(name)

        def job() -> None:
            furnace.check_setpoint(setpoint_K)    # a refused set-point writes no ramp rate
            furnace.set_ramp_rate(rate_K_per_s)
            furnace.set_setpoint(setpoint_K)
        return self._submit(job)

    def call(self, job: Callable[[], Any]) -> Future:
        """Run `job` on the worker between runs (a bench panel's live readings: instruments
        have one I/O owner); refused during a run, whose readings arrive as events."""
        with self._cond:
            if self._state in ACTIVE:
                raise LabctlError(f"a run is {self._state}: the instruments belong to it")
        return self._submit(job)

    def close(self) -> None:
        """Abort a run in progress and stop the worker thread."""
        if self.state in (RunState.RUNNING, RunState.PAUSED):
            self.abort("runner closed")
        if self._thread is not None:
            self._jobs.put(None)
            self._thread.join()
            self._thread = None

    def __enter__(self) -> Runner:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- state machine ----------------------------------------------------------------------
    def _transition(self, new: RunState, reason: str = "") -> None:
        """Change state (caller holds `_cond`); a step `RUNNER_TRANSITIONS` does not allow
        is refused (`IllegalTransition`)."""
        self._state = check_transition(self._state, new)
        self._cond.notify_all()
        self._emit(ev.StateChanged(new, reason))

    def _command(self, command: Command, new: RunState, reason: str = "") -> None:
        check_command(self._state, command, "the runner")
        self._transition(new, reason)

    def _set_state(self, new: RunState, reason: str = "") -> None:
        with self._cond:
            self._transition(new, reason)

    def _checkpoint(self, context: StoreContext | None = None) -> None:
        """Where a protocol lets pause and abort act, and the watchdog look at the bench
        (also while paused: every `paused_poll_s` of real time it may read the furnace);
        `context`: a lane's (default: the runner thread's)."""
        context = context or self._context
        while True:
            with self._lanes.exclusive():
                self._act_on_requests(context)
            with self._cond:
                if self._state == RunState.PAUSED:
                    self._cond.wait(self.paused_poll_s)
                paused = self._state == RunState.PAUSED
                if not paused:
                    self._gate()
            with self._lanes.exclusive():
                self._look(context)
            if not paused:
                return

    def _look(self, context: StoreContext) -> None:
        """The watchdog's look; a tripped interlock is a run event, then fails the run
        (raised on) or suspends it (`pause`: outputs safe, `Suspended` raised)."""
        try:
            self.watchdog.check(context)
        except Tripped as trip:
            pause = trip.interlock.action == "pause"
            level = "warning" if pause else "error"
            context.store.log_event(self.run_id, level, str(trip))
            self._emit(ev.LogMessage(self.run_id, level, str(trip)))
            if not pause:
                raise
            with self._cond:
                if self._state == RunState.RUNNING:
                    self._transition(RunState.PAUSED, str(trip))
            self._make_safe(context.store, self.run_id, trip.interlock.instrument)
            raise Suspended(str(trip)) from trip

    def _act_on_requests(self, context: StoreContext) -> None:
        """Pause, resume or abort asked through the store by another process (`labctl abort
        RUN`), each acknowledged in the run's events; costs one PRAGMA while none came."""
        store = context.store
        for request in store.pending_requests(self.run_id):
            reason = f"{request.command} requested by {request.requester}"
            command = {Command.PAUSE: self.pause, Command.RESUME: self.resume,
                       Command.ABORT: self.abort}[Command(request.command)]
            try:
                command(reason)
                outcome = (f"{DONE[request.command]} at checkpoint in "
                           f"{context.position.path or 'the run start'}, bench time "
                           f"{self.bench.clock.now():.1f} s")
            except LabctlError as exc:
                outcome = f"{reason}: not done, {exc}"
            store.handle_request(request, outcome)
            self._emit(ev.LogMessage(self.run_id, "info", outcome))

    def _check_abort(self) -> None:
        with self._cond:
            if self._state == RunState.ABORTING:
                raise Aborted(self._abort_reason or "aborted")
        if self._lanes.errors:      # a step running side by side failed: the others stop
            raise Aborted(f"stopped beside a step that failed: {describe(self._lanes.errors[0])}")

    def _gate(self) -> None:
        """Wait while paused; raise `Aborted` when aborting (caller holds `_cond`)."""
        self._cond.wait_for(lambda: self._state != RunState.PAUSED)
        if self._state == RunState.ABORTING:
            raise Aborted(self._abort_reason or "aborted")

    # -- worker -------------------------------------------------------------------------------
    def _submit(self, job: Callable[[], Any]) -> Future:
        future: Future = Future()
        if self._thread is None:
            self._thread = threading.Thread(target=self._work, name="labctl-runner",
                                            daemon=True)
            self._thread.start()
        self._jobs.put((job, future))
        return future

    def _work(self) -> None:
        while (item := self._jobs.get()) is not None:
            job, future = item
            try:
                future.set_result(job())
            except BaseException as exc:  # reported through the future
                future.set_exception(exc)

    def _run(self, recipe: Recipe, resume: int | None) -> str:
        store = Store.open(self.db_path)
        try:
            run_id, todo = self._open_run(store, recipe, resume)
            self._route_samples(recipe)
            self._context = self._new_context(store)
            self.watchdog.reset(self.bench.clock.now(), self.bench.config.instruments)
            try:
                self._open_switches()
                self._steps(store, run_id, todo)
                with self._cond:
                    self._gate()             # a last pause or abort before the run closes
                    self._finishing = True   # from here on the run ends done
            except BaseException as exc:
                self._fail(store, run_id, exc)
            else:
                store.finish_run(run_id, RunState.DONE)
                self._finish(run_id, RunState.DONE, "")
                with self._cond:
                    self._finishing = False
                    self._transition(RunState.DONE)
        finally:
            store.close()
        return self.status

    def _open_run(self, store: Store, recipe: Recipe, resume: int | None
                  ) -> tuple[int, list[Step]]:
        try:
            if resume is None:
                run_id = store.create_run(recipe.name, recipe.text, self._snapshot(),
                                          dict(recipe.sample), recipe.operator)
                finished: set[str] = set()
            else:
                store.mark_interrupted()
                run_id = store.resume_run(resume).run_id
                finished = set(store.finished_positions(run_id))
        except BaseException as exc:
            self.status, self.reason = RunState.FAILED, str(exc)
            self._set_state(RunState.ABORTING, str(exc))
            self._set_state(RunState.FAILED, str(exc))
            raise
        self.run_id = run_id
        self.bench.hold_for_run(run_id, recipe.name)
        self._emit(ev.RunStarted(run_id, recipe.name, resumed=resume is not None))
        return run_id, plan(recipe.steps, finished)

    def _steps(self, store: Store, run_id: int, todo: list[Step]) -> None:
        self._done_steps, self._total_steps, self._elapsed_s = 0, len(todo), 0.0
        self._measured = {s.path for s in store.steps(run_id)}
        while todo:
            try:
                self._run_block(block(todo))
            except Suspended:               # as after a resume, once the operator resumes
                self._measured = {s.path for s in store.steps(run_id)}
                todo = plan(self.recipe.steps, set(store.finished_positions(run_id)))
                self._total_steps = self._done_steps + len(todo)

    def _step(self, context: StoreContext, step: Step) -> None:
        """One recipe step in `context`: its instruments routed to its sample, if any."""
        clock, store = self.bench.clock, context.store
        self._checkpoint(context)
        context.enter(step.position)
        if step.path in self._measured:    # measured before a resume: the new steps count
            store.supersede(self.run_id, step.path)
        started = clock.now()
        self._emit(ev.StepStarted(self.run_id, step.path, step.kind,
                                  step.position.temperature_K))
        with self._routed(step):
            step.protocol.run(context, step.params)
        store.finish_position(self.run_id, step.path)
        self._emit(ev.StepFinished(self.run_id, step.path, step.kind, RunState.DONE))
        self._done_steps += 1
        self._elapsed_s += clock.now() - started
        self._step_progress(0.0, None, "")

    def _step_progress(self, fraction: float, remaining_s: float | None, message: str) -> None:
        """Whole-run progress from the running step's: steps ahead are estimated at the
        mean duration of the steps done so far (bench-clock seconds)."""
        done, total = self._done_steps, max(self._total_steps, 1)
        overall = min(1.0, (done + min(max(fraction, 0.0), 1.0)) / total)
        remaining = None
        if done:
            ahead = (total - done - (1 if done < total else 0)) * self._elapsed_s / done
            remaining = ahead + (remaining_s or 0.0) if done < total else 0.0
        self._emit(ev.Progress(self.run_id, overall, remaining, message, remaining_s))

    def _fail(self, store: Store, run_id: int, exc: BaseException) -> None:
        """End the run `aborted` (an abort) or `failed` (anything else a protocol, driver or
        link library raised): the bench made safe, the reason and the end stored, whatever
        the safe state meets (a link that dies meanwhile is logged as a second problem)."""
        aborted = isinstance(exc, Aborted)
        reason = describe(exc)
        if not aborted:
            with self._cond:
                if self._state != RunState.ABORTING:
                    self._transition(RunState.ABORTING, reason)
        status = RunState.ABORTED if aborted else RunState.FAILED
        try:
            self._make_safe(store, run_id)
        finally:
            try:
                store.log_event(run_id, "warning" if aborted else "error",
                                f"run {status}: {reason}")
            finally:
                try:
                    store.finish_run(run_id, status)
                finally:
                    self._finish(run_id, status, reason)
                    self._set_state(RunState.FAILED, reason)

    def _finish(self, run_id: int, status: str, reason: str) -> None:
        self.status, self.reason = status, reason
        self.bench.hold_for_run(None)
        self._emit(ev.RunFinished(run_id, status, reason))

    def _make_safe(self, store: Store | None = None, run_id: int | None = None,
                   pausing_for: str | None = None) -> list[str]:
        """Every instrument to its safe state (outputs first, see `Bench.safe_state`), or
        only the outputs and instrument `pausing_for` (`Bench.outputs_safe`); returns the
        problems met (also logged)."""
        clock = self.bench.clock
        t0 = clock.now()
        problems = [str(p) for p in (self.bench.safe_state() if pausing_for is None else
                                     self.bench.outputs_safe(pausing_for))]
        what = "bench" if pausing_for is None else f"outputs and {pausing_for}"
        message = (f"{what} made safe in {clock.now() - t0:.3f} s" if not problems else
                   "safe state incomplete: " + "; ".join(problems))
        if store is not None:
            store.log_event(run_id, "info" if not problems else "critical", message)
        self._emit(ev.LogMessage(run_id, "info" if not problems else "error", message))
        return problems

    # -- helpers ------------------------------------------------------------------------------
    def _emit(self, event: ev.Event) -> None:
        for fn in self._subscribers:
            try:
                fn(event)
            except Exception as exc:  # a broken subscriber must not stop acquisition
                print(f"labctl: event subscriber {fn!r} failed: {exc!r}", file=sys.stderr)

    def _furnace(self, name: str | None) -> Any:
        if name is not None:
            return self.bench[name]
        roles = [s.position.roles.get("furnace") for s in (self.recipe.steps if self.recipe else ())]
        named = {r for r in roles if r}
        if len(named) == 1:
            return self.bench[named.pop()]
        found = self.bench.find(TemperatureController)
        if len(found) != 1:
            raise LabctlError(f"name the furnace: the bench has {len(found)} temperature "
                              "controllers")
        return found[0]

    def _snapshot(self) -> dict[str, Any]:
        """Identity, settings, limits and interlocks of every instrument (QCoDeS-style
        station snapshot)."""
        snapshot: dict[str, Any] = {"labctl": __version__, "bench": self.bench.config.source}
        specs = self.bench.config.instruments
        for name, inst in self.bench.instruments.items():
            snapshot[name] = {**inst.settings(), "identity": inst.identify(),
                              "interlocks": specs[name].interlocks}
        return snapshot
