"""The gas interlocks on the built-in `sim-gas` bench, through a real run of `atmosphere`: a stuck valve trips `flow_not_followed` (declared by the MFC
drivers) and the bench goes safe with every gas line closed; the bench file switches it
off or to pause (every line closed, the furnace kept); an oxygen sensor out of range trips `pO2_out_of_range`."""

from __future__ import annotations

from labctl import events as ev
from labctl.bench import load_bench, open_bench, parse_bench
from labctl.interlocks import Look, OxygenRangeInterlock
from labctl.recipe import parse_recipe
from labctl.runner import Runner
from labctl.store import Store
from tests.runner.test_runner import TIMEOUT

GAS = load_bench("sim-gas").text
STEP = """
[sample]
name = "pellet"

[[steps]]
protocol = "atmosphere"
o2_flow_sccm = 10.0
n2_flow_sccm = 490.0
max_wait_s = {max_wait_s}
"""


def gas_bench(o2_line: str = "") -> str:
    """sim-gas with a line added to the O2 controller's table (e.g. its interlocks)."""
    return GAS.replace("[instruments.o2]\n", f"[instruments.o2]\n{o2_line}\n")


def stick_o2_valve(bench, runner, event):
    """At the start of the atmosphere step, before its set-points: the O2 valve, closed,
    stops moving."""
    if isinstance(event, ev.MeasurementStarted) and event.kind == "atmosphere":
        bench.simulation.devices["o2"].stick_valve()


def run(db, text: str, inject, max_wait_s: float = 3600.0):
    config = parse_bench(text, "bench.toml")
    bench = open_bench(config)
    runner = Runner(parse_recipe(STEP.format(max_wait_s=max_wait_s), config), bench, db)
    runner.paused_poll_s = 0.001
    runner.subscribe(lambda event: inject(bench, runner, event))
    try:
        status = runner.start().result(TIMEOUT)
        return runner, status, bench["n2"], bench.simulation.world.atmosphere.total_flow_sccm()
    finally:
        runner.close()
        bench.close()


def interlock_events(db, run_id):
    with Store.open(db) as store:
        return [e.message for e in store.events(run_id) if e.message.startswith("interlock ")]


def test_a_stuck_valve_trips_the_flow_interlock_and_closes_every_gas_line(db):
    runner, status, n2, total = run(db, gas_bench(), stick_o2_valve)
    assert status == "failed"
    assert "interlock o2.flow_not_followed tripped (abort)" in runner.reason
    assert "does not follow its set-point 10 sccm" in runner.reason
    assert n2.read().valve_closed and total == 0.0              # the O2 valve is stuck shut
    assert interlock_events(db, runner.run_id) == [runner.reason]


def test_switched_off_the_stuck_valve_lets_the_wait_run_out(db):
    runner, status, _, total = run(db, gas_bench("interlocks = { flow_not_followed = false }"),
                                   stick_o2_valve, max_wait_s=600.0)
    assert status == "done" and interlock_events(db, runner.run_id) == []
    with Store.open(db) as store:
        [step] = store.steps(runner.run_id)
    assert step.result["o2_series_sccm"][-1] is None          # not following: no flow kept
    assert step.result["n2_series_sccm"][-1] == 490.0 and not step.result["steady"]
    assert total == 490.0                                      # the run left the gas on


def test_a_paused_flow_interlock_pauses_with_every_gas_line_closed(db):
    """A pause makes every instrument but the furnace safe: the gas lines are closed."""
    seen = {}

    def stick_then_note(bench, runner, event):
        stick_o2_valve(bench, runner, event)
        if isinstance(event, ev.StateChanged) and event.state == "paused":
            seen["reason"] = event.reason
        if isinstance(event, ev.LogMessage) and event.message.startswith("outputs and o2"):
            seen["total"] = bench.simulation.world.atmosphere.total_flow_sccm()
            seen["o2 closed"] = bench["o2"].read().valve_closed
            runner.abort("seen paused")
    runner, status, _, _ = run(db, gas_bench(
        'interlocks = { flow_not_followed = { action = "pause" } }'), stick_then_note)
    assert seen["reason"].startswith("interlock o2.flow_not_followed tripped (pause)")
    assert seen["o2 closed"] and seen["total"] == 0.0 and status == "aborted"


def test_the_oxygen_interlock_trips_out_of_range_and_skips_a_sensor_without_temperature():
    config = parse_bench(GAS.replace("min_pO2_Pa = 1.0e-3", "min_pO2_Pa = 3.0e4"), "bench.toml")
    with open_bench(config) as bench:
        interlock = OxygenRangeInterlock("o2sensor")
        reason = interlock.check(Look(bench.instruments, bench.clock.now()))
        assert reason is not None and "oxygen sensor out of range: pO2 2.12e+04 Pa" in reason
        bench["o2sensor"].sensor_temperature_K = None       # read at the furnace's
        assert interlock.check(Look(bench.instruments, bench.clock.now())) is None
