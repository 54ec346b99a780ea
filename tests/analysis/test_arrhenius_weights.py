"""The Arrhenius fit weighs each plateau by how well its R is known."""

import numpy as np
from scipy.constants import Boltzmann, elementary_charge, zero_Celsius

from labctl.analysis import quantities as q
from labctl.analysis.analysis import analyze
from labctl.analysis.dataset import Dataset, Plateau
from labctl.simulators.physics.sample import SampleModel
from labctl.simulators.physics.sample_file import locate
from tests.analysis.samples import spectrum

EA_EV = 0.8


def test_one_poorly_resolved_plateau_does_not_pull_ea_beyond_its_error():
    """Four plateaus known to 0.5 %, the coolest to 30 % and 40 % off (1.3 of its own
    errors): Ea stays within 2 of its standard errors and 0.005 eV of the truth (unweighted:
    0.047 eV off)."""
    T = np.array([523.15, 573.15, 623.15, 673.15, 723.15])
    sigma = 1e5 / T * np.exp(-EA_EV * elementary_charge / (Boltzmann * T))
    relative_error = np.array([0.3, 0.005, 0.005, 0.005, 0.005])
    measured = sigma * (1 + relative_error * np.random.default_rng(3).standard_normal(T.size))
    measured[0] = 1.4 * sigma[0]
    line = q.arrhenius(T, measured, relative_error)
    assert abs(line.Ea_eV - EA_EV) < min(2 * line.Ea_std_eV, 0.005)


def test_the_total_resistance_error_counts_the_arcs_correlation():
    """Two overlapping arcs (s04147 at 150 C, capacitances 2.5x apart): the split between
    them is known worse than their sum; the sum's error, with their correlation, is less
    than half the errors added in quadrature, and the true sum lies within 3 of it."""
    sample = SampleModel.from_toml(locate("s04147"))
    T = 150 + zero_Celsius
    plateau = Plateau(T, "150 C", *spectrum(sample, T, 2, np.logspace(6, -1, 36)))
    (p,) = analyze(Dataset("s04147", None, None, [plateau])).plateaus
    truth = sum(sample.resistances(T)[path] for path in ("bulk", "grain_boundary"))
    assert p.R_std_Ohm["total"] < 0.5 * np.hypot(p.R_std_Ohm["bulk"], p.R_std_Ohm["gb"])
    assert abs(p.R_Ohm["total"] - truth) < 3 * p.R_std_Ohm["total"]
