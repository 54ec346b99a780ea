"""`labctl analyze RUN`: t_ion by EMF per plateau, paired with the same plateau's DC
polarization."""

import json

import pytest

from labctl.cli import main
from labctl.protocols import dc_polarization, emf_tion
from labctl.store import Store


def emf_result(T_K: float, t_ion: float) -> dict:
    return emf_tion.Result(t_ion, 2e-4, t_ion - 0.03, 0.015, 1e-6, 0.017, 1e-5, 10132.5,
                           21228.0, T_K, 0.01, 2.3, 24.0, 2.5, 1.0, True, 1e-8, 900.0).to_dict()


def dc_result(t_ion: float) -> dict:
    return dc_polarization.Result(0.02, 8.8e-3, 8.8e-3 * (1 - t_ion), 1e-6, False, t_ion, 1e-4,
                                  "eis", "steady_state", 50.0, "exponential", {}, "").to_dict()


@pytest.fixture
def stored(tmp_path):
    """Two plateaus with an EMF step each; only the first has a DC polarization."""
    store = Store.open(tmp_path / "lab.sqlite")
    run = store.create_run("emf_tion", "", {}, {})
    steps = [("program[1]", "dc_polarization", 1073.15, dc_result(0.9071)),
             ("program[1]", "emf_tion", 1073.15, emf_result(1073.15, 0.9065)),
             ("program[2]", "emf_tion", 973.15, emf_result(973.15, 0.9300))]
    for group, kind, T, result in steps:
        step = store.start_step(run, kind, {}, T, path=f"{group}/{kind}")
        store.finish_step(step, "done", result)
    yield store, run
    store.close()


def test_json_lists_t_ion_emf_with_the_same_plateaus_dc_polarization(stored, tmp_path, capsys):
    store, run = stored
    assert main(["analyze", str(run), "--db", str(store.path), "--json",
                 "--out", str(tmp_path / "r")]) == 0
    entries = json.loads(capsys.readouterr().out)["t_ion_emf"]
    assert [e["temperature_K"] for e in entries] == [1073.15, 973.15]
    assert [e["t_ion"] for e in entries] == [0.9065, 0.93]
    assert entries[0]["t_ion_dc"] == pytest.approx(0.9071)
    assert entries[1]["t_ion_dc"] is None          # no DC polarization at that plateau
    assert entries[0]["t_ion_uncorrected"] == pytest.approx(0.8765)


def test_summary_compares_the_two_methods(stored, tmp_path, capsys):
    store, run = stored
    assert main(["analyze", str(run), "--db", str(store.path), "--out", str(tmp_path / "r")]) == 0
    out = capsys.readouterr().out
    assert "t_ion by EMF 0.9065" in out and "by DC polarization 0.9071" in out
