"""A run started from the GUI and aborted from a shell (`labctl abort RUN` as a subprocess)
shows as aborted, with who asked."""

from __future__ import annotations

import os
import subprocess
import sys

from labctl.store import Store
from tests.gui.test_window import WAIT_MS, wait_state


def test_a_shell_abort_of_a_gui_run_shows_as_aborted(qtbot, window):
    panel, runner = window.run_panel, window.session.runner
    runner.paused_poll_s = 0.01          # the paused runner looks for requests this often
    panel.buttons["start"].click()
    qtbot.waitUntil(lambda: runner.run_id is not None, timeout=WAIT_MS)
    panel.buttons["pause"].click()       # held, so that the shell's request meets a run
    wait_state(qtbot, window, "paused")
    shell = subprocess.run([sys.executable, "-m", "labctl.cli", "abort", str(runner.run_id),
                            "--db", str(window.session.db_path)], capture_output=True,
                           text=True, timeout=WAIT_MS / 1000, env=os.environ)
    assert shell.returncode == 0, shell.stderr
    wait_state(qtbot, window, "aborted")
    qtbot.waitUntil(lambda: not len(window.session.queue), timeout=WAIT_MS)
    log = [panel.log.item(i).text() for i in range(panel.log.count())]
    assert any(t.startswith("aborted at checkpoint in ") for t in log)
    assert any(f"run {runner.run_id} aborted: abort requested by pid" in t for t in log)
    assert panel.buttons["start"].isEnabled() and not panel.buttons["abort"].isEnabled()
    with Store.open(window.session.db_path) as store:
        assert store.run(runner.run_id).status == "aborted"
