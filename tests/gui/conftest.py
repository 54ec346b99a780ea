"""A GUI on the built-in simulated bench, on a virtual clock (runs go flat out)."""

from __future__ import annotations

import gc
from dataclasses import replace

import pytest

from labctl.bench import load_bench
from labctl.clock import VirtualClock
from labctl.gui.collector import collected_on_gui_thread
from labctl.gui.liveplots import PlotsView
from labctl.gui.session import Session
from labctl.gui.window import MainWindow
from tests.protocols.example_protocol import example_protocol, installed  # noqa: F401

FAST = {"program.temperatures_C": "300, 320", "program.ramp_C_per_min": "20",
        "eis.start_Hz": "1e5", "eis.stop_Hz": "10",
        "eis.points_per_decade": "3", "dc_polarization.max_duration_s": "600"}


@pytest.fixture(autouse=True)
def _collected_on_gui_thread(qapp):
    """As `labctl gui` runs: no collection starts on a worker thread (one on the run browser's
    analysis thread freed a widget there and crashed CI); set up before a test's widgets and
    threads, so it ends after they are closed and joined, with what they left collected here."""
    with collected_on_gui_thread():
        yield
        gc.collect()


@pytest.fixture
def view(qtbot):
    """A plots view, shown."""
    v = PlotsView()
    qtbot.addWidget(v)
    v.resize(1200, 800)
    v.show()
    return v


@pytest.fixture
def window(qtbot, tmp_path):
    config = load_bench("sim")     # the furnace starts near the first plateau
    config = replace(config, simulation={**config.simulation, "start_temperature_C": 295.0})
    session = Session(config, tmp_path / "lab.sqlite", clock=VirtualClock())
    win = MainWindow(session, tmp_path / "lab.sqlite")
    qtbot.addWidget(win)
    win.show()
    for key, text in FAST.items():
        win.run_panel.form.edits[key].setText(text)
    try:
        yield win
    finally:
        win.shutdown()
