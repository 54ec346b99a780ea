"""The bench panel shows a switch matrix's state, read back on the runner's worker (the
bench's one I/O owner) like the other live readings: which channels are closed, which
pellet is on which instrument."""

from __future__ import annotations

import threading

from labctl import events as ev
from labctl.bench import load_bench
from labctl.clock import VirtualClock
from labctl.gui import session as session_module
from labctl.gui.bench_panel import READING, BenchPanel
from labctl.gui.session import Session
from labctl.runstate import RunState
from tests.benches import bench, instrument, routes

BENCH = bench(
    instrument("fra", "solartron1260"), instrument("smu", "keithley2450"),
    instrument("matrix", "keithley7001", options={"channels": routes({
        "1!1": ("A", "fra.hi"), "1!11": ("A", "fra.lo"), "1!2": ("B", "smu.hi"),
        "1!12": ("B", "smu.lo"), "1!3": ("B", "fra.hi"), "1!13": ("B", "fra.lo")})}),
    pellets={"A": {"sample": "ysz"}, "B": {"sample": "gdc10"}})


def test_the_matrix_state_is_read_back_by_the_runner_and_shown(qtbot, tmp_path, monkeypatch):
    monkeypatch.setattr(session_module, "POLL_S", 0.05)
    path = tmp_path / "bench.toml"
    path.write_text(BENCH)
    session = Session(load_bench(path), tmp_path / "lab.sqlite", clock=VirtualClock())
    try:
        matrix, readers = session.bench["matrix"], []
        read = matrix.read

        def watched():
            readers.append(threading.current_thread().name)
            return read()
        monkeypatch.setattr(matrix, "read", watched)
        panel = BenchPanel(session)
        qtbot.addWidget(panel)
        session.handlers.append(panel.handle)
        cell = lambda: panel.table.item(panel.rows["matrix"], READING).text()
        qtbot.waitUntil(lambda: cell() == "all open", timeout=10_000)
        routes = matrix.channels_for("A", "fra") | matrix.channels_for("B", "smu")
        session.runner.call(lambda: matrix.connect(routes)).result(timeout=10)
        qtbot.waitUntil(lambda: cell() == "A on fra (1!1 hi, 1!11 lo)   "
                                          "B on smu (1!2 hi, 1!12 lo)", timeout=10_000)
        session.runner.call(lambda: matrix.connect(matrix.channels_for("B", "fra"))
                            ).result(timeout=10)
        qtbot.waitUntil(lambda: cell() == "B on fra (1!3 hi, 1!13 lo)", timeout=10_000)
        panel.handle(ev.StateChanged(RunState.RUNNING))    # a run's: not read, not stale
        assert cell() == "switched by the run"
    finally:
        session.close()
    assert set(readers) == {"labctl-runner"}


def test_one_off_forms_are_those_the_bench_can_run_and_never_widen_a_laptop_window(
        qtbot, tmp_path):
    """sim-multi has no gas lines and no voltmeter: no one-off atmosphere or
    cell EMF; sim-full has them all, in a row that scrolls within 1366 px (it widened the
    window to 1674 px, past a laptop's screen)."""
    widths = {}
    for name in ("sim-multi", "sim-full"):
        session = Session(load_bench(name), tmp_path / f"{name}.sqlite", clock=VirtualClock())
        try:
            panel = BenchPanel(session)
            qtbot.addWidget(panel)
            widths[name] = panel.minimumSizeHint().width()
            if name == "sim-multi":
                assert not {"atmosphere", "emf"} & set(panel.forms)
                assert {"eis", "dc_polarization", "hebb_wagner"} <= set(panel.forms)
            else:
                assert {"atmosphere", "hebb_wagner", "emf"} <= set(panel.forms)
        finally:
            session.close()
    assert max(widths.values()) <= 1366 - 20, widths
