"""The run browser: runs from the store (status, sample, date); open one to replot it
(a run still running keeps growing) with the DRT of its spectra beside Nyquist and Bode
(`drt_view`, computed on a worker thread), export it as CSV or ZView .z files, analyze it
(`labctl analyze` on a worker thread: a report folder, opened in the system's browser with
*Open report*, and each fitted spectrum's model drawn over its Nyquist arc; a run with
several samples is analyzed per sample, as `labctl analyze` does)."""

from __future__ import annotations

import functools
import threading
from pathlib import Path

import numpy as np
from PySide6.QtCore import Qt, QTimer, QUrl, Signal
from PySide6.QtGui import QDesktopServices
from PySide6.QtWidgets import (QHBoxLayout, QHeaderView, QLabel, QPushButton, QSplitter,
                               QTableWidget, QTableWidgetItem, QVBoxLayout, QWidget)

from labctl.errors import LabctlError
from labctl.gui import filedialogs
from labctl.gui.drt_view import DrtPlot
from labctl.gui.liveplots import PlotsView
from labctl.store import Store
from labctl.store.export import export_csv, export_z

def reported(action: str):
    """A Runs-tab action whose store errors show in the window (the tab's message line and
    the `failed` signal), not only as a traceback on stderr."""
    def decorate(method):
        @functools.wraps(method)
        def shown(self, *args):
            try:
                return method(self, *args)
            except LabctlError as exc:
                self.message.setText(f"{action} failed: {exc}")
                self.failed.emit(f"Runs: {action} failed: {exc}")
        return shown
    return decorate


COLUMNS = ("Run", "Name", "Status", "Sample", "Started (UTC)", "Steps", "Points")
FOLLOW_MS = 1000


