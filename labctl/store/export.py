"""Exports of a run: CSV per step (and the temperature log), ZView/ZPlot `.z` per spectrum.
A run with several samples: each file is one sample's, its name carries the sample
(`run0001-A-step021-eis-350C.z`) and its comments that sample's table (geometry).

CSV: `#` comment lines with run and step metadata, then a header row whose column names
carry the SI unit (`time_s,voltage_V,...`), then one row per point (`nan` = no value).
`.z`: the ZPlot 2 ASCII layout (docs/store.md) with the 9 tab-separated columns
Freq(Hz), Ampl, Bias, Time(Sec), Z'(a), Z''(b), GD, Err, Range — read by ZView,
impedance.py `readZPlot` and pyimpspec `parse_data`.
"""

from __future__ import annotations

import csv
import json
import re
from pathlib import Path

import numpy as np

from labctl import __version__, runsamples
from labctl.errors import StoreError
from labctl.store import points as pt
from labctl.store.store import Run, Step, Store
from labctl.units import celsius_text

Z_COLUMNS = "Freq(Hz)\tAmpl\tBias\tTime(Sec)\tZ'(a)\tZ''(b)\tGD\tErr\tRange"


def export_csv(store: Store, run_id: int, out_dir: Path, *,
               include_superseded: bool = False) -> list[Path]:
    """One CSV per step and point table, plus the run's temperature log; the paths.
    Steps measured again after a resume (superseded) only with `include_superseded`."""
    run = store.run(run_id)
    written = []
    for step in _steps(store, run_id, include_superseded):
        for name, data in (("impedance", store.impedance(step.id)), ("dc", store.dc(step.id))):
            if len(data):
                path = out_dir / f"{_stem(run, step)}-{name}.csv"
                _write_csv(path, _metadata(run, step), _stored_columns(data))
                written.append(path)
    log = store.temperature_log(run_id)
    if len(log):
        path = out_dir / f"run{run.id:04d}-temperature.csv"
        _write_csv(path, _metadata(run, None), {n: log[n] for n in log.dtype.names})
        written.append(path)
    return written


def export_z(store: Store, run_id: int, out_dir: Path, *,
             include_superseded: bool = False) -> list[Path]:
    """One `.z` file per step with an impedance spectrum (points at more than one
    frequency: not e.g. a stabilize step's |Z| monitor at one frequency); the paths.
    Spectra measured again after a resume (superseded) only with `include_superseded`."""
    run = store.run(run_id)
    written = []
    for step in _steps(store, run_id, include_superseded):
        spectrum = store.impedance(step.id)
        if len(np.unique(spectrum["frequency_Hz"])) > 1:
            path = out_dir / f"{_stem(run, step)}.z"
            write_z(path, spectrum, _metadata(run, step))
            written.append(path)
    if not written:
        raise StoreError(f"run {run_id} has no impedance spectra to export as .z")
    return written


def _steps(store: Store, run_id: int, include_superseded: bool) -> list[Step]:
    return [s for s in store.steps(run_id) if include_superseded or not s.superseded]


def write_z(path: Path, spectrum: np.ndarray, comments: list[str]) -> None:
    """Write a `Store.impedance` array as a ZPlot `.z` file with `comments` in its header."""
    header = ["ZPLOT2 ASCII",
              f"  Measured Data, labctl:       {__version__}",
              "  Experiment Type: Sweep Frequency, Control Voltage",
              "Begin User Comments:",
              *(f"  {_z_safe(line)}" for line in comments),
              "End User Comments:",
              f"  Data Points:                {len(spectrum)}",
              f"  {Z_COLUMNS}",
              "End Comments"]
    z = spectrum["impedance_Ohm"]
    columns = (spectrum["frequency_Hz"], spectrum["amplitude_V"], spectrum["bias_V"],
               spectrum["time_s"], z.real, z.imag)
    rows = ["\t".join(f"{v:.8E}" for v in values) + "\t0.0000E+00\t0\t0"
            for values in zip(*(c.tolist() for c in columns))]
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(header + rows) + "\n", encoding="ascii", newline="\r\n")


def _stored_columns(spectrum_or_dc: np.ndarray) -> dict[str, np.ndarray]:
    """Columns as stored: impedance split into Z', Z'', |Z| and phase."""
    cols = {n: spectrum_or_dc[n] for n in spectrum_or_dc.dtype.names}
    return pt.stored_impedance(cols) if "impedance_Ohm" in cols else cols


def _write_csv(path: Path, metadata: list[str], columns: dict[str, np.ndarray]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", newline="", encoding="utf-8") as f:
        f.writelines(f"# {line}\n" for line in metadata)
        f.write("# column names end in their SI unit (s, Hz, Ohm, rad, V, A, K; percent)\n")
        writer = csv.writer(f)
        writer.writerow(columns)
        writer.writerows(zip(*(np.asarray(c, dtype=float).tolist() for c in columns.values())))


def _metadata(run: Run, step: Step | None) -> list[str]:
    """Run and step lines; the sample's table is the step's own sample's (the run's when it
    has one sample, or for the temperature log)."""
    sample = runsamples.entry(run, step.sample if step is not None else None)
    lines = [f"labctl run {run.id} '{run.name}' uuid {run.uuid} status {run.status}",
             f"started {run.started_utc} ended {run.ended_utc or '-'} operator '{run.operator}'",
             f"sample {json.dumps(sample, sort_keys=True)}"]
    if step is not None:
        lines += [f"step {step.seq} {step.kind} status {step.status} "
                  f"temperature_K {step.temperature_K}",
                  f"params {json.dumps(step.params, sort_keys=True)}"]
    return [" ".join(line.split()) for line in lines]


def _stem(run: Run, step: Step) -> str:
    """`run0001-step021-eis-350C`: the step's nominal temperature (°C) when it has one, so
    that spectra stay apart by temperature in a batch fit; of a run with several samples
    the sample after the run (`run0001-A-step021-eis-350C`), so a sample's files sort
    together."""
    kind = re.sub(r"[^\w.-]", "_", step.kind)
    sample = "" if step.sample is None else "-" + re.sub(r"[^\w.]", "_", step.sample)
    celsius = celsius_text(step.temperature_K)
    return (f"run{run.id:04d}{sample}-step{step.seq:03d}-{kind}"
            + (f"-{celsius}C" if celsius else ""))


def _z_safe(text: str) -> str:
    """ASCII, with () as [] so that pyimpspec cannot take a comment for the `Freq(Hz)` line."""
    return text.encode("ascii", "replace").decode("ascii").translate(str.maketrans("()", "[]"))
