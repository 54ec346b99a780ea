"""`labctl gui [--bench BENCH|sim|sim-full] [--sample FILE] [--seed N] [--db PATH] [--speed X]`:
the bench GUI.

A run started in the window goes on in a run process of its own (`labctl.runprocess`):
closing the window, Ctrl-C or SIGTERM in the terminal, or killing the GUI leave it running
(`labctl attach RUN`, or a new `labctl gui` on the same database: Runs → Attach). The exit
status after a signal is 128 + the signal number.
"""

from __future__ import annotations

import argparse

from labctl.commands import arguments, bench_help
from labctl.commands.runs import DB_HELP


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "gui", help="the bench GUI: run recipes, watch live plots, browse runs",
        description="Open the main window on a bench (default: the built-in simulated one).")
    parser.add_argument("--bench", default="sim",
                        help=bench_help() + " (default: %(default)s)")
    parser.add_argument("--sample", metavar="FILE",
                        help="sample TOML file or a shipped sample's name for a simulated "
                             "bench (its ground truth)")
    parser.add_argument("--seed", type=arguments.seed, help="noise seed of a simulated bench")
    parser.add_argument("--db", metavar="PATH", help=DB_HELP)
    parser.add_argument("--speed", type=float,
                        help="simulated benches: simulated time per real time, adjustable "
                             "in the window (default: 60); a bench file served by `labctl "
                             "sim --speed X`: X, as in labctl run")
    parser.set_defaults(func=handler)


GUI_EXTRA = ("PySide6", "pyqtgraph")


def handler(args: argparse.Namespace) -> int:
    from labctl.bench import load_bench
    from labctl.commands.run import with_simulation
    from labctl.errors import ConfigError
    from labctl.store import db_path

    if args.speed is not None and args.speed <= 0:
        raise ConfigError(f"--speed must be > 0, got {args.speed:g}")
    require_gui_extra()
    config = with_simulation(load_bench(args.bench), args.seed, args.sample)   # before Qt
    return run_gui(config, db_path(args.db), args.speed, args.bench,
                   {"sample": args.sample, "seed": args.seed})


def require_gui_extra() -> None:
    from labctl.commands.extras import require_extra

    require_extra("gui", GUI_EXTRA, "labctl gui")


def run_gui(config, db, speed: float | None, bench_name: str | None = None,
            simulation: dict | None = None) -> int:
    import sys

    from PySide6.QtCore import QSocketNotifier, QTimer
    from PySide6.QtWidgets import QApplication

    from labctl.gui.collector import collected_on_gui_thread
    from labctl.gui.session import Session
    from labctl.gui.window import MainWindow
    from labctl.shutdown import StopSignals

    existing = QApplication.instance()        # a test's: not ours to shut down
    app = existing or QApplication(sys.argv[:1])
    try:
        with collected_on_gui_thread():       # ends after every worker thread is joined
            session = Session(config, db, speed, bench_name=bench_name,  # opens the bench first
                              simulation=simulation)
            window = MainWindow(session, db)
            def stop_requested(signame: str) -> None:
                window.close_now(f"stopped by {signame}")  # noqa: F821 - deleted below
                QTimer.singleShot(0, app.quit)     # also if the loop has not started yet

            try:
                with StopSignals(on_signal=stop_requested) as stop:
                    notifier = QSocketNotifier(stop.fileno(), QSocketNotifier.Type.Read)
                    notifier.activated.connect(stop.drain)
                    window.show()
                    print(f"labctl gui: window open on {config.source}, database {db}",
                          file=sys.stderr, flush=True)
                    app.exec()
                    notifier.setEnabled(False)
            finally:
                window.shutdown()
                window.deleteLater()
                app.processEvents()
                del window
    finally:
        if existing is None:
            app.shutdown()          # no QApplication alive at interpreter exit
    return stop.exit_code or 0
