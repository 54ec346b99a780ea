"""The web view's plots of one run, drawn from what the store holds (PNG bytes).

Which plots a run has follows from its data, not from its protocols: spectra (impedance
table) give Nyquist and Bode, DC readings I(t), the temperature log T(t), and steps whose
result has an ionic resistance, at two or more temperatures, an Arrhenius plot (with the
run's sample geometry: sigma T; without: 1/R T).
"""

from __future__ import annotations

import io
from typing import Callable

import numpy as np
from scipy.constants import zero_Celsius

from labctl.analysis.quantities import conductivity
from labctl.store import Store

PLOTS = ("nyquist", "bode", "current", "temperature", "arrhenius")


def available(store: Store, run_id: int) -> list[str]:
    """The plots run `run_id` has data for, in PLOTS order."""
    steps = _steps(store, run_id)
    has = {"nyquist": any(_spectrum(store, s) is not None for s in steps),
           "current": any(len(store.dc(s.id)) for s in steps),
           "temperature": len(store.temperature_log(run_id)) > 0,
           "arrhenius": len({T for T, _ in _resistances(steps)}) >= 2}
    has["bode"] = has["nyquist"]
    return [name for name in PLOTS if has[name]]


def png(store: Store, run_id: int, name: str) -> bytes:
    """Plot `name` (one of PLOTS) of run `run_id`."""
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib.figure import Figure

    fig = Figure(figsize=(6.4, 4.4), dpi=90)
    ax = fig.add_subplot()
    DRAW[name](store, run_id, ax)
    ax.grid(alpha=0.3)
    if ax.get_legend_handles_labels()[0]:
        ax.legend(fontsize=7)
    fig.tight_layout()
    out = io.BytesIO()
    fig.savefig(out, format="png")
    return out.getvalue()


def _steps(store: Store, run_id: int):
    return [s for s in store.steps(run_id) if not s.superseded]


def _label(step) -> str:
    where = step.path or step.kind
    return f"{where}, {step.temperature_K - zero_Celsius:.0f} °C" if step.temperature_K else where


def _spectrum(store: Store, step):
    points = store.impedance(step.id)
    return points if len(points) else None


def _nyquist(store: Store, run_id: int, ax) -> None:
    for step in _steps(store, run_id):
        if (points := _spectrum(store, step)) is not None:
            z = points["impedance_Ohm"]
            ax.plot(z.real, -z.imag, "o-", ms=2, label=_label(step))
    ax.set(xlabel="Z' / Ohm", ylabel="-Z'' / Ohm", title="Nyquist", aspect="equal")


def _bode(store: Store, run_id: int, ax) -> None:
    for step in _steps(store, run_id):
        if (points := _spectrum(store, step)) is not None:
            ax.loglog(points["frequency_Hz"], np.abs(points["impedance_Ohm"]), "o-", ms=2,
                      label=_label(step))
    ax.set(xlabel="f / Hz", ylabel="|Z| / Ohm", title="Bode")


def _current(store: Store, run_id: int, ax) -> None:
    for step in _steps(store, run_id):
        points = store.dc(step.id)
        if len(points) > 1:
            t = points["time_s"] - points["time_s"][0]
            ax.loglog(t[1:], np.abs(points["current_A"][1:]), label=_label(step))
    ax.set(xlabel="t since the step / s", ylabel="|I| / A", title="DC current")


def _temperature(store: Store, run_id: int, ax) -> None:
    log = store.temperature_log(run_id)
    hours = (log["time_s"] - log["time_s"][0]) / 3600
    ax.plot(hours, log["temperature_K"] - zero_Celsius, label="furnace")
    ax.plot(hours, log["setpoint_K"] - zero_Celsius, "--", label="set-point")
    ax.set(xlabel="t / h", ylabel="T / °C", title="Temperature")


def _resistances(steps) -> list[tuple[float, float]]:
    return [(s.temperature_K, s.result["r_ion_Ohm"]) for s in steps
            if s.temperature_K and (s.result or {}).get("r_ion_Ohm")]


def _arrhenius(store: Store, run_id: int, ax) -> None:
    T, R = np.array(_resistances(_steps(store, run_id))).T
    sample = store.run(run_id).sample
    if {"thickness_m", "area_m2"} <= set(sample):
        ax.semilogy(1000 / T, conductivity(R, sample["thickness_m"], sample["area_m2"]) * T, "o")
        ax.set(ylabel="sigma T / (S K/m)")
    else:
        ax.semilogy(1000 / T, T / R, "o")
        ax.set(ylabel="T / R  (K/Ohm), no sample geometry")
    ax.set(xlabel="1000 / T  (1/K)", title="Arrhenius")


DRAW: dict[str, Callable] = {"nyquist": _nyquist, "bode": _bode, "current": _current,
                             "temperature": _temperature, "arrhenius": _arrhenius}
