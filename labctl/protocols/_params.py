"""Declared protocol parameters: ranges, documentation, validation of a recipe's table.

Each protocol's `Params` is a frozen dataclass whose fields are declared with `param()`:

    amplitude_V: float = param(0.01, low=1e-4, high=0.5, doc="AC amplitude (rms)")

`problems(Params, mapping)` lists every problem of a mapping (unknown keys, wrong types,
out-of-range values, then the dataclass's own cross-field `problems()` if it has one) as
`(key, message)` pairs; `build(Params, mapping)` returns the Params or raises ConfigError.
Supported field types: float (ints accepted), int, bool, str (optionally `choices`), a
tuple of floats (from a list), and any of these `| None`.
"""

from __future__ import annotations

import dataclasses
import types
import typing
from typing import Any, Mapping

from labctl.configfile import ConfigProblems, is_number
from labctl.errors import ConfigError

_MISSING = dataclasses.MISSING


def param(default: Any = _MISSING, *, low: float | None = None, high: float | None = None,
          doc: str = "", choices: tuple[str, ...] | None = None) -> Any:
    """A dataclass field with its allowed range (inclusive), choices and documentation."""
    metadata = {"low": low, "high": high, "doc": doc, "choices": choices}
    if isinstance(default, (list, dict, set)):
        raise TypeError("use a tuple for a sequence default")
    return dataclasses.field(default=default, metadata=metadata)


# unit of a parameter from its name's suffix (SI, as everywhere inside labctl); longest first
UNITS = (("_A_per_m2", "A/m²"), ("_V_per_s", "V/s"), ("_K_per_s", "K/s"), ("_per_s", "1/s"),
         ("_sccm", "sccm"), ("_m2", "m²"), ("_m", "m"), ("_Pa", "Pa"), ("_Hz", "Hz"), ("_deg", "°"),
         ("_V", "V"), ("_A", "A"), ("_s", "s"), ("_K", "K"))


@dataclasses.dataclass(frozen=True)
class Described:
    """One parameter as help texts show it: every field is text."""

    name: str
    type: str       # 'a number', 'an integer', ...
    unit: str       # 'Hz', 'V', ... ('' for a pure number)
    default: str    # as a recipe writes it, or 'required'
    range: str      # '[0.0001, 1]', the choices, or ''
    doc: str


def describe(cls: type) -> list[Described]:
    """Every parameter of `cls` with its type, unit, default, range and doc (help texts,
    `labctl protocols`)."""
    hints = typing.get_type_hints(cls)
    return [Described(f.name, _type_name(hints[f.name]), unit(f.name),
                      "required" if f.default is _MISSING else _toml(f.default),
                      _range_text(f.metadata), f.metadata.get("doc", ""))
            for f in dataclasses.fields(cls)]


def unit(name: str) -> str:
    """The SI unit a parameter's name ends in ('' for none)."""
    return next((u for suffix, u in UNITS if name.endswith(suffix)), "")


def problems(cls: type, mapping: Mapping[str, Any]) -> list[tuple[str, str]]:
    """Every problem of `mapping` as parameters of `cls`: [(key, message), ...]."""
    hints = typing.get_type_hints(cls)
    fields = {f.name: f for f in dataclasses.fields(cls)}
    found = [(key, f"unknown parameter (known: {', '.join(sorted(fields))})")
             for key in mapping if key not in fields]
    for name, f in fields.items():
        if name not in mapping:
            if f.default is _MISSING:
                found.append((name, "required"))
            continue
        message = _value_problem(hints[name], mapping[name], f.metadata)
        if message:
            found.append((name, message))
    if not found and hasattr(cls, "problems"):
        found.extend(_construct(cls, mapping).problems())
    return found


def build(cls: type, mapping: Mapping[str, Any]) -> Any:
    """`cls` built from `mapping` (lists become tuples); ConfigError lists every problem."""
    found = problems(cls, mapping)
    if found:
        errors = [ConfigError(message, field=key) for key, message in found]
        raise errors[0] if len(errors) == 1 else ConfigProblems(errors)
    return _construct(cls, mapping)


def _construct(cls: type, mapping: Mapping[str, Any]) -> Any:
    return cls(**{key: tuple(v) if isinstance(v, list) else v for key, v in mapping.items()})


def _value_problem(hint: Any, value: Any, meta: Mapping[str, Any]) -> str | None:
    options = _options(hint)
    if value is None:
        return None if type(None) in options else "must not be empty"
    for option in options:
        if option is type(None):
            continue
        if _fits(option, value):
            return _range_problem(option, value, meta)
    return f"must be {' or '.join(_type_name(o) for o in options)}, got {value!r}"


def _options(hint: Any) -> tuple[Any, ...]:
    if typing.get_origin(hint) in (typing.Union, types.UnionType):
        return typing.get_args(hint)
    return (hint,)


def _fits(option: Any, value: Any) -> bool:
    if option is bool:
        return isinstance(value, bool)
    if option is int:
        return isinstance(value, int) and not isinstance(value, bool)
    if option is float:
        return is_number(value)
    if option is str:
        return isinstance(value, str)
    if typing.get_origin(option) is tuple:
        return isinstance(value, (list, tuple)) and len(value) > 0 \
            and all(is_number(v) for v in value)
    raise TypeError(f"unsupported parameter type {option!r}")


def _range_problem(option: Any, value: Any, meta: Mapping[str, Any]) -> str | None:
    choices = meta.get("choices")
    if option is str:
        if choices and value not in choices:
            return f"must be one of {', '.join(map(repr, choices))}, got {value!r}"
        return None
    if option is bool:
        return None
    values = value if typing.get_origin(option) is tuple else [value]
    low, high = meta.get("low"), meta.get("high")
    for v in values:
        if (low is not None and v < low) or (high is not None and v > high):
            return f"{v!r} is outside {_span(low, high)}"
    return None


def _range_text(meta: Mapping[str, Any]) -> str:
    low, high, choices = meta.get("low"), meta.get("high"), meta.get("choices")
    if choices:
        return " | ".join(map(_toml, choices))
    return "" if low is None and high is None else _span(low, high)


def _toml(value: Any) -> str:
    """`value` as a recipe (TOML) writes it; 'none' for no value."""
    if value is None:
        return "none"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return f"{value:.6g}"
    if isinstance(value, tuple):
        return "[" + ", ".join(map(_toml, value)) + "]"
    if isinstance(value, str):
        return f'"{value}"'
    return str(value)


def _span(low: float | None, high: float | None) -> str:
    if low is None:
        return f"(-inf, {high:g}]"
    if high is None:
        return f"[{low:g}, inf)"
    return f"[{low:g}, {high:g}]"


def _type_name(hint: Any) -> str:
    names = {bool: "true or false", int: "an integer", float: "a number", str: "a string",
             type(None): "empty"}
    if hint in names:
        return names[hint]
    if typing.get_origin(hint) is tuple:
        return "a list of numbers"
    return " or ".join(_type_name(o) for o in _options(hint))
