"""t_ion by the EMF method per plateau, beside the DC polarization's of the same plateau.

From a run in the store: every finished step whose protocol provides `EMF_TRANSFERENCE`
(`labctl.protocols.emf_tion`: t_ion corrected for electrode polarization, with its standard
error, and the uncorrected E/E_N), paired with the DC polarization (`POLARIZATION`) of the
same plateau (program position, else nominal temperature) when there is one.
`labctl analyze RUN --json` lists them as `t_ion_emf`; a figure compares them against
temperature.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from pathlib import Path

from labctl import registry, runsamples
from labctl.protocol import EMF_TRANSFERENCE, POLARIZATION


@dataclass(frozen=True)
class EmfTion:
    temperature_K: float
    t_ion: float
    t_ion_std: float
    t_ion_uncorrected: float
    R_eta_Ohm: float
    steady: bool
    t_ion_dc: float | None = None        # the DC polarization's, same plateau
    t_ion_dc_std: float | None = None

    def to_json(self) -> dict:
        return asdict(self)


def plateau_of(step) -> str:
    """The plateau a step belongs to: its program position's group, else its temperature."""
    return (step.path or "").rpartition("/")[0] or f"T={step.temperature_K}"


def from_store(store, run_id: int, sample: str | None = None) -> list[EmfTion]:
    """One entry per finished EMF step of the run (of `sample` in a run with several), in
    run order."""
    steps = [s for s in runsamples.finished(store, run_id, sample) if s.result]
    dc_kinds, emf_kinds = registry.providing(POLARIZATION), registry.providing(EMF_TRANSFERENCE)
    dc = {}
    for step in steps:
        if step.kind in dc_kinds:
            dc.setdefault(plateau_of(step), registry.result_of(step.kind, step.result))
    found = []
    for step in (s for s in steps if s.kind in emf_kinds):
        r, pol = registry.result_of(step.kind, step.result), dc.get(plateau_of(step))
        found.append(EmfTion(r.temperature_K, r.t_ion, r.t_ion_std, r.t_ion_uncorrected,
                             r.R_eta_Ohm, r.steady, pol.t_ion if pol else None,
                             pol.t_ion_std if pol else None))
    return found


def plot(entries: list[EmfTion], path: Path) -> Path:
    """t_ion against temperature: by EMF (corrected, with error bars; uncorrected) and by
    DC polarization."""
    import matplotlib
    matplotlib.use("Agg")
    from matplotlib.figure import Figure

    from labctl.units import K_to_C

    fig = Figure(figsize=(6, 4))
    ax = fig.add_subplot()
    T = [K_to_C(e.temperature_K) for e in entries]
    ax.errorbar(T, [e.t_ion for e in entries], [e.t_ion_std for e in entries], fmt="o",
                label="EMF, corrected (Gorelov)")
    ax.plot(T, [e.t_ion_uncorrected for e in entries], "x", label="EMF, E/E_N uncorrected")
    dc = [(t, e.t_ion_dc) for t, e in zip(T, entries) if e.t_ion_dc is not None]
    if dc:
        ax.plot(*zip(*dc), "s", mfc="none", label="DC polarization")
    ax.set_xlabel("T / °C")
    ax.set_ylabel("t_ion")
    ax.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    return path
