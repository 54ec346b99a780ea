"""The Lin-KK limit is the limit: a sample cooling steadily during the sweep gives residuals
that grow with the drift, and a spectrum is flagged just above `max_residual`, not below."""

import numpy as np
import pytest

from labctl.analysis.kk import lin_kk
from labctl.simulators.physics.sample import SampleModel

SAMPLE = SampleModel.default()
F = np.logspace(6, -1, 71)
LIMIT = 0.01


def cooling_spectrum(drift_K: float, seed: int) -> np.ndarray:
    """Noisy spectrum of the default sample cooling linearly by `drift_K` from 400 degC
    over the sweep (each point at its own temperature)."""
    T = 673.15 - np.linspace(0.0, drift_K, F.size)
    z = np.array([SAMPLE.impedance(F[i:i + 1], T[i])[0] for i in range(F.size)])
    return SAMPLE.add_noise(z, np.random.default_rng(seed))


@pytest.mark.parametrize("seed", [1, 2])
def test_a_residual_just_below_the_limit_passes_and_just_above_fails(seed):
    below = lin_kk(F, cooling_spectrum(5.0, seed), max_residual=LIMIT)
    above = lin_kk(F, cooling_spectrum(8.0, seed), max_residual=LIMIT)
    assert 0.7 * LIMIT < below.max_residual < LIMIT < above.max_residual < 1.5 * LIMIT
    assert below.ok and not above.ok
