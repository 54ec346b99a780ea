"""A recipe built in a form: a temperature program with an impedance spectrum and
(optionally) a DC polarization at every plateau, validated like a recipe file, each
problem shown next to its field."""

from __future__ import annotations

from PySide6.QtWidgets import (QCheckBox, QFormLayout, QGroupBox, QLabel, QLineEdit,
                               QVBoxLayout, QWidget)

from labctl.bench import BenchConfig
from labctl.configfile import ConfigProblems
from labctl.errors import ConfigError
from labctl.recipe import Recipe, parse_recipe

# recipe key (as validation errors name it) -> label, default text, unit
FIELDS = {
    "run.name": ("Run name", "Arrhenius series (GUI)", ""),
    "sample.name": ("Sample", "pellet 1", ""),
    "sample.thickness_m": ("Thickness", "0.5e-3", "m"),
    "sample.area_m2": ("Electrode area", "1e-4", "m²"),
    "program.temperatures_C": ("Temperatures", "300, 350, 400", "°C"),
    "program.ramp_C_per_min": ("Ramp", "10", "°C/min"),
    "program.body[1].start_Hz": ("EIS from", "1e6", "Hz"),
    "program.body[1].stop_Hz": ("EIS down to", "0.1", "Hz"),
    "program.body[1].points_per_decade": ("Points per decade", "5", ""),
    "program.body[1].amplitude_V": ("AC amplitude", "0.02", "V rms"),
    "program.body[2].voltage_V": ("DC step", "0.5", "V"),
    "program.body[2].max_duration_s": ("Longest polarization", "3600", "s"),
}
TEXT_FIELDS = ("run.name", "sample.name")
LIST_FIELDS = ("program.temperatures_C",)
INT_FIELDS = ("program.body[1].points_per_decade",)
GROUPS = (("Run and sample", ("run.name", "sample.name", "sample.thickness_m", "sample.area_m2")),
          ("Temperature program", ("program.temperatures_C", "program.ramp_C_per_min")),
          ("Impedance spectrum at each plateau", tuple(k for k in FIELDS if "body[1]" in k)),
          ("DC polarization at each plateau", tuple(k for k in FIELDS if "body[2]" in k)))


class RecipeForm(QWidget):
    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.edits: dict[str, QLineEdit] = {}
        self.errors: dict[str, QLabel] = {}
        layout = QVBoxLayout(self)
        for title, keys in GROUPS:
            group = QGroupBox(title)
            form = QFormLayout(group)
            if "body[2]" in keys[0]:
                self.with_dc = QCheckBox("measure")
                self.with_dc.setChecked(True)
                form.addRow("", self.with_dc)
            for key in keys:
                label, default, unit = FIELDS[key]
                edit = QLineEdit(default)
                edit.setObjectName(key)
                edit.setToolTip(f"{key}" + (f" ({unit})" if unit else "")
                                + (", comma-separated" if key in LIST_FIELDS else ""))
                error = QLabel()                 # below its field, the form's full width
                error.setStyleSheet("color: #c00000;")
                error.setWordWrap(True)
                error.hide()
                self.edits[key], self.errors[key] = edit, error
                form.addRow(f"{label}" + (f" / {unit}" if unit else ""), edit)
                form.addRow(error)
            layout.addWidget(group)
        self.general = QLabel()
        self.general.setStyleSheet("color: #c00000;")
        self.general.setWordWrap(True)
        layout.addWidget(self.general)
        layout.addStretch(1)

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
            text = edit.text().strip()
            try:
                values[key] = _value(key, text)
            except ValueError as exc:
                problems.setdefault(key, []).append(str(exc))
                values[key] = _value(key, FIELDS[key][1])  # to check the others meanwhile
        stand_ins = set(problems)
        try:
            recipe = parse_recipe(self.toml(values), bench, source="<form>",
                                  name=values["run.name"])
        except ConfigError as exc:
            for p in exc.problems if isinstance(exc, ConfigProblems) else [exc]:
                key = p.field if p.field in self.edits else None
                if key is None or key not in stand_ins:   # not a stand-in's problem
                    problems.setdefault(key, []).append(p.reason if key else str(p))
            recipe = None
        self.show_problems(problems)
        return None if problems else recipe

    def toml(self, values: dict) -> str:
        """The form as recipe TOML."""
        def line(key: str) -> str:
            return f"{key.rsplit('.', 1)[1]} = {_toml(values[key])}"
        tables = [("[run]", ["run.name"]),
                  ("[sample]", ["sample.name", "sample.thickness_m", "sample.area_m2"]),
                  ("[program]", ["program.temperatures_C", "program.ramp_C_per_min"]),
                  ("[[program.body]]\nprotocol = \"eis\"",
                   [k for k in FIELDS if "body[1]" in k])]
        if self.with_dc.isChecked():
            tables.append(("[[program.body]]\nprotocol = \"dc_polarization\"",
                           [k for k in FIELDS if "body[2]" in k]))
        return "\n\n".join("\n".join([head, *map(line, keys)]) for head, keys in tables) + "\n"


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
    if key in INT_FIELDS:
        try:
            return int(text)
        except ValueError:
            raise ValueError(f"{text!r} is not a whole number") from None
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
