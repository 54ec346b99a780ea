"""The main window on a simulated bench: a run started from the GUI, its points in every
plot, pause/resume/abort, validation messages, closing during a run, the bench panel."""

from __future__ import annotations

import threading

import pytest
from PySide6.QtWidgets import QMessageBox
from scipy.constants import zero_Celsius

from labctl.capabilities import SourceMeter, TemperatureController
from labctl.gui.bench_panel import IDENTITY, READING
from labctl.gui.session import Readings
from labctl.store import Store

WAIT_MS = 60_000


def wait_state(qtbot, window, *states):
    qtbot.waitUntil(lambda: window.run_panel.state.text() in states, timeout=WAIT_MS)


def test_a_run_started_from_the_gui_fills_every_plot(qtbot, window):
    panel = window.run_panel
    highlighted, status_lines = set(), []
    window.session.handlers.append(lambda e: highlighted.add(panel.current_step))
    window.session.handlers.append(lambda e: status_lines.append(panel.remaining.text()))
    furnace = window.session.bench.find(TemperatureController)[0]
    read, polled_during_run = furnace.read, []

    def watched_read():               # live readings must leave instruments to the run
        polled_during_run.append(threading.current_thread().name != "labctl-runner")
        return read()

    furnace.read = watched_read
    panel.buttons["start"].click()
    wait_state(qtbot, window, "done")
    assert polled_during_run.count(True) == 0
    qtbot.waitUntil(lambda: not len(window.session.queue), timeout=WAIT_MS)
    plots = window.plots
    assert len(plots.nyquist.spectra) == 2 and len(plots.bode.spectra) == 2
    assert all(len(curves[0]) == 13 for curves in plots.nyquist.spectra.values())  # 1e5..10 Hz
    assert len(plots.current.curves_by_key) == 2
    assert all(len(c) > 5 for c in plots.current.curves_by_key.values())
    assert len(plots.temperature.temperature) > 10
    assert len(plots.arrhenius.points) == 2
    assert plots.arrhenius.geometry == (0.5e-3, 1e-4)          # sigma*T from the sample
    assert {"program[1]/eis", "program[2]/dc_polarization"} <= highlighted
    assert panel.progress.value() == 1000
    texts = [panel.log.item(i).text() for i in range(panel.log.count())]
    assert any("run 1 done" in t for t in texts)
    first = [t for t in status_lines if t][0]     # the first stabilization: its own estimate
    assert "°C (target 300 °C)" in first and "this step: " in first, first
    assert not any(" K " in t or t.endswith(" K") for t in status_lines)
    steps = [panel.steps.item(i).text() for i in range(panel.steps.count())]
    assert steps and all(t.startswith("✓") for t in steps), steps     # refreshed at the end
    assert panel.current_step is None and panel.remaining.text() == ""


def log_texts(panel) -> list[str]:
    return [panel.log.item(i).text() for i in range(panel.log.count())]


def test_pause_resume_abort_leave_the_bench_safe(qtbot, window):
    panel, runner = window.run_panel, window.session.runner
    panel.buttons["start"].click()
    qtbot.waitUntil(lambda: len(window.plots.temperature.temperature) > 0 or
                    runner.state != "running", timeout=WAIT_MS)
    panel.buttons["pause"].click()
    assert runner.state == "paused"
    wait_state(qtbot, window, "paused")
    assert not panel.buttons["pause"].isEnabled() and panel.buttons["resume"].isEnabled()
    panel.buttons["resume"].click()
    wait_state(qtbot, window, "running")
    qtbot.waitUntil(lambda: panel.remaining.text() != "", timeout=WAIT_MS)
    panel.buttons["abort"].click()
    wait_state(qtbot, window, "aborted")           # not 'failed': the operator stopped it
    assert window.state.text().strip() == "aborted"
    with Store.open(window.session.db_path) as store:
        assert store.run(runner.run_id).status == "aborted"
    texts = log_texts(panel)
    assert "paused" in texts and "resumed" in texts
    assert f"WARNING  run {runner.run_id} aborted: aborted by the operator" in texts
    marks = [panel.steps.item(i).text()[0] for i in range(panel.steps.count())]
    assert "✗" in marks and marks.count("✗") == 1
    assert not any(t.startswith("ERROR") or t.endswith(":") for t in texts), texts
    assert panel.remaining.text() == "" and panel.progress.value() == -1   # reset
    bench = window.session.bench
    smu = bench.find(SourceMeter)[0]
    furnace = bench.find(TemperatureController)[0]
    assert not smu.output_on
    assert furnace.target_setpoint_K == pytest.approx(25.0 + zero_Celsius, abs=0.01)


