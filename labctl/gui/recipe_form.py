"""A recipe built in a form: a temperature program with, at every plateau, each protocol
that declares a short form (`ProtocolSpec.form`), each with a 'measure' box; the protocols'
fields and defaults come from their `Params` (a required parameter starts empty and must be
filled once its protocol is ticked). A protocol is ticked at first only if the bench can run
it and its defaults are complete; one the bench cannot run (no instrument for a role) is
disabled with the reason shown. The form is validated like a recipe file, each problem
shown next to its field.
"""

from __future__ import annotations

import re

from PySide6.QtWidgets import (QCheckBox, QFormLayout, QGroupBox, QLabel, QLineEdit,
                               QVBoxLayout, QWidget)

from labctl.bench import BenchConfig
from labctl.configfile import ConfigProblems
from labctl.errors import ConfigError
from labctl.gui import paramfields
from labctl.gui.paramfields import Field
from labctl.recipe import Recipe, parse_recipe

# recipe key (as validation errors name it) -> label, default text, unit
FIELDS = {
    "run.name": ("Run name", "Arrhenius series (GUI)", ""),
    "sample.name": ("Sample", "pellet 1", ""),
    "sample.thickness_m": ("Thickness", "0.5e-3", "m"),
    "sample.area_m2": ("Electrode area", "1e-4", "m²"),
    "program.temperatures_C": ("Temperatures", "300, 350, 400", "°C"),
    "program.ramp_C_per_min": ("Ramp", "10", "°C/min"),
}
TEXT_FIELDS = ("run.name", "sample.name")
LIST_FIELDS = ("program.temperatures_C",)
GROUPS = (("Run and sample", ("run.name", "sample.name", "sample.thickness_m", "sample.area_m2")),
          ("Temperature program", ("program.temperatures_C", "program.ramp_C_per_min")))
MIN_FIELD_PX = 100
BODY = re.compile(r"program\.body\[(\d+)\]\.")


