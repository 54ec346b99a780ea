"""Measured points in and out of the point tables: dataclasses or column arrays -> rows -> numpy.

Writers accept either a sequence of capability dataclasses (`ImpedancePoint`,
`CurrentReading`, `TemperatureReading`, `GasReading`) or a mapping of their field names to arrays (the
fast path for batches). Readers return numpy structured arrays with unit-named fields.
A NaN value is stored as NULL and read back as NaN.
"""

from __future__ import annotations

import itertools
from dataclasses import MISSING, dataclass, fields
from typing import Any, Iterable, Iterator, Mapping

import numpy as np

from labctl.capabilities import CurrentReading, GasReading, ImpedancePoint, TemperatureReading
from labctl.errors import StoreError

Points = Iterable[Any] | Mapping[str, Any]


@dataclass(frozen=True)
class PointTable:
    """One point table: its key column, stored columns, and the numpy dtype readers return."""

    name: str
    key: str                       # 'step_id' or 'run_id'
    columns: tuple[str, ...]       # stored columns after the key, in insert order
    source: type                   # the capability dataclass the points come as
    dtype: np.dtype                # what readers return

    @property
    def insert_sql(self) -> str:
        marks = ", ".join("?" * (len(self.columns) + 1))
        return f"INSERT INTO {self.name} ({self.key}, {', '.join(self.columns)}) VALUES ({marks})"

    @property
    def select_sql(self) -> str:
        return (f"SELECT {', '.join(self.columns)} FROM {self.name} "
                f"WHERE {self.key} = ? ORDER BY rowid")


def _dtype(names: Iterable[str], complex_field: str | None = None) -> np.dtype:
    return np.dtype([(n, complex if n == complex_field else float) for n in names])


IMPEDANCE = PointTable(
    "impedance_points", "step_id",
    ("time_s", "frequency_Hz", "z_real_Ohm", "z_imag_Ohm", "z_abs_Ohm", "phase_rad",
     "amplitude_V", "bias_V", "temperature_K"),
    ImpedancePoint,
    _dtype(("time_s", "frequency_Hz", "impedance_Ohm", "amplitude_V", "bias_V",
            "temperature_K"), complex_field="impedance_Ohm"))
DC = PointTable(
    "dc_points", "step_id", ("time_s", "voltage_V", "current_A", "temperature_K"),
    CurrentReading, _dtype(("time_s", "voltage_V", "current_A", "temperature_K")))
TEMPERATURE = PointTable(
    "temperature_log", "run_id", ("time_s", "temperature_K", "setpoint_K", "output_percent"),
    TemperatureReading, _dtype(("time_s", "temperature_K", "setpoint_K", "output_percent")))

GAS = PointTable(
    "gas_points", "step_id",
    ("time_s", "pO2_Pa", "o2_flow_sccm", "n2_flow_sccm", "co_flow_sccm", "co2_flow_sccm",
     "temperature_K"),
    GasReading, _dtype(("time_s", "pO2_Pa", "o2_flow_sccm", "n2_flow_sccm", "co_flow_sccm",
                        "co2_flow_sccm", "temperature_K")))

TABLES = {t.name: t for t in (IMPEDANCE, DC, TEMPERATURE, GAS)}


def rows(table: PointTable, key: int, points: Points,
         temperature_K: Any = None) -> Iterator[tuple]:
    """Insert rows for `table` (in `table.columns` order after the key)."""
    cols = _columns(points, table.source)
    if table is IMPEDANCE:
        cols = stored_impedance(cols)
    if table is not TEMPERATURE:
        cols["temperature_K"] = np.nan if temperature_K is None else temperature_K
    try:
        arrays = np.broadcast_arrays(*(np.asarray(cols[c], dtype=float) for c in table.columns))
    except (ValueError, TypeError) as exc:
        raise StoreError(f"{table.name}: columns do not form a batch of points: {exc}") from exc
    if arrays[0].ndim != 1:
        raise StoreError(f"{table.name}: expected 1-D columns, got shape {arrays[0].shape}")
    return zip(itertools.repeat(key), *(a.tolist() for a in arrays))


def stored_impedance(cols: Mapping[str, Any]) -> dict[str, Any]:
    """The stored impedance columns (Z', Z'', |Z|, phase) from `ImpedancePoint` fields."""
    z = np.asarray(cols["impedance_Ohm"], dtype=complex)
    derived = {"z_real_Ohm": z.real, "z_imag_Ohm": z.imag, "z_abs_Ohm": np.abs(z),
               "phase_rad": np.angle(z)}
    return {c: derived[c] if c in derived else cols.get(c) for c in IMPEDANCE.columns}


def _columns(points: Points, cls: type) -> dict[str, Any]:
    """Field name -> column of `points` (a sequence of `cls` or a mapping of columns)."""
    if not isinstance(points, Mapping):
        points = list(points)
        if not all(isinstance(p, cls) for p in points):
            raise StoreError(f"expected {cls.__name__} points or a mapping of columns")
        return {f.name: [getattr(p, f.name) for p in points] for f in fields(cls)}
    unknown = set(points) - {f.name for f in fields(cls)}
    if unknown:
        raise StoreError(f"unknown {cls.__name__} columns: {sorted(unknown)}")
    cols = {}
    for f in fields(cls):
        if f.name not in points and f.default is MISSING:
            raise StoreError(f"{cls.__name__} columns: '{f.name}' is missing")
        cols[f.name] = points.get(f.name, f.default)
    return cols


def read(conn, table: PointTable, key: int) -> np.ndarray:
    """All points of `key` (a step or run id) in insertion order, as `table.dtype`."""
    return _as_dtype(table, conn.execute(table.select_sql, (key,)))


def read_after(conn, table: PointTable, run_id: int, after: int
               ) -> tuple[np.ndarray, np.ndarray, int]:
    """Points of run `run_id` inserted after rowid `after`, in insertion order: their keys
    (step or run id), the points as `table.dtype`, and the last rowid read (`after` if none)."""
    of_run = ("run_id = ?" if table.key == "run_id"
              else "step_id IN (SELECT id FROM steps WHERE run_id = ?)")
    rows = conn.execute(f"SELECT rowid, {table.key}, {', '.join(table.columns)} FROM "
                        f"{table.name} WHERE rowid > ? AND {of_run} ORDER BY rowid",
                        (after, run_id)).fetchall()
    if not rows:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=table.dtype), after
    keys = np.array([r[1] for r in rows], dtype=np.int64)
    return keys, _as_dtype(table, (r[2:] for r in rows)), int(rows[-1][0])


def _as_dtype(table: PointTable, stored_rows: Iterable[tuple]) -> np.ndarray:
    """Rows of `table.columns` as `table.dtype` (impedance: Z', Z'' -> complex)."""
    if table is not IMPEDANCE:
        return np.fromiter(stored_rows, dtype=table.dtype)
    stored = np.fromiter(stored_rows, dtype=_dtype(table.columns))
    out = np.empty(len(stored), dtype=table.dtype)
    for name in table.dtype.names:
        if name != "impedance_Ohm":
            out[name] = stored[name]
    out["impedance_Ohm"] = stored["z_real_Ohm"] + 1j * stored["z_imag_Ohm"]
    return out
