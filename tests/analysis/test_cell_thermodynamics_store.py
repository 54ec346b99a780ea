"""`labctl analyze RUN --json` of a run with cell EMF steps: dG, dS, dH of the reaction."""

import json

import pytest

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


@pytest.fixture(scope="module")
def stored(tmp_path_factory):
    """A store holding a run with an EMF step at each of three plateaus, and a run with
    the same EMF steps and a spectrum."""
    folder = tmp_path_factory.mktemp("emf-run")
    store = Store.open(folder / "lab.sqlite")
    run_id, mixed = store.create_run("emf", "", {}, {}), store.create_run("emf+eis", "", {}, {})
    with emf_context(folder, PLATEAUS_K[0]) as (ctx, _):
        for target in PLATEAUS_K:
            stabilize.run(ctx, stabilize.Params(target_K=target, ramp_rate_K_per_s=20 / 60,
                                                poll_s=20.0, window_s=300.0))
            emf.run(ctx, emf.Params(reference_pO2_Pa=CELL["reference_pO2_Pa"]))
    for run in (run_id, mixed):
        for seq, m in enumerate(ctx.of_kind("emf"), start=1):
            step_id = store.start_step(run, m.kind, m.params, m.result["temperature_K"],
                                       path=f"program[{seq}]/{m.kind}")
            store.add_dc(step_id, m.points)
            store.finish_step(step_id, "done", m.result)
    eis = store.start_step(mixed, "eis", {}, EIS_K, path="steps[1]/eis")
    f, z = spectrum(SampleModel.from_dict(default_sample()), EIS_K)
    store.add_impedance(eis, [ImpedancePoint(0.0, fi, zi, 0.01) for fi, zi in zip(f, z)])
    store.finish_step(eis, "done", {"r_ion_Ohm": 1.0})
    yield store, run_id, mixed
    store.close()


def test_analyze_json_gives_the_reaction_and_standard_values(stored, tmp_path, capsys):
    store, run_id, _ = stored
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
    store, _, mixed = stored
    assert main(["analyze", str(mixed), "--db", str(store.path), "--json",
                 "--out", str(tmp_path / "r")]) == 0
    result = json.loads(capsys.readouterr().out)
    assert result["temperatures_K"] == [EIS_K] and result["R_bulk_ohm"][0] > 0
    assert result["dS_J_per_mol_K"] == pytest.approx(truth()[0], rel=0.02)


def test_analyze_summary_names_the_cell_reaction(stored, tmp_path, capsys):
    store, run_id, _ = stored
    assert main(["analyze", str(run_id), "--db", str(store.path),
                 "--out", str(tmp_path / "r")]) == 0
    assert "cell reaction (n = 2, 3 EMFs)" in capsys.readouterr().out
