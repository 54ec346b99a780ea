"""Lanes on a virtual clock: time passes for side-by-side protocols together, each
sample's steps in order, one step per sample at a time, the first failure raised."""

from __future__ import annotations

import pytest

from labctl.clock import VirtualClock
from labctl.lanes import Lanes, side_by_side


def steps_of(plan):
    """(sample, instrument, seconds) steps, in plan order."""
    return [dict(zip(("sample", "key", "s"), step)) for step in plan]


def run_plan(plan, fail=None):
    clock = VirtualClock()
    lanes = Lanes(clock)
    log = []

    def run(step):
        start = clock.now()
        for _ in range(4):                       # a protocol sleeps in slices
            clock.sleep(step["s"] / 4)
        if step is fail:
            raise RuntimeError(f"{step['sample']} failed")
        log.append((step["sample"], step["key"], start, clock.now()))

    side_by_side(lanes, plan, key=lambda s: s["key"], sample=lambda s: s["sample"], run=run)
    return clock.now(), log


def test_two_instruments_measure_two_samples_at_once():
    plan = steps_of([("A", "fra", 10), ("A", "smu", 100), ("B", "fra", 10), ("B", "smu", 100)])
    total, log = run_plan(plan)
    # A's spectrum, then A polarizes while B's spectrum is measured, then B polarizes
    assert sorted(log) == [("A", "fra", 0, 10), ("A", "smu", 10, 110),
                           ("B", "fra", 10, 20), ("B", "smu", 110, 210)]
    assert total == 210                          # one after the other: 220


def test_a_samples_steps_keep_their_order_and_never_overlap():
    plan = steps_of([("A", "fra", 10), ("A", "smu", 30), ("A", "fra", 10),
                     ("B", "fra", 10), ("B", "smu", 30), ("B", "fra", 10)])
    total, log = run_plan(plan)
    for name in "AB":
        mine = [entry for entry in sorted(log, key=lambda e: e[2]) if entry[0] == name]
        assert [e[1] for e in mine] == ["fra", "smu", "fra"]
        assert all(a[3] <= b[2] for a, b in zip(mine, mine[1:]))
    assert total < 100                           # sequential: 100


def test_the_first_failure_is_raised_after_the_other_lanes_ended():
    plan = steps_of([("A", "fra", 10), ("A", "smu", 100), ("B", "fra", 10)])
    with pytest.raises(RuntimeError, match="A failed"):
        run_plan(plan, fail=plan[0])


def test_exclusive_does_not_stop_time_for_the_lane_that_holds_it():
    clock = VirtualClock()
    lanes = Lanes(clock)
    order = []

    def holder():
        with lanes.exclusive():
            clock.sleep(5)                       # e.g. relays settling
            order.append(("holder", clock.now()))

    def other():
        clock.sleep(1)
        with lanes.exclusive():
            order.append(("other", clock.now()))

    lanes.run({"holder": holder, "other": other})
    assert order == [("holder", 5), ("other", 5)]
