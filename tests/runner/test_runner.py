"""The runner: a recipe end to end, events, the state machine, pause/resume/abort, manual
commands."""

from __future__ import annotations

import sqlite3
import threading
from contextlib import contextmanager

import pytest

from labctl import events as ev
from labctl.errors import LabctlError
from labctl.store import Store
from tests.runner.toy_protocols import plateau_recipe

TIMEOUT = 60.0


def collect(runner):
    seen = []
    runner.subscribe(seen.append)
    return seen


def states(seen):
    return [e.state for e in seen if isinstance(e, ev.StateChanged)]


def test_a_recipe_runs_to_the_end_and_everything_is_in_the_store(make_runner, db):
    runner = make_runner(plateau_recipe(573.15, 623.15))
    seen = collect(runner)
    assert runner.state == "idle"
    assert runner.start().result(TIMEOUT) == "done"
    assert runner.state == "done" and states(seen) == ["running", "done"]
    with Store.open(db) as store:
        run = store.run(runner.run_id)
        steps = store.steps(run.id)
        assert run.status == "done" and run.sample == {"name": "pellet"}
        assert set(run.bench) >= {"furnace", "fra", "smu"}
        assert [s.path for s in steps] == [f"program[{i}]/{n}" for i in (1, 2)
                                           for n in ("stabilize", "eis", "dc")]
        assert store.finished_positions(run.id) == [s.path for s in steps]
        eis, dc = steps[1], steps[2]
        assert eis.points == 12 and dc.points == 30 and eis.result["r_ion_Ohm"] > 0
        assert dc.result["r_ion_from_eis"] == eis.result["r_ion_Ohm"]  # ctx.previous
        assert dc.temperature_K == 573.15
        assert len(store.temperature_log(run.id)) > 10
    points = [e for e in seen if isinstance(e, ev.PointRecorded)]
    assert len(points) == 2 * (12 + 30)
    assert [type(e) for e in seen[:3]] == [ev.StateChanged, ev.RunStarted, ev.StepStarted]
    assert isinstance(seen[-1], ev.StateChanged) and isinstance(seen[-2], ev.RunFinished)
    progress = [e for e in seen if isinstance(e, ev.Progress)]
    assert progress[-1].fraction == 1.0 and progress[-1].remaining_s == 0.0
    assert all(a.fraction <= b.fraction for a, b in zip(progress, progress[1:]))
    assert any(p.remaining_s and p.remaining_s > 0 for p in progress)


def test_a_point_is_committed_before_it_is_reported(make_runner, db):
    runner = make_runner(plateau_recipe(573.15, readings=5))
    counts = []

    def check(event):
        if isinstance(event, ev.PointRecorded):
            conn = sqlite3.connect(db)
            counts.append(conn.execute(
                "SELECT (SELECT count(*) FROM impedance_points WHERE step_id = ?1)"
                " + (SELECT count(*) FROM dc_points WHERE step_id = ?1)",
                (event.step_id,)).fetchone()[0])
            conn.close()
    runner.subscribe(check)
    runner.start().result(TIMEOUT)
    assert counts == list(range(1, 13)) + list(range(1, 6))


def test_pause_holds_the_run_at_a_checkpoint_and_resume_continues(make_runner):
    runner = make_runner(plateau_recipe(573.15, readings=10))
    seen = collect(runner)
    paused = threading.Event()

    def pause_at_fifth_point(event):
        if isinstance(event, ev.PointRecorded) and event.point.__class__.__name__ == "CurrentReading" \
                and not paused.is_set():
            paused.set()
            runner.pause()
    runner.subscribe(pause_at_fifth_point)
    future = runner.start()
    assert paused.wait(TIMEOUT)
    assert runner.state == "paused"
    with pytest.raises(LabctlError, match="cannot pause: the runner is paused"):
        runner.pause()
    with pytest.raises(LabctlError, match="cannot start: the runner is paused"):
        runner.start()
    runner.resume()
    assert future.result(TIMEOUT) == "done"
    i, j = states(seen).index("paused"), len(seen)
    between = seen[[k for k, e in enumerate(seen) if e == ev.StateChanged("paused")][0]:
                   [k for k, e in enumerate(seen) if e == ev.StateChanged("running")][1]]
    assert not [e for e in between if isinstance(e, ev.PointRecorded)]
    assert states(seen) == ["running", "paused", "running", "done"] and i < j


def safe_bench(bench):
    """(SMU output on, furnace target K) of the simulated instruments."""
    with bench.simulation.world.control() as loop:
        target = loop.target_K
    return bench.simulation.devices["smu"].output, target


