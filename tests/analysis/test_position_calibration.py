"""A pellet off the thermocouple, its position calibrated: analysis takes the sample at
thermocouple + the offset recorded with the run (from the store, and from the exported
files' comments), which puts its Ea on its truth where, uncalibrated, it is off."""

from __future__ import annotations

import numpy as np
import pytest

from labctl.analysis.analysis import analyze
from labctl.analysis.dataset import from_files, from_store
from labctl.store import Store
from labctl.store.export import export_z
from labctl.units import C_to_K
from tests.multisample import TEMPERATURES_C, pellet, write_run

OFFSET_K = {"C": -8.0}        # pellet C (ysz) 8 K below the thermocouple


def analysed(db, **calibration):
    run = write_run(db, pellets=("C",), offsets_K=OFFSET_K, **calibration)
    with Store.open(db) as store:
        data = from_store(store, run, "C")
    return run, data, analyze(data).to_json()


def test_the_calibrated_offset_puts_the_pellet_at_its_own_temperature(tmp_path):
    truth = pellet("C")
    run, data, result = analysed(tmp_path / "calibrated.sqlite", calibrated_K={"C": -7.9})
    assert [p.temperature_K for p in data.plateaus] == pytest.approx(
        [C_to_K(t) - 7.9 for t in TEMPERATURES_C])
    assert result["temperature_offset_K"] == -7.9
    assert result["Ea_bulk_eV"] == pytest.approx(truth.bulk.Ea_eV, rel=0.01)
    _, _, raw = analysed(tmp_path / "uncalibrated.sqlite")
    assert raw["temperature_offset_K"] == 0.0
    # uncalibrated: Ea off by about -2 d / T (d = -8 K: +2.8 % at ~573 K), beyond 1 %
    T = np.mean(raw["temperatures_K"])
    assert raw["Ea_bulk_eV"] / truth.bulk.Ea_eV - 1 == pytest.approx(-2 * -8.0 / T, rel=0.25)


def test_exported_spectra_carry_the_calibration_to_a_file_analysis(tmp_path):
    db = tmp_path / "lab.sqlite"
    run, data, _ = analysed(db, calibrated_K={"C": -7.9})
    with Store.open(db) as store:
        files = sorted(export_z(store, run, tmp_path))
    assert '"temperature_offset_K": -7.9' in files[0].read_text()
    from_file = from_files(files)
    assert [p.temperature_K for p in from_file.plateaus] == pytest.approx(
        [p.temperature_K for p in data.plateaus])


def test_labctl_analyze_says_which_pellets_sit_off_the_thermocouple(tmp_path, capsys):
    from labctl.cli import main

    db = tmp_path / "lab.sqlite"
    run = write_run(db, pellets=("C",), temperatures_C=(300.0, 340.0), offsets_K=OFFSET_K,
                    calibrated_K={"C": -7.9})
    assert main(["analyze", str(run), "--db", str(db), "--out", str(tmp_path / "out")]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert "sample C: (at thermocouple -7.90 K, its position's calibration)" in lines
