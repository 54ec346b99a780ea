"""PointWriter: points are reported only after the batch holding them is committed."""

from __future__ import annotations

from functools import partial

import pytest

from labctl.capabilities import CurrentReading
from labctl.store import PointWriter


def test_batches_are_committed_before_they_are_reported(store):
    run = store.create_run("r", "", {}, {})
    step = store.start_step(run, "dc_polarization", {}, 300.0)
    reported = []

    def on_commit(points):
        assert len(store.dc(step)) == len(reported) + len(points)  # already in the database
        reported.extend(points)

    with PointWriter(partial(store.add_dc, step, temperature_K=300.0), batch_size=4,
                     max_delay_s=1e9, on_commit=on_commit) as writer:
        for i in range(10):
            writer.append(CurrentReading(float(i), 0.1, 1e-6))
        assert len(reported) == 8 and len(store.dc(step)) == 8
    assert len(reported) == 10 and list(store.dc(step)["time_s"]) == list(range(10))


def test_a_slow_trickle_is_committed_after_max_delay():
    now = [0.0]
    batches = []
    writer = PointWriter(batches.append, batch_size=100, max_delay_s=2.0,
                         monotonic=lambda: now[0])
    for t in (0.0, 1.0, 2.5, 3.0):
        now[0] = t
        writer.append(t)
    assert batches == [[0.0, 1.0, 2.5]]
    writer.flush()
    writer.flush()
    assert batches == [[0.0, 1.0, 2.5], [3.0]]


def test_a_failed_commit_is_not_reported():
    def sink(points):
        raise OSError("disk full")

    reported = []
    writer = PointWriter(sink, batch_size=1, on_commit=reported.extend)
    with pytest.raises(OSError):
        writer.append(1)
    assert reported == []


def test_batch_size_must_be_positive():
    with pytest.raises(ValueError):
        PointWriter(print, batch_size=0)
