"""Bench files for tests, written from their parts instead of copied TOML: one
`[instruments.NAME]` table per `instrument(...)`, the usual limits of the simulated bench
by name, and an optional `[simulation]` table."""

from __future__ import annotations

import json
import re
from typing import Any

FURNACE_LIMITS = {"max_temperature_C": 900.0, "max_ramp_C_per_min": 20.0,
                  "safe_temperature_C": 25.0}
ANALYZER_LIMITS = {"amplitude_V": 0.5, "bias_V": 2.0}
SMU_LIMITS = {"voltage_V": 5.0, "current_A": 0.01}


def value(v: Any) -> str:
    """A TOML value: numbers, booleans, strings (JSON's escapes are TOML's too) and tables
    of them (inline)."""
    return inline(v) if isinstance(v, dict) else json.dumps(v)


def key(name: str) -> str:
    """A TOML key: bare, or quoted (a channel "1!1")."""
    return name if re.fullmatch(r"[\w-]+", name) else value(name)


def inline(table: dict[str, Any]) -> str:
    return "{ " + ", ".join(f"{key(k)} = {value(v)}" for k, v in table.items()) + " }"


def instrument(name: str, driver: str, resource: str | None = None, *,
               options: dict[str, Any] | None = None,
               limits: dict[str, Any] | None = None) -> str:
    """One instrument table; the resource defaults to the simulator `sim://NAME`."""
    return (f'[instruments.{key(name)}]\ndriver = "{driver}"\nresource = "{resource or f"sim://{name}"}"\n'
            + (f"options = {inline(options)}\n" if options else "")
            + (f"limits = {inline(limits)}\n" if limits else ""))


def routes(table: dict[str, tuple[str, str]]) -> dict[str, dict[str, str]]:
    """A switch's channel map, `options.channels`, from channel -> (pellet, terminal)."""
    return {channel: {"sample": pellet, "terminal": terminal}
            for channel, (pellet, terminal) in table.items()}


def bench(*instruments: str, **simulation: Any) -> str:
    """A bench file of `instruments` and, if given, a `[simulation]` table."""
    return "\n".join(instruments) + ("\n[simulation]\n" + "".join(
        f"{k} = {value(v)}\n" for k, v in simulation.items()) if simulation else "")


def sim_bench(smu: str = "keithley2450", **simulation: Any) -> str:
    """The built-in `sim` bench: furnace (its usual limits), Solartron, `smu`."""
    return bench(instrument("furnace", "eurotherm3216", limits=FURNACE_LIMITS),
                 instrument("fra", "solartron1260"), instrument("smu", smu), **simulation)
