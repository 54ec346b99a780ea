"""The store-backed protocol context the runner gives each recipe step.

It implements `labctl.context.Context`: instruments by the step's role mapping, each
measurement a store step (carrying its recipe position and, when it finishes, its result),
every point committed to the store before the matching event goes out. `checkpoint`,
`progress` and events are the runner's (passed in as callables), so this module knows
nothing of threads or run states.
"""

from __future__ import annotations

from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, Callable, Iterator, Mapping

from labctl import events as ev
from labctl.capabilities import CurrentReading, GasReading, ImpedancePoint, TemperatureReading
from labctl.clock import Clock
from labctl.context import LEVELS, Aborted
from labctl.errors import ConfigError, LabctlError
from labctl.store.store import Store


@dataclass(frozen=True)
class Position:
    """Where in the recipe the context stands: what the running step may use."""

    path: str                                    # e.g. "program[2]/eis"
    roles: Mapping[str, str]                     # role -> bench instrument name
    temperature_K: float | None = None           # nominal sample temperature (plateau)
    group: str | None = None                     # the plateau, e.g. "program[2]"


class AbortableClock:
    """The bench clock as protocols see it: a sleep ends early (raising `Aborted`) when the
    run is aborted, so an abort never waits out a protocol's pause between readings."""

    slice_s = 0.5

    def __init__(self, clock: Clock, check_abort: Callable[[], None]):
        self._clock, self._check_abort = clock, check_abort

    def now(self) -> float:
        return self._clock.now()

    def epoch(self) -> float:
        return self._clock.epoch()

    def sleep(self, dt: float) -> None:
        end = self._clock.now() + dt
        while True:
            self._check_abort()
            left = end - self._clock.now()
            if left <= 0:
                return
            self._clock.sleep(min(left, self.slice_s))


@dataclass
class StoredMeasurement:
    """One open measurement: a running store step."""

    kind: str
    params: Mapping[str, Any]
    step_id: int
    context: "StoreContext"
    result: dict[str, Any] = field(default_factory=dict)

    def record(self, point: ImpedancePoint | CurrentReading | GasReading) -> None:
        self.context.record_point(self, point)

    def finish(self, result: Mapping[str, Any]) -> None:
        self.result = dict(result)


class StoreContext:
    """A `Context` writing to `store` for run `run_id`."""

    def __init__(self, store: Store, run_id: int, clock: Clock,
                 instruments: Mapping[str, Any], emit: Callable[[ev.Event], None],
                 checkpoint: Callable[[], None],
                 progress: Callable[[float, float | None, str], None],
                 check_abort: Callable[[], None] = lambda: None):
        self.store, self.run_id = store, run_id
        self.clock = AbortableClock(clock, check_abort)
        self.instruments = instruments
        self._emit, self._checkpoint, self._progress = emit, checkpoint, progress
        self.position = Position("", {})
        self.last_temperature: TemperatureReading | None = None
        self._open: StoredMeasurement | None = None

    @property
    def temperature_K(self) -> float | None:
        return self.position.temperature_K

    def enter(self, position: Position) -> None:
        """The next recipe step starts."""
        self.position = position

    def instrument(self, role: str) -> Any:
        name = self.position.roles.get(role)
        if name is None or name not in self.instruments:
            raise ConfigError(f"no instrument for role {role!r} at {self.position.path} "
                              f"(roles: {', '.join(sorted(self.position.roles)) or 'none'})",
                              field=role)
        return self.instruments[name]

    @contextmanager
    def measurement(self, kind: str, params: Mapping[str, Any]) -> Iterator[StoredMeasurement]:
        if self._open is not None:
            raise LabctlError(f"measurement {self._open.kind!r} is still open")
        where = self.position
        step_id = self.store.start_step(self.run_id, kind, dict(params), where.temperature_K,
                                        path=where.path)
        m = self._open = StoredMeasurement(kind, params, step_id, self)
        self._emit(ev.MeasurementStarted(self.run_id, step_id, kind, where.temperature_K))
        status = "failed"
        try:
            yield m
            status = "done"
        except Aborted:
            status = "aborted"
            raise
        finally:
            self._open = None
            self.store.finish_step(step_id, status, m.result if status == "done" else None)
            self._emit(ev.MeasurementFinished(self.run_id, step_id, kind, status, m.result))

    def record_point(self, m: StoredMeasurement,
                     point: ImpedancePoint | CurrentReading | GasReading) -> None:
        """Commit one point of open measurement `m`, then report it."""
        if m is not self._open:
            raise LabctlError(f"measurement {m.kind!r} is closed, cannot record")
        add = {ImpedancePoint: self.store.add_impedance, CurrentReading: self.store.add_dc,
               GasReading: self.store.add_gas}[type(point)]
        add(m.step_id, [point], temperature_K=self._sample_temperature_K())
        self._emit(ev.PointRecorded(self.run_id, m.step_id, point))

    def _sample_temperature_K(self) -> float | None:
        """The latest controller reading, else the plateau's nominal temperature."""
        reading = self.last_temperature
        return reading.temperature_K if reading is not None else self.position.temperature_K

    def record_temperature(self, reading: TemperatureReading) -> None:
        self.store.add_temperature(self.run_id, [reading])
        self.last_temperature = reading
        self._emit(ev.TemperatureRecorded(self.run_id, reading))

    def previous(self, kind: str) -> Mapping[str, Any] | None:
        """Latest finished measurement of `kind` of this plateau (same nominal temperature
        outside a temperature program), measured before or after a resume."""
        group = self.position.group
        for step in reversed(self.store.steps(self.run_id)):
            if step.kind != kind or step.status != "done" or step.superseded:
                continue
            same = (step.path or "").startswith(group + "/") if group \
                else step.temperature_K == self.position.temperature_K
            if same:
                return step.result or {}
        return None

    def checkpoint(self) -> None:
        self._checkpoint()

    def progress(self, fraction: float, remaining_s: float | None = None,
                 message: str = "") -> None:
        self._progress(fraction, remaining_s, message)

    def log(self, level: str, message: str) -> None:
        if level not in LEVELS:
            raise ValueError(f"log level {level!r} is not one of {LEVELS}")
        self.store.log_event(self.run_id, level, message,
                             step_id=self._open.step_id if self._open else None)
        self._emit(ev.LogMessage(self.run_id, level, message))
