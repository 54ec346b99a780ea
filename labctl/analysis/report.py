"""The report folder of an analysis: plots (PNG), `summary.csv`, `arcs.csv` (every fitted
arc), `analysis.json` and an `index.html` that shows them all.

Plots: Nyquist with the fitted circuit per temperature (arcs' apexes marked, axes scaled
to the data), Bode (|Z| and phase, data and fits), Arrhenius of sigma T (1/R T without
geometry) for bulk, grain boundary and total with the fitted lines and Ea +- its error in
the legend (points left out of a line, where the spectrum does not hold the arc, faint), I(t) of each polarization with I_0 and I_ss marked, and the stability-window
sweep with its onsets.
"""

from __future__ import annotations

import csv
import html
import json
import math
from pathlib import Path

import numpy as np

from labctl.analysis.analysis import CONTRIBUTIONS, Analysis
from labctl.protocols.stability_window import faradaic_density
from labctl.units import C_to_K, K_to_C

NAMES = {"bulk": "bulk", "gb": "grain boundary", "total": "total"}
SHORT = {"grain_boundary": "gb", "electrode": "el."}
COLUMNS = ("T_K", "T_C", "R_bulk_Ohm", "R_bulk_std_Ohm", "R_gb_Ohm", "R_gb_std_Ohm",
           "sigma_bulk_S_per_m", "sigma_gb_S_per_m", "sigma_total_S_per_m", "t_ion",
           "arcs_resolved", "fit_state", "fit_rms_relative", "kk_ok", "warnings")
ARC_COLUMNS = ("T_K", "label", "resistance", "R_Ohm", "R_std_Ohm", "C_eff_F",
               "C_normalized_F_per_cm", "apex_Hz", "resolved", "seen", "flags")


def write(analysis: Analysis, out_dir: Path, extra_figures: list[str] = ()) -> Path:
    """Write the report into `out_dir` (showing `extra_figures` too, names of images
    already there); returns the path of index.html."""
    import matplotlib

    matplotlib.use("Agg")
    out_dir.mkdir(parents=True, exist_ok=True)
    figures = [_nyquist(analysis, out_dir), _bode(analysis, out_dir),
               _arrhenius(analysis, out_dir), _polarization(analysis, out_dir),
               _window(analysis, out_dir)]
    _summary(analysis, out_dir / "summary.csv")
    _arcs(analysis, out_dir / "arcs.csv")
    (out_dir / "analysis.json").write_text(json.dumps(analysis.to_json(), indent=1))
    index = out_dir / "index.html"
    index.write_text(_html(analysis, [f for f in figures if f] + list(extra_figures)),
                     encoding="utf-8")
    return index


def _celsius(T_K: float) -> str:
    return f"{K_to_C(T_K):.0f} \N{DEGREE SIGN}C"


def _legend(ax, **options) -> None:
    """A legend when something is labelled (no matplotlib warning otherwise)."""
    if ax.get_legend_handles_labels()[0]:
        ax.legend(**options)


def save(fig, path: Path) -> str:
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    import matplotlib.pyplot as plt
    plt.close(fig)
    return path.name