class RunBrowser(QWidget):
    analyzed = Signal(int, object, object)   # run id, ({sample: Analysis}, samples left out)
                                             # or None, index path / error
    failed = Signal(str)                       # a store error, for the window's status bar

    def __init__(self, db_path: Path, parent: QWidget | None = None):
        super().__init__(parent)
        self.store = Store.open(db_path)
        self.analysis_thread: threading.Thread | None = None
        self.analyzed.connect(self._show_analysis)
        self.table = QTableWidget(0, len(COLUMNS))
        self.table.setHorizontalHeaderLabels(COLUMNS)
        self.table.verticalHeader().hide()
        self.table.setSelectionBehavior(QTableWidget.SelectRows)
        self.table.setEditTriggers(QTableWidget.NoEditTriggers)
        self.table.doubleClicked.connect(lambda *_: self.open_selected())
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeToContents)
        self.table.horizontalHeader().setStretchLastSection(True)
        self.plots = PlotsView()
        self.drt = DrtPlot()
        self.plots.nyquist.parentWidget().addWidget(self.drt)   # beside Nyquist and Bode
        self.plots.spectrum_panels.append(self.drt)             # one sample's, or all
        self.message = QLabel()
        self.message.setWordWrap(True)
        buttons = QHBoxLayout()
        for text, action in (("Refresh", self.refresh), ("Open", self.open_selected),
                             ("Export CSV…", lambda: self._export("csv")),
                             ("Export .z…", lambda: self._export("z")),
                             ("Analyze…", self._ask_analyze)):
            button = QPushButton(text)
            button.clicked.connect(lambda _=False, action=action: action())
            buttons.addWidget(button)
        self.report: Path | None = None           # the last report written
        self.open_report_button = QPushButton("Open report")
        self.open_report_button.setToolTip("Show the analysis report in the system's browser")
        self.open_report_button.setEnabled(False)
        self.open_report_button.clicked.connect(self.open_report)
        buttons.addWidget(self.open_report_button)
        buttons.addStretch(1)
        top = QWidget()                            # runs above, the plots full width below
        top_layout = QVBoxLayout(top)
        top_layout.setContentsMargins(0, 0, 0, 0)
        top_layout.addLayout(buttons)
        top_layout.addWidget(self.table, 1)
        top_layout.addWidget(self.message)
        split = QSplitter(Qt.Vertical)
        split.addWidget(top)
        split.addWidget(self.plots)
        split.setStretchFactor(0, 1)
        split.setStretchFactor(1, 3)
        layout = QVBoxLayout(self)
        layout.addWidget(split)
        self.opened: int | None = None
        self.follow_timer = QTimer(self)
        self.follow_timer.setInterval(FOLLOW_MS)
        self.follow_timer.timeout.connect(self._follow)
        self.refresh()

    @reported("refresh")
    def refresh(self) -> None:
        runs = list(reversed(self.store.runs()))
        self.table.setRowCount(len(runs))
        for row, run in enumerate(runs):
            values = (run.id, run.name, run.status, run.sample.get("name", ""),
                      run.started_utc[:19].replace("T", " "), run.steps, run.points)
            for col, value in enumerate(values):
                self.table.setItem(row, col, QTableWidgetItem(str(value)))

    def selected(self) -> int | None:
        row = self.table.currentRow()
        return None if row < 0 else int(self.table.item(row, 0).text())

    def open_selected(self) -> None:
        run_id = self.selected()
        if run_id is not None:
            self.open(run_id)

    @reported("open")
    def open(self, run_id: int) -> None:
        """Replot run `run_id`; while it runs, follow its new points."""
        self.plots.load_run(self.store, run_id)
        self._drt(run_id)
        self.opened = run_id
        run = self.store.run(run_id)
        self.message.setText(f"run {run_id} ({run.status}): {run.points} points")
        if run.status == "running":
            self.follow_timer.start()
        else:
            self.follow_timer.stop()

    @reported("follow")
    def _follow(self) -> None:
        if self.opened is None:
            return
        self.plots.follow(self.store, self.opened)
        if self.store.run(self.opened).status != "running":
            self.follow_timer.stop()
            self._drt(self.opened)                              # with its last spectra

    def _drt(self, run_id: int) -> None:
        """Compute the DRT of run `run_id`, its samples coloured as in Nyquist."""
        self.drt.show_run(self.store.path, run_id)
        self.drt.order_samples(self.plots.nyquist.samples)

    def export(self, run_id: int, kind: str, folder: Path) -> list[Path]:
        return (export_csv if kind == "csv" else export_z)(self.store, run_id, folder)

    def _export(self, kind: str) -> None:
        run_id = self.selected()
        if run_id is None:
            return self.message.setText("select a run first")
        folder = filedialogs.folder(self, f"Export run {run_id} as {kind}")
        if folder:
            try:
                paths = self.export(run_id, kind, Path(folder))
                self.message.setText(f"wrote {len(paths)} files to {folder}")
            except LabctlError as exc:
                self.message.setText(str(exc))

    def analyze(self, run_id: int, folder: Path) -> None:
        """Fit the run's spectra and write the report into `folder`, off the GUI thread."""
        if self.analysis_thread is not None and self.analysis_thread.is_alive():
            return self.message.setText("an analysis is already running")
        self.message.setText(f"analyzing run {run_id}…")
        self.analysis_thread = threading.Thread(
            target=self._analyze, args=(run_id, folder), name="labctl-gui-analysis")
        self.analysis_thread.start()

    def _analyze(self, run_id: int, folder: Path) -> None:
        from labctl.analysis import overview

        try:
            with Store.open(self.store.path, create=False) as store:   # this thread's own
                analyses, left_out, index = overview.write_run(store, run_id, folder)
            self.analyzed.emit(run_id, (analyses, left_out), index)
        except (LabctlError, OSError) as exc:
            self.analyzed.emit(run_id, None, exc)

    @reported("showing the analysis")
    def _show_analysis(self, run_id: int, result, index) -> None:
        if result is None:
            return self.message.setText(f"analysis of run {run_id} failed: {index}")
        analyses, left_out = result
        if self.opened != run_id:
            self.open(run_id)
        steps = {(s.sample, s.path): s.id for s in self.store.steps(run_id)}
        fitted = total = 0
        for sample, analysis in analyses.items():
            total += len(analysis.plateaus)
            for plateau in analysis.plateaus:
                step = steps.get((sample, plateau.plateau.label))
                if plateau.fit.success and step is not None:
                    f = plateau.plateau.frequency_Hz
                    dense = np.logspace(np.log10(f.min()), np.log10(f.max()), 200)
                    self.plots.nyquist.set_fit(step, dense, plateau.fit.impedance(dense))
                    fitted += 1
        self.report = Path(index)
        self.open_report_button.setEnabled(True)
        self.message.setText(f"run {run_id}: {fitted} of {total} spectra "
                             f"fitted (black lines); report {index}"
                             + "".join(f"; {why}" for why in left_out))

    def open_report(self) -> bool:
        """The last report in the system's browser; whether it could be handed over."""
        if self.report is None:
            return False
        if not QDesktopServices.openUrl(QUrl.fromLocalFile(str(self.report))):
            self.message.setText(f"no program could open {self.report}")
            return False
        return True

    def _ask_analyze(self) -> None:
        run_id = self.selected()
        if run_id is None:
            return self.message.setText("select a run first")
        folder = filedialogs.folder(self, f"Report folder for run {run_id}")
        if folder:
            self.analyze(run_id, Path(folder))

    def close_store(self) -> None:
        """Stop following, wait for an analysis and the DRTs in progress, close the store."""
        self.follow_timer.stop()
        self.drt.stop()
        if self.analysis_thread is not None:
            self.analysis_thread.join()
        self.store.close()
