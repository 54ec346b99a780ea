"""Quantities from fits: arcs by frequency (capacitance checks them), Arrhenius, t_ion, D."""

import numpy as np
import pytest
from scipy.constants import Boltzmann, elementary_charge

from labctl.analysis import quantities as q
from labctl.analysis import report
from labctl.analysis.analysis import analyze
from labctl.analysis.dataset import Dataset, Plateau
from labctl.analysis.fit import fit
from tests.analysis.samples import random_sample, spectrum


def test_arcs_are_assigned_by_frequency_not_by_position_in_the_circuit():
    sample = random_sample(31)
    T = 623.15
    f, z = spectrum(sample, T)
    cell = sample.sample.thickness_m / sample.sample.area_m2
    swapped = fit(f, z, "p(p(R2,CPE2)-p(R1,CPE1)-CPE3,R4)")   # names swapped
    found = q.arcs(swapped, cell, f)
    assert [a.label for a in found] == ["bulk", "grain_boundary"]
    assert found[0].apex_Hz > found[1].apex_Hz
    assert not any(a.flags for a in found)
    arcs = {a.label: a for a in found}
    r = sample.resistances(T)
    assert arcs["bulk"].R_Ohm == pytest.approx(r["bulk"], rel=0.02)
    assert arcs["grain_boundary"].R_Ohm == pytest.approx(r["grain_boundary"], rel=0.02)
    assert arcs["bulk"].C_eff_F == pytest.approx(sample.bulk_capacitance_F, rel=0.05)
    gb = sample.grain_boundary         # Hsu-Mansfeld: C_eff = (R Q)^(1/n) / R
    c_gb = (r["grain_boundary"] * gb.Q) ** (1 / gb.n) / r["grain_boundary"]
    assert arcs["grain_boundary"].C_eff_F == pytest.approx(c_gb, rel=0.05)
    apex = sample.apex_frequencies_Hz(T)
    assert arcs["grain_boundary"].apex_Hz == pytest.approx(apex["grain_boundary"], rel=0.05)


def test_arrhenius_recovers_a_known_line():
    T = np.array([500.0, 550.0, 600.0, 650.0])
    Ea, A = 0.7, 3e5
    sigma = A / T * np.exp(-Ea * elementary_charge / (Boltzmann * T))
    rng = np.random.default_rng(0)
    line = q.arrhenius(T, sigma * (1 + 1e-3 * rng.standard_normal(4)))
    assert line.Ea_eV == pytest.approx(Ea, rel=1e-3)
    assert line.prefactor == pytest.approx(A, rel=0.02)
    assert 0 < line.Ea_std_eV < 2e-3
    assert np.isnan(q.arrhenius(T[:2], sigma[:2]).Ea_std_eV)
    assert q.arrhenius(T[:1], sigma[:1]) is None


def test_an_implausible_capacitance_is_flagged_never_dropped():
    """Both arcs with bulk-like capacitances (the published pellet: 3e-12 and 7e-12 F/cm):
    both are kept, bulk and grain boundary by frequency, the second flagged; without the
    geometry there is no capacitance check at all."""
    f = np.logspace(6, 0, 40)
    truth = [2e5, 7e-12, 2e6, 1.8e-11]                       # R1, C1, R2, C2 (F)
    circuit = "p(R1,C1)-p(R2,C2)"
    from labctl.analysis.circuits import Circuit
    result = fit(f, Circuit(circuit).impedance(truth, f), circuit)
    cell = 0.21e-2 / (np.pi * 0.4e-2 ** 2)                   # 2.1 mm thick, 8 mm across
    bulk, gb = q.arcs(result, cell, f)
    assert (bulk.label, gb.label) == ("bulk", "grain_boundary")
    assert bulk.R_Ohm == pytest.approx(2e5, rel=1e-6) and gb.R_Ohm == pytest.approx(2e6, rel=1e-6)
    assert gb.C_normalized_F_per_cm == pytest.approx(1.8e-11 * cell / 100, rel=1e-6)
    assert not bulk.flags and "outside the usual grain boundary range" in gb.flags[0]
    without = q.arcs(result, None, f)
    assert [a.label for a in without] == ["bulk", "grain_boundary"]
    assert not any(a.flags for a in without) and np.isnan(without[1].C_normalized_F_per_cm)


