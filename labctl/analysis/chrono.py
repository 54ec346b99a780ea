"""A recorded DC polarization (chronoamperometry file) through the live stop rule.

`analyze(chrono, ...)` replays the readings one by one through the rule the DC
polarization protocol stops by (`protocols._tail.SteadyRule`): `steady_at_s` is when the
live measurement would have ended (None: never). I_ss and t_ion come from the tail model
chosen by prediction on the whole record when the rule was satisfied, otherwise I_ss is
reported as a bound, the level of the last readings (`I_ss_is_bound`). sigma_e =
I_ss L / (V A) with the geometry. `plot` draws I(t), the chosen model and its prediction.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from labctl.analysis.chrono_files import Chrono
from labctl.analysis.quantities import conductivity
from labctl.errors import LabctlError
from labctl.protocols._tail import Estimate, SteadyRule, level
from labctl.protocols._tail_models import HOLDOUT, MODELS, tail_window
from labctl.protocols.dc_polarization import Params

DEFAULTS = Params()


@dataclass(frozen=True)
class ChronoAnalysis:
    chrono: Chrono
    voltage_V: float
    rule: SteadyRule
    estimate: Estimate | None    # of the whole record
    json: dict


def analyze(chrono: Chrono, voltage_V: float | None = None, i0_A: float | None = None,
            thickness_m: float | None = None, area_m2: float | None = None,
            t_ion_tolerance: float = DEFAULTS.t_ion_tolerance,
            relative_tolerance: float = DEFAULTS.iss_relative_tolerance) -> ChronoAnalysis:
    voltage = voltage_V if voltage_V is not None else chrono.voltage_V
    if voltage is None or voltage == 0:
        raise LabctlError("the file does not state the step voltage: give --voltage-V")
    keep = chrono.t_s > 0
    t, i = chrono.t_s[keep], chrono.current_A[keep]
    rule = SteadyRule(t_ion_tolerance, relative_tolerance,
                      i0_A if i0_A is not None else float(chrono.current_A[0]))
    for k in range(1, t.size + 1):
        if rule.update(t[:k], i[:k]):
            break
    estimate = rule.estimate_of(t, i)
    result = estimate if rule.steady_at_s is not None and estimate and not estimate.failed \
        else None
    if result:
        iss, iss_std = result.fit.steady_A, result.fit.steady_std_A
    else:
        iss, iss_std = level(t, i, estimate)
    i0 = rule.i0_A
    sigma = (float(conductivity(voltage / iss, thickness_m, area_m2))
             if thickness_m and area_m2 else None)
    summary = {
        "voltage_V": voltage, "I0_A": i0, "I0_source": "given" if i0_A is not None else
        "first_reading", "I_ss_A": iss, "I_ss_std_A": iss_std, "I_ss_is_bound": result is None,
        "t_ion": 1 - iss / i0, "t_ion_std": iss_std / abs(i0),
        "model": estimate.fit.model if estimate else "none",
        "model_params": estimate.fit.params if estimate else {},
        "model_failed": estimate.failed if estimate else "record too short for a tail fit",
        "steady": rule.steady_at_s is not None, "steady_at_s": rule.steady_at_s,
        "duration_s": float(t[-1]), "sigma_e_S_per_m": sigma}
    return ChronoAnalysis(chrono, voltage, rule, estimate,
                          {k: _finite(v) for k, v in summary.items()})


def _finite(value):
    return None if isinstance(value, float) and not math.isfinite(value) else value


def plot(analysis: ChronoAnalysis, path: Path) -> None:
    """I(t) (log-log), the chosen model over its window, its prediction from the readings
    before t_last / HOLDOUT, and I_ss (or its bound)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    c, j = analysis.chrono, analysis.json
    keep = c.t_s > 0
    t, i = c.t_s[keep], c.current_A[keep]
    fig, ax = plt.subplots(figsize=(7, 4.5))
    ax.loglog(t, np.abs(i), ".", ms=3, color="0.4", label="I(t)")
    est = analysis.estimate
    if est is not None:
        window = tail_window(t, i)
        ax.loglog(window[0], est.fit.predict(window[0]), "-", color="C0",
                  label=f"{est.fit.model} fit" + (f" ({est.failed})" if est.failed else ""))
        early = t <= t[-1] / HOLDOUT
        before = tail_window(t[early], i[early])
        if before is not None:
            prior = MODELS[est.fit.model](*before)
            later = t[~early]
            ax.loglog(later, prior.predict(later), "--", color="C1",
                      label=f"prediction from t <= {t[-1] / HOLDOUT:.4g} s")
    label = "I_ss <= (bound)" if j["I_ss_is_bound"] else "I_ss"
    ax.axhline(j["I_ss_A"], ls=":", color="C2", label=f"{label} {j['I_ss_A']:.4g} A")
    if j["steady_at_s"] is not None:
        ax.axvline(j["steady_at_s"], ls=":", color="C3", label="steady (live rule)")
    ax.set_xlabel("t since the step (s)")
    ax.set_ylabel("|I| (A)")
    ax.legend(fontsize=8)
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110)
    plt.close(fig)
