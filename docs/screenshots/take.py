"""Screenshots of `labctl gui --bench sim` running the example recipe (for the README),
taken from a real X server (`import -window root`):

    xvfb-run -s "-screen 0 1600x1000x24" python docs/screenshots/take.py run
    xvfb-run -s "-screen 0 1366x768x24" python docs/screenshots/take.py bench

`run`: starts examples/arrhenius.toml from the run panel; once the 4th plateau's DC
polarization is under way grabs the run tab (run.png), then aborts the run, analyzes it in
the run browser and grabs the browser with the fitted spectra (runs.png). `bench`: the
bench tab after EVERYTHING SAFE stopped the run and a *Set furnace* beyond the furnace's
limit was refused (bench-1366x768.png).
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
from pathlib import Path

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication

from labctl import events as ev
from labctl.bench import load_bench
from labctl.gui.session import Session
from labctl.gui.window import MainWindow

HERE = Path(__file__).parent
RECIPE = HERE.parent.parent / "examples" / "arrhenius.toml"
RUNS_TAB = 2


def screenshot(name: str) -> None:
    subprocess.run(["import", "-window", "root", str(HERE / name)], check=True)
    print(HERE / name)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("what", choices=("run", "bench"))
    parser.add_argument("--speed", type=float, default=2000.0)
    parser.add_argument("--at", default="program[4]/dc_polarization")
    parser.add_argument("--after-ms", type=int, default=3000)
    args = parser.parse_args()
    app = QApplication(sys.argv[:1])
    folder = Path(tempfile.mkdtemp())
    session = Session(load_bench("sim"), folder / "screenshots.sqlite", args.speed)
    window = MainWindow(session, folder / "screenshots.sqlite")
    window.show()
    panel = window.run_panel
    panel.source.setCurrentIndex(1)
    panel.path.setText(str(RECIPE))

    def done() -> None:
        window.close_now("screenshots taken")
        app.quit()

    def run_tab() -> None:
        screenshot("run.png")
        session.runner.stop("screenshots taken")      # a no-op if the run has ended
        window.browser.analyzed.connect(lambda *_: QTimer.singleShot(1500, browser_tab))
        QTimer.singleShot(2000, analyze)

    def analyze() -> None:
        window.tabs.setCurrentIndex(RUNS_TAB)
        browser = window.browser
        browser.refresh()
        browser.table.selectRow(0)
        browser.open_selected()
        browser.analyze(browser.selected(), folder / "report")

    def browser_tab() -> None:
        screenshot("runs.png")
        done()

    def bench_tab() -> None:
        window.tabs.setCurrentIndex(1)
        window.bench_panel.safe.click()          # the run aborted, the bench free again
        QTimer.singleShot(2000, refused)

    def refused() -> None:
        window.bench_panel.setpoint.setText("1500")
        window.bench_panel.set_furnace()
        QTimer.singleShot(1500, lambda: (screenshot("bench-1366x768.png"), done()))

    def watch(event) -> None:
        if isinstance(event, ev.StepStarted) and event.path == args.at:
            QTimer.singleShot(args.after_ms, run_tab if args.what == "run" else bench_tab)

    session.handlers.append(watch)
    QTimer.singleShot(500, panel.start)
    app.exec()
    window.shutdown()


if __name__ == "__main__":
    main()
