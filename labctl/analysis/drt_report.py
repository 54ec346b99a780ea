"""`labctl analyze --drt`: the DRT of every temperature's spectrum beside the circuit fit:
gamma(tau) stacked and coloured by temperature (drt.png), the peaks in JSON (drt.json and
the printed JSON), and a note where the DRT and the circuit disagree (a process in the
measured range without an arc at its frequency, or an arc without a process). The
processes also seed one more start of the circuit fit (`analysis.analyze`). The processes
followed across temperature (`drt_arrhenius`) get their own Arrhenius lines
(drt_arrhenius.png: T/R and tau against 1/T; the JSON's `drt_arrhenius`), each named
after the circuit arc found at its frequency at most temperatures."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from labctl.analysis.analysis import Analysis
from labctl.analysis.dataset import Dataset
from labctl.analysis.drt import Drt, drt
from labctl.analysis.drt_arrhenius import Track, tracks
from labctl.units import K_to_C

MATCH_DECADES = 0.5      # a peak and an arc belong together within this many decades


def compute(dataset: Dataset) -> list[Drt]:
    """The DRT of each plateau's spectrum, in the dataset's order."""
    return [drt(p.frequency_Hz, p.impedance_Ohm) for p in dataset.plateaus]


def disagreement(result: Drt, arc_apexes_Hz: list[float], f_range: tuple[float, float]) -> str:
    """'' when every DRT process in the measured range has a circuit arc within
    `MATCH_DECADES` and every arc in the range a process; else what is unmatched."""
    low, high = f_range
    peaks = [p.frequency_Hz for p in result.peaks if not p.at_edge]
    arcs = [f for f in arc_apexes_Hz if low <= f <= high]

    def unmatched(these, those):
        return [f for f in these
                if not any(abs(np.log10(f / g)) <= MATCH_DECADES for g in those)]

    parts = [f"DRT process at {f:.3g} Hz without a circuit arc" for f in unmatched(peaks, arcs)]
    parts += [f"circuit arc at {f:.3g} Hz without a DRT process" for f in unmatched(arcs, peaks)]
    return "; ".join(parts)


def processes(analysis: Analysis, results: list[Drt]) -> list[tuple[str, Track]]:
    """The DRT processes across temperature, each with the label of the circuit arc
    within `MATCH_DECADES` of it at most of its temperatures ('' when none)."""
    out = []
    for track in tracks([p.temperature_K for p in analysis.plateaus], results):
        votes = []
        for k, peak in zip(track.indexes, track.peaks):
            near = [a for a in analysis.plateaus[k].arcs
                    if abs(np.log10(a.apex_Hz / peak.frequency_Hz)) <= MATCH_DECADES]
            votes += [min(near, key=lambda a: abs(np.log10(a.apex_Hz / peak.frequency_Hz)))
                      .label] if near and analysis.plateaus[k].fit.success else []
        label = max(set(votes), key=votes.count) if votes else ""
        out.append((label if votes.count(label) * 2 > len(track.peaks) else "", track))
    return out


def arrhenius_json(named: list[tuple[str, Track]]) -> list[dict]:
    out = []
    for label, track in named:
        line = track.arrhenius
        out.append({"label": label, "temperatures_K": track.temperatures_K,
                    "tau_s": [p.tau_s for p in track.peaks],
                    "R_ohm": [p.R_Ohm for p in track.peaks],
                    "R_std_ohm": [p.R_std_Ohm for p in track.peaks],
                    "Ea_eV": line.Ea_eV if line else None,
                    "Ea_std_eV": line.Ea_std_eV if line and np.isfinite(line.Ea_std_eV)
                    else None})
    return out


def to_json(analysis: Analysis, results: list[Drt]) -> list[dict]:
    out = []
    for p, result in zip(analysis.plateaus, results):
        f = p.plateau.frequency_Hz
        note = disagreement(result, [a.apex_Hz for a in p.arcs] if p.fit.success else [],
                            (float(f.min()), float(f.max())))
        out.append({"temperature_K": p.temperature_K, "lambda": result.lam,
                    "R_inf_ohm": result.R_inf_Ohm, "rms_relative": result.rms_relative,
                    "peaks": [{"tau_s": k.tau_s, "frequency_Hz": k.frequency_Hz,
                               "R_ohm": k.R_Ohm, "R_std_ohm": k.R_std_Ohm, "n": k.n,
                               "at_edge": k.at_edge} for k in result.peaks],
                    "note": note})
    return out


def write(analysis: Analysis, results: list[Drt], out_dir: Path) -> list[str]:
    """drt.json, drt.png, drt_arrhenius.json and drt_arrhenius.png into `out_dir`; returns
    the images' names."""
    (out_dir / "drt.json").write_text(json.dumps(to_json(analysis, results), indent=1))
    named = processes(analysis, results)
    (out_dir / "drt_arrhenius.json").write_text(json.dumps(arrhenius_json(named), indent=1))
    return [_plot(analysis, results, out_dir / "drt.png"),
            _plot_arrhenius(named, out_dir / "drt_arrhenius.png")]