def _nyquist(analysis: Analysis, out_dir: Path) -> str:
    import matplotlib.pyplot as plt

    n = len(analysis.plateaus)
    columns = min(n, 3)
    rows = math.ceil(n / columns)
    fig, axes = plt.subplots(rows, columns, figsize=(4.6 * columns, 4.2 * rows), squeeze=False)
    for ax, p in zip(axes.ravel(), analysis.plateaus):
        f, z = p.plateau.frequency_Hz, p.plateau.impedance_Ohm
        ax.plot(z.real, -z.imag, "o", ms=3.5, mfc="none", label="measured")
        if p.fit.success:
            dense = np.geomspace(f.min(), f.max(), 400)
            zf = p.fit.impedance(dense)
            ax.plot(zf.real, -zf.imag, "-", lw=1.3, label=f"fit (rms {p.fit.rms_relative:.1%})")
            for arc in p.arcs:
                if f.min() < arc.apex_Hz < f.max():
                    za = p.fit.impedance([arc.apex_Hz])[0]
                    ax.plot(za.real, -za.imag, "k^", ms=6)
                    ax.annotate(f"{SHORT.get(arc.label, arc.label)}\n{arc.apex_Hz:.3g} Hz",
                                (za.real, -za.imag), fontsize=7,
                                textcoords="offset points", xytext=(0, 8), ha="center")
        finite = z[np.isfinite(z)] if np.isfinite(z).any() else np.ones(1, dtype=complex)
        span = 1.05 * max(finite.real.max(), (-finite.imag).max())   # the data, not the fit
        ax.set(xlim=(min(0.0, finite.real.min()), span),
               ylim=(min(0.0, (-finite.imag).min()), 0.75 * span),
               aspect="equal", xlabel="Z' / \u03a9",
               ylabel="\u2212Z'' / \u03a9", title=f"{_celsius(p.temperature_K)}"
               + ("" if p.fit.state == "ok" else f"  (fit {p.fit.state})"))
        ax.ticklabel_format(style="sci", scilimits=(-3, 4))
        _legend(ax, fontsize=7, loc="upper left")
        ax.grid(alpha=0.3)
    for ax in axes.ravel()[n:]:
        ax.set_visible(False)
    return save(fig, out_dir / "nyquist.png")


def _bode(analysis: Analysis, out_dir: Path) -> str:
    import matplotlib.pyplot as plt

    fig, (mag, phase) = plt.subplots(2, 1, figsize=(7, 7), sharex=True)
    colors = plt.cm.plasma(np.linspace(0.05, 0.85, len(analysis.plateaus)))
    for color, p in zip(colors, analysis.plateaus):
        f, z = p.plateau.frequency_Hz, p.plateau.impedance_Ohm
        mag.loglog(f, np.abs(z), "o", ms=3, mfc="none", color=color,
                   label=_celsius(p.temperature_K))
        phase.semilogx(f, -np.degrees(np.angle(z)), "o", ms=3, mfc="none", color=color)
        if p.fit.success:
            dense = np.geomspace(f.min(), f.max(), 300)
            zf = p.fit.impedance(dense)
            mag.loglog(dense, np.abs(zf), "-", lw=1, color=color)
            phase.semilogx(dense, -np.degrees(np.angle(zf)), "-", lw=1, color=color)
    mag.set(ylabel="|Z| / \u03a9", title="Bode (points: measured, lines: fit)")
    phase.set(xlabel="f / Hz", ylabel="\u2212phase / \u00b0", ylim=(0, 90))
    _legend(mag, fontsize=8)
    for ax in (mag, phase):
        ax.grid(alpha=0.3, which="both")
    return save(fig, out_dir / "bode.png")


def _arrhenius(analysis: Analysis, out_dir: Path) -> str:
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6.4, 4.8))
    geometry = analysis.cell_constant_per_m is not None
    draw_arrhenius(ax, analysis, geometry)
    arrhenius_axes(ax, geometry)
    return save(fig, out_dir / "arrhenius.png")