def test_transference_number_and_diffusion_coefficient():
    # V / R_ion = 1 mA, I_ss = 1 uA: t_ion = 1000 / 1001
    assert q.transference_number(1.0, 1e-6, 1000.0) == pytest.approx(1000 / 1001)
    D = q.diffusion_coefficient(1.0, 1000.0, 1e28, charge_number=2)
    assert D == pytest.approx(Boltzmann * 1000.0 / (1e28 * (2 * elementary_charge) ** 2))


def test_a_failed_fit_gives_empty_quantities_not_an_error(tmp_path):
    """A NaN point: that fit fails, the others stand, and the report is still drawn."""
    from labctl.analysis import report

    sample = random_sample(32)
    good = [Plateau(T, str(T), *spectrum(sample, T)) for T in (600.0, 650.0, 700.0)]
    f, z = spectrum(sample, 675.0)
    z[2] = np.nan                                          # a broken point: fit fails
    plateaus = good[:2] + [Plateau(675.0, "broken", f, z)] + good[2:]
    geometry = (sample.sample.thickness_m, sample.sample.area_m2)
    analysis = analyze(Dataset("t", *geometry, plateaus))
    assert report.write(analysis, tmp_path).is_file()
    result = analysis.to_json()
    assert [entry["success"] for entry in result["fits"]] == [True, True, False, True]
    assert result["R_bulk_ohm"][2] is None and result["R_bulk_ohm"][3] is not None
    assert result["Ea_bulk_eV"] == pytest.approx(sample.bulk.Ea_eV, rel=0.01)


def test_quantities_missing_for_want_of_geometry_say_why(tmp_path):
    """Without geometry: no conductivity, Ea all the same (from 1/R), and the notes (JSON
    and report) say why."""
    sample = random_sample(32)
    plateaus = [Plateau(T, str(T), *spectrum(sample, T)) for T in (600.0, 650.0, 700.0)]
    analysis = analyze(Dataset("t", None, sample.sample.area_m2, plateaus))
    result = analysis.to_json()
    assert result["sigma_total_S_per_m"] == [None] * 3 and result["Ea_total_eV"] is not None
    assert any(note.startswith("no sample geometry") for note in result["notes"])
    assert "no sample geometry" in report.write(analysis, tmp_path).read_text()
    assert not any("geometry" in n for n in analyze(Dataset("t", 1e-3, 1e-4, plateaus)).notes)


@pytest.mark.parametrize("bound", [False, True])
def test_a_polarization_whose_i_ss_is_a_bound_gives_t_ion_as_a_lower_bound(bound):
    """A polarization stored not steady (or below the instrument's resolution) is a bound
    in the analysis too: flagged in the JSON, said in the notes."""
    from labctl.analysis.dataset import Polarization

    sample, T = random_sample(32), 650.0
    pol = Polarization(0.1, 1e-6, 1e-9, 0.999, np.array([0.0, 1.0]), np.array([1e-6, 1e-9]),
                       Iss_is_bound=bound)
    plateau = Plateau(T, "x", *spectrum(sample, T), polarization=pol)
    analysis = analyze(Dataset("t", 1e-3, 1e-4, [plateau]))
    result = analysis.to_json()
    assert result["t_ion_is_lower_bound"] == [bound] and result["t_ion"][0] is not None
    assert any("lower bound" in note for note in analysis.notes) == bound


def test_a_collapsed_arc_is_reported_not_resolved_not_an_error():
    """An arc the fit shrank to tau = 0 (seen on Na-beta''-alumina behind lead inductance,
    labctl/simulators/samples/na-beta-alumina.toml at 50..75 degC): its apex is infinite and it
    is flagged not resolved, where it raised ZeroDivisionError."""
    from dataclasses import replace

    from labctl.analysis.circuits import Circuit
    f = np.logspace(6, 0, 40)
    circuit = "p(R1,C1)-p(R2,C2)"
    result = fit(f, Circuit(circuit).impedance([2e5, 7e-12, 2e6, 1.8e-9], f), circuit)
    values = np.array(result.values, dtype=float)
    values[list(result.names).index("C1")] = 0.0
    collapsed = [a for a in q.arcs(replace(result, values=values), None, f)
                 if a.resistance == "R1"]
    assert len(collapsed) == 1 and np.isinf(collapsed[0].apex_Hz)
    assert not collapsed[0].resolved and "not resolved" in collapsed[0].flags[0]
