"""Events a run emits to its subscribers (GUI, CLI progress); plain frozen dataclasses.

The runner calls each subscriber on its worker thread with one event at a time; a
subscriber must return at once (queue it: a Qt queued signal, a `queue.Queue`), because
acquisition never waits for a subscriber. Times are on the bench clock (`time_s`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable

from labctl.capabilities import CurrentReading, ImpedancePoint, TemperatureReading
from labctl.runstate import RunState


@dataclass(frozen=True)
class StateChanged:
    state: RunState         # the runner's new state (equal to its string)
    reason: str = ""


@dataclass(frozen=True)
class RunStarted:
    run_id: int
    name: str
    resumed: bool = False


@dataclass(frozen=True)
class StepStarted:
    run_id: int
    path: str               # position in the recipe, e.g. "program[2]/eis"
    kind: str               # protocol kind: 'eis', 'dc_polarization', 'stabilize', ...
    temperature_K: float | None


@dataclass(frozen=True)
class MeasurementStarted:
    run_id: int
    step_id: int            # the store's step id of this measurement
    kind: str
    temperature_K: float | None
    sample: str | None = None   # whose, in a run with several samples (None: the only one)


@dataclass(frozen=True)
class PointRecorded:
    """A point that is already committed to the store."""

    run_id: int
    step_id: int
    point: ImpedancePoint | CurrentReading


@dataclass(frozen=True)
class TemperatureRecorded:
    run_id: int
    reading: TemperatureReading


@dataclass(frozen=True)
class MeasurementFinished:
    run_id: int
    step_id: int
    kind: str
    status: str             # a stored RunState: done, failed, aborted
    result: dict[str, Any]


@dataclass(frozen=True)
class StepFinished:
    run_id: int
    path: str
    kind: str
    status: str             # a stored RunState: done, failed, aborted


@dataclass(frozen=True)
class Progress:
    run_id: int
    fraction: float         # of the whole run, 0..1
    remaining_s: float | None   # of the whole run (None: not estimated yet)
    message: str
    step_remaining_s: float | None = None   # of the running step, if it estimates it


@dataclass(frozen=True)
class LogMessage:
    run_id: int | None
    level: str              # 'debug', 'info', 'warning', 'error'
    message: str


@dataclass(frozen=True)
class RunFinished:
    run_id: int
    status: str             # a stored RunState: done, failed, aborted
    reason: str = ""


Event = (StateChanged | RunStarted | StepStarted | MeasurementStarted | PointRecorded
         | TemperatureRecorded | MeasurementFinished | StepFinished | Progress | LogMessage
         | RunFinished)
Subscriber = Callable[[Event], None]
