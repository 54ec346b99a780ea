"""A mixed conductor between blocking electrodes: its spectrum down to 0.1 Hz ends long
before the electrode's response meets R_e, so the pellet circuit cannot tell the
electronic leak from smaller arcs; the plateau's polarization gives R_e = V / I_ss, and
with the leak held there the arcs (and Ea, t_ion) are the ionic ones."""

from __future__ import annotations

import numpy as np
import pytest

from labctl.analysis.analysis import analyze
from labctl.analysis.dataset import Dataset, Plateau, Polarization
from labctl.simulators.physics.sample import SampleModel
from labctl.simulators.physics.sample_file import locate

F_HZ = np.logspace(6, -1, 36)
TEMPERATURES_K = (623.15, 673.15, 723.15)
VOLTAGE_V = 0.1


def analysed(polarized: bool, bound: bool = False) -> tuple[SampleModel, dict]:
    truth = SampleModel.from_toml(locate("mixed-conductor"))
    rng = np.random.default_rng(1)
    plateaus = []
    for T in TEMPERATURES_K:
        r = truth.resistances(T)
        iss = VOLTAGE_V / r["electronic"]
        pol = Polarization(VOLTAGE_V, VOLTAGE_V / (r["bulk"] + r["grain_boundary"]) + iss, iss,
                           0.0, np.zeros(2), np.zeros(2), Iss_is_bound=bound)
        z = truth.add_noise(truth.impedance(F_HZ, T), rng, F_HZ)
        plateaus.append(Plateau(T, f"{T} K", F_HZ, z, polarization=pol if polarized else None))
    data = Dataset("MIEC", truth.sample.thickness_m, truth.sample.area_m2, plateaus)
    return truth, analyze(data).to_json()


def test_with_the_polarizations_r_e_the_arcs_and_t_ion_are_the_ionic_ones():
    truth, result = analysed(polarized=True)
    for i, T in enumerate(TEMPERATURES_K):
        r = truth.resistances(T)
        assert result["R_bulk_ohm"][i] == pytest.approx(r["bulk"], rel=0.01)
        assert result["R_gb_ohm"][i] == pytest.approx(r["grain_boundary"], rel=0.02)
        assert result["t_ion"][i] == pytest.approx(truth.ionic_transference_number(T), abs=0.002)
    assert result["Ea_bulk_eV"] == pytest.approx(truth.bulk.Ea_eV, rel=0.01)
    assert result["Ea_gb_eV"] == pytest.approx(truth.grain_boundary.Ea_eV, rel=0.01)


@pytest.mark.parametrize("polarized, bound", [(False, False), (True, True)])
def test_without_a_steady_i_ss_the_leak_stays_free_and_takes_the_arcs_down(polarized, bound):
    """What the fit gives with the leak free (no polarization, or I_ss only a bound): the
    arcs absorb the leak, ~2-5 % low at 350 degC and more above, and Ea bulk comes out
    high."""
    truth, result = analysed(polarized, bound)
    total = [result["R_bulk_ohm"][i] + result["R_gb_ohm"][i] for i in range(3)]
    ionic = [truth.resistances(T)["bulk"] + truth.resistances(T)["grain_boundary"]
             for T in TEMPERATURES_K]
    assert all(t < 0.97 * r for t, r in zip(total, ionic))
    assert result["Ea_bulk_eV"] > 1.01 * truth.bulk.Ea_eV
