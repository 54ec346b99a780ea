"""`labctl pause|resume|abort RUN` from another process: a real run on the simulated bench
(virtual clock) on the runner's thread, the commands as subprocesses on the same database."""

from __future__ import annotations

import io
import os
import socket
import subprocess
import sys
import threading

import pytest

from labctl import events as ev
from labctl.capabilities import CurrentReading, ImpedancePoint
from labctl.cli import main
from labctl.store import Store
from labctl.store.store import _boot_id
from tests.runner.test_runner import TIMEOUT, collect, safe_bench
from tests.runner.toy_protocols import plateau_recipe


def labctl(*args: str) -> tuple[int, str, int]:
    """Run `labctl ARGS` as a subprocess: (exit status, output, its pid)."""
    proc = subprocess.Popen([sys.executable, "-m", "labctl.cli", *args], stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True, env=os.environ)
    out, _ = proc.communicate(timeout=TIMEOUT)
    return proc.returncode, out, proc.pid


def requester(pid: int) -> str:
    return f"pid {pid} on host {socket.gethostname()}"


def points(seen, kind):
    return [e for e in seen if isinstance(e, ev.PointRecorded) and isinstance(e.point, kind)]


def test_a_shell_abort_stops_the_run_at_its_next_checkpoint_and_is_acknowledged(
        make_runner, bench, db):
    runner = make_runner(plateau_recipe(573.15))
    seen = collect(runner)
    asked = {}

    def abort_from_a_shell_at_the_first_dc_reading(event):
        if isinstance(event, ev.PointRecorded) and isinstance(event.point, CurrentReading) \
                and not asked:
            asked["smu_on"] = bench.simulation.devices["smu"].output
            asked["cli"] = labctl("abort", str(event.run_id), "--db", str(db))
    runner.subscribe(abort_from_a_shell_at_the_first_dc_reading)
    assert runner.start().result(TIMEOUT) == "aborted"
    code, out, pid = asked["cli"]
    assert code == 0 and f"abort requested by {requester(pid)}" in out
    assert (runner.status, runner.reason) == ("aborted", f"abort requested by {requester(pid)}")
    assert asked["smu_on"] and safe_bench(bench) == (False, 298.15)
    assert len(points(seen, CurrentReading)) == 1          # the very next checkpoint acted
    with Store.open(db) as store:
        assert store.run(runner.run_id).status == "aborted"
        assert store.steps(runner.run_id)[-1].status == "aborted"
        (request,) = store.requests(runner.run_id)
        assert request.command == "abort" and request.handled_utc is not None
        assert request.outcome.startswith("aborted at checkpoint in program[1]/dc, bench time")
        messages = [e.message for e in store.events(runner.run_id)]
    asked_at = messages.index(f"abort requested by {requester(pid)}")
    assert messages[asked_at + 1] == request.outcome
    assert f"run aborted: abort requested by {requester(pid)}" in messages[asked_at + 2:]


def test_a_shell_pause_holds_the_run_until_a_shell_resume(make_runner, db):
    runner = make_runner(plateau_recipe(573.15, readings=3))
    runner.paused_poll_s = 0.01          # real seconds between looks while paused
    seen = collect(runner)
    paused, asked = threading.Event(), {}

    def on_event(event):
        if isinstance(event, ev.PointRecorded) and len(points(seen, ImpedancePoint)) == 5 \
                and not asked:
            asked["pause"] = labctl("pause", str(event.run_id), "--db", str(db))
        if isinstance(event, ev.StateChanged) and event.state == "paused":
            paused.set()
    runner.subscribe(on_event)
    future = runner.start()
    assert paused.wait(TIMEOUT)
    assert runner.state == "paused" and len(points(seen, ImpedancePoint)) == 5
    again = labctl("pause", str(runner.run_id), "--db", str(db))
    resume = labctl("resume", str(runner.run_id), "--db", str(db))
    assert future.result(TIMEOUT) == "done"
    assert [c for c, _, _ in (asked["pause"], again, resume)] == [0, 0, 0]
    assert [(e.state, e.reason) for e in seen if isinstance(e, ev.StateChanged)] == [
        ("running", ""), ("paused", f"pause requested by {requester(asked['pause'][2])}"),
        ("running", f"resume requested by {requester(resume[2])}"), ("done", "")]
    with Store.open(db) as store:
        outcomes = [r.outcome for r in store.requests(runner.run_id)]
        messages = [e.message for e in store.events(runner.run_id)]
    assert outcomes[0].startswith("paused at checkpoint in program[1]/eis, bench time")
    assert outcomes[1] == (f"pause requested by {requester(again[2])}: not done, cannot pause: "
                           "the runner is paused")
    assert outcomes[2].startswith("resumed at checkpoint in program[1]/eis")
    for (_, _, pid), outcome in zip((asked["pause"], again, resume), outcomes):
        command = "resume" if pid == resume[2] else "pause"
        assert messages.index(f"{command} requested by {requester(pid)}") \
            < messages.index(outcome)


