"""The protocol context: everything an experiment may use besides its instruments.

A protocol (`labctl/protocols/*.py`) is `run(ctx, params) -> Result`. Through `ctx` it gets its
instruments by role, the bench clock, sinks that record what it measures, `checkpoint()`
(where pause and abort take effect), `progress()` and `log()`. Protocols never open files,
databases, threads or widgets: the runner gives them a store-backed context, tests the
in-memory one below.

A *measurement* is one stored series: one impedance spectrum, one I(t) curve, one voltage
sweep. It is opened with `ctx.measurement(kind, params)`; each point is recorded as it
arrives (the store-backed context commits it before returning); the measurement ends with
its result (a JSON-able mapping) or, if the block raises, as 'aborted' or 'failed'.
`ctx.previous(kind)` gives the latest result of that kind at the current plateau (e.g. the
EIS spectrum's R_ion for the DC polarization's I_0).
"""

from __future__ import annotations

from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass, field
from typing import Any, Iterator, Mapping, Protocol

from labctl.capabilities import CurrentReading, GasReading, ImpedancePoint, TemperatureReading
from labctl.clock import Clock
from labctl.errors import ConfigError, LabctlError

LEVELS = ("debug", "info", "warning", "error")


class Aborted(LabctlError):
    """Raised by `Context.checkpoint()` when the run was asked to stop."""


class Measurement(Protocol):
    kind: str
    params: Mapping[str, Any]

    def record(self, point: ImpedancePoint | CurrentReading | GasReading) -> None:
        """Keep one point (committed before this returns, in the store-backed context)."""

    def finish(self, result: Mapping[str, Any]) -> None:
        """The measurement's result (JSON-able); without it the measurement ends 'done'
        with an empty result."""


class Context(Protocol):
    clock: Clock
    temperature_K: float | None   # nominal sample temperature of the current plateau
    samples: tuple[str, ...]      # several pellets: the samples a plateau step spans

    def route(self, sample: str, *roles: str) -> None:
        """Join the instruments of `roles` to pellet `sample` (switches read back)."""

    def instrument(self, role: str) -> Any:
        """The instrument playing `role` ('fra', 'smu', 'furnace', ...); ConfigError if none."""

    def measurement(self, kind: str, params: Mapping[str, Any], sample: str | None = None
                    ) -> AbstractContextManager[Measurement]:
        """Open a measurement (of `sample`, one of `samples`: else the step's sample);
        closes 'done' on normal exit, 'aborted'/'failed' on raise."""

    def record_temperature(self, reading: TemperatureReading) -> None:
        """Keep one temperature-controller reading (the run's temperature log)."""

    def previous(self, kind: str) -> Mapping[str, Any] | None:
        """Result of the latest finished measurement of `kind` at this plateau, or None."""

    def checkpoint(self) -> None:
        """Blocks while paused; raises `Aborted` when the run is to stop."""

    def progress(self, fraction: float, remaining_s: float | None = None,
                 message: str = "") -> None:
        """Fraction (0..1) of this protocol done and the estimated simulated/real time left."""

    def log(self, level: str, message: str) -> None:
        """An event for the operator: level is one of LEVELS."""


# -- in memory (tests, scripts) ----------------------------------------------------------


@dataclass
class RecordedMeasurement:
    """A measurement kept in memory: its points in order, its result and final status."""

    kind: str
    params: dict[str, Any]
    temperature_K: float | None
    sample: str | None = None
    points: list[Any] = field(default_factory=list)
    result: dict[str, Any] = field(default_factory=dict)
    status: str = "running"

    def record(self, point: ImpedancePoint | CurrentReading | GasReading) -> None:
        if self.status != "running":
            raise LabctlError(f"measurement {self.kind!r} is {self.status}, cannot record")
        self.points.append(point)

    def finish(self, result: Mapping[str, Any]) -> None:
        self.result = dict(result)


class InMemoryContext:
    """A context that keeps everything in lists; `abort()` makes the next checkpoint raise.

    `instruments` maps roles to instruments, e.g. `InMemoryContext(bench.instruments,
    bench.clock)` on a simulated bench.
    """

    samples: tuple[str, ...] = ()

    def __init__(self, instruments: Mapping[str, Any], clock: Clock,
                 temperature_K: float | None = None):
        self.instruments = dict(instruments)
        self.clock = clock
        self.temperature_K = temperature_K
        self.measurements: list[RecordedMeasurement] = []
        self.temperatures: list[TemperatureReading] = []
        self.events: list[tuple[str, str]] = []
        self.progress_updates: list[tuple[float, float | None, str]] = []
        self.checkpoints = 0
        self._abort_reason: str | None = None

    def instrument(self, role: str) -> Any:
        try:
            return self.instruments[role]
        except KeyError:
            raise ConfigError(f"no instrument for role {role!r} (have: "
                              f"{', '.join(sorted(self.instruments)) or 'none'})",
                              field=role) from None

    @contextmanager
    def measurement(self, kind: str, params: Mapping[str, Any], sample: str | None = None
                    ) -> Iterator[RecordedMeasurement]:
        m = RecordedMeasurement(kind, dict(params), self.temperature_K, sample)
        self.measurements.append(m)
        try:
            yield m
        except Aborted:
            m.status = "aborted"
            raise
        except BaseException:
            m.status = "failed"
            raise
        m.status = "done"

    def record_temperature(self, reading: TemperatureReading) -> None:
        self.temperatures.append(reading)

    def previous(self, kind: str) -> Mapping[str, Any] | None:
        done = [m for m in self.measurements if m.kind == kind and m.status == "done"
                and m.temperature_K == self.temperature_K]
        return done[-1].result if done else None

    def checkpoint(self) -> None:
        self.checkpoints += 1
        if self._abort_reason is not None:
            raise Aborted(self._abort_reason)

    def abort(self, reason: str = "aborted") -> None:
        self._abort_reason = reason

    def progress(self, fraction: float, remaining_s: float | None = None,
                 message: str = "") -> None:
        self.progress_updates.append((fraction, remaining_s, message))

    def log(self, level: str, message: str) -> None:
        if level not in LEVELS:
            raise ValueError(f"log level {level!r} is not one of {LEVELS}")
        self.events.append((level, message))

    def of_kind(self, kind: str) -> list[RecordedMeasurement]:
        return [m for m in self.measurements if m.kind == kind]
