"""Interlocks on the simulated bench with faults injected at the wire's source (the
simulators' physics): each one trips, is stored as a run event with its reason, and does
what it declares: `abort` fails the run with the bench safe, `pause` pauses with the
outputs safe, refuses a resume while tripped and measures the interrupted plateau again."""

from __future__ import annotations

import pytest

from labctl import events as ev
from labctl.bench import load_bench, open_bench, parse_bench
from labctl.errors import ConfigError, SensorBreak
from labctl.interlocks import HeaterNotFollowed, Look
from labctl.runner import Runner
from labctl.store import Store
from tests.runner.test_runner import TIMEOUT, safe_bench
from tests.runner.test_safety import break_thermocouple
from tests.runner.toy_protocols import plateau_recipe

SIM = load_bench("sim").text


def bench_text(smu: str = "", furnace: str = "") -> str:
    """The built-in `sim` bench with `interlocks = ...` lines for the SMU and the furnace."""
    return (SIM.replace("[instruments.smu]\n", f"[instruments.smu]\n{smu}\n")
            .replace("[instruments.furnace]\n", f"[instruments.furnace]\n{furnace}\n"))


@pytest.fixture
def run_on(db):
    """Run a one-plateau toy recipe on a sim bench from `text`, `inject` called with the
    bench and each event; (runner, bench, final status)."""
    opened = []

    def run(text, inject, readings=300):
        bench = open_bench(parse_bench(text, "bench.toml"))
        runner = Runner(plateau_recipe(573.15, readings=readings), bench, db)
        opened.append((runner, bench))
        runner.paused_poll_s = 0.001
        runner.subscribe(lambda event: inject(bench, runner, event))
        return runner, bench, runner.start().result(TIMEOUT)
    yield run
    for runner, bench in opened:
        runner.close()
        bench.close()


def short_at_dc():
    """An injector: a short across the cell at the first DC polarization."""
    shorted = []

    def inject(bench, runner, event):
        if isinstance(event, ev.MeasurementStarted) and event.kind == "dc_polarization" \
                and not shorted:
            shorted.append(event.step_id)
            bench.simulation.devices["smu"].short_circuit_Ohm = 10.0  # 0.2 V: 20 mA > 1 mA
    return inject


def repair_and_resume(tripped, repair, seen):
    """An injector: once the outputs and instrument `tripped` are safe, note the bench
    (`seen["safe"]`), `repair` it and let the watchdog's next look come; resume as soon as
    a look found every interlock clear."""
    def inject(bench, runner, event):
        if isinstance(event, ev.LogMessage) and event.message.startswith(f"outputs and {tripped}"):
            seen["safe"] = safe_bench(bench)
            repair(bench)
            bench.clock.sleep(30.0)
        if isinstance(event, ev.TemperatureRecorded) and runner.state == "paused" \
                and not runner.watchdog.tripped:
            runner.resume("repaired")
    return inject


def mend_thermocouple(bench):
    with bench.simulation.world.control() as loop:
        loop.furnace.thermocouple_broken = False


def interlock_events(db, run_id):
    with Store.open(db) as store:
        return [(e.level, e.message) for e in store.events(run_id)
                if e.message.startswith("interlock ")]


def test_an_smu_in_compliance_longer_than_allowed_aborts_the_run(run_on, db):
    runner, bench, status = run_on(bench_text(), short_at_dc())   # the driver's default: abort
    assert status == "failed"
    assert "interlock smu.compliance tripped (abort): in compliance" in runner.reason
    assert "more than 60 s" in runner.reason
    assert safe_bench(bench) == (False, 298.15)
    [(level, message)] = interlock_events(db, runner.run_id)
    assert level == "error" and message in runner.reason


def test_a_switched_off_interlock_lets_the_run_finish(run_on, db):
    runner, _, status = run_on(bench_text(smu="interlocks = { compliance = false }"),
                               short_at_dc(), readings=30)
    assert status == "done" and interlock_events(db, runner.run_id) == []
    with Store.open(db) as store:
        snapshot = store.run(runner.run_id).bench        # which interlocks watched the run
    assert snapshot["smu"]["interlocks"] == {}
    assert set(snapshot["furnace"]["interlocks"]) == {"sensor_break", "heater_not_followed"}


def test_a_sensor_break_aborts_and_is_stored(run_on, db):
    def at_eis(bench, runner, event):
        if isinstance(event, ev.MeasurementStarted) and event.kind == "eis":
            break_thermocouple(bench)
    runner, bench, status = run_on(bench_text(), at_eis)
    assert status == "failed" and "interlock furnace.sensor_break tripped" in runner.reason
    assert "sensor break" in runner.reason and safe_bench(bench) == (False, 298.15)
    assert [m for _, m in interlock_events(db, runner.run_id)] == [runner.reason]


