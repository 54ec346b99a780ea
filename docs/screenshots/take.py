"""Screenshots of `labctl gui --bench sim` with the example recipe running (for the README).

    xvfb-run -s "-screen 0 1600x1000x24" python docs/screenshots/take.py [--speed 1000]

Starts the example recipe (examples/arrhenius.toml) from the run panel, and once the 4th
plateau's DC polarization is under way grabs the run tab, the bench tab and the screen.
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


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--speed", type=float, default=1000.0)
    parser.add_argument("--at", default="program[4]/dc_polarization")
    parser.add_argument("--after-ms", type=int, default=4000)
    args = parser.parse_args()
    app = QApplication(sys.argv[:1])
    db = Path(tempfile.mkdtemp()) / "screenshots.sqlite"
    session = Session(load_bench("sim"), db, args.speed)
    window = MainWindow(session, db)
    window.resize(1600, 1000)
    window.show()
    panel = window.run_panel
    panel.source.setCurrentIndex(1)
    panel.path.setText(str(RECIPE))

    def shoot() -> None:
        window.tabs.setCurrentIndex(0)
        window.grab().save(str(HERE / "run.png"))
        subprocess.run(["import", "-window", "root", str(HERE / "screen.png")], check=False)
        window.tabs.setCurrentIndex(1)
        QTimer.singleShot(1500, lambda: (window.grab().save(str(HERE / "bench.png")),
                                         window.close_now("screenshots taken"), app.quit()))

    def watch(event) -> None:
        if isinstance(event, ev.StepStarted) and event.path == args.at:
            QTimer.singleShot(args.after_ms, shoot)

    session.handlers.append(watch)
    QTimer.singleShot(500, panel.start)
    app.exec()
    window.shutdown()
    print("\n".join(str(p) for p in sorted(HERE.glob("*.png"))))


if __name__ == "__main__":
    main()
