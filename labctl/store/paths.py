"""Where the labctl database is: a file (SQLite) or a `postgresql://` URL (a lab's server)."""

from __future__ import annotations

import os
from pathlib import Path

from labctl.store.postgres import is_url


def db_path(cli_value: str | None = None) -> Path | str:
    """`--db` if given, else $LABCTL_DB, else $XDG_DATA_HOME/labctl/labctl.sqlite
    (XDG_DATA_HOME defaulting to ~/.local/share); see `location`."""
    if cli_value:
        return location(cli_value)
    if os.environ.get("LABCTL_DB"):
        return location(os.environ["LABCTL_DB"])
    data_home = os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share"
    return Path(data_home) / "labctl" / "labctl.sqlite"


def location(value: str | os.PathLike) -> Path | str:
    """A `postgresql://` URL as it is, anything else as a file path (`~` expanded)."""
    return value if is_url(value) else Path(value).expanduser()
