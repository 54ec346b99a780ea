"""Simulated lab bench: physics of the sample and furnace (`simulators.physics`), the shared
simulated world they live in (`simulators.world`), and one simulated instrument per driver
that answers the real command set at the clock's current time."""

from importlib import resources
from typing import Any


def builtin_benches() -> dict[str, Any]:
    """The simulated bench files shipped with labctl (`benches/*.toml`), by name (`sim`,
    `sim-full`, ...): light to import (the CLI's help lists them)."""
    folder = resources.files(__name__).joinpath("benches")
    files = {entry.name.removesuffix(".toml"): entry for entry in folder.iterdir()
             if entry.name.endswith(".toml")}
    return dict(sorted(files.items()))
