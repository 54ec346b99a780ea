"""An instrument whose link dies mid-run, over the real transports: a TCP socket whose
simulated server goes away, a pty whose master is closed (the furnace via Modbus RTU, the
EmStat's text lines). The run ends `failed` in the store (the cause as an error event,
ended_utc set) with the other instruments made safe, also when a second link dies during
the safe state itself."""

from __future__ import annotations

import termios
import time

import pytest

from labctl import events as ev
from labctl.runner import Runner
from labctl.store import Store
from labctl.watchdog import Watchdog
from tests.runner.test_runner import TIMEOUT, safe_bench
from tests.runner.toy_protocols import plateau_recipe

SAFE_K = 298.15


def run_until_dead(served_bench, db, kill_at: str, victim: str, on_abort: str | None = None):
    """Run two plateaus; at the first `kill_at` measurement the `victim`'s link dies (and
    `on_abort`'s when the run starts to abort). Returns the runner and, as (wall s, bench
    s) from the death, when it was detected (the run aborting) and when the store had the
    end (the RunFinished event comes after it)."""
    clock = served_bench.bench.clock
    runner = Runner(plateau_recipe(573.15, 598.15, readings=60), served_bench.bench, db)
    marks = {}

    def fault(event):
        if isinstance(event, ev.MeasurementStarted) and event.kind == kill_at and not marks:
            served_bench.kill(victim)
            marks["death"] = (time.monotonic(), clock.now())
        elif isinstance(event, ev.StateChanged) and event.state == "aborting":
            marks["detected"] = (time.monotonic(), clock.now())
            if on_abort:
                served_bench.kill(on_abort)
        elif isinstance(event, ev.RunFinished):
            marks["stored"] = (time.monotonic(), clock.now())
    runner.subscribe(fault)
    with runner:
        assert runner.start().result(TIMEOUT) == "failed"
    wall0, sim0 = marks["death"]
    return runner, {k: (marks[k][0] - wall0, marks[k][1] - sim0) for k in ("detected", "stored")}


def stored_end(db, run_id):
    with Store.open(db) as store:
        run = store.run(run_id)
        return run.status, run.ended_utc, [(e.level, e.message) for e in store.events(run_id)]


CASES = [  # (smu driver, at the start of, the instrument whose link dies, in the cause)
    ("keithley2450", "eis", "fra", "TCPIP::127.0.0.1::"),                 # TCP socket
    ("keithley2450", "dc_polarization", "furnace", "Modbus address 1"),   # pty, Modbus RTU
    ("emstat4", "dc_polarization", "smu", "/dev/pts/"),                  # pty, text lines
]


@pytest.mark.parametrize("smu, kill_at, victim, cause", CASES, ids=[c[2] for c in CASES])
def test_an_instrument_that_dies_fails_the_run_in_the_store_and_the_rest_goes_safe(
        served, db, smu, kill_at, victim, cause):
    bench = served(smu)
    runner, times = run_until_dead(bench, db, kill_at, victim)
    status, ended, events = stored_end(db, runner.run_id)
    assert status == "failed" and ended is not None
    assert ("error", f"run failed: {runner.reason}") in events
    assert runner.reason.split(":")[0].split(" (")[0] == victim   # named as in the bench
    assert cause in runner.reason
    if victim != "smu":
        assert not bench.smu_on()
    if victim != "furnace":
        assert bench.furnace_target_K() == SAFE_K
    print(f"{victim}: death -> (wall s, bench s): {times}")
    # found at the next access (the furnace: the watchdog's next look), no link timeout
    # waited out; stored within 1 s of bench time after that
    (_, found_s), (stored_wall, stored_s) = times["detected"], times["stored"]
    assert found_s <= Watchdog().interval_s + 1.0 and stored_s - found_s < 1.0
    assert stored_wall < 5.0


def test_a_link_that_dies_during_the_safe_state_still_ends_the_run_failed_with_both_causes(
        served, db):
    bench = served()
    runner, _ = run_until_dead(bench, db, "dc_polarization", "furnace", on_abort="fra")
    status, ended, events = stored_end(db, runner.run_id)
    assert status == "failed" and ended is not None
    assert "Modbus address 1" in runner.reason
    assert ("error", f"run failed: {runner.reason}") in events
    (incomplete,) = [m for level, m in events if level == "critical"]
    assert incomplete.startswith("safe state incomplete: fra: safe state failed")
    assert "furnace" in incomplete                      # the furnace is unreachable too
    assert not bench.smu_on()                           # after the fra, the smu went off


def test_a_raw_library_error_in_a_safe_state_is_recorded_and_the_others_still_go_safe(
        make_runner, bench, db, monkeypatch):
    """A link library may raise what is no labctl error (pyserial's termios.error when a
    port vanishes); the FRA's safe state raising one must not keep the run `running`."""
    def vanished_port():
        raise termios.error(5, "Input/output error")
    monkeypatch.setattr(bench["fra"], "safe_state", vanished_port)
    runner = make_runner(plateau_recipe(573.15, readings=30))
    runner.subscribe(lambda event: isinstance(event, ev.MeasurementStarted)
                     and event.kind == "dc_polarization" and runner.abort("operator stop"))
    assert runner.start().result(TIMEOUT) == "aborted"
    status, ended, events = stored_end(db, runner.run_id)
    assert status == "aborted" and ended is not None
    assert ("critical", "safe state incomplete: fra: safe state failed: termios.error: "
            "(5, 'Input/output error')") in events
    assert ("warning", "run aborted: operator stop") in events
    assert safe_bench(bench) == (False, SAFE_K)
