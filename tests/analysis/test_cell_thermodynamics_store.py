"""`labctl analyze RUN --json` of a run with cell EMF steps: dG, dS, dH of the reaction."""

import json

import pytest
from scipy.constants import physical_constants

from labctl.capabilities import ImpedancePoint
from labctl.cli import main
from labctl.protocols import emf, stabilize
from labctl.simulators.physics.sample import SampleModel
from labctl.store import Store
from tests.analysis.samples import spectrum
from tests.protocols.emf_bench import CELL, emf_context, truth
from tests.protocols.simbench import default_sample

PLATEAUS_K = (1000.0, 1075.0, 1150.0)
EIS_K = 623.15                     # where the default sample's arcs are in the range
B_SLOPE_V_PER_K = 2e-4
FARADAY = physical_constants["Faraday constant"][0]


@pytest.fixture(scope="module")
def stored(tmp_path_factory):
    """A store holding a run with an EMF step at each of three plateaus, a run with
    the same EMF steps and a spectrum, and a run of two cells (B: A's EMFs with dE/dT
    larger by B_SLOPE_V_PER_K), its EMF steps interleaved as a furnace program runs them."""
    folder = tmp_path_factory.mktemp("emf-run")
    store = Store.open(folder / "lab.sqlite")
    run_id, mixed = store.create_run("emf", "", {}, {}), store.create_run("emf+eis", "", {}, {})
    two = store.create_run("two cells", "", {}, {"name": "two cells",
                                                   "samples": [{"name": "A"}, {"name": "B"}]})
    with emf_context(folder, PLATEAUS_K[0]) as (ctx, _):
        for target in PLATEAUS_K:
            stabilize.run(ctx, stabilize.Params(target_K=target, ramp_rate_K_per_s=20 / 60,
                                                poll_s=20.0, window_s=300.0))
            emf.run(ctx, emf.Params(reference_pO2_Pa=CELL["reference_pO2_Pa"]))
    for run, sample in ((run_id, None), (mixed, None), (two, "A"), (two, "B")):
        for seq, m in enumerate(ctx.of_kind("emf"), start=1):
            result = dict(m.result)
            if sample == "B":
                result["emf_V"] += B_SLOPE_V_PER_K * (result["temperature_K"] - PLATEAUS_K[0])
            where = "" if sample is None else f"{sample}/"
            step_id = store.start_step(run, m.kind, m.params, result["temperature_K"],
                                       path=f"program[{seq}]/{where}{m.kind}", sample=sample)
            store.add_dc(step_id, m.points)
            store.finish_step(step_id, "done", result)
    eis = store.start_step(mixed, "eis", {}, EIS_K, path="steps[1]/eis")
    f, z = spectrum(SampleModel.from_dict(default_sample()), EIS_K)
    store.add_impedance(eis, [ImpedancePoint(0.0, fi, zi, 0.01) for fi, zi in zip(f, z)])
    store.finish_step(eis, "done", {"r_ion_Ohm": 1.0})
    yield store, run_id, mixed, two
    store.close()


def test_analyze_json_gives_the_reaction_and_standard_values(stored, tmp_path, capsys):
    store, run_id, _, _ = stored
    assert main(["analyze", str(run_id), "--db", str(store.path), "--json",
                 "--out", str(tmp_path / "r")]) == 0
    result = json.loads(capsys.readouterr().out)
    dS, dH = truth()
    assert result["dS_J_per_mol_K"] == pytest.approx(dS, rel=0.02)
    assert result["dH_J_per_mol"] == pytest.approx(dH, rel=0.02)
    assert result["standard_dS_J_per_mol_K"] == pytest.approx(CELL["dS_J_per_mol_K"], rel=0.02)
    T = result["dG_temperature_K"]
    assert result["dG_J_per_mol"] == pytest.approx(dH - T * dS, rel=0.001)
    assert result["emf_points"] == 3 and result["dS_std_J_per_mol_K"] > 0


def test_a_run_with_spectra_too_gets_both_in_one_json(stored, tmp_path, capsys):
    store, _, mixed, _ = stored
    assert main(["analyze", str(mixed), "--db", str(store.path), "--json",
                 "--out", str(tmp_path / "r")]) == 0
    result = json.loads(capsys.readouterr().out)
    assert result["temperatures_K"] == [EIS_K] and result["R_bulk_ohm"][0] > 0
    assert result["dS_J_per_mol_K"] == pytest.approx(truth()[0], rel=0.02)


def test_analyze_summary_names_the_cell_reaction(stored, tmp_path, capsys):
    store, run_id, _, _ = stored
    assert main(["analyze", str(run_id), "--db", str(store.path),
                 "--out", str(tmp_path / "r")]) == 0
    assert "cell reaction (n = 2, 3 EMFs)" in capsys.readouterr().out


def test_each_cell_of_a_run_of_several_gets_its_own_reaction(stored, tmp_path, capsys):
    """Two cells' EMF steps in one run: each sample's dS from its own EMFs (B's larger by
    n F dE/dT), under its name; none for the run as a whole."""
    store, _, _, two = stored
    assert main(["analyze", str(two), "--db", str(store.path), "--json",
                 "--out", str(tmp_path / "r")]) == 0
    result = json.loads(capsys.readouterr().out)
    assert "dS_J_per_mol_K" not in result and set(result["samples"]) == {"A", "B"}
    a, b = result["samples"]["A"], result["samples"]["B"]
    assert a["dS_J_per_mol_K"] == pytest.approx(truth()[0], rel=0.02)
    assert b["dS_J_per_mol_K"] - a["dS_J_per_mol_K"] == pytest.approx(
        a["electrons"] * FARADAY * B_SLOPE_V_PER_K, rel=1e-6)
    assert a["emf_points"] == b["emf_points"] == 3
    assert a["t_ion_emf"] == [] and "brouwer" not in a
