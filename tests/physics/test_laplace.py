"""Fixed-Talbot inversion against transforms with known originals."""

import math

import numpy as np
import pytest
from scipy.special import erfcx

from labctl.simulators.physics.laplace import invert

T = np.logspace(-6, 3, 40)


@pytest.mark.parametrize("transform, original", [
    (lambda s: 1 / (s + 2.0), lambda t: np.exp(-2.0 * t)),                    # pole
    (lambda s: 1 / s ** 2, lambda t: t),                                     # double pole at 0
    (lambda s: s ** -0.5, lambda t: 1 / np.sqrt(np.pi * t)),                 # branch cut
    (lambda s: 1 / (s * (1 + np.sqrt(s))),                                   # cut + pole
     lambda t: 1 - erfcx(np.sqrt(t))),
])
def test_known_transforms(transform, original):
    exact = original(T)
    assert np.all(np.abs(invert(transform, T) - exact) <= 1e-9 * np.abs(exact) + 1e-13)


def test_shape_is_kept_and_times_must_be_positive():
    t = np.array([[1.0, 2.0], [3.0, 4.0]])
    assert invert(lambda s: 1 / s, t).shape == (2, 2)
    assert math.isclose(float(invert(lambda s: 1 / s, 2.0)), 1.0, rel_tol=1e-12)
    for bad in (0.0, -1.0, np.nan):
        with pytest.raises(ValueError):
            invert(lambda s: 1 / s, [1.0, bad])
