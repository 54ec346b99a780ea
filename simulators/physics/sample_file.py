"""The sample file: its tables as frozen dataclasses, and validation of TOML input.

Schema (all SI; see `simulators/samples/default.toml`): tables `sample`, `bulk`,
`grain_boundary`, `electrode`, `electronic`, `stability`, `noise`, each with exactly the
keys of the dataclass below. Every problem (unreadable file, TOML syntax, missing or
unknown key, wrong type, value out of range) raises `ConfigError` naming the file and the
`table.key`, with line/column for syntax errors.
"""

from __future__ import annotations

import math
import re
import tomllib
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Callable

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


def read_toml(path: str | Path) -> dict:
    """Parse a TOML file; unreadable or malformed files raise ConfigError."""
    try:
        text = Path(path).read_bytes().decode("utf-8")
    except OSError as exc:
        raise ConfigError(f"cannot read sample file: {exc.strerror or exc}", file=str(path))
    except UnicodeDecodeError:
        raise ConfigError("sample file is not UTF-8 text", file=str(path))
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        where = re.search(r"at line (\d+), column (\d+)", str(exc))
        line, column = (int(where[1]), int(where[2])) if where else (None, None)
        reason = re.sub(r"\s*\(at .*\)$", "", str(exc))
        raise ConfigError(f"TOML syntax error: {reason}", file=str(path), line=line,
                          column=column)


def tables(data: object, source: str) -> dict[str, object]:
    """Validate parsed TOML against the schema; returns {table name: dataclass instance}."""
    if not isinstance(data, dict):
        raise ConfigError("a sample file is a set of TOML tables", file=source)
    _no_unknown(data, TABLES, source, prefix="")
    return {name: _table(cls, name, data.get(name), source) for name, cls in TABLES.items()}


def _no_unknown(data: dict, known, source: str, prefix: str) -> None:
    for key in data:
        if key not in known:
            raise ConfigError(f"unknown key (expected one of: {', '.join(known)})",
                              file=source, field=f"{prefix}{key}")


def _table(cls, name: str, data: object, source: str):
    if data is None:
        raise ConfigError("missing table", file=source, field=name)
    if not isinstance(data, dict):
        raise ConfigError("must be a table", file=source, field=name)
    keys = [f.name for f in fields(cls)]
    _no_unknown(data, keys, source, prefix=f"{name}.")
    values = {}
    for f in fields(cls):
        where = f"{name}.{f.name}"
        if f.name not in data:
            raise ConfigError("missing key", file=source, field=where)
        values[f.name] = _value(data[f.name], f, where, source)
    return cls(**values)


def _value(value: object, f, where: str, source: str):
    if f.type == "str":
        if not isinstance(value, str) or not value.strip():
            raise ConfigError("must be a non-empty string", file=source, field=where)
        return value
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ConfigError(f"must be a number, got {type(value).__name__}", file=source,
                          field=where)
    x = float(value)
    if not math.isfinite(x) or not f.metadata["test"](x):
        raise ConfigError(f"{f.metadata['text']}, got {value!r}", file=source, field=where)
    return x
