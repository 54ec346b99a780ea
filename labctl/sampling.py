"""Sampling schedules after a voltage step, shared by protocols and the drivers that
record them as one uninterrupted measurement."""

from __future__ import annotations

from itertools import takewhile
from typing import Iterator


def sample_times(first_s: float, max_interval_s: float, points_per_decade: int) -> Iterator[float]:
    """Times since the step: log-spaced from `first_s` (`points_per_decade`), then every
    `max_interval_s` once the log spacing would exceed it. Endless."""
    ratio = 10 ** (1 / points_per_decade)
    t = first_s
    while True:
        yield t
        t = min(t * ratio, t + max_interval_s)


def log_schedule(first_s: float, max_interval_s: float, points_per_decade: int,
                 duration_s: float) -> list[float]:
    """`sample_times` up to `duration_s`."""
    return list(takewhile(lambda t: t <= duration_s,
                          sample_times(first_s, max_interval_s, points_per_decade)))


def staircase(start_V: float, stop_V: float, step_V: float) -> list[float]:
    """Voltages from `start_V` towards `stop_V` in steps of |`step_V`|, both ends included
    (the last whole step that does not pass `stop_V`)."""
    sign = 1.0 if stop_V >= start_V else -1.0
    count = int(abs(stop_V - start_V) / abs(step_V) + 1e-9)
    return [start_V + sign * k * abs(step_V) for k in range(count + 1)]
