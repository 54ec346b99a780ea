"""What the store's readers return: runs, steps, events, new points, where a run stopped."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Run:
    id: int
    uuid: str
    name: str
    status: str
    started_utc: str
    ended_utc: str | None
    operator: str
    sample: dict
    recipe_text: str
    bench: dict
    software: str
    steps: int          # number of steps started
    points: int         # impedance + DC points
    bench_host: str | None = None   # the bench PC's host name (None: a run before schema v4)
    bench_name: str | None = None   # the bench file's name, e.g. 'bench-a'


@dataclass(frozen=True)
class Step:
    id: int
    run_id: int
    seq: int
    kind: str
    params: dict
    status: str
    temperature_K: float | None
    started_utc: str
    ended_utc: str | None
    points: int
    path: str | None = None        # recipe position, e.g. 'program[2]/eis'
    result: dict | None = None     # the measurement's result, once finished with one
    superseded: bool = False       # measured again after a resume: the later step counts
    sample: str | None = None      # the sample's name in a run of several (None: the only one)


@dataclass(frozen=True)
class Event:
    id: int
    run_id: int
    step_id: int | None
    time_utc: str
    level: str
    message: str


@dataclass(frozen=True)
class NewPoints:
    """Points of a run added after a `cursor` (see `Store.points_since`)."""

    impedance: dict[int, np.ndarray]   # step id -> `Store.impedance` array
    dc: dict[int, np.ndarray]          # step id -> `Store.dc` array
    temperature: np.ndarray            # `Store.temperature_log` array
    cursor: tuple[int, int, int]       # pass to the next call for what comes after

    def __len__(self) -> int:
        return (sum(map(len, self.impedance.values())) + sum(map(len, self.dc.values()))
                + len(self.temperature))


@dataclass(frozen=True)
class ResumeInfo:
    """Where a run stopped: resume after `last_completed`; `unfinished` was cut short."""

    run_id: int
    status: str
    last_completed: Step | None      # the last step (by seq) that finished 'done'
    unfinished: Step | None          # the last step, if it came after and did not finish 'done'
    last_point_time_s: float | None  # latest time_s of any point or temperature reading