def _plot_arrhenius(named: list[tuple[str, Track]], path: Path) -> str:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, (left, right) = plt.subplots(1, 2, figsize=(10, 4.2))
    for k, (label, track) in enumerate(named):
        T = np.array(track.temperatures_K)
        line = track.arrhenius
        name = f"process {k + 1}" + (f" ({label})" if label else "")
        if line:
            err = f" \u00b1 {line.Ea_std_eV:.1g}" if np.isfinite(line.Ea_std_eV) else ""
            name += f": Ea = {line.Ea_eV:.3f}{err} eV"
        R = np.array([p.R_Ohm for p in track.peaks])
        points = left.semilogy(1000 / T, T / R, "o-" if line is None else "o", mfc="none",
                               label=name)
        if line:
            grid = np.linspace(T.min(), T.max(), 50)
            left.semilogy(1000 / grid, line.y_T(grid), "-", lw=1,
                          color=points[0].get_color())
        right.semilogy(1000 / T, [p.tau_s for p in track.peaks], "o-", mfc="none",
                       color=points[0].get_color())
    left.set(xlabel="1000 / T  /  K\u207b\u00b9", ylabel="T / R  /  K \u03a9\u207b\u00b9",
             title="DRT processes: Arrhenius of their R")
    right.set(xlabel="1000 / T  /  K\u207b\u00b9", ylabel="\u03c4 / s",
              title="their \u03c4 (how they were matched)")
    for ax in (left, right):
        ax.grid(alpha=0.3, which="both")
    left.legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path.name


def _plot(analysis: Analysis, results: list[Drt], path: Path) -> str:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(7, 1.2 + 0.9 * len(results)))
    colors = plt.cm.plasma(np.linspace(0.05, 0.85, len(results)))
    for k, (color, p, result) in enumerate(zip(colors, analysis.plateaus, results)):
        f = p.plateau.frequency_Hz
        inside = (result.tau_s >= 1 / (2 * np.pi * f.max())) & \
            (result.tau_s <= 1 / (2 * np.pi * f.min()))
        scale = result.gamma_Ohm[inside].max() or 1.0   # its height in the measured range
        ax.semilogx(result.tau_s, k + 0.9 * np.minimum(result.gamma_Ohm / scale, 1.1),
                    color=color,
                    label=f"{K_to_C(p.temperature_K):.0f} \N{DEGREE SIGN}C")
        for peak in result.peaks:
            ax.plot(peak.tau_s, k + 0.95, "v", color=color, ms=5)
    ax.set(xlabel="\u03c4 / s", ylabel="\u03b3(ln \u03c4), stacked, each to its height in the measured range",
           yticks=[], title="Distribution of relaxation times (\u25bc: fitted processes)")
    ax.legend(fontsize=7, loc="upper left", bbox_to_anchor=(1.0, 1.0))
    ax.grid(alpha=0.3, which="both", axis="x")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path.name
