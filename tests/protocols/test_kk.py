"""Lin-KK: the physics of a blocking-electrode pellet passes, a sample that changed fails."""

import numpy as np
import pytest

from labctl.analysis.kk import lin_kk
from labctl.simulators.physics.sample import SampleModel

SAMPLE = SampleModel.default()
F = np.logspace(6, -1, 71)


@pytest.mark.parametrize("T_K", [548.15, 673.15, 823.15])
def test_noisy_physics_spectrum_passes_with_residuals_at_the_noise_level(T_K):
    z = SAMPLE.add_noise(SAMPLE.impedance(F, T_K), np.random.default_rng(1))
    result = lin_kk(F, z)
    assert result.ok and result.max_residual < 5 * SAMPLE.noise.relative
    assert result.mu < 0.85 and result.n_rc >= 14      # two per decade at least
    assert result.residuals_real.shape == F.shape


def test_sample_that_cooled_during_the_sweep_fails():
    half = F.size // 2
    z = np.r_[SAMPLE.impedance(F[:half], 673.15), SAMPLE.impedance(F[half:], 663.15)]
    result = lin_kk(F, z)
    assert not result.ok and result.max_residual > 0.02


def test_non_causal_spectrum_fails_whatever_the_order():
    z = np.conj(SAMPLE.impedance(F, 673.15))       # inductive where it must be capacitive
    assert not lin_kk(F[::-1], z[::-1]).ok


def test_bad_input_is_refused():
    with pytest.raises(ValueError):
        lin_kk([1.0, 2.0], [1 + 0j, 2 + 0j])
    with pytest.raises(ValueError):
        lin_kk([1.0, -2.0, 3.0, 4.0], np.ones(4, complex))
