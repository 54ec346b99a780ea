"""A GUI on the built-in simulated bench, on a virtual clock (runs go flat out)."""

from __future__ import annotations

from dataclasses import replace

import pytest

from labctl.bench import load_bench
from labctl.clock import VirtualClock
from labctl.gui.liveplots import PlotsView
from labctl.gui.session import Session
from labctl.gui.window import MainWindow
from tests.protocols.example_protocol import example_protocol, installed  # noqa: F401

FAST = {"program.temperatures_C": "300, 320", "program.ramp_C_per_min": "20",
        "eis.start_Hz": "1e5", "eis.stop_Hz": "10",
        "eis.points_per_decade": "3", "dc_polarization.max_duration_s": "600"}


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
