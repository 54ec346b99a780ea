"""Chronoamperometry files of other programs: I(t) after a voltage step.

`read(path)` reads, by content (not by name):
- BioLogic EC-Lab ASCII (.mpt): "EC-Lab ASCII FILE", "Nb header lines : N", tab-separated
  columns by name (`time/s`, `I/mA` or `<I>/mA`, `Ewe/V`), decimal point or comma; the step
  voltage from the header's `Ei (V)`;
- Gamry (.DTA): "EXPLAIN" header, the `CURVE` table with columns `T` (s), `Im` (A) and
  `Vf` (V), its unit line below the column names;
- CSV with a header line naming time in s and current in A (`t_s`/`time_s`/`time/s`,
  `I_A`/`current_A`/`I/A`, optional `V_V`/`voltage_V`/`E/V`).
Times are counted from the first reading (the step). Every problem raises LabctlError
naming the file, line and field.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from labctl.analysis.readers import ec_lab_header_lines, read_lines
from labctl.errors import LabctlError


@dataclass(frozen=True)
class Chrono:
    t_s: np.ndarray             # time since the first reading
    current_A: np.ndarray
    voltage_V: float | None     # the step voltage, when the file states it
    source: str                 # "biologic" | "gamry" | "csv"


def is_chrono(path: Path) -> bool:
    """Whether `path` is a chronoamperometry file `read` knows (by its first lines)."""
    try:
        head = Path(path).read_text(encoding="latin-1")[:4096]
    except OSError:
        return False
    return _kind(head, Path(path)) is not None


def read(path: str | Path) -> Chrono:
    path = Path(path)
    lines = read_lines(path)
    kind = _kind("\n".join(lines[:2]), path)
    if kind is None:
        raise LabctlError(f"{path}: not a BioLogic .mpt, Gamry .DTA or t,I CSV file")
    return {"biologic": _biologic, "gamry": _gamry, "csv": _csv}[kind](path, lines)


def _kind(head: str, path: Path) -> str | None:
    if head.startswith("EC-Lab ASCII FILE"):
        return "biologic"
    if head.startswith("EXPLAIN"):
        return "gamry"
    first = head.splitlines()[0] if head else ""
    if path.suffix.lower() == ".csv" and _csv_columns(first.split(",")) is not None:
        return "csv"
    return None


def _number(text: str, path: Path, line: int, field: str) -> float:
    try:
        return float(text.strip().replace(",", "."))
    except ValueError:
        raise LabctlError(f"{path}: line {line}, {field}: not a number: {text!r}") from None


def _columns(path: Path, lines: list[str], named: int, wanted: dict[str, tuple[str, ...]],
             sep: str = "\t", unit_line: bool = False) -> dict[str, np.ndarray]:
    """Columns `wanted` (key: accepted names) named on line index `named`, of the rows
    after it (after the unit line below it when `unit_line`: Gamry)."""
    names = lines[named].split(sep) if named < len(lines) else []
    first = named + 1 + unit_line
    index = {}
    for key, accepted in wanted.items():
        found = [k for k, n in enumerate(names) if n.strip() in accepted]
        if found:
            index[key] = found[0]
        elif key != "voltage":
            raise LabctlError(f"{path}: line {named + 1}: no column {' or '.join(accepted)}")
    values = {key: [] for key in index}
    for number, row in enumerate(lines[first:], start=first + 1):
        if not row.strip():
            continue
        cells = row.split(sep)
        for key, k in index.items():
            if k >= len(cells):
                raise LabctlError(f"{path}: line {number}, {names[k].strip()}: missing")
            values[key].append(_number(cells[k], path, number, names[k].strip()))
    if len(values["t"]) < 2:
        raise LabctlError(f"{path}: fewer than two readings")
    return {key: np.array(v) for key, v in values.items()}


def _chrono(path: Path, cols: dict[str, np.ndarray], current_scale: float,
            voltage: float | None, source: str) -> Chrono:
    t = cols["t"] - cols["t"][0]
    if np.any(np.diff(t) <= 0):
        raise LabctlError(f"{path}: times do not increase")
    if voltage is None and "voltage" in cols:
        voltage = float(np.median(cols["voltage"]))
    return Chrono(t, cols["current"] * current_scale, voltage, source)


def _biologic(path: Path, lines: list[str]) -> Chrono:
    n = ec_lab_header_lines(path, lines)
    cols = _columns(path, lines, n - 1, {"t": ("time/s",), "current": ("I/mA", "<I>/mA"),
                                         "voltage": ("Ewe/V",)})
    ei = [k for k, line in enumerate(lines[:n]) if line.startswith("Ei (V)")]
    voltage = _number(lines[ei[0]].split()[2], path, ei[0] + 1, "Ei (V)") if ei else None
    return _chrono(path, cols, 1e-3, voltage, "biologic")


def _gamry(path: Path, lines: list[str]) -> Chrono:
    table = [k for k, line in enumerate(lines) if re.match(r"CURVE\tTABLE", line)]
    if not table:
        raise LabctlError(f"{path}: no CURVE TABLE")
    cols = _columns(path, lines, table[0] + 1,
                    {"t": ("T",), "current": ("Im",), "voltage": ("Vf",)}, unit_line=True)
    return _chrono(path, cols, 1.0, None, "gamry")


CSV_NAMES = {"t": ("t_s", "time_s", "time/s"), "current": ("I_A", "current_A", "I/A"),
             "voltage": ("V_V", "voltage_V", "E/V")}


def _csv_columns(names: list[str]) -> dict[str, int] | None:
    found = {key: [k for k, n in enumerate(names) if n.strip() in accepted]
             for key, accepted in CSV_NAMES.items()}
    return None if not (found["t"] and found["current"]) else {k: v[0] for k, v in found.items()
                                                              if v}


def _csv(path: Path, lines: list[str]) -> Chrono:
    cols = _columns(path, lines, 0, CSV_NAMES, sep=",")
    return _chrono(path, cols, 1.0, None, "csv")