def draw_arrhenius(ax, analysis: Analysis, geometry: bool, color=None, name: str = "") -> None:
    """sigma T (T/R without `geometry`) of bulk, grain boundary and total (markers o, s, D)
    with their fitted lines, in `color` (None: one colour per contribution), labelled with
    `name` first."""
    T = analysis.temperatures_K
    for c, marker in zip(CONTRIBUTIONS, ("o", "s", "D")):
        y_T = (analysis.sigma(c) if geometry
               else 1 / np.array([p.R_Ohm[c] for p in analysis.plateaus])) * T
        if not np.any(np.isfinite(y_T)):
            continue
        line = analysis.arrhenius[c]
        label = f"{name} {NAMES[c]}".strip()
        if line:
            err = f" \u00b1 {line.Ea_std_eV:.1g}" if np.isfinite(line.Ea_std_eV) else ""
            label += f": Ea = {line.Ea_eV:.4f}{err} eV"
        used = np.array([p.seen[c] for p in analysis.plateaus], dtype=bool)
        points = ax.semilogy(1000 / T[used], y_T[used], marker, mfc="none", color=color,
                             label=label)
        ax.semilogy(1000 / T[~used], y_T[~used], marker, color=points[0].get_color(),
                    alpha=0.3)       # not in the data there: left out of the line
        if line:
            grid = np.linspace(T.min(), T.max(), 50)
            scale = analysis.cell_constant_per_m if geometry else 1.0
            ax.semilogy(1000 / grid, scale * line.y_T(grid), "-", color=points[0].get_color(),
                        lw=1)


def arrhenius_axes(ax, geometry: bool) -> None:
    """Labels, the degC axis on top, legend and grid of an Arrhenius plot."""
    ax.set(xlabel="1000 / T  /  K\u207b\u00b9",
           ylabel="\u03c3T  /  S K m\u207b\u00b9" if geometry else "T / R  /  K \u03a9\u207b\u00b9",
           title="Arrhenius (lines: fits of ln \u03c3T vs 1/T)" if geometry
           else "Arrhenius (no geometry: T/R; lines: fits of ln(T/R) vs 1/T)")
    top = ax.secondary_xaxis("top", functions=(lambda x: K_to_C(1000 / np.maximum(x, 1e-9)),
                                               lambda c: 1000 / C_to_K(c)))
    top.set_xlabel("T / \u00b0C")
    _legend(ax, fontsize=8)
    ax.grid(alpha=0.3, which="both")


def _polarization(analysis: Analysis, out_dir: Path) -> str | None:
    import matplotlib.pyplot as plt

    with_dc = [p for p in analysis.plateaus if p.plateau.polarization]
    if not with_dc:
        return None
    fig, ax = plt.subplots(figsize=(6.4, 4.8))
    for p in with_dc:
        pol = p.plateau.polarization
        t, i = pol.time_s[1:], np.abs(pol.current_A[1:])
        line = ax.loglog(t, i, "-", lw=1.2, label=f"{_celsius(p.temperature_K)}, "
                         f"t_ion = {p.t_ion:.4f}" if p.t_ion else _celsius(p.temperature_K))
        color = line[0].get_color()
        i0 = pol.voltage_V / p.R_Ohm["total"] + pol.Iss_A if p.t_ion else pol.I0_A
        ax.axhline(i0, color=color, ls="--", lw=0.8)
        ax.axhline(pol.Iss_A, color=color, ls=":", lw=0.8)
        ax.annotate("I\u2080", (t[0], i0), color=color, fontsize=8,
                    textcoords="offset points", xytext=(2, 3))
        ax.annotate("I_ss", (t[-1], pol.Iss_A), color=color, fontsize=8, ha="right",
                    textcoords="offset points", xytext=(0, 3))
    ax.set(xlabel="t since the step / s", ylabel="|I| / A",
           title="DC polarization (--: I\u2080 = V/R_ion + I_ss, \u00b7\u00b7: I_ss)")
    _legend(ax, fontsize=8)
    ax.grid(alpha=0.3, which="both")
    return save(fig, out_dir / "polarization.png")


def _window(analysis: Analysis, out_dir: Path) -> str | None:
    return (None if analysis.dataset.window is None
            else save(window_figure(analysis), out_dir / "stability_window.png"))


