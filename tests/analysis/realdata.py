"""Real measured spectra from public repositories (source, licence and published values in
the folder's README.md). They are not part of this repository: they live in the shared
folder beside the project root (`shared/eis-real/`), or where LABCTL_EIS_REAL_DATA points;
the tests that need them are skipped without them."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

FOLDER = Path(os.environ.get("LABCTL_EIS_REAL_DATA")
              or Path(__file__).resolve().parents[2].parent / "shared" / "eis-real")


def real_file(name: str) -> Path:
    path = FOLDER / name
    if not path.is_file():
        pytest.skip(f"real-data file {name} not in {FOLDER}")
    return path
