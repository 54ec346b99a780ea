"""`labctl analyze` of a run with several pellets (written from the simulated pellets'
physics, `tests.multisample`): each pellet's results against its own truth, the overlay
report, and the text summary per sample."""

from __future__ import annotations

import contextlib
import csv
import io
import json

import pytest

from labctl.analysis.dataset import from_store
from labctl.cli import main
from labctl.errors import LabctlError
from labctl.store import Store
from tests.multisample import PELLETS, pellet, write_run


@pytest.fixture(scope="module")
def analyzed(tmp_path_factory):
    """(database, run id, the --json result, report folder)."""
    folder = tmp_path_factory.mktemp("multisample")
    db = folder / "runs.sqlite"
    run = write_run(db)
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        assert main(["analyze", str(run), "--db", str(db), "--json",
                     "--out", str(folder / "report")]) == 0
    return db, run, json.loads(out.getvalue()), folder / "report"


def test_each_pellet_against_its_own_truth(analyzed):
    """Ea within 1 %, sigma (the pellet's own geometry) within 2 % where both arcs are
    resolved (5 % elsewhere), t_ion within 0.005: the tolerances of one sample."""
    _, run, result, _ = analyzed
    assert result["run_id"] == run and sorted(result["samples"]) == sorted(PELLETS)
    for name, got in result["samples"].items():
        truth = pellet(name)
        assert got["Ea_bulk_eV"] == pytest.approx(truth.bulk.Ea_eV, rel=0.01), name
        # every pellet's, the mixed conductor's too (its leak held at the polarization's R_e)
        assert got["Ea_gb_eV"] == pytest.approx(truth.grain_boundary.Ea_eV, rel=0.01), name
        for i, T in enumerate(got["temperatures_K"]):
            rel = 0.02 if got["arcs_resolved"][i] else 0.05
            assert got["sigma_bulk_S_per_m"][i] == pytest.approx(truth.sigma("bulk", T),
                                                                 rel=rel), name
            assert got["t_ion"][i] == pytest.approx(truth.ionic_transference_number(T),
                                                    abs=0.005), name


def test_the_report_overlays_the_pellets_and_links_their_reports(analyzed):
    _, _, result, report = analyzed
    assert (report / "arrhenius.png").stat().st_size > 20_000
    index = (report / "index.html").read_text()
    for name in PELLETS:
        assert f'href="{name}/index.html"' in index
        assert (report / name / "summary.csv").exists()
        assert json.loads((report / name / "analysis.json").read_text())["Ea_bulk_eV"] == \
            result["samples"][name]["Ea_bulk_eV"]
    with (report / "samples.csv").open() as f:
        rows = list(csv.DictReader(f))
    assert [r["sample"] for r in rows] == list(PELLETS)
    for row in rows:
        assert float(row["Ea_bulk_eV"]) == pytest.approx(
            result["samples"][row["sample"]]["Ea_bulk_eV"])
        assert float(row["thickness_m"]) == pellet(row["sample"]).sample.thickness_m


def test_the_summary_names_each_sample(tmp_path):
    db = tmp_path / "runs.sqlite"
    run = write_run(db, ("A", "C"), (280.0, 320.0))
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        assert main(["analyze", str(run), "--db", str(db), "--out", str(tmp_path)]) == 0
    text = out.getvalue()
    assert [line for line in text.splitlines() if line.startswith("sample ")] == \
        ["sample A:", "sample C:"]
    assert text.count("Ea bulk:") == 2
    assert f"report: {tmp_path / 'index.html'}" in text


def test_a_sample_must_be_named_and_known(analyzed):
    db, run, _, _ = analyzed
    with Store.open(db, create=False) as store:
        with pytest.raises(LabctlError, match="has samples A, B, C: name one"):
            from_store(store, run)
        with pytest.raises(LabctlError, match="name one"):
            from_store(store, run, "D")
        assert from_store(store, run, "B").thickness_m == PELLETS["B"][1]


def test_the_overlay_has_one_colour_per_sample(tmp_path):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from labctl.analysis.analysis import analyze
    from labctl.analysis.overview import overlay_figure

    db = tmp_path / "runs.sqlite"
    run = write_run(db, ("A", "C"), (280.0, 320.0))
    with Store.open(db, create=False) as store:
        analyses = {name: analyze(from_store(store, run, name)) for name in ("A", "C")}
    fig = overlay_figure(analyses)
    try:
        lines = fig.axes[0].get_legend_handles_labels()
        colours = {}
        for handle, label in zip(*lines):
            colours.setdefault(label.split()[0], set()).add(handle.get_color())
        assert sorted(colours) == ["A", "C"]
        assert all(len(c) == 1 for c in colours.values()) and colours["A"] != colours["C"]
        assert fig.axes[0].get_ylabel().startswith("\u03c3T")     # both have geometry
    finally:
        plt.close(fig)


def test_a_pellet_without_spectra_does_not_stop_the_others(tmp_path, capsys):
    """Pellet C's spectra failed: A is analyzed, C named on stderr."""
    db = tmp_path / "runs.sqlite"
    run = write_run(db, ("A", "C"), (280.0, 320.0), failed=("C",))
    assert main(["analyze", str(run), "--db", str(db), "--json",
                 "--out", str(tmp_path / "report")]) == 0
    out, err = capsys.readouterr()
    assert sorted(json.loads(out)["samples"]) == ["A"]
    assert f"run {run} sample C has no finished impedance spectrum" in err


def test_a_samples_folder_stays_inside_the_report(tmp_path):
    from labctl.analysis.overview import folder_name

    for name in ("..", ".", "a/../../b", "pellet 1", ""):
        folder = (tmp_path / folder_name(name)).resolve()
        assert folder.parent == tmp_path.resolve(), name