def window_figure(analysis: Analysis):
    """The stability-window sweep: measured, the baseline each direction subtracted, what
    is left (which the onsets mark where it crosses the threshold)."""
    import matplotlib.pyplot as plt

    w = analysis.dataset.window
    fig, ax = plt.subplots(figsize=(6.4, 4.8))
    area = analysis.dataset.area_m2
    v, i = w.voltage_V, w.current_A
    ax.semilogy(v, np.abs(i) / (area or 1.0), ".", ms=2, color="0.6", label="measured")
    for k, side in enumerate((v > 0, v < 0)):     # each direction has its own baseline
        if side.sum() >= 3:
            faradaic = faradaic_density(v[side], i[side], area or 1.0)
            ax.semilogy(v[side], np.abs(i[side] / (area or 1.0) - faradaic), "-", color="C0",
                        lw=1, label=None if k else "baseline (subtracted)")
            ax.semilogy(v[side], np.abs(faradaic), ".", ms=2.5, color="C1",
                        label=None if k else "measured \u2212 baseline")
    ax.axhline(w.threshold_A_per_m2, color="gray", ls=":", lw=1,
               label=f"threshold {w.threshold_A_per_m2:g} A/m\u00b2")
    for onset, name, color in ((w.onset_low_V, "reduction", "C2"),
                               (w.onset_high_V, "oxidation", "C3")):
        if onset is not None:
            ax.axvline(onset, color=color, ls="--", lw=1, label=f"{name} onset {onset:.3f} V")
    ax.set(xlabel="cell voltage / V", ylabel="|j| / A m\u207b\u00b2" if area else "|I| / A",
           title="Electrochemical stability window (onsets: measured \u2212 baseline)")
    _legend(ax, fontsize=8)
    ax.grid(alpha=0.3, which="both")
    return fig


def _summary(analysis: Analysis, path: Path) -> None:
    sigma = {c: analysis.sigma(c) for c in CONTRIBUTIONS}
    with path.open("w", newline="", encoding="utf-8") as f:
        f.write(f"# labctl analysis of {analysis.dataset.source}; circuit {analysis.circuit}\n")
        for c in CONTRIBUTIONS:
            line = analysis.arrhenius[c]
            if line:
                f.write(f"# Ea_{c}_eV {line.Ea_eV:.5g} +- {line.Ea_std_eV:.2g}, "
                        f"prefactor_S_K_per_m {analysis.prefactor_S_K_per_m(c) or ''}\n")
        f.writelines(f"# note: {note}\n" for note in analysis.notes)
        writer = csv.writer(f)
        writer.writerow(COLUMNS)
        for i, p in enumerate(analysis.plateaus):
            writer.writerow([f"{p.temperature_K:.3f}", f"{K_to_C(p.temperature_K):.2f}",
                             p.R_Ohm["bulk"], p.R_std_Ohm["bulk"], p.R_Ohm["gb"],
                             p.R_std_Ohm["gb"], sigma["bulk"][i], sigma["gb"][i],
                             sigma["total"][i], "" if p.t_ion is None else p.t_ion,
                             p.resolved["bulk"] and p.resolved["gb"], p.fit.state,
                             p.fit.rms_relative, "" if p.plateau.kk_ok is None
                             else p.plateau.kk_ok, "; ".join(_flags(p))])


