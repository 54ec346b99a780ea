"""What `labctl run` shows: a live progress line fed by runner events, and a summary.

Events arrive on the runner's worker thread and are queued; the main thread drains the
queue (`pump`) and redraws, so acquisition never waits for the terminal. Without a
terminal (a pipe, a log file) the live bar is not drawn; finished steps, warnings and
errors are printed one line each.
"""

from __future__ import annotations

import queue
from typing import Any

from rich.console import Console
from rich.progress import BarColumn, Progress, TaskProgressColumn, TextColumn
from rich.table import Table

from labctl import events as ev
from labctl import registry
from labctl.store.store import Store
from labctl.units import K_to_C, celsius_text


def duration(seconds: float | None) -> str:
    if seconds is None:
        return "?"
    seconds = int(round(seconds))
    return f"{seconds // 3600}:{seconds // 60 % 60:02d}:{seconds % 60:02d}"


class RunView:
    """Progress of one run on a rich console."""

    def __init__(self, console: Console):
        self.console = console
        self.events: queue.Queue[ev.Event] = queue.Queue()
        self.progress = Progress(TextColumn("{task.description}"), BarColumn(),
                                 TaskProgressColumn(), console=console, transient=True)
        self.task = self.progress.add_task("starting", total=1.0)
        self.step, self.temperature_K, self.remaining_s = "", None, None
        # finished measurements by what the protocols count them as ("spectra")
        self.counts = {s.counted: 0 for s in registry.protocols().values() if s.counted}

    def subscriber(self, event: ev.Event) -> None:
        self.events.put(event)

    def pump(self, timeout: float) -> None:
        """Show the events queued so far (waiting up to `timeout` s for the first)."""
        try:
            event = self.events.get(timeout=timeout)
        except queue.Empty:
            return
        while True:
            self._show(event)
            try:
                event = self.events.get_nowait()
            except queue.Empty:
                break
        self.progress.update(self.task, description=self._line())

    def _show(self, event: ev.Event) -> None:
        say = self.console.print
        if isinstance(event, ev.RunStarted):
            say(f"run {event.run_id}: {event.name}" + (" (resumed)" if event.resumed else ""))
        elif isinstance(event, ev.StateChanged) and event.state in ("paused", "running") \
                and event.reason:        # e.g. `labctl pause RUN` from another terminal
            say(f"  {event.state}: {event.reason}")
        elif isinstance(event, ev.StepStarted):
            self.step = f"{event.path}"
        elif isinstance(event, ev.StepFinished):
            say(f"  {event.path}: {event.status}")
        elif isinstance(event, ev.MeasurementFinished) and event.status == "done":
            spec = _spec(event.kind)
            if spec and spec.counted:
                self.counts[spec.counted] += 1
        elif isinstance(event, ev.TemperatureRecorded):
            self.temperature_K = event.reading.temperature_K
        elif isinstance(event, ev.Progress):
            self.remaining_s = event.remaining_s
            self.progress.update(self.task, completed=event.fraction)
        elif isinstance(event, ev.LogMessage) and event.level in ("warning", "error"):
            say(f"  [{'yellow' if event.level == 'warning' else 'red'}]{event.level}: "
                f"{event.message}[/]")
        elif isinstance(event, ev.RunFinished):
            say(f"run {event.run_id} {event.status}" + (f": {event.reason}" if event.reason else ""))

    def _line(self) -> str:
        t = "-" if self.temperature_K is None else f"{K_to_C(self.temperature_K):.1f} degC"
        counts = "".join(f"{n} {noun} | " for noun, n in self.counts.items())
        return f"{self.step or 'starting'} | {t} | {counts}{duration(self.remaining_s)} left"


def summary(store: Store, run_id: int) -> Table:
    """The run's measurements (the latest of each position) with their key results."""
    run = store.run(run_id)
    table = Table(title=f"run {run_id}: {run.name} [{run.status}]")
    for column in ("position", "T / degC", "status", "points", "result"):
        table.add_column(column)
    for step in store.steps(run_id):
        if step.superseded:
            continue
        table.add_row(step.path or step.kind, celsius_text(step.temperature_K), step.status,
                      str(step.points), result_text(step.kind, step.result))
    return table


def result_text(kind: str, result: dict[str, Any] | None) -> str:
    """A step's key results as its protocol declares them (`ProtocolSpec.summary`), e.g.
    'R_ion = 1.234e+04 Ohm, KK ok = True' ('' for none)."""
    result, spec = result or {}, _spec(kind)
    return ", ".join(f"{s.label} = {_fmt(result[s.key])}"
                     + (f" ± {_fmt(result[s.std])}" if s.std in result else "")
                     + (f" {s.unit}" if s.unit and result[s.key] is not None else "")
                     for s in (spec.summary if spec else ()) if s.key in result)


def _spec(kind: str):
    """The protocol of a measurement's kind (None for one no protocol declares)."""
    return registry.protocols().get(kind)


def _fmt(value: Any) -> str:
    if value is None:
        return "none"
    return f"{value:.4g}" if isinstance(value, float) else str(value)
