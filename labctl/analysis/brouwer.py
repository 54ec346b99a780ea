"""Brouwer analysis of a pO2 sweep: sigma(pO2) = sigma_ion + sigma_n0 x^-1/4 + sigma_p0 x^+1/4
with x = pO2 / 1 atm (acceptor-doped oxide, fixed oxygen vacancies).

Per sweep (one temperature): the model is linear in (sigma_ion, sigma_n0, sigma_p0), fitted by
weighted least squares; each point's variance is that of sigma_total (from the resistance's
standard error) plus the pO2 error carried through the model's slope (a second pass with the
first pass's slope); the covariance is scaled by the reduced chi-square when the scatter
exceeds it. The electrolytic domain lies between the pO2 where sigma_n = sigma_ion,
x = (sigma_n0 / sigma_ion)^4, and where sigma_p = sigma_ion, x = (sigma_ion / sigma_p0)^4
(uncertainties by first-order propagation with the fit's covariance; a boundary beyond the
measured pO2 is an extrapolation, flagged). Across temperatures: Arrhenius lines of each
part, sigma_ion T for the ions (as labctl's other Arrhenius fits), plain sigma for the
electronic parts (as Park & Blumenthal 1989 report them).
`labctl analyze RUN --json` adds these under "brouwer"; `plot` draws log sigma vs log pO2.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass

import numpy as np
from scipy.constants import atm

from labctl.analysis import quantities as q
from labctl.errors import LabctlError

PARTS = ("ion", "n0", "p0")
SLOPES = np.array([0.0, -0.25, 0.25])     # d ln(part) / d ln pO2


@dataclass(frozen=True)
class BrouwerFit:
    temperature_K: float
    sigma_ion_S_per_m: float
    sigma_ion_std_S_per_m: float
    sigma_n0_S_per_m: float              # n-type at 1 atm
    sigma_n0_std_S_per_m: float
    sigma_p0_S_per_m: float              # p-type at 1 atm
    sigma_p0_std_S_per_m: float
    pO2_n_boundary_Pa: float | None      # sigma_n = sigma_ion (None: no n-type part found)
    pO2_n_boundary_std_Pa: float | None
    pO2_p_boundary_Pa: float | None      # sigma_p = sigma_ion
    pO2_p_boundary_std_Pa: float | None
    n_boundary_extrapolated: bool        # beyond the measured pO2
    p_boundary_extrapolated: bool
    points: int
    chi2_reduced: float | None           # None: no degrees of freedom left


def _design(pO2_Pa: np.ndarray) -> np.ndarray:
    x = pO2_Pa / atm
    return np.column_stack([np.ones_like(x), x ** -0.25, x ** 0.25])


def fit(temperature_K: float, pO2_Pa, sigma_S_per_m, sigma_std_S_per_m,
        pO2_std_Pa=None) -> BrouwerFit:
    """The weighted fit at one temperature (>= 3 distinct pO2 with positive uncertainties)."""
    p, s, u = (np.asarray(v, dtype=float) for v in (pO2_Pa, sigma_S_per_m, sigma_std_S_per_m))
    up = np.zeros_like(p) if pO2_std_Pa is None else np.nan_to_num(
        np.asarray(pO2_std_Pa, dtype=float))
    if np.unique(p).size < 3 or not np.all(u > 0) or not np.all(p > 0):
        raise ValueError("the Brouwer fit needs 3 or more distinct pO2 > 0 with "
                         "uncertainties > 0")
    a = _design(p)
    variance = u ** 2
    for _ in range(2):                  # then with the pO2 error through the slope
        w = 1 / np.sqrt(variance)
        coef, *_ = np.linalg.lstsq(a * w[:, None], s * w, rcond=None)
        slope = (a * SLOPES) @ coef     # d sigma / d ln pO2
        variance = u ** 2 + (slope * up / p) ** 2
    w = 1 / np.sqrt(variance)
    cov = np.linalg.inv((a * w[:, None]).T @ (a * w[:, None]))
    dof = p.size - 3
    chi2 = float(np.sum((s - a @ coef) ** 2 / variance) / dof) if dof else None
    cov = cov * max(1.0, chi2 or 1.0)
    std = np.sqrt(np.diag(cov))
    n_at, n_std = _boundary(coef, cov, 1, +4)
    p_at, p_std = _boundary(coef, cov, 2, -4)
    low, high = p.min(), p.max()
    return BrouwerFit(float(temperature_K), float(coef[0]), float(std[0]), float(coef[1]),
                      float(std[1]), float(coef[2]), float(std[2]), n_at, n_std, p_at, p_std,
                      n_at is not None and not low <= n_at <= high,
                      p_at is not None and not low <= p_at <= high, int(p.size), chi2)


def _boundary(coef, cov, part: int, power: int) -> tuple[float | None, float | None]:
    """pO2 (Pa) = atm (sigma_part / sigma_ion)^power and its standard error."""
    if coef[0] <= 0 or coef[part] <= 0:
        return None, None
    value = atm * (coef[part] / coef[0]) ** power
    grad = np.zeros(3)
    grad[0], grad[part] = -power / coef[0], power / coef[part]    # d ln value
    return float(value), float(value * math.sqrt(grad @ cov @ grad))


@dataclass(frozen=True)
class BrouwerAnalysis:
    fits: list[BrouwerFit]
    arrhenius: dict                     # part -> quantities.Arrhenius | None
    sweeps: list[dict]                  # per fit: pO2_Pa, sigma_S_per_m, sigma_std_S_per_m

    def to_json(self) -> dict:
        """What `labctl analyze --json` adds: {"brouwer": {...}}, lists per temperature."""
        out = {key: [_number(getattr(f, key)) if not isinstance(getattr(f, key), bool)
                     else getattr(f, key) for f in self.fits]
               for key in asdict(self.fits[0])}
        for part in PARTS:
            line = self.arrhenius[part]
            out[f"Ea_{part}_eV"] = _number(line.Ea_eV) if line else None
            out[f"Ea_{part}_std_eV"] = _number(line.Ea_std_eV) if line else None
        return {"brouwer": out}


def analyze(sweeps: list[dict]) -> BrouwerAnalysis:
    """Fit each sweep (dicts with temperature_K, pO2_Pa, pO2_std_Pa, sigma_S_per_m,
    sigma_std_S_per_m), then the Arrhenius line of each part."""
    fits = sorted((fit(s["temperature_K"], s["pO2_Pa"], s["sigma_S_per_m"],
                       s["sigma_std_S_per_m"], s.get("pO2_std_Pa")) for s in sweeps),
                  key=lambda f: f.temperature_K)
    T = np.array([f.temperature_K for f in fits])
    arrhenius = {}
    for part in PARTS:
        value = np.array([getattr(f, f"sigma_{part}_S_per_m") for f in fits])
        rel = np.array([getattr(f, f"sigma_{part}_std_S_per_m") for f in fits]) / value
        per_T = 1.0 if part == "ion" else T      # q.arrhenius fits ln(y T): sigma T / sigma
        arrhenius[part] = q.arrhenius(T, value / per_T, rel)
    return BrouwerAnalysis(fits, arrhenius, sorted(sweeps, key=lambda s: s["temperature_K"]))


def from_store(store, run_id: int, sample: str | None = None) -> BrouwerAnalysis | None:
    """From the finished pO2 sweeps (`labctl.protocol.CONDUCTIVITY_PO2`) of a run (of
    `sample` in a run with several), with the sample's geometry; None without any."""
    from labctl import registry, runsamples
    from labctl.protocol import CONDUCTIVITY_PO2

    kinds = registry.providing(CONDUCTIVITY_PO2)
    steps = [s for s in runsamples.finished(store, run_id, sample) if s.kind in kinds and s.result]
    if not steps:
        return None
    geometry = runsamples.entry(store.run(run_id), sample)
    if not (geometry.get("thickness_m") and geometry.get("area_m2")):
        raise LabctlError(f"run {run_id}: the sample {geometry.get('name', '')} has no "
                          "thickness_m and area_m2: no conductivity from its pO2 sweeps")
    cell = geometry["thickness_m"] / geometry["area_m2"]
    sweeps = []
    for step in steps:
        r = registry.result_of(step.kind, step.result)
        measured = store.gas(step.id)["temperature_K"]
        measured = measured[np.isfinite(measured)]
        R, R_std = np.array(r.resistance_Ohm), np.array(r.resistance_std_Ohm)
        sweeps.append({"temperature_K": float(measured.mean()) if measured.size
                       else r.temperature_K, "pO2_Pa": np.array(r.pO2_Pa),
                       "pO2_std_Pa": np.array([np.nan if v is None else v for v in r.pO2_std_Pa]),
                       "sigma_S_per_m": cell / R, "sigma_std_S_per_m": cell / R * R_std / R})
    return analyze(sweeps)


