"""What an analysis reads: per temperature a spectrum (and a DC polarization), plus a
stability-window sweep, from a run in the store or from spectrum files (`readers`).

From the store, by what each measurement's protocol declares it provides
(`ProtocolSpec.provides`): each plateau's first finished impedance spectrum (superseded
steps skipped; compensated with the fixture standards its step recorded,
labctl.compensation: raw points stay in the store, a step without standards is named in
the notes) at the mean temperature measured during it (the step's nominal one when none
was; of a sample at a calibrated pellet position, plus the position's
`temperature_offset_K`: `labctl.positions`), the polarization of the same plateau with
its protocol result (V, I_0, I_ss), the result of its Hebb-Wagner polarization (electronic
parts), and the stability-window sweep with its onsets.
From files: the temperature is the caller's, else the `temperature_K` labctl writes
in the file's comments (plus the sample's `temperature_offset_K` there), else a number
with `C` or `K` at the end of the file name (`pellet_350C.z`, `s-140deg.txt`); the
geometry is the caller's, else the `thickness_m` and `area_m2` of the sample that labctl
writes in the comments.

A run with several samples (`sample_json` = `{"name": run, "samples": [{"name", "thickness_m",
"area_m2", ...}, ...]}`, each step naming its sample) gives one dataset per sample
(`from_store(store, run_id, sample)`; `labctl.runsamples`), with that sample's geometry.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from labctl import registry, runsamples
from labctl.analysis import transference
from labctl.analysis.readers import read_spectrum
from labctl.compensation import compensated
from labctl.errors import LabctlError
from labctl.protocol import ELECTRONIC_PARTS, POLARIZATION, SPECTRUM, WINDOW
from labctl.store.store import Store
from labctl.units import C_to_K


@dataclass(frozen=True)
class Polarization:
    voltage_V: float
    I0_A: float
    Iss_A: float
    t_ion: float                 # the protocol's own value
    time_s: np.ndarray
    current_A: np.ndarray
    Iss_is_bound: bool = False   # not steady / below resolution: I_ss <= Iss_A


@dataclass(frozen=True)
class Window:
    onset_low_V: float | None
    onset_high_V: float | None
    threshold_A_per_m2: float
    voltage_V: np.ndarray
    current_A: np.ndarray


@dataclass(frozen=True)
class Plateau:
    temperature_K: float
    label: str                   # where the spectrum came from (step position or file)
    frequency_Hz: np.ndarray
    impedance_Ohm: np.ndarray
    kk_ok: bool | None = None    # the protocol's Lin-KK verdict, when it ran one
    polarization: Polarization | None = None
    transference: dict | None = None   # result of the plateau's Li+ transference step
    electronic_parts: dict | None = None   # result of its Hebb-Wagner step (sigma_n0, sigma_p0)


@dataclass(frozen=True)
class Dataset:
    name: str
    thickness_m: float | None
    area_m2: float | None
    plateaus: list[Plateau]
    window: Window | None = None
    source: str = ""
    notes: list[str] = field(default_factory=list)
    temperature_offset_K: float = 0.0   # added to the thermocouple's (a calibrated position)


def from_store(store: Store, run_id: int, sample: str | None = None) -> Dataset:
    """The run's dataset; of a run with several samples, that of `sample` (required)."""
    run = store.run(run_id)
    names = runsamples.names(run)
    if (sample is None) != (not names) or (sample is not None and sample not in names):
        raise LabctlError(f"run {run_id} has samples {', '.join(names)}: name one of them"
                          if names else f"run {run_id} has one sample, not {sample!r}")
    steps = runsamples.finished(store, run_id, sample)
    groups: dict[str, list] = {}
    for step in steps:
        key = (step.path or "").rpartition("/")[0] or f"T={step.temperature_K}"
        groups.setdefault(key, []).append(step)
    plateaus, window, notes = [], None, []
    offset_K = runsamples.temperature_offset_K(run, sample)
    for key, group in groups.items():
        eis = [s for s in group if s.kind in registry.providing(SPECTRUM)]
        dc = [s for s in group if s.kind in registry.providing(POLARIZATION) and s.result]
        sweep = [s for s in group if s.kind in registry.providing(WINDOW) and s.result]
        parts = [s for s in group
                 if s.kind in registry.providing(ELECTRONIC_PARTS) and s.result]
        if sweep:
            window = _window(store, sweep[0])
        li = transference.steps_of(group)
        if eis or li:   # a transference step alone: its spectrum before the step
            source = eis[0] if eis else li[0]
            spectrum = store.impedance(source.id) if eis else transference.parts(store, source).before
            z, note = compensated(store, source, spectrum["frequency_Hz"],
                                  spectrum["impedance_Ohm"])
            notes += [note] if note else []
            order = np.argsort(spectrum["frequency_Hz"])[::-1]
            measured = spectrum["temperature_K"][np.isfinite(spectrum["temperature_K"])]
            T = float(measured.mean()) if measured.size else source.temperature_K
            plateaus.append(Plateau(
                T if T is None else T + offset_K,   # None: no furnace
                source.path or f"step {source.seq}",
                spectrum["frequency_Hz"][order], z[order],
                registry.result_of(source.kind, source.result).kk_ok
                if eis and source.result else None,
                _polarization(store, dc[0]) if dc else None,
                li[0].result if li else None, parts[0].result if parts else None))
    where = f"run {run_id}" + ("" if sample is None else f" sample {sample}")
    if not plateaus:
        raise LabctlError(f"{where} has no finished impedance spectrum to analyze")
    geometry = runsamples.entry(run, sample)
    return Dataset(run.name if sample is None else f"{run.name}: {sample}",
                   geometry.get("thickness_m"), geometry.get("area_m2"),
                   sorted(plateaus, key=lambda p: p.temperature_K), window,
                   f"{store.path} {where}", notes, offset_K)