def test_bad_fields_get_messages_next_to_them_and_nothing_starts(qtbot, window):
    form, panel = window.run_panel.form, window.run_panel
    form.edits["program.ramp_C_per_min"].setText("fast")
    form.edits["eis.amplitude_V"].setText("5")
    form.edits["program.temperatures_C"].setText("300, 2000")
    panel.buttons["start"].click()
    assert window.session.runner.state == "idle"
    assert form.errors["program.ramp_C_per_min"].text() == "'fast' is not a number"
    # every problem at once: the range errors with the type error, not after it is fixed
    assert "exceeds the limit amplitude_V = 0.5" in form.errors["eis.amplitude_V"].text()
    assert "max_temperature_C = 900" in form.errors["program.temperatures_C"].text()
    form.edits["program.ramp_C_per_min"].setText("10")
    assert panel.validate() is None
    assert "exceeds the limit amplitude_V = 0.5" in form.errors["eis.amplitude_V"].text()
    assert "max_temperature_C = 900" in form.errors["program.temperatures_C"].text()
    assert form.errors["eis.amplitude_V"].isVisibleTo(form)
    assert not form.errors["program.ramp_C_per_min"].isVisibleTo(form)
    form.edits["eis.amplitude_V"].setText("0.02")
    form.edits["program.temperatures_C"].setText("300")
    assert panel.validate() is not None
    assert not any(label.isVisibleTo(form) for label in form.errors.values())


def test_a_recipe_file_with_problems_lists_them_with_lines(qtbot, window, tmp_path):
    recipe = tmp_path / "bad.toml"
    recipe.write_text("[program]\ntemperatures_C = [300]\n\n[[program.body]]\n"
                      "protocol = 'eis'\namplitude_V = 7.0\n")
    panel = window.run_panel
    panel.source.setCurrentIndex(1)
    panel.path.setText(str(recipe))
    assert panel.validate() is None
    assert f"{recipe}:6" in panel.file_problems.text()
    assert "amplitude_V" in panel.file_problems.text()
    recipe.write_text("[sample]\nname = 'p'\n[program]\ntemperatures_C = [300]\n"
                      "ramp_C_per_min = 5.0\n[[program.body]]\nprotocol = 'eis'\n")
    assert panel.validate() is not None
    assert panel.file_problems.text() == "" and "protocol = 'eis'" in panel.file_text.toPlainText()


@pytest.mark.parametrize("answer,closes", [(QMessageBox.Cancel, False),
                                           (QMessageBox.Abort, True)])
def test_closing_during_a_run_asks(qtbot, window, monkeypatch, answer, closes):
    asked = []
    monkeypatch.setattr(QMessageBox, "question", lambda *a, **k: asked.append(a) or answer)
    window.run_panel.buttons["start"].click()
    assert window.session.runner.state == "running"
    window.close()
    assert len(asked) == 1
    assert window.isVisible() != closes
    if closes:
        assert window.session.runner.state == "failed"
        assert window.session.runner.status == "aborted"
        assert not window.session.bench.find(SourceMeter)[0].output_on


