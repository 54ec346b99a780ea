"""Issue 23: a store error in the Runs tab shows in the window (the tab's message line and
the status bar), not only as a traceback on stderr (pytest-qt fails a test on one)."""

from __future__ import annotations

import sqlite3

from PySide6.QtWidgets import QPushButton

from labctl.store import Store


def break_the_run_summary(db) -> None:
    """A real SQLite error for every read of the runs: the view they come from is gone."""
    conn = sqlite3.connect(db)
    conn.execute("DROP VIEW run_summary")
    conn.close()


def test_a_failing_refresh_is_shown_in_the_runs_tab_and_the_status_bar(window, tmp_path):
    break_the_run_summary(tmp_path / "lab.sqlite")
    refresh = next(b for b in window.browser.findChildren(QPushButton) if b.text() == "Refresh")
    refresh.click()
    shown = window.browser.message.text()
    assert shown.startswith("refresh failed: ") and "no such table: run_summary" in shown
    assert window.statusBar().currentMessage() == f"Runs: {shown}"


def test_a_failing_follow_of_a_running_run_is_shown(window, tmp_path, qtbot):
    with Store.open(tmp_path / "lab.sqlite") as store:
        run = store.create_run("followed", "", {}, {})
        window.browser.refresh()
        window.browser.open(run)
        assert window.browser.follow_timer.isActive()
        break_the_run_summary(tmp_path / "lab.sqlite")
        window.browser.follow_timer.timeout.emit()
        assert window.browser.message.text().startswith("follow failed: ")
        store.finish_run(run, "done")
