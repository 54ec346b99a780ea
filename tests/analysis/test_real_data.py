"""Real measured spectra (tests/analysis/realdata.py says where they live): the published
multi-temperature series of a solid electrolyte and instrument example files, against the
published analysis and against impedance.py from the same start."""

import contextlib
import io
import json

import numpy as np
import pytest
from impedance.models.circuits.fitting import circuit_fit

from labctl.analysis.circuits import Circuit
from labctl.analysis.fit import fit
from labctl.analysis.initial import guesses
from labctl.analysis.readers import read_spectrum
from labctl.cli import main
from tests.realdata import real_file

SERIES = [f"s04147-{t}deg.txt" for t in range(140, 201, 10)]
PAPER_CIRCUIT = "p(R1,CPE1)-p(R2,CPE2)-CPE3"     # the paper's (R1|Q1)+(R2|Q2)+Q3
GEOMETRY = ["--thickness-m", "2.1e-3", "--area-m2", str(np.pi * 0.4e-2 ** 2)]   # 8 mm pellet
PUBLISHED_EA = {"bulk": (0.5869, 0.0163), "gb": (0.8919, 0.0025), "total": (0.8555, 0.0006)}


def _analyze(tmp_path, *options) -> dict:
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        assert main(["analyze", *map(str, (real_file(n) for n in SERIES)), "--json",
                     "--out", str(tmp_path / "report"), *options]) == 0
    return json.loads(out.getvalue())


def test_published_series_both_arcs_and_activation_energies(tmp_path):
    """Both arcs (normalized 3e-12 and 7e-12 F/cm, both in the bulk range) are reported at
    every temperature, the grain boundary flagged for its capacitance, and Ea of bulk,
    grain boundary and total agree with the published analysis."""
    result = _analyze(tmp_path, "--circuit", PAPER_CIRCUIT, *GEOMETRY)
    assert result["temperatures_K"] == pytest.approx(np.arange(140, 201, 10) + 273.15)
    for entry in result["fits"]:
        assert entry["state"] == "ok"
        assert [arc["label"] for arc in entry["arcs"]] == ["bulk", "grain_boundary"]
        assert "outside the usual grain boundary range" in " ".join(entry["arcs"][1]["flags"])
    # every temperature counts: at 190 and 200 C the bulk apex is at or above 1 MHz and its
    # R is the high-frequency intercept beside the grain boundary's arc
    assert all(all(used) for used in result["arrhenius_used"].values())
    assert ["intercept" in " ".join(entry["arcs"][0]["flags"])
            for entry in result["fits"]][-2:] == [True, True]
    for c, (Ea, std) in PUBLISHED_EA.items():
        assert result[f"Ea_{c}_eV"] == pytest.approx(Ea, abs=max(2 * std, 0.003))
    assert result["R_gb_ohm"][0] == pytest.approx(2.012e6, rel=0.002)   # published 413 K fit


def test_published_series_without_geometry_and_with_the_default_circuit(tmp_path):
    """No thickness or area: the same Ea from 1/R, no conductivities; the default pellet
    circuit (with an electronic leak) keeps both arcs too."""
    result = _analyze(tmp_path)
    assert result["sigma_total_S_per_m"] == [None] * len(SERIES)
    assert all(len(entry["arcs"]) == 2 for entry in result["fits"])
    assert result["Ea_total_eV"] == pytest.approx(PUBLISHED_EA["total"][0], abs=0.01)
    assert result["Ea_gb_eV"] == pytest.approx(PUBLISHED_EA["gb"][0], abs=0.015)


def test_published_series_with_the_drt_keeps_the_two_arcs(tmp_path):
    """With --drt the DRT sets the number of arcs: its low-exponent process between the
    grain boundary and the spike at 140-160 C (n ~ 0.5: diffusion-like) adds no arc, and
    Ea total and grain boundary stay with the published analysis."""
    result = _analyze(tmp_path, "--drt")
    for entry, drt in zip(result["fits"][:3], result["drt"][:3]):
        assert any(p["n"] < 0.6 and not p["at_edge"] for p in drt["peaks"])
        assert len(entry["arcs"]) == 2, entry["circuit"]
    assert result["Ea_total_eV"] == pytest.approx(PUBLISHED_EA["total"][0], abs=0.003)
    assert result["Ea_gb_eV"] == pytest.approx(PUBLISHED_EA["gb"][0], abs=0.015)


def _chi2(circuit, p, f, z) -> float:
    return float(np.sum(np.abs((Circuit(circuit).impedance(p, f) - z) / np.abs(z)) ** 2))


@pytest.mark.parametrize("name, circuit", [
    *[(n, PAPER_CIRCUIT) for n in SERIES[::3]],
    ("exampleDataZPlot_noComments.z", "R0-p(R1,CPE1)-p(R2,CPE2)"),
    ("exampleDataBioLogic.mpt", "R0-p(R1,CPE1)-p(R2,CPE2)"),
    ("exampleDataGamry.DTA", "R0-p(R1,CPE1)"),
    ("Circuit1_EIS_1.z", "R0-p(R1,CPE1)-p(R2,CPE2)"),
])
def test_automatic_fit_equals_or_beats_impedance_py_from_the_same_start(name, circuit):
    """chi^2 = sum |(Z_fit - Z) / |Z||^2 (impedance.py's weight_by_modulus)."""
    spectrum = read_spectrum(real_file(name))
    f, z = spectrum.frequency_Hz, spectrum.impedance_Ohm
    ours = fit(f, z, circuit)
    upper = Circuit(circuit).upper_bounds
    start = np.minimum(guesses(Circuit(circuit), f, z)[0], 0.999 * upper)
    theirs, _ = circuit_fit(f, z, circuit, list(start), constants={}, weight_by_modulus=True,
                            bounds=(np.zeros(upper.size), upper), maxfev=10000)
    assert _chi2(circuit, ours.values, f, z) <= _chi2(circuit, theirs, f, z) * (1 + 1e-6)


def test_hot_ceramic_series_resistance_from_the_first_point():
    """ZView's ZPlotW example: the first point is off the real axis; R0 starts between
    Z' - |Z''| and Z' of it and ends where impedance.py's documented fit does (536 Ohm)."""
    spectrum = read_spectrum(real_file("exampleDataZPlot_noComments.z"))
    result = fit(spectrum.frequency_Hz, spectrum.impedance_Ohm, "R0-p(R1,CPE1)-p(R2,CPE2)")
    assert result.state == "ok"
    assert result.params["R0"] == pytest.approx(535.9, rel=0.01)