class RecipeForm(QWidget):
    """Fields keyed by their recipe key ('run.name') or, for a protocol, 'KIND.PARAMETER'."""

    def __init__(self, bench: BenchConfig, parent: QWidget | None = None):
        super().__init__(parent)
        self.edits: dict[str, QLineEdit] = {}
        self.errors: dict[str, QLabel] = {}
        self.protocols = paramfields.formed()
        self.measure: dict[str, QCheckBox] = {}   # kind -> its 'measure' box
        self.unavailable: dict[str, str] = {}     # kind -> why the bench cannot run it
        self.params: dict[str, Field] = {}        # form key -> protocol parameter
        self.names: dict[str, str] = {}           # form key -> how messages name the field
        self.problems: list[str] = []             # keys of the fields with problems, in order
        layout = QVBoxLayout(self)
        for title, keys in GROUPS:
            form = self._group(layout, title)
            for key in keys:
                label, default, unit = FIELDS[key]
                self._row(form, key, QLineEdit(default), label, unit,
                          ", comma-separated" if key in LIST_FIELDS else "")
        for spec in self.protocols:
            self._protocol(layout, spec, paramfields.unavailable(spec, bench))
        self.general = QLabel()
        self.general.setStyleSheet("color: #c00000;")
        self.general.setWordWrap(True)
        layout.addWidget(self.general)
        layout.addStretch(1)

    def _protocol(self, layout: QVBoxLayout, spec, reason: str) -> None:
        """The group of one protocol: its 'measure' box and fields; disabled, with the
        reason, if the bench cannot run it."""
        form = self._group(layout, f"{spec.title} at each plateau")
        box = self.measure[spec.kind] = QCheckBox("measure")
        box.setChecked(not reason and paramfields.complete(spec))
        form.addRow("", box)
        if reason:
            self.unavailable[spec.kind] = reason
            why = QLabel(f"not on this bench: {reason}")
            why.setWordWrap(True)
            why.setObjectName(f"{spec.kind}.unavailable")
            form.addRow(why)
            form.parentWidget().setEnabled(False)
        for field in paramfields.fields(spec):
            key = f"{spec.kind}.{field.name}"
            self.params[key] = field
            self.names[key] = f"{spec.title}: {field.name}"
            self._row(form, key, paramfields.edit(field), field.label, field.unit)

    def _group(self, layout: QVBoxLayout, title: str) -> QFormLayout:
        group = QGroupBox(title)
        layout.addWidget(group)
        return _form(group)

    def _row(self, form: QFormLayout, key: str, edit: QLineEdit, label: str, unit: str,
             hint: str = "") -> None:
        """A field with its error line below it (the form's full width)."""
        edit.setObjectName(key)
        edit.setMinimumWidth(MIN_FIELD_PX)        # a long label puts it on the next line
        edit.setToolTip(f"{key}" + (f" ({unit})" if unit else "") + hint)
        error = QLabel()
        error.setStyleSheet("color: #c00000;")
        error.setWordWrap(True)
        error.hide()
        self.edits[key], self.errors[key] = edit, error
        self.names.setdefault(key, label)
        form.addRow(f"{label}" + (f" / {unit}" if unit else ""), edit)
        form.addRow(error)

    def show_problems(self, problems: dict[str, list[str]]) -> None:
        """Messages next to their fields (key None: below the form); clears the others."""
        for key, label in self.errors.items():
            label.setText("\n".join(problems.get(key, [])))
            label.setVisible(key in problems)
            self.edits[key].setStyleSheet("border: 1px solid #c00000;" if key in problems else "")
        self.general.setText("\n".join(problems.get(None, [])))

    def recipe(self, bench: BenchConfig) -> Recipe | None:
        """The recipe of the form, or None after showing every problem next to its field."""
        problems: dict[str | None, list[str]] = {}
        values = {}
        for key, edit in self.edits.items():
            if key in self.params and not self._measured(key):
                continue
            try:
                values[key] = self._value(key, edit.text().strip())
            except ValueError as exc:
                problems.setdefault(key, []).append(str(exc))
                values[key] = self._stand_in(key)         # to check the others
        stand_ins = set(problems)
        toml, body = self.toml(values)
        try:
            recipe = parse_recipe(toml, bench, source="<form>", name=values["run.name"])
        except ConfigError as exc:
            for p in exc.problems if isinstance(exc, ConfigProblems) else [exc]:
                key = BODY.sub(lambda m: f"{body[int(m[1])]}.", p.field or "")
                key = key if key in self.edits else None
                if key is None or key not in stand_ins:   # not a stand-in's problem
                    problems.setdefault(key, []).append(p.reason if key else str(p))
            recipe = None
        self.show_problems(problems)
        self.problems = [key for key in self.edits if key in problems]
        return None if problems else recipe

    def toml(self, values: dict) -> tuple[str, dict[int, str]]:
        """The form as recipe TOML, and which protocol each [[program.body]] table is
        (the unmeasured ones left out)."""
        def line(key: str) -> str:
            return f"{key.rsplit('.', 1)[1]} = {_toml(values[key])}"
        tables = [("[run]", ["run.name"]),
                  ("[sample]", ["sample.name", "sample.thickness_m", "sample.area_m2"]),
                  ("[program]", ["program.temperatures_C", "program.ramp_C_per_min"])]
        body = {}
        for spec in self.protocols:
            if self.measure[spec.kind].isChecked():
                body[len(body) + 1] = spec.kind
                tables.append((f"[[program.body]]\nprotocol = {_toml(spec.kind)}",
                               [k for k in self.params if k.startswith(f"{spec.kind}.")]))
        text = "\n\n".join("\n".join([head, *(line(k) for k in keys if values[k] is not None)])
                           for head, keys in tables)
        return text + "\n", body

    def _measured(self, key: str) -> bool:
        return self.measure[key.split(".", 1)[0]].isChecked()

    def _stand_in(self, key: str):
        """The value checked in place of a field's bad text: its default (None for a
        required parameter: the line is left out)."""
        if key in self.params:
            field = self.params[key]
            return None if field.required else paramfields.value(field, field.default)
        return _value(key, FIELDS[key][1])

    def _value(self, key: str, text: str):
        if key in self.params:
            return paramfields.value(self.params[key], text)
        return _value(key, text)


def _form(group: QGroupBox) -> QFormLayout:
    """A form whose long labels put their field on the next line (the documentation of
    a parameter can be long)."""
    form = QFormLayout(group)
    form.setRowWrapPolicy(QFormLayout.WrapLongRows)
    return form


def _value(key: str, text: str):
    if key in TEXT_FIELDS:
        if not text:
            raise ValueError("required")
        return text
    if key in LIST_FIELDS:
        items = [t for t in text.replace(";", ",").split(",") if t.strip()]
        if not items:
            raise ValueError("at least one temperature")
        return [_number(t) for t in items]
    return _number(text)


def _number(text: str) -> float:
    try:
        return float(text)
    except ValueError:
        raise ValueError(f"{text.strip()!r} is not a number") from None


def _toml(value) -> str:
    if isinstance(value, str):
        return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
    if isinstance(value, list):
        return "[" + ", ".join(map(_toml, value)) + "]"
    return repr(value)
