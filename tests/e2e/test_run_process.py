"""A run outlives its clients: `labctl run` starts a run process; clients (the terminal that
started it, `labctl attach`) come and go, are killed, pause and resume it; a killed run
process leaves its run interrupted and resumable. Real processes; the simulated bench's
clock paced (`--speed`) so that the run lasts while the clients act, then sped up."""

from __future__ import annotations

import io
import os
import re
import select
import signal
import subprocess
import sys
import threading
import time
from multiprocessing.connection import Listener
from pathlib import Path

import pytest
from rich.console import Console

from labctl.channel import ChannelClosed, RunClient, authkey, socket_path
from labctl.cli import main
from labctl.commands.attach import follow
from labctl.runprocess import wait_gone
from labctl.store import Store
from tests.processes import Child, stop
from tests.runner.toy_protocols import HOT_SIM

RECIPE = """
[sample]
name = "pellet"
thickness_m = 0.5e-3
area_m2 = 1e-4
[program]
temperatures_C = [400]
ramp_C_per_min = 10.0
stabilize = { band_K = 1.0, window_s = 60.0, poll_s = 10.0 }
[[program.body]]
protocol = "eis"
start_Hz = 1e5
stop_Hz = 10.0
points_per_decade = 3
[[program.body]]
protocol = "dc_polarization"
voltage_V = 0.5
t_ion_tolerance = 1e-6
iss_relative_tolerance = 1e-4
max_duration_s = 3600.0
"""
QUICK = RECIPE.replace("t_ion_tolerance = 1e-6\n", "").replace(
    "iss_relative_tolerance = 1e-4\n", "")            # the DC step ends at its steady state
PACE = "100"       # simulated s per real s: the DC step alone would last 36 s
TIMEOUT = 60.0


@pytest.fixture
def files(tmp_path):
    (tmp_path / "bench.toml").write_text(HOT_SIM)
    (tmp_path / "recipe.toml").write_text(RECIPE)
    return str(tmp_path / "recipe.toml"), str(tmp_path / "bench.toml"), tmp_path / "lab.sqlite"


def labctl(*args: str, **popen) -> list[str]:
    return [sys.executable, "-m", "labctl.cli", *args]


def run_process(db) -> int:
    with Store.open(db) as store:
        return store.writer_pid(1)


def status(db) -> str:
    with Store.open(db) as store:
        return store.run(1).status


def test_a_run_outlives_its_killed_client_and_two_others_see_a_pause_from_a_third(files):
    recipe, bench, db = files
    with Child(labctl("run", recipe, "--bench", bench, "--db", str(db), "--speed", PACE)) as a:
        a.read_until("run 1: recipe", TIMEOUT)
        a.proc.kill()                                  # the terminal client, kill -9
        assert a.proc.wait(TIMEOUT) == -signal.SIGKILL
    pid = run_process(db)
    with Child(labctl("attach", "1", "--db", str(db))) as b, \
            Child(labctl("attach", "1", "--db", str(db))) as c:
        for client in (b, c):
            client.read_until("attached to run 1 'recipe' (running)", TIMEOUT)
        pause = subprocess.run(labctl("pause", "1", "--db", str(db)), check=False,
                               capture_output=True, text=True, timeout=TIMEOUT)
        assert pause.returncode == 0, pause.stderr
        for client in (b, c):
            client.read_until("paused: pause requested by pid", TIMEOUT)
        assert status(db) == "running" and run_process(db) == pid
        with RunClient(pid) as d:                      # a client of the test's own
            ack, _, seconds = d.command("resume")
            assert (ack.ok, ack.state) == (True, "running") and seconds < 5.0
            ack, _, _ = d.command("speed", 1e6)        # the rest flat out
            assert ack.ok
        for client in (b, c):
            client.read_until("running: resume requested by pid", TIMEOUT)
            assert client.wait(TIMEOUT) == 0
            assert "run 1 done" in client.output and "of bench time in" in client.output
    assert wait_gone(pid, TIMEOUT)
    assert status(db) == "done"


def test_a_killed_run_process_leaves_its_run_interrupted_and_resumable(files, capsys):
    recipe, bench, db = files
    with Child(labctl("run", recipe, "--bench", bench, "--db", str(db), "--speed", PACE)) as a:
        a.read_until("run 1: recipe", TIMEOUT)
        pid = run_process(db)
        os.kill(pid, signal.SIGKILL)
        assert a.wait(TIMEOUT) == 1
    assert "run 1 is interrupted: its run process ended without finishing it" in a.output
    assert "labctl run --resume 1" in a.output
    assert main(["run", "--resume", "1", "--bench", bench, "--db", str(db)]) == 0
    assert "run 1 done" in capsys.readouterr().out
    assert status(db) == "done"


