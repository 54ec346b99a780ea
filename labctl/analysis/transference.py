"""Li+ transference numbers of a run (Bruce-Vincent-Evans, `protocols.transference`).

`by_temperature(store, run_id)` gives, per plateau temperature, the result of the latest
finished `transference` measurement (t_plus with t_plus_std, the naive I_ss/I_0, I_0, I_ss,
R_0, R_ss); `parts(store, step)` splits its points into the spectrum before the step, the
current I(t) of the step and the spectrum at steady state; `plot(store, step, path)` draws
I(t) with I_0 and I_ss marked next to the two Nyquist plots overlaid (PNG or SVG by the
file's suffix).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from labctl import registry
from labctl.protocol import LI_TRANSFERENCE
from labctl.store import Store
from labctl.store.store import Step
from labctl.units import K_to_C

REPORTED = ("t_plus", "t_plus_std", "t_plus_naive", "I0_A", "Iss_A", "R0_Ohm", "Rss_Ohm",
            "voltage_V", "stopped", "duration_s")


@dataclass(frozen=True)
class Parts:
    before: np.ndarray      # impedance points (store fields) before the step
    current: np.ndarray     # DC readings of the step, time_s from the step
    after: np.ndarray       # impedance points at steady state


def steps(store: Store, run_id: int) -> list[Step]:
    """The run's finished transference measurements that count (not superseded)."""
    return steps_of(store.steps(run_id))


def steps_of(candidates: list[Step]) -> list[Step]:
    """The finished transference measurements among `candidates` (not superseded)."""
    kinds = registry.providing(LI_TRANSFERENCE)
    return [s for s in candidates
            if s.kind in kinds and s.status == "done" and not s.superseded and s.result]


def by_temperature(store: Store, run_id: int) -> dict[float, dict]:
    """{plateau temperature_K: the reported quantities} (the latest measurement per plateau;
    a run outside a temperature program reports under None)."""
    return {s.temperature_K: {key: getattr(registry.result_of(s.kind, s.result), key)
                              for key in REPORTED} for s in steps(store, run_id)}


def parts(store: Store, step: Step) -> Parts:
    """The step's points in their three parts (the relaxation readings afterwards excluded)."""
    r = registry.result_of(step.kind, step.result)
    start, length = r.step_time_s, r.duration_s
    z, dc = store.impedance(step.id), store.dc(step.id)
    current = dc[(dc["time_s"] >= start) & (dc["time_s"] <= start + length * (1 + 1e-9))].copy()
    current["time_s"] -= start
    return Parts(z[z["time_s"] <= start], current, z[z["time_s"] > start])


def plot(store: Store, step: Step, path: str | Path) -> Path:
    """I(t) (log time) with I_0 and I_ss, and the Nyquist plots before and at steady state."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    r, p = registry.result_of(step.kind, step.result), parts(store, step)
    fig, (left, right) = plt.subplots(1, 2, figsize=(11, 4.5))
    left.semilogx(p.current["time_s"], np.abs(p.current["current_A"]) * 1e6, ".", ms=3,
                  label="I(t)")
    left.axhline(r.I0_A * 1e6, ls="--", color="C1", label=f"I_0 = {r.I0_A * 1e6:.4g} uA")
    left.axhline(r.Iss_A * 1e6, ls=":", color="C2", label=f"I_ss = {r.Iss_A * 1e6:.4g} uA")
    left.set(xlabel="time since the step / s", ylabel="current / uA",
             title=f"t+ = {r.t_plus:.3f} +- {r.t_plus_std:.3f} "
                   f"(naive I_ss/I_0 = {r.t_plus_naive:.3f})")
    left.legend()
    for spectrum, label in ((p.before, f"before, R_0 = {r.R0_Ohm:.4g} Ohm"),
                            (p.after, f"steady state, R_ss = {r.Rss_Ohm:.4g} Ohm")):
        z = spectrum["impedance_Ohm"]
        right.plot(z.real, -z.imag, "o-", ms=3, label=label)
    right.set(xlabel="Z' / Ohm", ylabel="-Z'' / Ohm", aspect="equal", title="spectra")
    right.legend()
    temperature = "" if step.temperature_K is None else f" at {K_to_C(step.temperature_K):.1f} degC"
    fig.suptitle(f"Li+ transference number (Bruce-Vincent-Evans){temperature}")
    fig.tight_layout()
    path = Path(path)
    fig.savefig(path)
    plt.close(fig)
    return path
