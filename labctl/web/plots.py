"""The web view's plots of one run, drawn from what the store holds (PNG bytes).

Which plots a run has follows from its data, not from its protocols: spectra (impedance
points at MIN_FREQUENCIES or more frequencies; the latest one per temperature) give
Nyquist and Bode (zoomed to the ionic arcs when the steps found R_ion), DC readings at one
voltage I(t), DC readings over a voltage range (sweeps) I(V), the temperature log T(t), and steps whose
result has an ionic resistance, at two or more temperatures, an Arrhenius plot (with the
sample's geometry: sigma T; without: 1/R T). A run with several samples: each sample's
spectra and its own Arrhenius line (its steps' positions name it).
"""

from __future__ import annotations

import io
import threading
from typing import Callable

import numpy as np

from labctl import runsamples
from labctl.analysis.quantities import arrhenius, conductivity
from labctl.store import Store
from labctl.units import K_to_C

PLOTS = ("nyquist", "bode", "current", "sweep", "temperature", "arrhenius")
SWEPT_V = 0.01            # a DC step whose voltage spans more was swept, not held
MIN_FREQUENCIES = 5       # fewer: a single-frequency monitor (thermal stability), not a spectrum
_DRAWING = threading.Lock()   # matplotlib's text layout is not thread-safe (the server's threads)


class StepShapes:
    """What each step's points are: "spectrum", "held" or "swept" DC, or None (too few).

    Remembered per step and point count (points are only ever appended), so a page polling
    a long run reads the points of the steps that grew since, not the whole run.
    """

    def __init__(self) -> None:
        self._known: dict[int, tuple[int, str | None]] = {}

    def of(self, store: Store, step) -> str | None:
        points, shape = self._known.get(step.id, (None, None))
        if points != step.points:
            shape = _shape(store, step)
            self._known[step.id] = (step.points, shape)
        return shape


def _shape(store: Store, step) -> str | None:
    if len(np.unique(store.impedance(step.id)["frequency_Hz"])) >= MIN_FREQUENCIES:
        return "spectrum"
    dc = store.dc(step.id)
    if len(dc) > 1:
        return "swept" if np.ptp(dc["voltage_V"]) > SWEPT_V else "held"
    return None


def available(store: Store, run_id: int, shapes: StepShapes | None = None) -> list[str]:
    """The plots run `run_id` has data for, in PLOTS order (`shapes`: one kept across calls)."""
    steps = _steps(store, run_id)
    found = {(shapes or StepShapes()).of(store, step) for step in steps}
    has = {"nyquist": "spectrum" in found, "bode": "spectrum" in found,
           "current": "held" in found, "sweep": "swept" in found,
           "temperature": len(store.temperature_log(run_id)) > 0,
           "arrhenius": any(len(set(T)) >= 2 for T, _ in _resistances(steps).values())}
    return [name for name in PLOTS if has[name]]


def png(store: Store, run_id: int, name: str) -> bytes:
    """Plot `name` (one of PLOTS) of run `run_id`."""
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib.figure import Figure

    out = io.BytesIO()
    with _DRAWING:
        fig = Figure(figsize=(6.4, 4.4), dpi=90)
        ax = fig.add_subplot()
        DRAW[name](store, run_id, ax)
        ax.grid(alpha=0.3)
        if ax.get_legend_handles_labels()[0]:
            ax.legend(fontsize=7)
        fig.tight_layout()
        fig.savefig(out, format="png")
    return out.getvalue()


def _steps(store: Store, run_id: int):
    return [s for s in store.steps(run_id) if not s.superseded]


def _label(step) -> str:
    """The step's sample (in a run with several), else its position, and temperature."""
    where = step.sample or step.path or step.kind
    return f"{where}, {K_to_C(step.temperature_K):.0f} °C" if step.temperature_K else where


def _spectra(store: Store, steps) -> dict:
    """The latest spectrum of each sample at each temperature: label -> points."""
    spectra = {}
    for step in steps:
        points = store.impedance(step.id)
        if len(np.unique(points["frequency_Hz"])) >= MIN_FREQUENCIES:
            key = (step.sample, step.temperature_K)
            spectra.pop(key, None)                        # the latest last in the legend
            spectra[key] = (_label(step), points)
    return dict(spectra.values())