def test_a_request_to_a_run_that_is_not_running_is_refused(db, capsys):
    with Store.open(db) as store:
        run = store.create_run("done already", "", {}, {})
        store.finish_run(run, "done")
    code, out, _ = labctl("abort", str(run), "--db", str(db))
    assert (code, out) == (1, f"labctl: error: run {run} is done, not running: nothing to abort\n")
    assert main(["pause", "9", "--db", str(db)]) == 1
    assert f"{db}: no run with id 9" in capsys.readouterr().err
    assert main(["resume", "1", "--db", str(db.with_name("none.sqlite"))]) == 1
    assert "no such database" in capsys.readouterr().err
    with Store.open(db) as store:
        assert store.requests(run) == []
        assert [e.message for e in store.events(run)] == []


def test_a_run_closes_the_requests_it_did_not_act_on(db):
    with Store.open(db) as runner_store, Store.open(db) as shell:
        run = runner_store.create_run("r", "", {}, {})
        shell.request(run, "pause")
        runner_store.finish_run(run, "done")
        (request,) = shell.requests(run)
    assert request.handled_utc is not None
    assert request.outcome == "not acted on: the run ended done"


def test_looking_for_requests_costs_one_pragma_while_no_other_connection_wrote(db):
    with Store.open(db) as runner_store, Store.open(db) as shell:
        run = runner_store.create_run("r", "", {}, {})
        statements = []
        runner_store._conn.set_trace_callback(statements.append)
        assert runner_store.pending_requests(run) == []
        runner_store.log_event(run, "info", "the runner's own writes")
        statements.clear()
        assert runner_store.pending_requests(run) == []
        assert statements == ["PRAGMA data_version"]
        shell.request(run, "abort")
        (pending,) = runner_store.pending_requests(run)
        assert pending.command == "abort"
        runner_store.handle_request(pending, "aborted")
        assert runner_store.pending_requests(run) == []


def test_an_unknown_request_is_refused(db):
    with Store.open(db) as store:
        run = store.create_run("r", "", {}, {})
        with pytest.raises(Exception, match="'stop' is not one of"):
            store.request(run, "stop")


def test_labctl_run_prints_a_pause_and_resume_asked_from_elsewhere():
    from rich.console import Console

    from labctl.runview import RunView
    console = Console(file=io.StringIO(), width=200)
    view = RunView(console)
    for event in (ev.StateChanged("running"), ev.StateChanged("paused", "pause requested by X"),
                  ev.StateChanged("running", "resume requested by Y")):
        view.subscriber(event)
    view.pump(timeout=0)
    assert console.file.getvalue().splitlines() == ["  paused: pause requested by X",
                                                    "  running: resume requested by Y"]


def test_a_run_whose_writer_is_gone_is_refused_as_interrupted(db, capsys):
    with Store.open(db) as store:
        run = store.create_run("orphan", "", {}, {})
        store._conn.execute("UPDATE runs SET owner = ? WHERE id = ?",
                            (f"{socket.gethostname()} {_boot_id()} {2 ** 22 + 1}", run))
    assert main(["abort", str(run), "--db", str(db)]) == 1
    assert f"run {run} is interrupted, not running: nothing to abort" in capsys.readouterr().err
