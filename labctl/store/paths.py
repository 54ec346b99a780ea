"""Where the per-user labctl database lives."""

from __future__ import annotations

import os
from pathlib import Path


def db_path(cli_value: str | None = None) -> Path:
    """`--db` if given, else $LABCTL_DB, else $XDG_DATA_HOME/labctl/labctl.sqlite
    (XDG_DATA_HOME defaulting to ~/.local/share)."""
    if cli_value:
        return Path(cli_value).expanduser()
    if os.environ.get("LABCTL_DB"):
        return Path(os.environ["LABCTL_DB"]).expanduser()
    data_home = os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share"
    return Path(data_home) / "labctl" / "labctl.sqlite"
