"""Code other than a store touching its database: `labctl runs` and `labctl export` in
processes of their own, and a probe in this process."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path


def probe(db: Path) -> None:
    """What a file dialog's MIME sniffing does to every file of the folder."""
    for name in (db, f"{db}-wal", f"{db}-shm"):
        os.close(os.open(name, os.O_RDONLY))


def labctl(*args: str) -> str:
    """The real CLI in a process of its own."""
    result = subprocess.run(["labctl", *args], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    return result.stdout


def listed_points(db: Path, run: int) -> int:
    """The points column of run `run` in `labctl runs`."""
    rows = [line.split() for line in labctl("runs", "--db", str(db)).splitlines()[1:]]
    return next(int(row[-1]) for row in rows if row[0] == str(run))


def exported_points(db: Path, run: int, out: Path) -> int:
    """Impedance and DC points in the CSV files `labctl export` writes of run `run`."""
    paths = labctl("export", str(run), "--db", str(db), "--out", str(out)).split()
    return sum(sum(not line.startswith("#") for line in Path(p).read_text().splitlines()) - 1
               for p in paths if p.endswith(("-impedance.csv", "-dc.csv")))   # - the header