def _nyquist(store: Store, run_id: int, ax) -> None:
    for label, points in _spectra(store, _steps(store, run_id)).items():
        z = points["impedance_Ohm"]
        ax.plot(z.real, -z.imag, "o-", ms=2, label=label)
    ax.set(xlabel="Z' / Ohm", ylabel="-Z'' / Ohm", title="Nyquist")
    resistances = [R for _, Rs in _resistances(_steps(store, run_id)).values() for R in Rs]
    if resistances:                   # the arcs, not the electrode's capacitive spike
        span = 1.5 * max(resistances)
        ax.set(xlim=(0, span), ylim=(0, 0.7 * span))
    ax.set_aspect("equal", adjustable="box")


def _bode(store: Store, run_id: int, ax) -> None:
    for label, points in _spectra(store, _steps(store, run_id)).items():
        ax.loglog(points["frequency_Hz"], np.abs(points["impedance_Ohm"]), "o-", ms=2,
                  label=label)
    ax.set(xlabel="f / Hz", ylabel="|Z| / Ohm", title="Bode")


def _dc(store: Store, steps, swept: bool) -> list:
    """(step, points) of the DC steps held at one voltage (swept False) or swept."""
    found = []
    for step in steps:
        points = store.dc(step.id)
        if len(points) > 1 and (np.ptp(points["voltage_V"]) > SWEPT_V) == swept:
            found.append((step, points))
    return found


def _current(store: Store, run_id: int, ax) -> None:
    for step, points in _dc(store, _steps(store, run_id), swept=False):
        t = points["time_s"] - points["time_s"][0]
        ax.loglog(t[1:], np.abs(points["current_A"][1:]), label=_label(step))
    ax.set(xlabel="t since the step / s", ylabel="|I| / A", title="DC current at a held voltage")


def _sweep(store: Store, run_id: int, ax) -> None:
    for step, points in _dc(store, _steps(store, run_id), swept=True):
        ax.semilogy(points["voltage_V"], np.abs(points["current_A"]), label=_label(step))
    ax.set(xlabel="V / V", ylabel="|I| / A", title="Voltage sweeps")


def _temperature(store: Store, run_id: int, ax) -> None:
    log = store.temperature_log(run_id)
    hours = (log["time_s"] - log["time_s"][0]) / 3600
    ax.plot(hours, K_to_C(log["temperature_K"]), label="furnace")
    ax.plot(hours, K_to_C(log["setpoint_K"]), "--", label="set-point")
    ax.set(xlabel="t / h", ylabel="T / °C", title="Temperature")


def _resistances(steps) -> dict[str | None, tuple[list[float], list[float]]]:
    """{sample: (T, R_ion)} of the steps that found an ionic resistance."""
    found: dict = {}
    for s in steps:
        if s.temperature_K and (s.result or {}).get("r_ion_Ohm"):
            T, R = found.setdefault(s.sample, ([], []))
            T.append(s.temperature_K)
            R.append(s.result["r_ion_Ohm"])
    return found


def _arrhenius(store: Store, run_id: int, ax) -> None:
    run = store.run(run_id)
    found = _resistances(_steps(store, run_id))
    geometries = {sample: runsamples.entry(run, sample) for sample in found}
    geometry = all({"thickness_m", "area_m2"} <= set(g) for g in geometries.values())
    ax.set(ylabel="sigma T / (S K/m)" if geometry else "T / R  (K/Ohm), no sample geometry")
    for k, (sample, (T, R)) in enumerate(found.items()):
        g = geometries[sample]
        T, R = np.array(T) + runsamples.temperature_offset_K(run, sample), np.array(R)
        y = conductivity(R, g["thickness_m"], g["area_m2"]) if geometry else 1 / R
        name = "" if sample is None else f"{sample}: "
        colour = f"C{k % 10}"
        ax.semilogy(1000 / T, y * T, "o", color=colour, label=f"{name}R_ion of the steps")
        if (fit := arrhenius(T, y)) is not None:
            line = np.linspace(T.min(), T.max(), 50)
            ax.semilogy(1000 / line, fit.y_T(line), "-", lw=1, color=colour,
                        label=f"{name}Ea = {fit.Ea_eV:.3f} eV")
    ax.set(xlabel="1000 / T  (1/K)", title="Arrhenius")


DRAW: dict[str, Callable] = {"nyquist": _nyquist, "bode": _bode, "current": _current,
                             "sweep": _sweep, "temperature": _temperature,
                             "arrhenius": _arrhenius}
