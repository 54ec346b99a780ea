"""The runner with the real protocols on the simulated bench: abort at a sweep's checkpoint,
which spectrum a DC polarization takes I_0 from, what a resume measures again, and the
order in which the bench goes safe."""

from __future__ import annotations

import pytest

from labctl import events as ev
from labctl.bench import open_bench, parse_bench
from labctl.recipe import parse_recipe
from labctl.runcontext import Position, StoreContext
from labctl.store import Store
from tests.runner.test_runner import TIMEOUT
from tests.runner.test_safety import fail_heater
from tests.runner.toy_protocols import HOT_SIM, plateau_recipe

SWEEP = 'protocol = "eis"\nstart_Hz = 1e5\nstop_Hz = 0.1\npoints_per_decade = 6\n'


@pytest.fixture
def bench():
    """The simulated bench, its furnace at 400 degC from the start (`make_runner` runs on it)."""
    with open_bench(parse_bench(HOT_SIM)) as b:
        yield b


def recipe(bench, body: str):
    return parse_recipe('[sample]\nname = "pellet"\n' + body, bench.config)


def test_abort_acts_at_the_sweeps_next_checkpoint(make_runner, bench, db):
    """No point is recorded after the checkpoint that follows the abort; the run is
    stored aborted."""
    runner = make_runner(recipe(bench, "[[steps]]\n" + SWEEP))
    points = []

    def abort_at_third_point(event):
        if isinstance(event, ev.PointRecorded):
            points.append(runner.state)
            if len(points) == 3:
                runner.abort("operator stop")
    runner.subscribe(abort_at_third_point)
    assert runner.start().result(TIMEOUT) == "aborted"
    assert points == ["running"] * 3 and runner.state == "failed"
    assert (runner.status, runner.reason) == ("aborted", "operator stop")
    with Store.open(db) as store:
        (step,) = store.steps(runner.run_id)
        assert store.run(runner.run_id).status == "aborted"
        assert (step.status, step.points) == ("aborted", 3)


PLATEAUS = """
[program]
temperatures_C = [400, 405]
ramp_C_per_min = 20.0
stabilize = { band_K = 2.0, window_s = 20.0, poll_s = 10.0 }
[[program.body]]
at_C = [400]
{sweep}
[[program.body]]
protocol = "dc_polarization"
max_duration_s = 30.0
[final]
cool_down = false
""".replace("{sweep}", SWEEP)


def test_a_polarization_without_a_spectrum_at_its_plateau_uses_the_first_reading(
        make_runner, bench, db):
    """The spectrum of another temperature is not this plateau's R_ion."""
    runner = make_runner(recipe(bench, PLATEAUS))
    assert runner.start().result(TIMEOUT) == "done", runner.reason
    with Store.open(db) as store:
        dc = {s.path: s for s in store.steps(runner.run_id) if s.kind == "dc_polarization"}
        warnings = [e.message for e in store.events(runner.run_id) if e.level == "warning"]
    assert dc["program[1]/dc_polarization"].result["I0_source"] == "eis"
    assert dc["program[2]/dc_polarization"].result["I0_source"] == "first_reading"
    assert any("no impedance spectrum at this plateau" in m for m in warnings)


def test_a_superseded_measurement_is_never_previous(tmp_path, bench):
    """A resume that measures a position again marks what it measured before superseded:
    from then on that spectrum is no plateau's previous one, even the latest."""
    with Store.open(tmp_path / "lab.sqlite") as store:
        run_id = store.create_run("r", "", {}, {"name": "pellet"}, "tests")
        ctx = StoreContext(store, run_id, bench.clock, {}, lambda e: None,
                           lambda: None, lambda *a: None)
        for path, r in (("eis", 100.0), ("eis#2", 999.0)):
            ctx.enter(Position(f"program[1]/{path}", {}, 673.15, "program[1]"))
            with ctx.measurement("eis", {}) as m:
                m.finish({"r_ion_Ohm": r})
        ctx.enter(Position("program[1]/dc_polarization", {}, 673.15, "program[1]"))
        assert ctx.previous("eis") == {"r_ion_Ohm": 999.0}
        store.supersede(run_id, "program[1]/eis#2")
        assert ctx.previous("eis") == {"r_ion_Ohm": 100.0}
        store.supersede(run_id, "program[1]/eis")
        assert ctx.previous("eis") is None