def run_datasets(store: Store, run_id: int) -> tuple[dict[str | None, Dataset], list[str]]:
    """Each sample's dataset ({None: dataset} for a one-sample run), and why samples were
    left out (a pellet without a finished spectrum does not stop the others); LabctlError
    when no sample has one."""
    samples = runsamples.names(store.run(run_id))
    if not samples:
        return {None: from_store(store, run_id)}, []
    datasets, left_out = {}, []
    for sample in samples:
        try:
            datasets[sample] = from_store(store, run_id, sample)
        except LabctlError as exc:
            left_out.append(f"{exc}: not analyzed")
    if not datasets:
        raise LabctlError(f"run {run_id}: no sample has a finished impedance spectrum "
                          "to analyze")
    return datasets, left_out


def _polarization(store: Store, step) -> Polarization:
    r, points = registry.result_of(step.kind, step.result), store.dc(step.id)
    return Polarization(r.voltage_V, r.I0_A, r.Iss_A, r.t_ion,
                        points["time_s"] - points["time_s"][0], points["current_A"],
                        bool(r.Iss_is_bound))   # runs stored before it: None, so False


def _window(store: Store, step) -> Window:
    r, points = registry.result_of(step.kind, step.result), store.dc(step.id)
    return Window(r.onset_low_V, r.onset_high_V, r.threshold_A_per_m2,
                  points["voltage_V"], points["current_A"])


_NAME_TEMPERATURE = re.compile(r"(?<![0-9A-Za-z])(-?\d+(?:\.\d+)?)\s*(C|K|degC|deg)$", re.IGNORECASE)
_NUMBER = r"(-?\d+(?:\.\d*)?(?:[eE][-+]?\d+)?)"
_COMMENT_TEMPERATURE = re.compile(r"(?<!_)temperature_K\s+" + _NUMBER)
_COMMENT_OFFSET = re.compile(r'"temperature_offset_K":\s*' + _NUMBER)
_COMMENT_GEOMETRY = {key: re.compile(rf'"{key}":\s*' + _NUMBER) for key in ("thickness_m", "area_m2")}


def from_files(paths: list[Path], temperatures_K: list[float] | None = None,
               thickness_m: float | None = None, area_m2: float | None = None) -> Dataset:
    """Spectrum files of any format `readers.read_spectrum` knows, one per temperature."""
    if temperatures_K is not None and len(temperatures_K) != len(paths):
        raise LabctlError(f"{len(temperatures_K)} temperatures for {len(paths)} files")
    plateaus, geometries, notes = [], {}, []
    for i, path in enumerate(paths):
        spectrum = read_spectrum(path)
        T = (temperatures_K[i] if temperatures_K is not None
             else _temperature(path, spectrum.comments))
        plateaus.append(Plateau(T, path.name, spectrum.frequency_Hz, spectrum.impedance_Ohm))
        geometries[path] = _geometry(spectrum.comments)
        notes += [f"{path.name}: {why}, row dropped" for why in spectrum.dropped]
    if thickness_m is None and area_m2 is None and any(geometries.values()):
        thickness_m, area_m2 = _one_geometry(geometries)
        notes.append("geometry from the files' comments")
    return Dataset(", ".join(p.name for p in paths), thickness_m, area_m2,
                   sorted(plateaus, key=lambda p: p.temperature_K), None,
                   ", ".join(str(p) for p in paths), notes)


def _geometry(comments: str) -> tuple[float, float] | None:
    """(thickness_m, area_m2) from labctl's sample line in the comments, if both are there."""
    found = [pattern.search(comments) for pattern in _COMMENT_GEOMETRY.values()]
    return tuple(float(m.group(1)) for m in found) if all(found) else None


def _one_geometry(geometries: dict) -> tuple[float, float]:
    values = set(g for g in geometries.values() if g)
    if len(values) > 1:
        listed = "; ".join(f"{path.name}: {g[0]:g} m, {g[1]:g} m2"
                           for path, g in geometries.items() if g)
        raise LabctlError(f"the files' comments give different sample geometries ({listed}); "
                          f"give --thickness-m and --area-m2")
    return values.pop()


def _temperature(path: Path, comments: str) -> float:
    found = _COMMENT_TEMPERATURE.search(comments)
    if found:
        offset = _COMMENT_OFFSET.search(comments)
        return float(found.group(1)) + (float(offset.group(1)) if offset else 0.0)
    found = _NAME_TEMPERATURE.search(path.stem)
    if found:
        value = float(found.group(1))
        return value if found.group(2).upper() == "K" else C_to_K(value)
    raise LabctlError(f"{path}: no temperature (give --temperatures-C, or name the file "
                      f"like 'pellet_350C.z' or 'pellet-350deg.txt')")
