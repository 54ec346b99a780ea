"""Driver registry: short names (`keithley2450`) -> driver classes.

Drivers are entry points of the group `labctl.drivers` (labctl registers its own the same
way in pyproject.toml), so a third-party package adds a driver by declaring::

    [project.entry-points."labctl.drivers"]
    mydriver = "mypackage.mydriver:MyDriver"
"""

from __future__ import annotations

from functools import cache
from importlib.metadata import EntryPoint, entry_points

from labctl.errors import ConfigError

GROUP = "labctl.drivers"


@cache
def driver_entry_points() -> dict[str, EntryPoint]:
    return {ep.name: ep for ep in entry_points(group=GROUP)}


def driver_names() -> list[str]:
    return sorted(driver_entry_points())


def load_driver(name: str) -> type:
    """The driver class registered as `name` (ConfigError if unknown or broken)."""
    entry = driver_entry_points().get(name)
    if entry is None:
        raise ConfigError(f"unknown driver {name!r}; registered: {', '.join(driver_names())}")
    try:
        return entry.load()
    except (ImportError, AttributeError) as exc:
        raise ConfigError(f"driver {name!r} ({entry.value}) cannot be loaded: {exc}") from exc
