"""Form fields of a protocol's parameters, generated from its declaration: the fields are
`ProtocolSpec.form`, each with the `Params` default (so a form's default is the protocol's;
a parameter without one is required: its field starts empty and must be filled), its unit
and its documentation; `value` reads a field's text as the parameter's type. `unavailable`
says why a bench cannot run a protocol (a role none of its instruments can play)."""

from __future__ import annotations

import dataclasses
import typing
from dataclasses import dataclass
from typing import Any

from PySide6.QtWidgets import QLineEdit

from labctl.bench import BenchConfig
from labctl.protocol import ProtocolSpec
from labctl.protocols import _params
from labctl.protocols._params import unit
from labctl.recipe import default_player, players


@dataclass(frozen=True)
class Field:
    name: str        # the parameter
    label: str       # its documentation
    unit: str
    default: str     # the text a form starts with
    type: Any        # float or int, or either | None (numbers only: tests/protocols)
    required: bool = False   # no default: the user must give it


def fields(spec: ProtocolSpec) -> list[Field]:
    """The fields of `spec`'s short form, in declared order."""
    declared = {f.name: f for f in dataclasses.fields(spec.Params)}
    hints = typing.get_type_hints(spec.Params)
    return [Field(name, declared[name].metadata.get("doc", "") or name, unit(name),
                  _text(declared[name].default), hints[name],
                  declared[name].default is dataclasses.MISSING) for name in spec.form]


def complete(spec: ProtocolSpec) -> bool:
    """Whether `spec`'s defaults alone are valid parameters (nothing required, no
    either-or left open)."""
    return not _params.problems(spec.Params, {})


def unavailable(spec: ProtocolSpec, bench: BenchConfig) -> str:
    """Why `bench` cannot run `spec` with its defaults without a recipe naming its
    instruments ('' if it can)."""
    defaults = {f.name: f.default for f in dataclasses.fields(spec.Params)
                if f.default is not dataclasses.MISSING}
    for role in spec.needs(defaults):
        able = players(bench, role)
        if default_player(role, able) is None:
            found = f"several ({', '.join(able)}): name one in a recipe file" if able else "none"
            return f"needs an instrument for role {role!r}: this bench has {found}"
    return ""


def edit(field: Field) -> QLineEdit:
    """A line edit with the field's default, its name and unit as tooltip."""
    line = QLineEdit(field.default)
    line.setPlaceholderText(placeholder(field))
    line.setToolTip(f"{field.name}" + (f" ({field.unit})" if field.unit else ""))
    return line


def value(field: Field, text: str) -> Any:
    """`text` as the field's type (ValueError saying why not; empty is None if allowed)."""
    text = text.strip()
    options = typing.get_args(field.type) or (field.type,)
    if not text and type(None) in options:
        return None
    if not text and field.required:
        raise ValueError(f"required: {field.label} ({field.name})")
    if int in options:
        try:
            return int(text)
        except ValueError:
            raise ValueError(f"{text!r} is not a whole number") from None
    try:
        return float(text)
    except ValueError:
        raise ValueError(f"{text!r} is not a number") from None


def _text(default: Any) -> str:
    if default is dataclasses.MISSING or default is None:
        return ""
    return f"{default:g}" if isinstance(default, float) else str(default)


def placeholder(field: Field) -> str:
    """The grey text of an empty field: 'required', or 'optional' for one that may be
    left out."""
    return "required" if field.required else "" if field.default else "optional"


def formed() -> list[ProtocolSpec]:
    """The protocols with a short form (run at a plateau or one-off), in declared order."""
    from labctl import registry

    return [s for s in registry.protocols().values() if s.form and s.stage is None]
