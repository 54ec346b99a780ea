"""labctl's Lin-KK (labctl.analysis.kk, issue 11) against impedance.py's `linKK`."""

import contextlib
import io

import numpy as np
import pytest

from labctl.analysis.kk import lin_kk
from tests.analysis.samples import random_sample, spectrum


@pytest.fixture
def imp_lin_kk(monkeypatch):
    """impedance.py 1.7.1 `linKK` with add_cap=True evaluates its RMSE print (every 10th M)
    in a namespace without numpy (a NameError): give it numpy, and silence the print."""
    import impedance.validation as validation

    monkeypatch.setitem(validation.circuit_elements, "np", np)

    def run(f, z):
        with contextlib.redirect_stdout(io.StringIO()):
            return validation.linKK(f, z, c=0.85, max_M=50, fit_type="complex", add_cap=True)
    return run


@pytest.mark.parametrize("seed", [1, 2])
def test_residuals_agree_with_impedance_py_at_the_noise_level(seed, imp_lin_kk):
    sample = random_sample(seed)
    f, z = spectrum(sample, 623.15, seed)
    ours = lin_kk(f, z)
    M, mu, _, res_real, res_imag = imp_lin_kk(f, z)
    theirs = np.sqrt(np.mean(res_real ** 2 + res_imag ** 2))
    rms = np.sqrt(np.mean(ours.residuals_real ** 2 + ours.residuals_imag ** 2))
    assert ours.ok and ours.mu < 0.85 and mu < 0.85
    assert 0.7 * M <= ours.n_rc <= 1.5 * M
    # both at the 0.1 % noise; ours no worse (its tau range extends past the data for the CPE)
    assert sample.noise.relative / 2 < rms <= theirs < 5 * sample.noise.relative
