"""GUI smoothness: frame time of the live plots at 10^6 points, and UI latency while a
run acquires.

1. Frame time: T(t) and I(t) each hold 10^6 points; a frame appends one point to each,
   redraws what changed and paints the whole plots view (offscreen). Compared with
   handing pyqtgraph the whole arrays every frame, plainly and with its own
   clipToView/autoDownsample.
2. UI latency: the whole GUI runs examples/arrhenius.toml on the simulated bench (the
   runner drives drivers and simulators on its worker thread; events stream into the
   plots) at --speed times real time, and flat out on a virtual clock; a probe thread
   posts a queued signal every 5 ms; latency = time until the GUI thread handles it.
   Idle: the same window without a run.
Prints figures and ratios; the last line is JSON.
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
import threading
import time
from dataclasses import replace
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import numpy as np  # noqa: E402
import pyqtgraph as pg  # noqa: E402
from PySide6.QtCore import QObject, Signal  # noqa: E402
from PySide6.QtWidgets import QApplication  # noqa: E402

from labctl import events as ev  # noqa: E402
from labctl.bench import load_bench  # noqa: E402
from labctl.clock import VirtualClock  # noqa: E402
from labctl.gui.liveplots import PlotsView  # noqa: E402
from labctl.gui.session import Session  # noqa: E402
from labctl.gui.window import MainWindow  # noqa: E402

SIZE = (1400, 900)
RECIPE = Path(__file__).resolve().parent.parent / "examples" / "arrhenius.toml"


def percentiles(seconds: list[float], cpu: list[float] | None = None) -> dict[str, float]:
    """Wall-clock figures (and the median CPU time of the GUI thread: the machine may be
    shared, CPU time is what the work costs)."""
    ms = np.asarray(seconds) * 1e3
    out = {"median_ms": float(np.median(ms)), "p99_ms": float(np.percentile(ms, 99)),
           "max_ms": float(ms.max())}
    if cpu is not None:
        out["median_cpu_ms"] = float(np.median(cpu) * 1e3)
    return out


def _filled_view(n_points: int) -> PlotsView:
    view = PlotsView()
    view.resize(*SIZE)
    view.show()
    t = np.arange(n_points, dtype=float)
    rng = np.random.default_rng(0)
    view.temperature.add(t, 873 + 50 * np.sin(t / 3e4) + rng.normal(0, 0.2, n_points), 873.0)
    view.current.start(1, 873.0)
    view.current.add(1, t, 0.5, 1e-6 * (1 + np.exp(-t / 1e5)) + rng.normal(0, 1e-9, n_points))
    return view


def frame_times(app: QApplication, n_points: int, frames: int) -> dict[str, dict]:
    """A point more in T(t) and I(t), redrawn; painted: those two panels / all five."""
    view = _filled_view(n_points)
    app.processEvents()
    panels, whole, cpu = [], [], []
    for i in range(frames):
        start, start_cpu = time.perf_counter(), time.thread_time()
        view.temperature.add(n_points + i, 873.0, 873.0)
        view.current.add(1, n_points + i, 0.5, 1e-6)
        view.temperature.refresh()
        view.current.refresh()
        view.temperature.graphics.grab()    # paint, as a screen update of them would
        view.current.graphics.grab()
        panels.append(time.perf_counter() - start)
        cpu.append(time.thread_time() - start_cpu)
        view.grab()
        whole.append(time.perf_counter() - start)
    sizes = [view.temperature.graphics.size(), view.current.graphics.size()]
    view.close()
    view.deleteLater()
    app.processEvents()
    return {"panels": percentiles(panels, cpu), "whole_view": percentiles(whole), "sizes": sizes}


def baseline_frame_times(app: QApplication, n_points: int, frames: int, sizes,
                         builtin: bool) -> dict[str, float]:
    """Two pyqtgraph plots of the same sizes given the whole arrays every frame (plainly,
    or with pyqtgraph's own clipToView + auto peak downsampling)."""
    x = np.arange(n_points + frames, dtype=float)
    y = np.sin(x / 3e4) + np.random.default_rng(0).normal(0, 0.01, len(x))
    widgets = []
    for size in sizes:
        widget = pg.PlotWidget()
        widget.showGrid(x=True, y=True, alpha=0.25)   # the same grid as ours
        for side in ("left", "bottom"):
            widget.getAxis(side).setStyle(maxTickLevel=1)
        widget.resize(size)
        widget.show()
        curve = widget.plot()
        if builtin:
            curve.setClipToView(True)
            curve.setDownsampling(auto=True, method="peak")
        widgets.append((widget, curve))
    times, cpu = [], []
    for i in range(frames):
        start, start_cpu = time.perf_counter(), time.thread_time()
        for widget, curve in widgets:
            curve.setData(x[:n_points + i], y[:n_points + i])
            widget.grab()
        times.append(time.perf_counter() - start)
        cpu.append(time.thread_time() - start_cpu)
    for widget, _ in widgets:
        widget.close()
        widget.deleteLater()
    app.processEvents()
    return percentiles(times, cpu)


class _Probe(QObject):
    ping = Signal(float)


def ui_latency(app: QApplication, seconds: float, speed: float | None,
               acquiring: bool = True) -> dict[str, float]:
    """The whole GUI (main window, session, runner) running examples/arrhenius.toml on the
    simulated bench, at `speed` times real time (None: virtual clock, flat out)."""
    config = load_bench("sim")
    config = replace(config, simulation={**config.simulation, "start_temperature_C": 295.0})
    with tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / "bench.sqlite"
        session = Session(config, db, speed or 1.0, clock=None if speed else VirtualClock())
        window = MainWindow(session, db)
        window.resize(*SIZE)
        window.show()
        points = []
        session.handlers.append(lambda e: isinstance(e, ev.PointRecorded) and points.append(1))
        if acquiring:
            window.run_panel.source.setCurrentIndex(1)
            window.run_panel.path.setText(str(RECIPE))
            window.run_panel.start()
        probe, latencies, stop = _Probe(), [], threading.Event()
        probe.ping.connect(lambda sent: latencies.append(time.perf_counter() - sent))

        def ping():
            while not stop.is_set():
                probe.ping.emit(time.perf_counter())
                time.sleep(0.005)

        pinger = threading.Thread(target=ping, name="probe")
        pinger.start()
        end = time.perf_counter() + seconds
        while time.perf_counter() < end:
            app.processEvents()
        stop.set()
        pinger.join()
        state = session.runner.state
        window.close_now("benchmark over")
        window.deleteLater()
        app.processEvents()
    return {**percentiles(latencies), "points_per_s": len(points) / seconds,
            "probes": len(latencies), "run_state_at_end": state}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--points", type=int, default=1_000_000)
    parser.add_argument("--frames", type=int, default=60)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--speed", type=float, default=60.0,
                        help="simulated time per real time of the run (default %(default)s)")
    args = parser.parse_args()
    app = QApplication.instance() or QApplication([])
    ours = frame_times(app, args.points, args.frames)
    sizes = ours.pop("sizes")
    plain = baseline_frame_times(app, args.points, 5, sizes, builtin=False)
    builtin = baseline_frame_times(app, args.points, 10, sizes, builtin=True)
    panels = ours["panels"]
    print(f"frame time, T(t) and I(t) with {args.points:,} points each "
          f"({sizes[0].width()}x{sizes[0].height()} px each), one point more per frame:")
    print(f"  labctl live plots:               median {panels['median_ms']:6.1f} ms "
          f"(CPU {panels['median_cpu_ms']:5.1f} ms)   p99 {panels['p99_ms']:6.1f} ms   "
          f"(all five panels painted: median {ours['whole_view']['median_ms']:.1f} ms)")
    for label, base in (("pyqtgraph, setData everything:", plain),
                        ("pyqtgraph clipToView+downsample:", builtin)):
        print(f"  {label:32s} median {base['median_ms']:6.1f} ms "
              f"(CPU {base['median_cpu_ms']:5.1f} ms)   CPU ratio to labctl "
              f"{base['median_cpu_ms'] / panels['median_cpu_ms']:.1f}")
    idle = ui_latency(app, args.seconds / 2, args.speed, acquiring=False)
    latency = ui_latency(app, args.seconds, args.speed)
    flat_out = ui_latency(app, args.seconds, None)
    print("UI latency (a queued signal every 5 ms until the GUI thread handles it):")
    for label, result in ((f"run at {args.speed:g}x real time:", latency),
                          ("run flat out, virtual clock:", flat_out), ("no run (idle):", idle)):
        print(f"  {label:30s} median {result['median_ms']:6.1f} ms   p99 "
              f"{result['p99_ms']:6.1f} ms   max {result['max_ms']:6.1f} ms   "
              f"({result['points_per_s']:,.0f} points/s to the GUI; run "
              f"{result['run_state_at_end']} at the end)")
    print(json.dumps({"points": args.points, "frame": ours, "baseline_setData": plain,
                      "baseline_pyqtgraph_clip_downsample": builtin, "ui_latency": latency, "ui_latency_flat_out": flat_out,
                      "ui_latency_idle": idle, "speed": args.speed}))


if __name__ == "__main__":
    main()
