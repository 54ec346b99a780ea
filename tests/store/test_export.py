"""Exports: CSV per step with metadata and units; `.z` read back by impedance.py and pyimpspec."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from impedance.preprocessing import readZPlot
from pyimpspec import parse_data

from labctl.errors import StoreError
from labctl.store.export import Z_COLUMNS, export_csv, export_z, write_z
from tests.store.spectra import FREQUENCIES_HZ, SPECTRUM_OHM


@pytest.fixture
def store(lab_store):
    """Exports read through the `Store` API: both backends."""
    return lab_store


def test_csv_files_per_step_with_units_and_metadata(filled, tmp_path):
    store, run, _, _ = filled
    paths = export_csv(store, run, tmp_path / "out")
    assert [p.name for p in paths] == ["run0001-step001-eis-600C-impedance.csv",
                                       "run0001-step002-dc_polarization-600C-dc.csv",
                                       "run0001-temperature.csv"]
    lines = paths[1].read_text().splitlines()
    comments = [line for line in lines if line.startswith("#")]
    text = "\n".join(comments)
    for expected in ("'YSZ 8 mol%'", "operator 'ada'", '"thickness_m": 0.0012',
                     "step 2 dc_polarization status done temperature_K 873.15",
                     '{"voltage_V": 0.1}', "SI unit"):
        assert expected in text
    assert lines[len(comments)] == "time_s,voltage_V,current_A,temperature_K"
    dc = pd.read_csv(paths[1], comment="#")
    np.testing.assert_array_equal(dc["current_A"], store.dc(filled[3])["current_A"])


def test_impedance_csv_has_all_stored_columns(filled, tmp_path):
    store, run, _, _ = filled
    data = pd.read_csv(export_csv(store, run, tmp_path)[0], comment="#")
    assert tuple(data.columns) == ("time_s", "frequency_Hz", "z_real_Ohm", "z_imag_Ohm",
                                "z_abs_Ohm", "phase_rad", "amplitude_V", "bias_V",
                                "temperature_K")
    np.testing.assert_array_equal(data["z_imag_Ohm"], SPECTRUM_OHM.imag)
    np.testing.assert_array_equal(data["phase_rad"], np.angle(SPECTRUM_OHM))


def test_z_layout(filled, tmp_path):
    store, run, _, _ = filled
    (path,) = export_z(store, run, tmp_path)
    lines = path.read_text(encoding="ascii").splitlines()
    assert lines[0] == "ZPLOT2 ASCII"
    end = lines.index("End Comments")
    assert lines[end - 1].strip() == Z_COLUMNS
    rows = [line.split("\t") for line in lines[end + 1:]]
    assert len(rows) == 36 and {len(r) for r in rows} == {9}
    assert float(rows[0][0]) == FREQUENCIES_HZ[0] and float(rows[0][5]) < 0


@pytest.mark.parametrize("name", ["YSZ", "Freq(Hz) End Comments \u00e9\n\tsecond line"])
def test_z_is_read_back_by_impedance_py_and_pyimpspec(filled, tmp_path, name):
    store, _, eis, _ = filled
    path = tmp_path / "spectrum.z"
    write_z(path, store.impedance(eis), [f"sample {name}"])
    f, z = readZPlot(str(path))
    np.testing.assert_allclose(f, FREQUENCIES_HZ, rtol=1e-8)
    np.testing.assert_allclose(z, SPECTRUM_OHM, rtol=1e-8)
    (data,) = parse_data(path)
    np.testing.assert_allclose(data.get_frequencies(), FREQUENCIES_HZ, rtol=1e-8)
    np.testing.assert_allclose(data.get_impedances(), SPECTRUM_OHM, rtol=1e-8)


def test_z_export_skips_a_single_frequency_record(store, tmp_path):
    run = store.create_run("monitor", "", {}, {})
    for kind, frequency in (("stabilize", 1e3), ("eis", FREQUENCIES_HZ)):
        step = store.start_step(run, kind, {}, temperature_K=873.15)
        store.add_impedance(step, {"time_s": np.arange(36.0), "frequency_Hz": frequency,
                                   "impedance_Ohm": SPECTRUM_OHM, "amplitude_V": 0.01},
                            temperature_K=873.15)
        store.finish_step(step, "done")
    assert [p.name for p in export_z(store, run, tmp_path)] == ["run0001-step002-eis-600C.z"]


def spectra_of_a_resumed_run(store) -> int:
    """Steps 1 (350 degC, measured again after a resume: superseded), 2 (350 degC, the one
    that counts), 3 (352.5 degC) and 4 (no nominal temperature), each an EIS spectrum."""
    run = store.create_run("resumed", "", {}, {})
    for seq, temperature_K in enumerate((623.15, 623.15, 625.65, None), 1):
        step = store.start_step(run, "eis", {}, temperature_K, path=f"T{temperature_K}/eis")
        store.add_impedance(step, {"time_s": np.arange(36.0), "frequency_Hz": FREQUENCIES_HZ,
                                   "impedance_Ohm": SPECTRUM_OHM, "amplitude_V": 0.01})
        store.finish_step(step, "done")
        if seq == 1:
            store.supersede(run, "T623.15/eis")
    return run


@pytest.mark.parametrize("export, suffix", [(export_z, ".z"), (export_csv, "-impedance.csv")])
def test_exports_leave_superseded_steps_out_and_name_the_temperature(store, tmp_path, export,
                                                                       suffix):
    run = spectra_of_a_resumed_run(store)
    names = [p.name for p in export(store, run, tmp_path / "latest")]
    assert [n for n in names if n.endswith(suffix)] == [
        f"run0001-step002-eis-350C{suffix}", f"run0001-step003-eis-352.5C{suffix}",
        f"run0001-step004-eis{suffix}"]
    everything = export(store, run, tmp_path / "all", include_superseded=True)
    assert [p.name for p in everything][0] == f"run0001-step001-eis-350C{suffix}"
    assert len(everything) == len(names) + 1


def test_z_export_of_a_run_without_spectra_is_an_error(store, tmp_path):
    run = store.create_run("dc only", "", {}, {})
    with pytest.raises(StoreError, match="no impedance spectra"):
        export_z(store, run, tmp_path)


def test_a_run_with_several_samples_exports_each_samples_files(tmp_path):
    """Each file names its sample and carries that sample's geometry: the analysis reads
    it back from a sample's .z files; the command line too."""
    from labctl.analysis.dataset import from_files
    from labctl.cli import main
    from labctl.store import Store
    from tests.multisample import PELLETS, write_run

    db = tmp_path / "runs.sqlite"
    run = write_run(db, ("A", "C"), (300.0, 340.0))
    with Store.open(db, create=False) as store:
        z = export_z(store, run, tmp_path / "z")
        csvs = export_csv(store, run, tmp_path / "csv")
    for name in ("A", "C"):
        mine = sorted(p for p in z if p.name.startswith(f"run{run:04d}-{name}-step"))
        assert len(mine) == 2 and all(p.name.endswith(("-300C.z", "-340C.z")) for p in mine)
        data = from_files(mine)
        assert (data.thickness_m, data.area_m2) == PELLETS[name][1:]
        dc = [p for p in csvs if p.name.startswith(f"run{run:04d}-{name}-")
              and p.name.endswith("-dc.csv")]
        assert len(dc) == 2 and f'"thickness_m": {PELLETS[name][1]}' in dc[0].read_text()
    assert len(z) == 4
    assert main(["export", str(run), "--format", "z", "--db", str(db),
                 "--out", str(tmp_path / "cli")]) == 0
    assert sorted(p.name for p in (tmp_path / "cli").iterdir()) == sorted(p.name for p in z)
