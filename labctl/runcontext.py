"""The store-backed protocol context the runner gives each recipe step.

It implements `labctl.context.Context`: instruments by the step's role mapping, each
measurement a store step (carrying its recipe position and, when it finishes, its result),
every point committed to the store before the matching event goes out; a measurement's
first impedance point records the channel and fixture compensation it goes through, and a
finished compensation measurement becomes the channel's standard (labctl.compensation).
`checkpoint`, `progress` and events are the runner's (passed in as callables), so this
module knows nothing of threads or run states. In a run of several samples a step measures
one of them (`Position.sample`: its store steps name it, `previous` looks at its results
only), and the plateau's stabilization spans them all (`samples`); `route` joins the step's
instruments to a sample through the bench's switches (`labctl.routing`).
"""

from __future__ import annotations

import math
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, Callable, Iterator, Mapping

from labctl import compensation, registry
from labctl import events as ev
from labctl.capabilities import CurrentReading, GasReading, ImpedancePoint, TemperatureReading
from labctl.clock import Clock
from labctl.context import LEVELS, Aborted
from labctl.errors import ConfigError, LabctlError, StoreError
from labctl.protocol import COMPENSATION
from labctl.store.store import Store


@dataclass(frozen=True)
class Position:
    """Where in the recipe the context stands: what the running step may use."""

    path: str                                    # e.g. "program[2]/eis"
    roles: Mapping[str, str]                     # role -> bench instrument name
    temperature_K: float | None = None           # nominal sample temperature (plateau)
    group: str | None = None                     # the plateau, e.g. "program[2]"
    sample: str | None = None                    # the sample measured (None: the only one)
    samples: tuple[str, ...] = ()                # a plateau step's samples (several pellets)


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
    through: bool = False        # its channel and compensation are recorded
    fixture: list[ImpedancePoint] = field(default_factory=list)  # a compensation's points

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
                 check_abort: Callable[[], None] = lambda: None,
                 router: Any = None):
        self.store, self.run_id = store, run_id
        self.router = router     # a `labctl.routing.Router` when the run has several samples
        self.clock = AbortableClock(clock, check_abort)
        self.instruments = instruments
        self._emit, self._checkpoint, self._progress = emit, checkpoint, progress
        self.position = Position("", {})
        self.last_temperature: TemperatureReading | None = None
        self._open: dict[str | None, StoredMeasurement] = {}   # by sample
        self._step_ids: dict[str | None, int] = {}   # the step's latest store step, by sample

    @property
    def temperature_K(self) -> float | None:
        return self.position.temperature_K

    @property
    def samples(self) -> tuple[str, ...]:
        """The samples a plateau-wide step spans (empty: the run has one)."""
        return self.position.samples

    def route(self, sample: str, *roles: str) -> None:
        """Join the instruments of `roles` to `sample` (read back); others stay as they are."""
        self.router.route(sample, [self.position.roles[r] for r in roles])

    def enter(self, position: Position) -> None:
        """The next recipe step starts."""
        self.position = position
        self._step_ids.clear()

    def instrument(self, role: str) -> Any:
        name = self.position.roles.get(role)
        if name is None or name not in self.instruments:
            raise ConfigError(f"no instrument for role {role!r} at {self.position.path} "
                              f"(roles: {', '.join(sorted(self.position.roles)) or 'none'})",
                              field=role)
        return self.instruments[name]

    @contextmanager
    def measurement(self, kind: str, params: Mapping[str, Any], sample: str | None = None
                    ) -> Iterator[StoredMeasurement]:
        """A store step of the position's sample (or of `sample`, one of a plateau step's:
        one measurement per sample may be open at a time)."""
        where = self.position
        sample = sample or where.sample
        if sample in self._open:
            raise LabctlError(f"measurement {self._open[sample].kind!r} is still open")
        if self.router is not None:
            self.router.confirm()            # the relays as routed, before every measurement
        step_id = self.store.start_step(self.run_id, kind, dict(params), where.temperature_K,
                                        path=where.path, sample=sample)
        m = self._open[sample] = StoredMeasurement(kind, params, step_id, self)
        self._step_ids[sample] = step_id
        self._emit(ev.MeasurementStarted(self.run_id, step_id, kind, where.temperature_K, sample))
        status = "failed"
        try:
            yield m
            status = "done"
        except Aborted:
            status = "aborted"
            raise
        finally:
            del self._open[sample]
            self.store.finish_step(step_id, status, m.result if status == "done" else None)
            if status == "done" and kind in registry.providing(COMPENSATION):
                self._keep_standard(m)
            self._emit(ev.MeasurementFinished(self.run_id, step_id, kind, status, m.result))

    def record_point(self, m: StoredMeasurement,
                     point: ImpedancePoint | CurrentReading | GasReading) -> None:
        """Commit one point of open measurement `m`, then report it."""
        if not any(m is open_ for open_ in self._open.values()):
            raise LabctlError(f"measurement {m.kind!r} is closed, cannot record")
        if isinstance(point, ImpedancePoint) and not m.through:
            self._record_through(m)
        if isinstance(point, ImpedancePoint) and m.kind in registry.providing(COMPENSATION):
            m.fixture.append(point)
        add = {ImpedancePoint: self.store.add_impedance, CurrentReading: self.store.add_dc,
               GasReading: self.store.add_gas}[type(point)]
        add(m.step_id, [point], temperature_K=self._sample_temperature_K())
        self._emit(ev.PointRecorded(self.run_id, m.step_id, point))

    def _bench_name(self) -> str:
        return self.store.run(self.run_id).bench_name or ""

    def _record_through(self, m: StoredMeasurement) -> None:
        """Record the channel and standards the measurement's spectrum goes through (the
        analyzer of role 'fra'); warnings about them go to the run's log."""
        m.through = True
        name = self.position.roles.get("fra")
        if m.kind in registry.providing(COMPENSATION) or name not in self.instruments:
            return
        try:
            used, warnings = compensation.for_measurement(self.store, self._bench_name(), name,
                                                          self.instruments)
        except StoreError as exc:                 # e.g. a lab server gone: spooled on
            used = compensation.Used("", note=f"CompensationMissing: standards not read: {exc}")
            warnings = [used.note]
        self.store.record_used(m.step_id, used)
        for warning in warnings:
            self.log("warning", warning)

    def _keep_standard(self, m: StoredMeasurement) -> None:
        """A finished compensation measurement: its points are the channel's standard."""
        beyond = m.result.get("beyond_range_Hz") or []      # an open: admittance 0 there
        self.store.add_standard(self._bench_name(), m.result["channel"], m.result["fixture"],
                                [p.frequency_Hz for p in m.fixture] + list(beyond),
                                [p.impedance_Ohm for p in m.fixture] + [math.inf] * len(beyond),
                                method=m.result["method"], load_Ohm=m.result["load_Ohm"],
                                step_id=m.step_id)

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
        outside a temperature program) and sample, measured before or after a resume."""
        group = self.position.group
        for step in reversed(self.store.steps(self.run_id)):
            if step.kind != kind or step.status != "done" or step.superseded \
                    or step.sample != self.position.sample:
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
        m = self._open.get(self.position.sample) or next(iter(self._open.values()), None)
        step_id = m.step_id if m else self._step_ids.get(self.position.sample)
        self.store.log_event(self.run_id, level, message, step_id=step_id)   # (a warning
        # about a measurement just ended, e.g. a spectrum flagged, names its step too)
        self._emit(ev.LogMessage(self.run_id, level, message))
