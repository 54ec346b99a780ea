"""The user's own settings (not a recipe's, not a bench's): `$LABCTL_CONFIG`, else
`$XDG_CONFIG_HOME/labctl/config.toml` (XDG_CONFIG_HOME defaulting to ~/.config). Tables:
`[notify]` (`labctl.notify`)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from labctl.configfile import Problems, read_toml, unknown

TABLES = {"notify"}


def config_path() -> Path:
    if os.environ.get("LABCTL_CONFIG"):
        return Path(os.environ["LABCTL_CONFIG"]).expanduser()
    config_home = os.environ.get("XDG_CONFIG_HOME") or Path.home() / ".config"
    return Path(config_home) / "labctl" / "config.toml"


def user_config() -> tuple[dict[str, Any], Problems]:
    """The parsed file ({} if there is none) and a `Problems` of it for the tables' checks
    (unknown tables are already in it)."""
    path = config_path()
    if not path.exists():
        return {}, Problems(str(path), "")
    data, text = read_toml(path, "labctl config file")
    problems = Problems(str(path), text)
    for name in unknown(data, TABLES):
        problems.add(f"unknown table (known: {', '.join(sorted(TABLES))})", name)
    return data, problems