def test_bench_panel_shows_readings_and_commands_go_through_the_runner(qtbot, window):
    bench = window.bench_panel
    qtbot.waitUntil(lambda: bench.table.item(bench.rows["furnace"], 3).text() == "connected",
                    timeout=WAIT_MS)
    row = bench.rows["furnace"]
    assert "Eurotherm" in bench.table.item(row, IDENTITY).text()
    qtbot.waitUntil(lambda: "°C" in bench.table.item(row, READING).text(), timeout=WAIT_MS)
    bench.setpoint.setText("2000")
    bench.set_furnace()          # refused before it reaches the runner, where it was given
    assert bench.message.text().startswith("furnace to 2000 °C at 10 °C/min refused: ")
    assert "exceeds the limit max_temperature_C = 900" in bench.message.text()
    assert "c00000" in bench.message.styleSheet()
    assert not any("furnace: furnace:" in t for t in log_texts(window.run_panel))
    bench.setpoint.setText("150")
    bench.set_furnace()
    furnace = window.session.bench.find(TemperatureController)[0]
    qtbot.waitUntil(lambda: abs(window.session.runner.call(lambda: furnace.target_setpoint_K)
                                .result(WAIT_MS / 1000) - 423.15) < 0.01, timeout=WAIT_MS)
    qtbot.waitUntil(lambda: bench.message.text().endswith(": done"), timeout=WAIT_MS)
    assert bench.message.text() == "furnace to 150 °C at 10 °C/min: done"
    bench.forms["eis"]["stop_Hz"].setText("100")
    bench.one_off("eis")
    wait_state(qtbot, window, "done", "failed")
    assert window.session.runner.status == "done"
    qtbot.waitUntil(lambda: bench.message.text() == "one-off eis: done", timeout=WAIT_MS)
    assert len(window.plots.nyquist.spectra) == 1


def test_a_failed_one_off_says_it_failed_and_why(qtbot, window):
    bench = window.bench_panel
    window.session.bench.simulation.devices["fra"].inject("no_reply", count=100)
    bench.forms["eis"]["stop_Hz"].setText("100")
    bench.one_off("eis")
    assert bench.message.text() == "one-off eis started…"
    qtbot.waitUntil(lambda: "failed" in bench.message.text(), timeout=WAIT_MS)
    assert bench.message.text().startswith("one-off eis failed: fra (sim://fra): no reply")
    assert window.run_panel.state.text() == "failed"


def test_everything_safe_aborts_a_run(qtbot, window):
    window.run_panel.buttons["start"].click()
    qtbot.waitUntil(lambda: not window.bench_panel.controls[0].isEnabled(), timeout=WAIT_MS)
    window.bench_panel.safe.click()
    wait_state(qtbot, window, "aborted")
    assert window.session.runner.status == "aborted"
    qtbot.waitUntil(lambda: window.bench_panel.message.text() == "everything safe: done",
                    timeout=WAIT_MS)
    assert "safe state requested" in window.session.runner.reason
    assert all(box.isEnabled() for box in window.bench_panel.controls)   # bench free again


def test_readings_mark_a_failed_instrument(qtbot, window):
    bench = window.bench_panel
    bench.handle(Readings(errors={"smu": "smu: no reply within 2 s"}, identities={}))
    assert bench.table.item(bench.rows["smu"], 3).text() == "error"
    assert "no reply" in bench.table.item(bench.rows["smu"], READING).text()


def test_the_run_panel_is_usable_at_1366x768(qtbot, window, tmp_path):
    window.resize(1366, 768)
    panel, form = window.run_panel, window.run_panel.form
    assert not panel.file_problems_area.isVisibleTo(panel)      # no empty box
    form.edits["program.temperatures_C"].setText("300, 2000")
    form.edits["eis.amplitude_V"].setText("5")
    panel.validate()
    scroll = panel.source.widget(0)
    error = form.errors["program.temperatures_C"]
    qtbot.waitUntil(lambda: error.width() > 0.8 * scroll.viewport().width(), timeout=WAIT_MS)
    assert not scroll.horizontalScrollBar().isVisible()          # messages wrap, full width
    recipe = tmp_path / "many.toml"                              # a long list of problems
    recipe.write_text("[program]\ntemperatures_C = [300]\n" + "".join(
        f"\n[[program.body]]\nprotocol = 'eis'\namplitude_V = {7 + i}.0\n" for i in range(30)))
    panel.source.setCurrentIndex(1)
    panel.path.setText(str(recipe))
    assert panel.validate() is None and panel.file_problems_area.isVisibleTo(panel)
    start = panel.buttons["start"]
    qtbot.waitUntil(lambda: start.isVisible(), timeout=WAIT_MS)
    bottom = start.mapTo(window, start.rect().bottomLeft()).y()
    assert bottom < window.height() - 200                       # steps and log still below
    area = panel.file_problems_area                              # the problems scroll
    assert area.height() <= 160 and area.verticalScrollBar().maximum() > 0