def test_ctrl_c_without_a_terminal_aborts_the_run_and_the_bench_goes_safe(files):
    recipe, bench, db = files
    with Child(labctl("run", recipe, "--bench", bench, "--db", str(db), "--speed", PACE)) as a:
        a.read_until("run 1: recipe", TIMEOUT)
        a.signal(signal.SIGINT)
        assert a.wait(TIMEOUT) == 130
    assert "run 1 aborted: abort requested by pid" in a.output
    assert status(db) == "aborted"
    with Store.open(db) as store:
        assert any(e.message.startswith("bench made safe") for e in store.events(1))


def test_detach_returns_the_run_id_and_attach_follows_the_run_to_its_end(files):
    recipe, bench, db = files
    db = Path(db).parent / "new" / "data" / "lab.sqlite"     # folders made, log folder too
    Path(recipe).write_text(QUICK)
    started = subprocess.run(labctl("run", recipe, "--bench", bench, "--db", str(db),
                                    "--detach"), capture_output=True, text=True,
                             timeout=TIMEOUT)
    assert started.returncode == 0, started.stderr
    assert started.stdout.startswith("run 1 started in process ")
    with Child(labctl("attach", "1", "--db", str(db))) as b:
        assert b.wait(TIMEOUT) == 0       # attached to the end, or the run was done already
    assert "run 1 done" in b.output or "run 1 is done: no run process" in b.output
    assert status(db) == "done"


LATE_CHANNEL = """
import contextlib, sys
from rich.console import Console
from labctl.channel import RunServer
from labctl.commands.run import execute

@contextlib.contextmanager
def serve(runner):          # lets its first client in only after the run's end
    with RunServer(runner) as server:
        yield server
        print("run ended", flush=True)
        server.connected.wait(60)

recipe, bench, db = sys.argv[1:4]
sys.exit(execute(recipe, bench, db=db, console=Console(), serve=serve).exit_code)
"""


def test_a_channel_closed_before_its_hello_is_a_closed_channel():
    """A run process ending between letting a client in (its key checked) and sending the
    Hello: the client is told the channel closed (attach then reads the store), no EOFError
    escapes (`labctl attach` would exit 1 with a traceback)."""
    listener = Listener(str(socket_path(os.getpid())), family="AF_UNIX", authkey=authkey())
    ending = threading.Thread(target=lambda: listener.accept().close())
    ending.start()
    try:
        with pytest.raises(ChannelClosed, match="before its hello"):
            RunClient(os.getpid())
    finally:
        ending.join()
        listener.close()


def test_a_client_let_in_as_the_run_ends_reports_how_it_ended(files):
    """A client that missed the run's RunFinished (attach read the run as running, then the
    run ended before its run process let the client in) takes the end from the store: not
    'ended without finishing it', exit 1 (test_a_gui_killed_during_a_run_... was flaky)."""
    recipe, bench, db = files
    Path(recipe).write_text(QUICK)
    with Child([sys.executable, "-c", LATE_CHANNEL, recipe, bench, str(db)]) as run:
        run.read_until("run ended", TIMEOUT)
        out = io.StringIO()
        assert follow(run.proc.pid, db, Console(file=out)) == 0
        assert run.wait(TIMEOUT) == 0
    assert "run 1 done" in out.getvalue() and "without finishing" not in out.getvalue()
    assert status(db) == "done"


class Terminal:
    """A pseudo-terminal for a process: its output read against a deadline (colours
    stripped), keys typed."""

    def __init__(self):
        self.master, self.slave = os.openpty()
        self._raw = ""

    @property
    def output(self) -> str:
        return re.sub(r"\x1b\[[0-9;?]*[A-Za-z]", "", self._raw)

    def read_until(self, text: str, timeout: float = TIMEOUT) -> None:
        deadline = time.monotonic() + timeout
        while text not in self.output:
            left = deadline - time.monotonic()
            assert left > 0, f"{text!r} not on the terminal:\n{self.output}"
            if select.select([self.master], [], [], left)[0]:
                self._raw += os.read(self.master, 65536).decode(errors="replace")

    def type(self, keys: str) -> None:
        os.write(self.master, keys.encode())

    def close(self) -> None:
        os.close(self.master)
        os.close(self.slave)


def test_ctrl_c_on_a_terminal_asks_and_detach_leaves_the_run_running(files):
    recipe, bench, db = files
    terminal = Terminal()
    try:
        proc = subprocess.Popen(labctl("run", recipe, "--bench", bench, "--db", str(db),
                                       "--speed", PACE),
                                stdin=terminal.slave, stdout=terminal.slave,
                                stderr=terminal.slave)
        try:
            terminal.read_until("run 1: recipe")        # following it
            proc.send_signal(signal.SIGINT)
            terminal.read_until("abort the run (the bench is made safe) or detach (the run "
                                "goes on)? [a/D]")
            terminal.type("d\n")
            assert proc.wait(TIMEOUT) == 0
            terminal.read_until("detached: run 1 goes on")
        finally:
            stop(proc)
    finally:
        terminal.close()
    pid = run_process(db)
    assert status(db) == "running"
    with RunClient(pid) as client:          # done with it: abort, the bench made safe
        assert client.command("abort")[0].ok
    assert wait_gone(pid, TIMEOUT) and status(db) == "aborted"