def _arcs(analysis: Analysis, path: Path) -> None:
    """One row per fitted arc and temperature."""
    with path.open("w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        writer.writerow(ARC_COLUMNS)
        for p in analysis.plateaus:
            for arc in p.arcs:
                writer.writerow([f"{p.temperature_K:.3f}", arc.label, arc.resistance, arc.R_Ohm,
                                 arc.R_std_Ohm, arc.C_eff_F, arc.C_normalized_F_per_cm,
                                 arc.apex_Hz, arc.resolved, arc.seen, "; ".join(arc.flags)])


def _flags(p) -> list[str]:
    """Everything to look at in one plateau's result."""
    flags = [] if p.fit.success else [p.fit.message]
    flags += [f"degenerate: {reason}" for reason in p.fit.degenerate] + list(p.fit.warnings)
    flags += [f"{arc.label} ({arc.resistance}): {flag}" for arc in p.arcs for flag in arc.flags]
    if p.plateau.kk_ok is False:
        flags.append("Kramers-Kronig check failed: the spectrum may be invalid")
    return flags


def _html(analysis: Analysis, figures: list[str]) -> str:
    e = html.escape
    rows = []
    for p in analysis.plateaus:
        status = p.fit.state if p.fit.success else f"FAILED: {p.fit.message}"
        arcs = "<br>".join(f"{e(arc.label)} {e(arc.resistance)}: "
                           f"{_pm(arc.R_Ohm, arc.R_std_Ohm)} \u03a9, {arc.apex_Hz:.3g} Hz"
                           for arc in p.arcs)
        rows.append(
            f"<tr><td>{K_to_C(p.temperature_K):.1f}</td>"
            f"<td>{_pm(p.R_Ohm['bulk'], p.R_std_Ohm['bulk'])}</td>"
            f"<td>{_pm(p.R_Ohm['gb'], p.R_std_Ohm['gb'])}</td><td>{arcs}</td>"
            f"<td>{'' if p.t_ion is None else f'{p.t_ion:.4f}'}</td><td>{_t_plus(p)}</td>"
            f"<td>{e(status)}</td>"
            f"<td>{e('; '.join(_flags(p)))}</td></tr>")
    ea = "".join(f"<li>{NAMES[c]}: E<sub>a</sub> = {line.Ea_eV:.4f} \u00b1 "
                 f"{line.Ea_std_eV:.4f} eV"
                 + (f", A = {a:.4g} S K/m" if (a := analysis.prefactor_S_K_per_m(c)) else "")
                 + "</li>" for c in CONTRIBUTIONS if (line := analysis.arrhenius[c]))
    ea += "".join(f"<li>{e(note)}</li>" for note in analysis.notes)
    w = analysis.dataset.window
    window = (f"<p>Stability window: {_v(w.onset_low_V)} to {_v(w.onset_high_V)} "
              f"(threshold {w.threshold_A_per_m2:g} A/m\u00b2)</p>" if w else "")
    images = "".join(f'<figure><img src="{e(f)}" alt="{e(f)}"></figure>' for f in figures)
    return f"""<!DOCTYPE html>
<html><head><meta charset="utf-8"><title>labctl analysis: {e(analysis.dataset.name)}</title>
<style>body{{font-family:sans-serif;max-width:1400px;margin:1em auto}}
td,th{{border:1px solid #ccc;padding:2px 6px;text-align:right}}
table{{border-collapse:collapse}} img{{max-width:100%}}</style></head><body>
<h1>{e(analysis.dataset.name)}</h1>
<p>Source: {e(analysis.dataset.source)}. Circuit <code>{e(analysis.circuit)}</code>;
arcs assigned by frequency (fastest: bulk), capacitance as a check. Data:
<a href="summary.csv">summary.csv</a>, <a href="arcs.csv">arcs.csv</a>,
<a href="analysis.json">analysis.json</a>.</p>
<ul>{ea}</ul>{window}
<table><tr><th>T / \u00b0C</th><th>R<sub>bulk</sub> / \u03a9</th><th>R<sub>gb</sub> / \u03a9</th>
<th>arcs</th><th>t<sub>ion</sub></th><th>t<sub>+</sub></th><th>fit</th><th>flags</th></tr>
{''.join(rows)}</table>
{images}
</body></html>
"""


def _t_plus(p) -> str:
    li = p.plateau.transference
    return "" if not li else f"{li['t_plus']:.3f} \u00b1 {li['t_plus_std']:.3f}"


def _pm(value: float, error: float) -> str:
    return "" if not np.isfinite(value) else f"{value:.5g} \u00b1 {error:.2g}"


def _v(value: float | None) -> str:
    return "not reached" if value is None else f"{value:.3f} V"
