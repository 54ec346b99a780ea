"""`labctl analyze --drt` on simulated pellet spectra written as files: the DRT's peaks in
the JSON and drt.json, drt.png in the report, the note where DRT and circuit disagree, and
the processes' Arrhenius lines (drt_arrhenius.json/png, the JSON's `drt_arrhenius`)."""

import contextlib
import io
import json

import numpy as np
import pytest
from scipy.constants import zero_Celsius

from labctl.analysis.drt import Drt, DrtPeak
from labctl.analysis.drt_report import disagreement
from labctl.cli import main
from tests.analysis.samples import random_sample, spectrum

TEMPERATURES_C = (275, 350, 400)


def test_analyze_drt_reports_each_temperatures_processes(tmp_path):
    sample = random_sample(4)
    files = []
    for t_c in TEMPERATURES_C:
        f, z = spectrum(sample, t_c + zero_Celsius, 1, np.logspace(6, -1, 50))
        files.append(tmp_path / f"pellet_{t_c}C.csv")
        files[-1].write_text("".join(f"{a},{b.real},{b.imag}\n" for a, b in zip(f, z)))
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        assert main(["analyze", *map(str, files), "--drt", "--json", "--out",
                     str(tmp_path / "report"), "--temperatures-C",
                     ",".join(map(str, TEMPERATURES_C))]) == 0
    entries = json.loads(out.getvalue())["drt"]
    assert entries == json.loads((tmp_path / "report" / "drt.json").read_text())
    assert [e["temperature_K"] for e in entries] == pytest.approx(
        [t + zero_Celsius for t in TEMPERATURES_C])
    for entry, t_c in zip(entries, TEMPERATURES_C):
        truth = sample.resistances(t_c + zero_Celsius)
        inner = [p["R_ohm"] for p in entry["peaks"] if not p["at_edge"]]
        assert inner[:2] == pytest.approx([truth["bulk"], truth["grain_boundary"]], rel=0.05)
        assert entry["note"] == ""
    page = (tmp_path / "report" / "index.html").read_text()
    assert 'src="drt.png"' in page and 'src="drt_arrhenius.png"' in page
    assert (tmp_path / "report" / "drt.png").stat().st_size > 10_000
    assert (tmp_path / "report" / "drt_arrhenius.png").stat().st_size > 10_000
    lines = json.loads(out.getvalue())["drt_arrhenius"]
    assert lines == json.loads((tmp_path / "report" / "drt_arrhenius.json").read_text())
    named = {line["label"]: line for line in lines if line["Ea_eV"] is not None}
    assert named["bulk"]["Ea_eV"] == pytest.approx(sample.bulk.Ea_eV, rel=0.01)
    assert named["grain_boundary"]["Ea_eV"] == pytest.approx(sample.grain_boundary.Ea_eV,
                                                             rel=0.01)
    assert named["bulk"]["R_ohm"] == pytest.approx(
        [sample.resistances(t + zero_Celsius)["bulk"] for t in TEMPERATURES_C], rel=0.05)


def _drt_with_peaks(*frequencies_Hz) -> Drt:
    peaks = [DrtPeak(1 / (2 * np.pi * f), 100.0, 1.0, False) for f in frequencies_Hz]
    grid = np.logspace(-8, 2, 11)
    return Drt(grid, np.zeros(11), 0.0, 0.0, None, 1e-3, peaks, peaks, 0.0)


def test_disagreement_names_a_peak_without_an_arc_and_an_arc_without_a_peak():
    result = _drt_with_peaks(1e5, 1e2)
    assert disagreement(result, [1.2e5, 1e2], (0.1, 1e6)) == ""
    note = disagreement(result, [1e5, 3e3, 1e-3], (0.1, 1e6))    # 1e-3 Hz: out of range
    assert note == ("DRT process at 100 Hz without a circuit arc; "
                    "circuit arc at 3e+03 Hz without a DRT process")


def test_drt_processes_seed_one_more_start_and_the_fit_is_no_worse():
    """The DRT's processes start the pellet circuit's arcs at their R (one more start),
    and on the published 140 C spectrum the fit with it is at least as good."""
    from labctl.analysis.analysis import DEFAULT_CIRCUIT
    from labctl.analysis.circuits import Circuit
    from labctl.analysis.drt import drt
    from labctl.analysis.fit import fit
    from labctl.analysis.initial import guesses
    from labctl.analysis.readers import read_spectrum
    from tests.realdata import real_file

    circuit = Circuit(DEFAULT_CIRCUIT)
    sample = random_sample(4)
    f, z = spectrum(sample, 350 + zero_Celsius, 1, np.logspace(6, -1, 50))
    processes = [(p.frequency_Hz, p.R_Ohm) for p in drt(f, z).peaks if not p.at_edge]
    plain, seeded = guesses(circuit, f, z), guesses(circuit, f, z, processes)
    assert len(seeded) == len(plain) + 1
    start = dict(zip(circuit.parameter_names, seeded[-1]))
    assert [start["R1"], start["R2"]] == pytest.approx([r for _, r in processes[:2]])
    s = read_spectrum(real_file("s04147-140deg.txt"))
    result = drt(s.frequency_Hz, s.impedance_Ohm)
    seeds = [(p.frequency_Hz, p.R_Ohm) for p in result.peaks if not p.at_edge]
    with_drt = fit(s.frequency_Hz, s.impedance_Ohm, circuit, processes=seeds)
    without = fit(s.frequency_Hz, s.impedance_Ohm, circuit)
    assert with_drt.rms_relative <= without.rms_relative * (1 + 1e-6)
