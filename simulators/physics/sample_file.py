"""The sample file: its tables as frozen dataclasses, and validation of TOML input.

Schema (all SI; see `simulators/samples/default.toml`): tables `sample`, `bulk`,
`grain_boundary`, `electrode`, `electronic`, `stability`, `noise`, each with exactly the
keys of the dataclass below. Every problem (unreadable file, TOML syntax, missing or
unknown key, wrong type, value out of range) raises `ConfigError` naming the file, the
`table.key` and its line (line/column for syntax errors); several problems of one file
come together as `ConfigProblems` (a ConfigError, `.problems` lists them).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Callable

from labctl import configfile
from labctl.configfile import Problems
from labctl.errors import ConfigError


def _rule(test: Callable[[float], bool], text: str):
    """A dataclass field whose value must pass `test` (`text` says how)."""
    return field(metadata={"test": test, "text": text})


def _positive():
    return _rule(lambda x: x > 0, "must be > 0")


def _cpe_exponent():
    return _rule(lambda x: 0 < x <= 1, "must be within 0 < n <= 1")


@dataclass(frozen=True)
class Geometry:
    name: str
    thickness_m: float = _positive()
    area_m2: float = _positive()


@dataclass(frozen=True)
class Electronic:
    """A resistive path: sigma*T Arrhenius around (T_ref_K, sigma_ref_S_per_m)."""
    sigma_ref_S_per_m: float = _positive()
    T_ref_K: float = _rule(lambda x: 1 <= x <= 5000, "must be within 1..5000 K")
    Ea_eV: float = _rule(lambda x: 0 <= x <= 5, "must be within 0..5 eV")


@dataclass(frozen=True)
class Bulk(Electronic):
    eps_r: float = _rule(lambda x: x >= 1, "must be >= 1")


@dataclass(frozen=True)
class GrainBoundary(Electronic):
    Q: float = _positive()              # CPE: Z = 1 / (Q (j omega)^n), Q in F s^(n-1)
    n: float = _cpe_exponent()


@dataclass(frozen=True)
class Interface:
    """Blocking electrode interfaces (both together) as one CPE."""
    Q: float = _positive()
    n: float = _cpe_exponent()


@dataclass(frozen=True)
class Stability:
    reduction_onset_V: float = _rule(lambda x: x < 0, "must be < 0")
    oxidation_onset_V: float = _rule(lambda x: x > 0, "must be > 0")
    onset_current_density_A_per_m2: float = _positive()
    tafel_slope_V_per_decade: float = _positive()


@dataclass(frozen=True)
class Noise:
    relative: float = _rule(lambda x: 0 <= x < 1, "must be within 0 <= relative < 1")


TABLES = {"sample": Geometry, "bulk": Bulk, "grain_boundary": GrainBoundary,
          "electrode": Interface, "electronic": Electronic, "stability": Stability,
          "noise": Noise}


def shipped_sample(name: str) -> Path:
    """Path of a sample file shipped in `simulators/samples/`."""
    return Path(__file__).resolve().parents[1] / "samples" / f"{name}.toml"


def read_toml(path: str | Path) -> tuple[dict, str]:
    """Parsed TOML and its text; unreadable or malformed files raise ConfigError."""
    return configfile.read_toml(path, "sample file")


def tables(data: object, source: str, text: str = "") -> dict[str, object]:
    """Validate parsed TOML against the schema; returns {table name: dataclass instance}.
    All problems are reported together, each at its line in `text` when given."""
    if not isinstance(data, dict):
        raise ConfigError("a sample file is a set of TOML tables", file=source)
    problems = Problems(source, text)
    for key in [k for k in data if k not in TABLES]:
        problems.add(f"unknown table (expected: {', '.join(TABLES)})", key)
    values = {name: _table(cls, name, data.get(name), problems) for name, cls in TABLES.items()}
    problems.raise_if_any()
    return {name: TABLES[name](**v) for name, v in values.items()}


def _table(cls, name: str, data: object, problems: Problems) -> dict[str, object]:
    if not isinstance(data, dict):
        problems.add("missing table" if data is None else "must be a table", name)
        return {}
    keys = [f.name for f in fields(cls)]
    for key in [k for k in data if k not in keys]:
        problems.add(f"unknown key (expected: {', '.join(keys)})", name, str(key))
    values = {}
    for f in fields(cls):
        if f.name not in data:
            problems.add("missing key", name, f.name)
        else:
            values[f.name] = value = data[f.name]
            reason = _problem(value, f)
            if reason:
                problems.add(reason, name, f.name)
    return values


def _problem(value: object, f) -> str | None:
    """What is wrong with `value` for field `f`, or None."""
    if f.type == "str":
        return None if isinstance(value, str) and value.strip() else "must be a non-empty string"
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return f"must be a number, got {type(value).__name__}"
    if not math.isfinite(value) or not f.metadata["test"](value):
        return f"{f.metadata['text']}, got {value!r}"
    return None
