"""Per-pellet accuracy of a run of several pellets: the documented flow (open, then short
fixtures in every position, then the pellets: examples/fixture-open.toml,
fixture-short.toml, multisample.toml) on `sim-multi`, the example trimmed to its three
oxide pellets at three plateaus, gives each pellet's activation energies
and t_ion against its own truth within the tolerances of one sample (Ea 1 %, t_ion 0.005:
tests/analysis/test_analyze.py), because the bench's per-position temperature
calibration is applied; a calibration off by d moves Ea by about 2 d / T."""

from __future__ import annotations

import json
import sqlite3
import tomllib
from pathlib import Path

import numpy as np
import pytest
import tomli_w

from labctl.analysis.analysis import analyze
from labctl.analysis.dataset import run_datasets
from labctl.bench import open_bench, parse_bench
from labctl.commands.run import with_simulation
from labctl.recipe import parse_recipe
from labctl.runner import Runner
from labctl.simulators import builtin_benches
from labctl.simulators.physics.sample import SampleModel
from labctl.simulators.physics.sample_file import locate
from labctl.store import Store

# A holder whose positions sit several kelvin off the thermocouple (uncalibrated, Ea comes
# out 1.6-2.4 % off), calibrated to within 0.1 K of that truth
TRUTH_K = {"A": -6.0, "B": 5.0, "C": -8.0}
CALIBRATED_K = {"A": -5.9, "B": 5.1, "C": -8.1}
SAMPLES = {"YSZ-A": ("A", "ysz"), "8YSZ-B": ("B", "8ysz"), "MIEC-C": ("C", "mixed-conductor")}
EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


def trimmed_example() -> str:
    """examples/multisample.toml with the oxide pellets at three plateaus, the mixed
    conductor's polarization alone (the others' t_ion is ~1)."""
    data = tomllib.loads((EXAMPLES / "multisample.toml").read_text())
    data["samples"] = [dict(s, at_C=[350, 400, 450]) for s in data["samples"]
                       if s["name"] in SAMPLES]
    data["program"]["temperatures_C"] = [350, 400, 450]
    for step in data["program"]["body"]:
        if step["protocol"] == "dc_polarization":
            step["samples"] = ["MIEC-C"]
    return tomli_w.dumps(data)


def bench_config(tmp_path):
    """sim-multi started at the first plateau, its pellets' truth and calibration as above."""
    data = tomllib.loads(builtin_benches()["sim-multi"].read_text())
    data["simulation"]["start_temperature_C"] = 350.0
    for pellet, offset in TRUTH_K.items():
        data["simulation"]["pellets"][pellet]["offset_K"] = offset
        data["positions"][pellet]["temperature_offset_K"] = CALIBRATED_K[pellet]
    path = tmp_path / "holder.toml"
    path.write_text(tomli_w.dumps(data))
    return parse_bench(path.read_text(), str(path))


@pytest.fixture(scope="module")
def measured(tmp_path_factory):
    """As `labctl run` does it: the open fixtures' run (`--fixture open`), the shorts', then
    the pellets', each opening the bench file anew (its name keys the standards); the
    database, the run's id and each sample's analysis."""
    tmp_path = tmp_path_factory.mktemp("accuracy")
    db, config = tmp_path / "lab.sqlite", bench_config(tmp_path)
    for fixture in ("open", "short"):
        run(with_simulation(config, None, None, fixture), db,
            (EXAMPLES / f"fixture-{fixture}.toml").read_text())
    run_id = run(config, db, trimmed_example())
    return db, run_id, analyses(db, run_id)


def run(config, db, text: str) -> int:
    with open_bench(config) as bench, Runner(parse_recipe(text, config), bench, db) as runner:
        assert runner.start().result() == "done", runner.reason
        return runner.run_id


def analyses(db, run_id) -> dict:
    with Store.open(db) as store:
        datasets, left_out = run_datasets(store, run_id)
    assert left_out == []
    return {name: analyze(data) for name, data in datasets.items()}


def test_each_pellets_activation_energies_and_t_ion_match_its_own_truth(measured):
    for name, analysis in measured[2].items():
        truth = SampleModel.from_toml(locate(SAMPLES[name][1]))
        result = analysis.to_json()
        print(f"\n{name}: Ea bulk {result['Ea_bulk_eV']:.4f} (truth {truth.bulk.Ea_eV}), "
              f"gb {result['Ea_gb_eV']:.4f} ({truth.grain_boundary.Ea_eV}); t_ion "
              f"{result['t_ion']}")
        assert analysis.dataset.notes == []
        assert result["Ea_bulk_eV"] == pytest.approx(truth.bulk.Ea_eV, rel=0.01), name
        assert result["Ea_gb_eV"] == pytest.approx(truth.grain_boundary.Ea_eV, rel=0.01), name
        assert result["temperature_offset_K"] == CALIBRATED_K[SAMPLES[name][0]]
        if name == "MIEC-C":          # the one polarized (t_ion of the oxides: ~1)
            for T, t_ion in zip(result["temperatures_K"], result["t_ion"]):
                assert t_ion == pytest.approx(truth.ionic_transference_number(T), abs=0.005)


def test_every_spectrum_went_through_its_channels_open_and_short(measured):
    db, run_id, _ = measured
    with Store.open(db) as store:
        spectra = [s for s in store.steps(run_id) if s.kind == "eis"]
        used = [store.used(s.id) for s in spectra]
    assert len(spectra) == 9
    assert {(u.channel, u.open.kind, u.short.kind) for u in used} == {
        (f"fra:{pellet}", "open", "short") for pellet, _ in SAMPLES.values()}


def test_the_recorded_calibration_is_what_moves_the_temperatures(measured):
    """Each sample's table in the run keeps its position's offset; analysed with one 4 K
    higher (rewritten in the store), every plateau is 4 K hotter and Ea grows by about
    2 * 4 K / T."""
    db, run_id, before = measured
    with Store.open(db) as store:
        sample = store.run(run_id).sample
        assert {t["name"]: t["temperature_offset_K"] for t in sample["samples"]} == {
            name: CALIBRATED_K[pellet] for name, (pellet, _) in SAMPLES.items()}
        for table in sample["samples"]:
            table["temperature_offset_K"] += 4.0
    with sqlite3.connect(db) as connection:
        connection.execute("UPDATE runs SET sample_json = ? WHERE id = ?",
                           (json.dumps(sample), run_id))
    connection.close()
    after = analyses(db, run_id)
    for name, analysis in after.items():
        T = np.array(analysis.to_json()["temperatures_K"])
        assert T - before[name].to_json()["temperatures_K"] == pytest.approx(4.0)
        expected = 2 * 4.0 / np.mean(T)
        for c in ("bulk", "gb"):
            moved = analysis.arrhenius[c].Ea_eV / before[name].arrhenius[c].Ea_eV - 1
            assert moved == pytest.approx(expected, rel=0.25), (name, c)