@pytest.mark.parametrize("options", ["repeats = 2", "remeasure = 1\nkk_max_residual = 1e-5"])
def test_a_resume_measures_the_spectra_a_cut_eis_step_still_owed(
        make_runner, bench, db, options):
    """Cut in its second spectrum (a repeat or a re-measurement of a flagged one), the step
    is not complete although one of its spectra is done: the resume measures it again."""
    runner = make_runner(recipe(bench, "[[steps]]\n" + SWEEP + options + "\n"))
    started = []

    def abort_in_second_spectrum(event):
        if isinstance(event, ev.MeasurementStarted):
            started.append(event.step_id)
        if isinstance(event, ev.PointRecorded) and len(started) == 2:   # first run only
            runner.abort("power cut")
    runner.subscribe(abort_in_second_spectrum)
    assert runner.start().result(TIMEOUT) == "aborted", runner.reason
    run_id = runner.run_id
    with Store.open(db) as store:
        assert [s.status for s in store.steps(run_id)] == ["done", "aborted"]
    assert runner.start(resume=run_id).result(TIMEOUT) == "done"
    with Store.open(db) as store:
        steps = store.steps(run_id)
        current = [s for s in steps if not s.superseded]
        assert [s.status for s in steps if s.superseded] == ["done", "aborted"]
        assert [s.status for s in current] == ["done", "done"]
        assert [(s.params["repeat"], s.params["attempt"]) for s in current] == [
            (s.params["repeat"], s.params["attempt"]) for s in steps[:2]] != [(0, 0)] * 2
        assert store.finished_positions(run_id) == ["steps[1]/eis"]


def test_a_flagged_spectrums_warning_names_its_step(make_runner, bench, db):
    """The warning comes after the spectrum's store step closed: it still names that step
    (in `labctl runs show` and the GUI's log, which pellet's spectrum was flagged)."""
    runner = make_runner(recipe(bench, "[[steps]]\n" + SWEEP + "remeasure = 1\n"
                                "kk_max_residual = 1e-5\n"))
    assert runner.start().result(TIMEOUT) == "done", runner.reason
    with Store.open(db) as store:
        steps = [s.id for s in store.steps(runner.run_id)]
        flagged = [e.step_id for e in store.events(runner.run_id) if "flagged" in e.message]
    assert flagged == steps and len(steps) == 2


def test_on_a_fault_outputs_go_off_before_the_furnace_is_touched(make_runner, bench):
    """Read from the bytes each simulated instrument received after the fault: the SMU's
    output-off and the analyzer's zeroing come before the furnace's set-point write."""
    runner = make_runner(plateau_recipe(673.15, readings=300))
    wire: list[tuple[str, bytes]] = []
    for name, device in bench.simulation.devices.items():
        def feed(data, name=name, feed=device.feed):
            wire.append((name, bytes(data)))
            feed(data)
        device.feed = feed
    mark = {}

    def fault_in_polarization(event):
        if isinstance(event, ev.MeasurementStarted) and event.kind == "dc_polarization":
            fail_heater(bench)
        if isinstance(event, ev.StateChanged) and event.state == "aborting":
            mark["at"] = len(wire)
    runner.subscribe(fault_in_polarization)
    assert runner.start().result(TIMEOUT) == "failed"
    after = wire[mark["at"]:]
    furnace_writes = [i for i, (name, data) in enumerate(after)
                      if name == "furnace" and data[1] in (6, 16)]
    smu_off = [i for i, (name, data) in enumerate(after)
               if name == "smu" and b":OUTP OFF" in data]
    fra = [i for i, (name, _) in enumerate(after) if name == "fra"]
    assert furnace_writes and smu_off and fra
    assert max(smu_off[0], fra[-1]) < furnace_writes[0]