@pytest.mark.parametrize("when", ["running", "paused"])
def test_abort_makes_the_bench_safe_within_a_second_and_marks_the_run_aborted(
        make_runner, bench, db, when):
    runner = make_runner(plateau_recipe(573.15))
    seen = collect(runner)
    at = {}

    def abort_during_polarization(event):
        if isinstance(event, ev.PointRecorded) and event.point.__class__.__name__ == "CurrentReading" \
                and not at:
            at["smu_on"] = bench.simulation.devices["smu"].output
            at["t"] = bench.clock.now()
            if when == "paused":
                runner.pause()
            runner.abort("operator stop")
        if isinstance(event, ev.RunFinished):
            at["safe_t"] = bench.clock.now()
    runner.subscribe(abort_during_polarization)
    runner.start().result(TIMEOUT)
    assert at["smu_on"] and safe_bench(bench) == (False, 298.15)
    assert at["safe_t"] - at["t"] <= 1.0
    assert runner.state == "failed" and (runner.status, runner.reason) == ("aborted", "operator stop")
    assert states(seen)[-2:] == ["aborting", "failed"]
    with Store.open(db) as store:
        assert store.run(runner.run_id).status == "aborted"
        assert store.steps(runner.run_id)[-1].status == "aborted"
        messages = [e.message for e in store.events(runner.run_id)]
        assert any(m.startswith("bench made safe in") for m in messages)
        assert "run aborted: operator stop" in messages


@contextmanager
def held_at_first_step(runner):
    """Start the run and hold its worker in the first StepStarted event (state 'running')
    while the block runs; yields the run's future."""
    started, hold = threading.Event(), threading.Event()

    def block(event):
        if isinstance(event, ev.StepStarted) and not started.is_set():
            started.set()
            hold.wait(TIMEOUT)
    runner.subscribe(block)
    future = runner.start()
    assert started.wait(TIMEOUT)
    try:
        yield future
    finally:
        hold.set()


def test_stop_aborts_only_a_run_in_progress(make_runner):
    """A stop signal may come before a run starts or after it ended: no error then."""
    runner = make_runner(plateau_recipe(573.15, readings=3))
    assert runner.stop("SIGTERM") is False and runner.state == "idle"
    assert runner.start().result(TIMEOUT) == "done"
    assert runner.stop("SIGTERM") is False and runner.state == "done"
    with held_at_first_step(runner) as future:
        assert runner.stop("SIGTERM") is True
    future.result(TIMEOUT)
    assert (runner.state, runner.status, runner.reason) == ("failed", "aborted", "SIGTERM")


def test_illegal_transitions_are_refused(make_runner):
    runner = make_runner(plateau_recipe(573.15, readings=3))
    for command in (runner.pause, runner.resume, runner.abort):
        with pytest.raises(LabctlError, match=f"cannot {command.__name__}: the runner is idle"):
            command()
    with held_at_first_step(runner) as future:
        with pytest.raises(LabctlError, match="cannot start: the runner is running"):
            runner.start()
        with pytest.raises(LabctlError, match="cannot resume: the runner is running"):
            runner.resume()
    assert future.result(TIMEOUT) == "done"
    with pytest.raises(LabctlError, match="cannot pause: the runner is done"):
        runner.pause()


def test_a_finished_runner_starts_a_new_run(make_runner, db):
    runner = make_runner(plateau_recipe(573.15, readings=3))
    runner.start().result(TIMEOUT)
    first = runner.run_id
    assert runner.start().result(TIMEOUT) == "done" and runner.run_id == first + 1


def test_a_failing_subscriber_does_not_stop_the_run(make_runner, capsys):
    runner = make_runner(plateau_recipe(573.15, readings=3))

    def broken(event):
        raise RuntimeError("subscriber bug")
    runner.subscribe(broken)
    assert runner.start().result(TIMEOUT) == "done"
    assert "subscriber bug" in capsys.readouterr().err


def test_set_furnace_between_runs_and_refused_during_one(make_runner, bench):
    runner = make_runner(plateau_recipe(573.15, readings=3))
    runner.set_furnace(400.0, 0.1).result(TIMEOUT)
    with bench.simulation.world.control() as loop:
        assert (loop.target_K, loop.rate_K_per_s) == (pytest.approx(400.0), pytest.approx(0.1))
    with pytest.raises(LabctlError, match="exceeds the limit"):    # refused: no rate written
        runner.set_furnace(5000.0, 0.01).result(TIMEOUT)
    with bench.simulation.world.control() as loop:
        assert (loop.target_K, loop.rate_K_per_s) == (pytest.approx(400.0), pytest.approx(0.1))
    with held_at_first_step(runner) as future:
        with pytest.raises(LabctlError, match="a run is running"):
            runner.set_furnace(500.0, 0.1)
        runner.safe_state()          # aborts the run
    future.result(TIMEOUT)
    assert (runner.status, runner.reason) == ("aborted", "safe state requested")
    assert safe_bench(bench) == (False, 298.15)


def test_a_resume_inside_a_plateau_starts_with_its_stabilization():
    from labctl.runner import plan

    steps = plateau_recipe(573.15, 623.15).steps
    paths = [s.path for s in steps]
    assert [s.path for s in plan(steps, set(paths[:4]))] == paths[3:]   # at a plateau start
    assert [s.path for s in plan(steps, set(paths[:5]))] == [paths[3]] + paths[5:]
    assert plan(steps, set(paths)) == []
