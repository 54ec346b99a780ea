"""The Brouwer fit against data made from known parts: exact recovery, honest uncertainties
(pulls over many noisy sweeps), the domain boundaries' closed form, Arrhenius per part."""

import math

import numpy as np
import pytest
from scipy.constants import atm, k, e

from labctl.analysis import brouwer

PARTS = {"ion": 2.0, "n0": 1e-5, "p0": 0.3}      # S/m at 1 atm
PO2_PA = atm * np.array([1e-24, 1e-22, 1e-20, 1e-3, 1e-2, 0.1, 1.0])


def sigma(pO2_Pa, ion=PARTS["ion"], n0=PARTS["n0"], p0=PARTS["p0"]):
    x = np.asarray(pO2_Pa) / atm
    return ion + n0 * x ** -0.25 + p0 * x ** 0.25


def test_exact_data_give_the_parts_and_the_boundaries():
    f = brouwer.fit(1000.0, PO2_PA, sigma(PO2_PA), 1e-3 * sigma(PO2_PA))
    assert (f.sigma_ion_S_per_m, f.sigma_n0_S_per_m, f.sigma_p0_S_per_m) == pytest.approx(
        (PARTS["ion"], PARTS["n0"], PARTS["p0"]), rel=1e-9, abs=0)
    n_at, p_at = f.pO2_n_boundary_Pa, f.pO2_p_boundary_Pa
    assert PARTS["n0"] * (n_at / atm) ** -0.25 == pytest.approx(PARTS["ion"])
    assert PARTS["p0"] * (p_at / atm) ** 0.25 == pytest.approx(PARTS["ion"])
    assert not f.n_boundary_extrapolated and f.p_boundary_extrapolated    # 1.8e3 atm
    assert f.chi2_reduced == pytest.approx(0.0, abs=1e-12)


def pulls(stated: np.ndarray, scatter: np.ndarray, draws: int = 300) -> np.ndarray:
    """(estimate - truth) / stated std of each part over noisy sweeps, its spread per part:
    relative noise `scatter` on sigma, `stated` the relative errors the fit is given."""
    rng = np.random.default_rng(3)
    out = []
    for _ in range(draws):
        s = sigma(PO2_PA) * (1 + scatter * rng.normal(0.0, 1.0, PO2_PA.size))
        f = brouwer.fit(1000.0, PO2_PA, s, stated * sigma(PO2_PA))
        out.append([(getattr(f, f"sigma_{p}_S_per_m") - PARTS[p])
                    / getattr(f, f"sigma_{p}_std_S_per_m") for p in brouwer.PARTS])
    return np.std(out, axis=0)


def test_the_stated_uncertainties_match_the_scatter():
    """Points of unequal quality (0.2 % and 5 %): weighted, the pulls spread by ~1."""
    rel = np.where(np.arange(PO2_PA.size) % 2, 5e-2, 2e-3)
    spread = pulls(rel, rel)
    assert np.all((spread > 0.8) & (spread < 1.25)), spread


def test_a_scatter_beyond_the_stated_errors_widens_the_uncertainties():
    """The data scatter 5x the stated errors: the reduced chi-square scales them up."""
    spread = pulls(np.full(PO2_PA.size, 2e-3), np.full(PO2_PA.size, 1e-2))
    assert np.all(spread < 1.6), spread


def test_a_pO2_error_widens_the_uncertainty_where_sigma_depends_on_pO2():
    s = sigma(PO2_PA)
    without = brouwer.fit(1000.0, PO2_PA, s, 1e-3 * s)
    with_error = brouwer.fit(1000.0, PO2_PA, s, 1e-3 * s, pO2_std_Pa=0.2 * PO2_PA)
    assert with_error.sigma_n0_std_S_per_m > 1.5 * without.sigma_n0_std_S_per_m


def test_fewer_than_three_pO2_are_refused():
    p = PO2_PA[[0, 0, 3]]
    with pytest.raises(ValueError, match="3 or more distinct pO2"):
        brouwer.fit(1000.0, p, sigma(p), 1e-3 * sigma(p))


def test_arrhenius_of_each_part():
    """sigma_ion T and sigma_n0, sigma_p0 plain Arrhenius with 0.8, 2.4 and 1.1 eV."""
    temperatures = np.array([873.15, 923.15, 973.15])
    ea = {"ion": 0.8, "n0": 2.4, "p0": 1.1}
    sweeps = []
    for T in temperatures:
        boltz = {p: math.exp(-ea[p] * e / (k * T) + ea[p] * e / (k * 923.15)) for p in ea}
        parts = {"ion": PARTS["ion"] * boltz["ion"] * 923.15 / T,
                 "n0": PARTS["n0"] * boltz["n0"], "p0": PARTS["p0"] * boltz["p0"]}
        s = sigma(PO2_PA, **parts)
        sweeps.append({"temperature_K": T, "pO2_Pa": PO2_PA, "sigma_S_per_m": s,
                       "sigma_std_S_per_m": 1e-4 * s})
    analysis = brouwer.analyze(sweeps[::-1])
    assert [f.temperature_K for f in analysis.fits] == pytest.approx(temperatures)
    for part, value in ea.items():
        assert analysis.arrhenius[part].Ea_eV == pytest.approx(value, rel=1e-6)
    out = analysis.to_json()["brouwer"]
    assert out["Ea_n0_eV"] == pytest.approx(2.4) and len(out["sigma_ion_S_per_m"]) == 3
