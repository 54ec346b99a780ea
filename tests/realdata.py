"""Real measured data from public repositories (spectra, chronoamperometry; source,
licence and published values in tests/data/README.md). Fetched files are not committed:
they live in the shared folder beside the project root (`shared/real-data/`), or where
LABCTL_REAL_DATA points; the tests that need them are skipped without them."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

FOLDER = Path(os.environ.get("LABCTL_REAL_DATA")
              or Path(__file__).resolve().parents[1].parent / "shared" / "real-data")


def real_file(name: str) -> Path:
    path = FOLDER / name
    if not path.is_file():
        pytest.skip(f"real-data file {name} not in {FOLDER}")
    return path