def plot(analysis: BrouwerAnalysis, path) -> str:
    """log sigma vs log pO2 per temperature: points, the fit and its three parts (slopes
    0, -1/4, +1/4); the file name."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(7, 5))
    measured = np.concatenate([s["sigma_S_per_m"] for s in analysis.sweeps])
    for f, sweep in zip(analysis.fits, analysis.sweeps):
        p = np.asarray(sweep["pO2_Pa"])
        grid = np.logspace(np.log10(p.min()) - 1, np.log10(p.max()) + 0.5, 200)
        parts = _design(grid) * [f.sigma_ion_S_per_m, f.sigma_n0_S_per_m, f.sigma_p0_S_per_m]
        line = ax.errorbar(p, sweep["sigma_S_per_m"], yerr=sweep["sigma_std_S_per_m"], fmt="o",
                           label=f"{f.temperature_K - 273.15:.0f} °C")
        color = line[0].get_color()
        ax.plot(grid, parts.sum(axis=1), "-", color=color)
        for k, style in zip(range(3), (":", "--", "-.")):
            if np.all(parts[:, k] > 0):
                ax.plot(grid, parts[:, k], style, color=color, lw=0.8)
    ax.set(xscale="log", yscale="log", xlabel="pO2 / Pa", ylabel="σ / (S/m)",
           ylim=(measured.min() / 30, measured.max() * 3),
           title="σ(pO2): ions (slope 0), n-type (−1/4, dashed), p-type (+1/4, dash-dot)")
    ax.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return str(getattr(path, "name", path))


def _number(value) -> float | None:
    return None if value is None or not np.isfinite(value) else float(value)
