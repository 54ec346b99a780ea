"""The run browser analyzes a stored run off the GUI thread and draws each fit."""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QObject, QUrl, Slot
from PySide6.QtGui import QDesktopServices

from labctl.analysis.analysis import DEFAULT_CIRCUIT
from labctl.analysis.circuits import Circuit
from labctl.gui.browser import RunBrowser
from labctl.store import Store

F_HZ = np.logspace(6, -1, 36)


def spectrum(scale):
    """The default pellet circuit (bulk, grain boundary, electrode; leakage R4)."""
    circuit = Circuit(DEFAULT_CIRCUIT)
    values = {"R1": 1e4 * scale, "CPE1_0": 1e-11, "CPE1_1": 0.95, "R2": 3e4 * scale,
              "CPE2_0": 1e-9, "CPE2_1": 0.85, "CPE3_0": 1e-6, "CPE3_1": 0.8, "R4": 1e10}
    return circuit.impedance(np.array([values[n] for n in circuit.parameter_names]), F_HZ)


class Desktop(QObject):
    """What the system is asked to open (Qt's own hook for a URL scheme's handler)."""

    def __init__(self):
        super().__init__()
        self.urls: list[QUrl] = []

    @Slot(QUrl)
    def open(self, url: QUrl) -> None:
        self.urls.append(url)


def test_analyze_writes_the_report_and_overlays_the_fits(qtbot, tmp_path):
    db = tmp_path / "lab.sqlite"
    with Store.open(db) as store:
        run = store.create_run("r", "", {}, {"name": "p", "thickness_m": 1e-3, "area_m2": 1e-4})
        steps = []
        for i, (T, scale) in enumerate(((573.15, 1.0),), start=1):
            step = store.start_step(run, "eis", {}, T, path=f"program[{i}]/eis")
            store.add_impedance(step, {"time_s": np.arange(36.0), "frequency_Hz": F_HZ,
                                       "impedance_Ohm": spectrum(scale), "amplitude_V": 0.02},
                                temperature_K=T)
            store.finish_step(step, "done", {"r_ion_Ohm": 4e4 * scale})
            steps.append(step)
        store.finish_run(run, "done")
    browser = RunBrowser(db)
    qtbot.addWidget(browser)
    try:
        with qtbot.waitSignal(browser.analyzed, timeout=120_000):
            browser.analyze(run, tmp_path / "report")
        assert (tmp_path / "report" / "index.html").exists()
        assert sorted(browser.plots.nyquist.fits) == steps
        assert "1 of 1 spectra fitted" in browser.message.text()
        fit = browser.plots.nyquist.fits[steps[0]].buffer.columns()
        assert np.nanmax(fit[0]) > 3.5e4     # the arcs' width, about R1 + R2
        desktop = Desktop()
        QDesktopServices.setUrlHandler("file", desktop, "open")
        try:
            assert browser.open_report_button.isEnabled()
            browser.open_report_button.click()
        finally:
            QDesktopServices.unsetUrlHandler("file")
        assert [u.toLocalFile() for u in desktop.urls] == [str(tmp_path / "report" / "index.html")]
    finally:
        browser.close_store()
