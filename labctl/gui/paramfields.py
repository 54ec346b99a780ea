"""Form fields of a protocol's parameters, generated from its declaration: the fields are
`ProtocolSpec.form`, each with the `Params` default (so a form's default is the protocol's),
its unit and its documentation; `value` reads a field's text as the parameter's type."""

from __future__ import annotations

import dataclasses
import typing
from dataclasses import dataclass
from typing import Any

from PySide6.QtWidgets import QLineEdit

from labctl.protocol import ProtocolSpec
from labctl.protocols._params import unit


@dataclass(frozen=True)
class Field:
    name: str        # the parameter
    label: str       # its documentation
    unit: str
    default: str     # the text a form starts with
    type: Any        # float or int, or either | None (numbers only: tests/protocols)


def fields(spec: ProtocolSpec) -> list[Field]:
    """The fields of `spec`'s short form, in declared order."""
    declared = {f.name: f for f in dataclasses.fields(spec.Params)}
    hints = typing.get_type_hints(spec.Params)
    return [Field(name, declared[name].metadata.get("doc", "") or name, unit(name),
                  _text(declared[name].default), hints[name]) for name in spec.form]


def edit(field: Field) -> QLineEdit:
    """A line edit with the field's default, its name and unit as tooltip."""
    line = QLineEdit(field.default)
    line.setToolTip(f"{field.name}" + (f" ({field.unit})" if field.unit else ""))
    return line


def value(field: Field, text: str) -> Any:
    """`text` as the field's type (ValueError saying why not; empty is None if allowed)."""
    text = text.strip()
    options = typing.get_args(field.type) or (field.type,)
    if not text and type(None) in options:
        return None
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


def formed() -> list[ProtocolSpec]:
    """The protocols with a short form (run at a plateau or one-off), in declared order."""
    from labctl import registry

    return [s for s in registry.protocols().values() if s.form and s.stage is None]
