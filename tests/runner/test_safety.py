"""Faults during a run: the watchdog or the failing protocol stops it, the bench goes safe
(SMU output off, furnace to its safe set-point) within 1 s of simulated time after the
fault is detected, and the run is stored as failed with the reason."""

from __future__ import annotations

import pytest

from labctl import events as ev
from labctl.store import Store
from tests.runner.test_runner import TIMEOUT, safe_bench
from tests.runner.toy_protocols import plateau_recipe


def break_thermocouple(bench):
    with bench.simulation.world.control() as loop:
        loop.furnace.thermocouple_broken = True


def fail_heater(bench):
    with bench.simulation.world.control() as loop:
        loop.furnace.heater_failed = True


def stick_heater_on(bench):
    """The heater runs at full power whatever the controller wants (a welded contactor),
    simulated as the loop forced to 100 % output."""
    with bench.simulation.world.control() as loop:
        loop.set_manual(100.0)


def stall_smu(bench):
    bench.simulation.devices["smu"].inject("no_reply")


def disconnect_fra(bench):
    bench.simulation.devices["fra"].inject("disconnect")


FAULTS = [  # (fault, at the first point of, expected in the reason)
    (break_thermocouple, "eis", "sensor break"),
    (fail_heater, "dc_polarization", "has not followed the set-point"),
    (stick_heater_on, "dc_polarization", "has not followed the set-point"),
    (stall_smu, "dc_polarization", "smu"),
    (disconnect_fra, "eis", "fra"),
]


@pytest.mark.parametrize("fault, kind, reason", FAULTS, ids=[f[0].__name__ for f in FAULTS])
def test_a_fault_fails_the_run_and_the_bench_goes_safe_within_a_second(
        make_runner, bench, db, fault, kind, reason):
    runner = make_runner(plateau_recipe(573.15, readings=300))
    times = {}

    def inject(event):
        if isinstance(event, ev.MeasurementStarted) and event.kind == kind and not times:
            times["fault"] = bench.clock.now()
            fault(bench)
        if isinstance(event, ev.StateChanged) and event.state == "aborting":
            times["detected"] = bench.clock.now()
        if isinstance(event, ev.RunFinished):
            times["safe"] = bench.clock.now()
    runner.subscribe(inject)
    assert runner.start().result(TIMEOUT) == "failed"
    assert runner.state == "failed" and reason in runner.reason
    assert times["safe"] - times["detected"] <= 1.0
    assert safe_bench(bench) == (False, 298.15)
    with Store.open(db) as store:
        run = store.run(runner.run_id)
        assert run.status == "failed"
        steps = store.steps(run.id)
        assert steps[-1].kind == kind and steps[-1].status == "failed"
        assert store.events(run.id)[-1].message == f"run failed: {runner.reason}"


def test_a_protocol_bug_fails_the_run_safely_and_names_the_exception(make_runner, bench):
    recipe = plateau_recipe(573.15)
    broken = recipe.steps[2].protocol.__class__(kind="dc_polarization", Params=None,
                                                run=lambda ctx, p: [][1])
    steps = recipe.steps[:2] + (type(recipe.steps[2])(recipe.steps[2].position, broken, None),)
    runner = make_runner(type(recipe)(recipe.name, steps))
    assert runner.start().result(TIMEOUT) == "failed"
    assert runner.reason == "IndexError: list index out of range"
    assert safe_bench(bench) == (False, 298.15)


def test_a_failed_run_resumes_in_the_same_record_from_its_first_unfinished_step(
        make_runner, bench, db):
    runner = make_runner(plateau_recipe(573.15, 598.15, readings=10))
    broken = {}

    def break_at_second_sweep(event):
        if isinstance(event, ev.MeasurementStarted) and event.kind == "eis" \
                and event.temperature_K == 598.15 and not broken:
            broken["step"] = event.step_id
            break_thermocouple(bench)
    runner.subscribe(break_at_second_sweep)
    assert runner.start().result(TIMEOUT) == "failed"
    with bench.simulation.world.control() as loop:
        loop.furnace.thermocouple_broken = False        # repaired
    run_id = runner.run_id
    assert runner.start(resume=run_id).result(TIMEOUT) == "done"     # failed -> running
    assert runner.run_id == run_id
    with Store.open(db) as store:
        steps = store.steps(run_id)
        assert store.run(run_id).status == "done"
        assert ("program[2]/stabilize", "done", True) in [(s.path, s.status, s.superseded)
                                                         for s in steps]   # re-stabilized
        assert all(s.superseded for s in steps if s.status != "done")
        assert sorted(s.path for s in steps if not s.superseded) == sorted(
            f"program[{i}]/{n}" for i in (1, 2) for n in ("stabilize", "eis", "dc"))
        assert store.impedance(broken["step"]).size > 0       # the first run's points are kept


def test_a_furnace_cooling_slower_than_its_ramp_is_not_a_fault(make_runner, db):
    # 300 -> 200 degC at 20 K/min: the furnace cools passively (heater off) and lags far
    # behind its set-point; only a heater that should act and does not is a fault
    runner = make_runner(plateau_recipe(573.15, 473.15, readings=3))
    assert runner.start().result(TIMEOUT) == "done", runner.reason
    with Store.open(db) as store:
        log = store.temperature_log(runner.run_id)
    lag = log["temperature_K"] - log["setpoint_K"]
    assert lag.max() > 30.0 and log["output_percent"][lag.argmax()] == 0.0


def test_the_watchdog_keeps_watching_while_the_run_is_paused(make_runner, bench, db):
    runner = make_runner(plateau_recipe(573.15, readings=30))
    runner.paused_poll_s = 0.01
    looks = []

    def long_pause_with_a_failed_heater(event):   # on the worker: no query is in flight
        if isinstance(event, ev.MeasurementStarted) and event.kind == "dc_polarization":
            runner.pause()
            fail_heater(bench)
            bench.clock.sleep(600.0)     # nobody resumes; the furnace cools
        if isinstance(event, ev.TemperatureRecorded) and runner.state == "paused":
            looks.append(event.reading)
            bench.clock.sleep(600.0)
    runner.subscribe(long_pause_with_a_failed_heater)
    assert runner.start().result(TIMEOUT) == "failed"
    assert len(looks) >= 1 and looks[-1].temperature_K < 573.15 - 15.0
    assert "heater failure suspected" in runner.reason     # the driver's own loop-break check
    assert safe_bench(bench) == (False, 298.15)
