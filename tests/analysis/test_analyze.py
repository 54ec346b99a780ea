"""`labctl analyze` on runs of the simulated bench measuring samples the code has never
seen (generated here), against their ground truth; and on .z files."""

import io
import json

import numpy as np
import pytest
from rich.console import Console

from labctl.analysis.dataset import read_z
from labctl.cli import main
from labctl.commands.run import execute
from simulators.physics.sample import SampleModel
from tests.analysis.samples import random_tables
from tests.protocols.simbench import write_sample

RECIPE = """
[run]
name = "analysis test, sample {seed}"
operator = "tests"
[sample]
name = "random sample {seed}"
thickness_m = {thickness_m!r}
area_m2 = {area_m2!r}
[roles]
fra = "fra"
smu = "smu"
furnace = "furnace"
[program]
temperatures_C = [300, 375, 450]
ramp_C_per_min = 20.0
stabilize = {{ band_K = 0.5, window_s = 300.0, poll_s = 10.0, max_wait_s = 14400.0 }}
[[program.body]]
protocol = "eis"
start_Hz = 1.0e6
stop_Hz = 0.1
points_per_decade = 5
amplitude_V = 0.02
[[program.body]]
protocol = "dc_polarization"
voltage_V = 0.3
current_limit_A = 1.0e-3
max_duration_s = 7200.0
[[program.body]]
protocol = "stability_window"
at_C = [450]
scan_rate_V_per_s = 0.01
step_V = 0.01
max_voltage_V = 3.0
min_voltage_V = -3.0
current_limit_A = 5.0e-3
"""


@pytest.fixture(scope="module", params=[21, 22])
def analysed(request, tmp_path_factory):
    """A run on a generated sample, analysed with --json: (truth, json, report folder)."""
    seed, folder = request.param, tmp_path_factory.mktemp(f"sample{request.param}")
    tables = random_tables(seed)
    sample_file = write_sample(folder, tables)
    recipe = folder / "recipe.toml"
    recipe.write_text(RECIPE.format(seed=seed, **tables["sample"]))
    db = folder / "runs.sqlite"
    outcome = execute(recipe, "sim", db=db, seed=seed, sample=sample_file,
                      console=Console(file=io.StringIO()))
    assert outcome.status == "done"
    out = io.StringIO()
    import contextlib
    with contextlib.redirect_stdout(out):
        assert main(["analyze", str(outcome.run_id), "--db", str(db), "--json",
                     "--out", str(folder / "report")]) == 0
    return SampleModel.from_toml(sample_file), json.loads(out.getvalue()), folder / "report"


def test_json_has_the_keys_of_the_issue(analysed):
    _, result, _ = analysed
    for key in ("temperatures_K", "R_bulk_ohm", "R_gb_ohm", "sigma_bulk_S_per_m",
                "sigma_gb_S_per_m", "sigma_total_S_per_m", "t_ion"):
        assert len(result[key]) == 3
    for key in ("Ea_bulk_eV", "Ea_gb_eV", "Ea_total_eV"):
        assert isinstance(result[key], float)
    assert result["temperatures_K"] == sorted(result["temperatures_K"])


def test_resistances_and_conductivities_match_the_truth(analysed):
    truth, result, _ = analysed
    assert all(result["arcs_resolved"])
    for i, T in enumerate(result["temperatures_K"]):
        r = truth.resistances(T)
        assert result["R_bulk_ohm"][i] == pytest.approx(r["bulk"], rel=0.02)
        assert result["R_gb_ohm"][i] == pytest.approx(r["grain_boundary"], rel=0.02)
        assert result["sigma_bulk_S_per_m"][i] == pytest.approx(truth.sigma("bulk", T), rel=0.02)
        assert result["sigma_gb_S_per_m"][i] == pytest.approx(
            truth.sigma("grain_boundary", T), rel=0.02)


def test_activation_energies_within_one_percent(analysed):
    truth, result, _ = analysed
    assert result["Ea_bulk_eV"] == pytest.approx(truth.bulk.Ea_eV, rel=0.01)
    assert result["Ea_gb_eV"] == pytest.approx(truth.grain_boundary.Ea_eV, rel=0.01)
    assert 0 < result["Ea_bulk_std_eV"] < 0.01


def test_transference_numbers_and_window(analysed):
    truth, result, _ = analysed
    for T, t_ion in zip(result["temperatures_K"], result["t_ion"]):
        assert t_ion == pytest.approx(truth.ionic_transference_number(T), abs=0.005)
    low, high = result["stability_window_V"]
    assert low == pytest.approx(truth.stability.reduction_onset_V, abs=0.05)
    assert high == pytest.approx(truth.stability.oxidation_onset_V, abs=0.05)


def test_report_folder(analysed):
    _, _, report = analysed
    for name in ("nyquist.png", "bode.png", "arrhenius.png", "polarization.png",
                 "stability_window.png"):
        assert (report / name).stat().st_size > 20_000
        assert f'src="{name}"' in (report / "index.html").read_text()
    rows = (report / "summary.csv").read_text().splitlines()
    assert rows[0].startswith("# labctl analysis of") and len(rows) == 4 + 1 + 3
