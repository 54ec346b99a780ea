"""A run started in the GUI goes on in a run process: it survives its window (closed, or
the GUI killed), and a new window offers it, attaches to it (plots filled from the store)
and sees it to its end. Real run processes on the simulated bench, their clocks paced and
then sped up; each run paused first, so nothing races the clients."""

from __future__ import annotations

import os
import re
import signal
import sys

from labctl.bench import load_bench
from labctl.channel import RunClient
from labctl.gui.session import Session
from labctl.gui.window import MainWindow
from labctl.store import Store
from tests.processes import Child
from tests.runner.toy_protocols import HOT_SIM

WAIT_MS = 60_000
FORM = {"program.temperatures_C": "400, 420", "program.ramp_C_per_min": "20",
        "eis.start_Hz": "1e5", "eis.stop_Hz": "10",
        "eis.points_per_decade": "3", "dc_polarization.max_duration_s": "600"}


def open_window(qtbot, bench: str, db):
    window = MainWindow(Session(load_bench(bench), db, speed=50.0, bench_name=bench), db)
    qtbot.addWidget(window)
    window.show()
    return window


def state(window) -> str:
    return window.run_panel.state.text()


def test_a_run_started_in_the_gui_survives_its_window_and_a_new_one_shows_all_its_points(
        qtbot, tmp_path):
    (tmp_path / "bench.toml").write_text(HOT_SIM)
    bench, db = str(tmp_path / "bench.toml"), tmp_path / "lab.sqlite"
    first = open_window(qtbot, bench, db)
    try:
        for key, text in FORM.items():
            first.run_panel.form.edits[key].setText(text)
        first.run_panel.buttons["start"].click()
        qtbot.waitUntil(lambda: first.session.attached.run_id == 1, timeout=WAIT_MS)
        assert state(first) == "running"               # its RunStarted came: it is stored
        pid = first.session.attached.pid
        assert pid != os.getpid()
        first.run_panel.buttons["pause"].click()        # through the channel
        qtbot.waitUntil(lambda: state(first) == "paused", timeout=WAIT_MS)
    finally:
        first.close()                                   # no question: the run goes on
    os.kill(pid, 0)                                     # the run process lives on
    with Store.open(db) as store:
        assert store.run(1).status == "running" and store.writer_pid(1) == pid

    second = open_window(qtbot, bench, db)
    try:
        assert "run 1 " in second.statusBar().currentMessage()
        assert "Runs → Attach" in second.statusBar().currentMessage()
        second.attach(1)
        qtbot.waitUntil(lambda: state(second) == "paused", timeout=WAIT_MS)
        second.session.set_speed(1e5)
        second.run_panel.buttons["resume"].click()
        qtbot.waitUntil(lambda: second.session.attached is None, timeout=WAIT_MS)
        assert state(second) == "done"
        with Store.open(db) as store:
            assert store.run(1).status == "done"
            stored = sum(len(store.impedance(s.id)) for s in store.steps(1) if s.kind == "eis")
        plotted = sum(len(curves[0]) for curves in second.plots.nyquist.spectra.values())
        assert plotted == stored == 2 * 13          # every point, also those nobody watched
        assert second.session.bench.instruments     # the bench is the GUI's again
    finally:
        second.close()


GUI = """
import sys
from PySide6.QtWidgets import QApplication
from labctl import events as ev
from labctl.bench import load_bench
from labctl.gui.session import Session
from labctl.recipe import load_recipe

app = QApplication([])
bench, db, recipe = sys.argv[1:4]
session = Session(load_bench(bench), db, speed=50.0, bench_name=bench)

def show(event):
    if isinstance(event, ev.StateChanged):
        print(f"run process {session.attached.pid}: state {event.state}", flush=True)
        if event.state == "running":
            session.pause()
session.handlers.append(show)
session.start(load_recipe(recipe, session.config))
app.exec()
"""
RECIPE = """
[sample]
name = "pellet"
[program]
temperatures_C = [400, 420]
ramp_C_per_min = 20.0
[[program.body]]
protocol = "eis"
start_Hz = 1e5
stop_Hz = 10.0
points_per_decade = 3
"""


def test_a_gui_killed_during_a_run_leaves_it_running_to_its_end(tmp_path):
    (tmp_path / "bench.toml").write_text(HOT_SIM)
    (tmp_path / "recipe.toml").write_text(RECIPE)
    db = tmp_path / "lab.sqlite"
    with Child([sys.executable, "-c", GUI, str(tmp_path / "bench.toml"), str(db),
                str(tmp_path / "recipe.toml")]) as gui:
        output = gui.read_until(": state paused", WAIT_MS / 1000)   # the pid came first
        pid = int(re.search(r"run process (\d+): state paused", output).group(1))
        gui.proc.kill()
        assert gui.proc.wait(WAIT_MS / 1000) == -signal.SIGKILL
    with RunClient(pid) as client:                      # the run process lives on
        assert client.hello.state == "paused"
        assert client.command("speed", 1e5)[0].ok and client.command("resume")[0].ok
    with Child([sys.executable, "-m", "labctl.cli", "attach", "1", "--db", str(db)]) as cli:
        assert cli.wait(WAIT_MS / 1000) == 0
    with Store.open(db) as store:
        assert store.run(1).status == "done"
