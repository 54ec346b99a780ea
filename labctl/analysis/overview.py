"""The report of a run with several samples: each sample's report in its own folder
(`folder_name`), and above them `arrhenius.png` (all samples overlaid, one colour each),
`samples.csv` (each sample's geometry and activation energies) and an `index.html` that
links the samples' reports. `write_run` is a run's report as the GUI's run browser and the
web view write it (the default circuit; each sample's pO2 sweeps and t_ion by EMF too)."""

from __future__ import annotations

import csv
import html
import re
from pathlib import Path

from labctl.analysis import report
from labctl.analysis.analysis import CONTRIBUTIONS, Analysis
from labctl.analysis.report import arrhenius_axes, draw_arrhenius, save

COLUMNS = ("sample", "thickness_m", "area_m2", *(f"Ea_{c}_{x}eV" for c in CONTRIBUTIONS
                                                  for x in ("", "std_")))


def folder_name(sample: str) -> str:
    """The folder of a sample's report: its name, characters unsafe in a path (and a
    leading dot: '..') as `_`."""
    return re.sub(r"^\.|[^\w.-]", "_", sample) or "_"


def folder_of(out_dir: Path, sample: str | None) -> Path:
    """Where a sample's report goes: `out_dir` for a one-sample run's (None)."""
    return out_dir if sample is None else out_dir / folder_name(sample)


def write_reports(analyses: dict[str | None, Analysis], out_dir: Path, title: str,
                  extra: dict[str | None, list[str]] | None = None) -> Path:
    """The report of a run's analyses ({sample: Analysis}; the key None for a one-sample
    run): one sample's in `out_dir`, several in its sub-folders with the overview above,
    each linking its `extra` files (already in its folder); returns the path of the
    index.html to open."""
    for sample, analysis in analyses.items():
        index = report.write(analysis, folder_of(out_dir, sample), (extra or {}).get(sample, []))
    return index if None in analyses else write(analyses, out_dir, title)


def write_run(store, run_id: int, out_dir: Path) -> tuple[dict, list[str], Path]:
    """Analyze each sample of run `run_id` (the default circuit) and write its report with
    the sample's pO2 sweeps and t_ion by EMF (`extras`): ({sample: Analysis}, why samples
    were left out, the index.html to open)."""
    from labctl.analysis import extras
    from labctl.analysis.analysis import analyze
    from labctl.analysis.dataset import run_datasets

    datasets, left_out = run_datasets(store, run_id)
    analyses = {s: analyze(d) for s, d in datasets.items()}
    plots = {s: extras.read(store, run_id, s).plots(folder_of(out_dir, s)) for s in datasets}
    return analyses, left_out, write_reports(analyses, out_dir, f"run {run_id}", plots)


def write(analyses: dict[str, Analysis], out_dir: Path, title: str) -> Path:
    """The overlay, samples.csv and index.html (headed `title`) into `out_dir` (the samples'
    reports are in its sub-folders already); returns the path of index.html."""
    import matplotlib

    matplotlib.use("Agg")
    out_dir.mkdir(parents=True, exist_ok=True)
    image = save(overlay_figure(analyses), out_dir / "arrhenius.png")
    rows = [_row(sample, analysis) for sample, analysis in analyses.items()]
    with (out_dir / "samples.csv").open("w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        writer.writerow(COLUMNS)
        writer.writerows(rows)
    index = out_dir / "index.html"
    index.write_text(_html(title, rows, image), encoding="utf-8")
    return index


def overlay_figure(analyses: dict[str, Analysis]):
    """The samples' Arrhenius plots in one (sigma T when each has its geometry, else T/R),
    one colour per sample."""
    import matplotlib.pyplot as plt

    geometry = all(a.cell_constant_per_m is not None for a in analyses.values())
    fig, ax = plt.subplots(figsize=(8, 6))
    for k, (sample, analysis) in enumerate(analyses.items()):
        draw_arrhenius(ax, analysis, geometry, color=f"C{k % 10}", name=sample)
    arrhenius_axes(ax, geometry)
    return fig


def _row(sample: str, analysis: Analysis) -> list:
    lines = [analysis.arrhenius[c] for c in CONTRIBUTIONS]
    return [sample, analysis.dataset.thickness_m or "", analysis.dataset.area_m2 or "",
            *(value for line in lines
              for value in ((line.Ea_eV, line.Ea_std_eV) if line else ("", "")))]


def _html(title: str, rows: list[list], image: str) -> str:
    e = html.escape
    header = "".join(f"<th>{e(c)}</th>" for c in COLUMNS)
    body = "".join(
        f'<tr><td><a href="{e(folder_name(row[0]))}/index.html">{e(row[0])}</a></td>'
        + "".join(f"<td>{v:.5g}</td>" if isinstance(v, float) else "<td></td>"
                  for v in row[1:]) + "</tr>" for row in rows)
    return f"""<!DOCTYPE html>
<html><head><meta charset="utf-8"><title>labctl analysis: {e(title)}</title>
<style>body{{font-family:sans-serif;max-width:1400px;margin:1em auto}}
td,th{{border:1px solid #ccc;padding:2px 6px;text-align:right}}
table{{border-collapse:collapse}} img{{max-width:100%}}</style></head><body>
<h1>{e(title)}: {len(rows)} samples</h1>
<p>Each sample's report: its link. Data:
<a href="samples.csv">samples.csv</a>.</p>
<table><tr>{header}</tr>{body}</table>
<figure><img src="{e(image)}" alt="{e(image)}"></figure>
</body></html>
"""
