"""The main window: the run (panel + live plots), the bench, the run browser; a speed
control for simulated benches and the 'everything safe' button always in reach.

Closing during a run in this process asks first; an accepted close (or a stop signal)
aborts the run, the bench goes safe, and every thread the GUI started is stopped before
the window goes. A run in a run process of its own (started here or attached through
*Runs → Attach*) goes on when the window closes; a new window offers it on start-up, its
plots filled from the store (every point, also those measured while no window watched)
and following it there.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import (QDoubleSpinBox, QLabel, QMainWindow, QMessageBox, QPushButton,
                               QSplitter, QTabWidget, QToolBar)

from labctl import events as ev
from labctl.errors import LabctlError
from labctl.gui.attached import Attached, RunProcessEnded
from labctl.gui.bench_panel import SAFE_STYLE, BenchPanel
from labctl.gui.browser import RunBrowser
from labctl.gui.liveplots import PlotsView
from labctl.gui.run_panel import RunPanel
from labctl.gui.session import Session
from labctl.runstate import ACTIVE, RunState

FOLLOW_MS = 500          # how often the plots of a followed run process read the store


class MainWindow(QMainWindow):
    def __init__(self, session: Session, db_path: Path):
        super().__init__()
        self.session = session
        self.setWindowTitle(f"labctl — {session.config.source} — {db_path}")
        self.run_panel = RunPanel(session)
        self.plots = PlotsView()
        self.bench_panel = BenchPanel(session)
        self.browser = RunBrowser(db_path)
        self.browser.failed.connect(self.statusBar().showMessage)
        run_tab = QSplitter(Qt.Horizontal)
        run_tab.addWidget(self.run_panel)
        run_tab.addWidget(self.plots)
        run_tab.setStretchFactor(0, 2)
        run_tab.setStretchFactor(1, 5)
        self.tabs = QTabWidget()
        self.tabs.addTab(run_tab, "Run")
        self.tabs.addTab(self.bench_panel, "Bench")
        self.tabs.addTab(self.browser, "Runs")
        self.setCentralWidget(self.tabs)
        self._toolbar()
        self._runs_menu()
        self.run_panel.recipe_started.connect(self._recipe_started)
        session.handlers.append(self.handle)
        self._closed = False
        self.followed: int | None = None       # the run process's run the plots follow
        self.follow_timer = QTimer(self)
        self.follow_timer.setInterval(FOLLOW_MS)
        self.follow_timer.timeout.connect(self._follow)
        self.offer_runs()
        screen = self.screen().availableGeometry()       # 1600x1000, or less on a laptop
        self.resize(min(1600, screen.width()), min(1000, screen.height()))

    def _toolbar(self) -> None:
        bar = QToolBar("run")
        bar.setMovable(False)
        safe = QPushButton("EVERYTHING SAFE")
        safe.setStyleSheet(SAFE_STYLE.replace("16pt", "11pt").replace("10px", "4px 14px"))
        safe.setToolTip("Outputs off, furnace to its safe set-point; aborts a run")
        safe.clicked.connect(self.bench_panel.everything_safe)
        bar.addWidget(safe)
        bar.addSeparator()
        self.state = QLabel(f" {RunState.IDLE} ")
        bar.addWidget(self.state)
        if self.session.simulated:
            bar.addSeparator()
            bar.addWidget(QLabel(" simulated time × "))
            self.speed = QDoubleSpinBox()
            self.speed.setRange(1.0, 100000.0)
            self.speed.setDecimals(0)
            self.speed.setKeyboardTracking(False)   # typing 600 is one change, not 6, 60, 600
            self.speed.setValue(self.session.clock.speed)
            self.speed.setToolTip("how many times faster than real time the simulated bench runs")
            self.speed.valueChanged.connect(self.session.set_speed)
            bar.addWidget(self.speed)
        self.addToolBar(bar)

    def _runs_menu(self) -> None:
        self.attach_menu = self.menuBar().addMenu("&Runs").addMenu("&Attach")
        self.attach_menu.aboutToShow.connect(self._list_runs)

    def _list_runs(self) -> None:
        self.attach_menu.clear()
        for run_id, name, pid in self.session.runs_in_progress():
            action = self.attach_menu.addAction(f"run {run_id}: {name} (process {pid})")
            action.triggered.connect(lambda _=False, r=run_id: self.attach(r))
        if self.attach_menu.isEmpty():
            self.attach_menu.addAction("no run in progress").setEnabled(False)

    def offer_runs(self) -> None:
        """Name the runs in progress on the database (Runs → Attach)."""
        runs = self.session.runs_in_progress()
        if runs:
            self.statusBar().showMessage(
                "in progress: " + ", ".join(f"run {r} {name!r}" for r, name, _ in runs)
                + " — Runs → Attach")

    def attach(self, run_id: int) -> None:
        try:
            self.session.attach_run(run_id)
        except LabctlError as exc:
            self.statusBar().showMessage(f"cannot attach to run {run_id}: {exc}")

    def _follow(self) -> None:
        if self.followed is not None:
            self.plots.follow(self.browser.store, self.followed)

    def _follow_run(self, run_id: int | None) -> None:
        """Plot a run process's run from the store: what it has, then what it adds."""
        self.followed = run_id
        if run_id is None:
            self.follow_timer.stop()
            return
        self.plots.load_run(self.browser.store, run_id)
        self.follow_timer.start()

    def _recipe_started(self, recipe) -> None:
        self.plots.set_run_sample(recipe.sample)

    def handle(self, event) -> None:
        if isinstance(event, Attached):
            self._follow_run(event.run_id)
            if event.state in ACTIVE:
                self.run_panel.handle(ev.StateChanged(event.state))
            return
        if isinstance(event, RunProcessEnded):
            self._follow()
            self._follow_run(None)
            self.browser.refresh()
            return
        followed = self.session.attached is not None   # plots from the store, not events
        if isinstance(event, ev.RunStarted) and followed:
            self._follow_run(event.run_id)
        elif isinstance(event, ev.RunStarted) and not event.resumed:
            geometry = self.plots.arrhenius.geometry
            self.plots.clear()
            self.plots.arrhenius.set_geometry(*(geometry or (None, None)))
        elif isinstance(event, ev.RunFinished):
            self.browser.refresh()
        self.run_panel.handle(event)
        if isinstance(event, ev.StateChanged):
            self.state.setText(f" {self.run_panel.state.text()} ")
        self.bench_panel.handle(event)
        if not followed:
            self.plots.handle(event)

    # -- lifetime -------------------------------------------------------------------------
    def closeEvent(self, event) -> None:
        if not self._closed and self.session.runner.state in ACTIVE:
            answer = QMessageBox.question(
                self, "A run is in progress",
                "Abort the run and close? The bench is put in its safe state first.",
                QMessageBox.Abort | QMessageBox.Cancel, QMessageBox.Cancel)
            if answer != QMessageBox.Abort:
                event.ignore()
                return
        self.shutdown()
        event.accept()

    def close_now(self, reason: str) -> None:
        """Close without asking (a stop signal): the run is aborted, the bench made safe."""
        self.session.runner.stop(reason)
        self.shutdown()
        self.close()

    def shutdown(self) -> None:
        """Abort a run in this process (bench safe and closed) or leave a run process's
        run going; threads stopped (once)."""
        if self._closed:
            return
        self._closed = True
        self.follow_timer.stop()
        self.session.handlers.remove(self.handle)
        self.session.close()
        self.browser.close_store()