def test_a_paused_interlock_makes_outputs_safe_waits_until_clear_and_measures_again(run_on, db):
    seen = {"refused": []}
    short = short_at_dc()
    repair = repair_and_resume(
        "smu", lambda bench: setattr(bench.simulation.devices["smu"], "short_circuit_Ohm", None),
        seen)

    def fault_then_repair(bench, runner, event):
        short(bench, runner, event)
        repair(bench, runner, event)
        if isinstance(event, ev.StateChanged) and event.state == "paused":
            seen["paused"] = event.reason
            try:
                runner.resume("too early")
            except Exception as exc:  # noqa: BLE001 - the refusal is what is tested
                seen["refused"].append(str(exc))
    runner, bench, status = run_on(
        bench_text(smu='interlocks = { compliance = { max_s = 60, action = "pause" } }'),
        fault_then_repair, readings=30)
    assert status == "done", runner.reason
    assert seen["paused"].startswith("interlock smu.compliance tripped (pause): in compliance")
    assert seen["refused"] == ["cannot resume: interlock still tripped: smu.compliance: "
                               + seen["paused"].split(": ", 1)[1]]
    assert seen["safe"][0] is False and seen["safe"][1] == pytest.approx(573.15)  # furnace kept
    with Store.open(db) as store:
        steps = [(s.path, s.status, s.superseded) for s in store.steps(runner.run_id)]
        messages = [e.message for e in store.events(runner.run_id)]
    assert ("program[1]/dc", "aborted", True) in steps
    assert ("program[1]/stabilize", "done", True) in steps       # the plateau again
    assert sorted((p, s) for p, s, superseded in steps if not superseded) == [
        ("program[1]/dc", "done"), ("program[1]/eis", "done"), ("program[1]/stabilize", "done")]
    assert any(m.startswith("interlock smu.compliance tripped (pause)") for m in messages)


INTERLOCK_ERRORS = [  # (interlocks line of the SMU, field, message)
    ("interlocks = { overheat = true }", "instruments.smu.interlocks.overheat",
     "unknown interlock for this driver (known: compliance)"),
    ('interlocks = { compliance = { action = "stop" } }',
     "instruments.smu.interlocks.compliance.action", "must be one of 'pause', 'abort'"),
    ("interlocks = { compliance = { max_s = -5 } }",
     "instruments.smu.interlocks.compliance.max_s", "must be a number > 0, got -5"),
    ("interlocks = { compliance = { band_K = 5 } }",
     "instruments.smu.interlocks.compliance.band_K", "unknown setting (known: action, max_s)"),
    ("interlocks = { compliance = 60 }", "instruments.smu.interlocks.compliance",
     "must be true, false or a table of settings"),
    ("interlocks = 1", "instruments.smu.interlocks", "must be a table"),
]


@pytest.mark.parametrize("line, field, message", INTERLOCK_ERRORS,
                         ids=[e[1].rpartition(".")[2] for e in INTERLOCK_ERRORS])
def test_a_bad_interlock_entry_names_file_line_and_field(line, field, message):
    text = bench_text(smu=line)
    with pytest.raises(ConfigError) as caught:
        parse_bench(text, "bench.toml")
    error = caught.value
    assert (error.file, error.field) == ("bench.toml", field)
    assert text.splitlines()[error.line - 1] == line and message in str(error)


def test_bench_settings_change_the_drivers_defaults():
    config = parse_bench(bench_text(
        smu='interlocks = { compliance = { action = "pause" } }',
        furnace="interlocks = { sensor_break = true, heater_not_followed = { band_K = 30 } }"),
        "bench.toml")
    assert config.instruments["smu"].interlocks == {"compliance": {"max_s": 60.0,
                                                                    "action": "pause"}}
    assert config.instruments["furnace"].interlocks == {
        "sensor_break": {"action": "abort"},
        "heater_not_followed": {"band_K": 30.0, "after_s": 300.0, "action": "abort"}}
    assert config.instruments["fra"].interlocks == {}


def test_a_paused_sensor_break_makes_the_furnace_safe_too_and_the_plateau_is_heated_again(
        run_on, db):
    seen = {}
    repair = repair_and_resume("furnace", mend_thermocouple, seen)

    def break_then_repair(bench, runner, event):
        if isinstance(event, ev.MeasurementStarted) and event.kind == "eis" and not seen:
            seen["broken"] = event.step_id
            break_thermocouple(bench)
        repair(bench, runner, event)
    runner, bench, status = run_on(
        bench_text(furnace='interlocks = { sensor_break = { action = "pause" } }'),
        break_then_repair, readings=3)
    assert status == "done", runner.reason
    assert seen["safe"] == (False, 298.15)          # SMU off, furnace to its safe set-point
    with Store.open(db) as store:
        steps = [(s.path, s.status, s.superseded) for s in store.steps(runner.run_id)]
        log = store.temperature_log(runner.run_id)
    assert ("program[1]/eis", "aborted", True) in steps
    assert [p for p, s, _ in steps].count("program[1]/stabilize") == 2
    assert log["temperature_K"][-1] == pytest.approx(573.15, abs=3.0)   # heated again
    assert [m.split(":")[0] for _, m in interlock_events(db, runner.run_id)] == [
        "interlock furnace.sensor_break tripped (pause)"]


def test_a_sensor_break_an_interlock_reported_reads_as_no_temperature(bench):
    break_thermocouple(bench)
    unreported = Look(bench.instruments, bench.clock.now())
    with pytest.raises(SensorBreak, match="sensor break"):
        unreported.temperature("furnace")     # no interlock reported it: the driver's error
    look = Look(bench.instruments, bench.clock.now())
    assert "sensor break" in look.sensor_break("furnace")
    assert look.temperature("furnace") is None         # reported: nothing to judge by
    assert HeaterNotFollowed("furnace").check(look) is None
