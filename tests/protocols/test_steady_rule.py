"""The stop rule of a polarization on blocking electrodes (`protocols._tail.SteadyRule`)."""

import numpy as np
import pytest

from labctl.protocols._tail import SteadyRule
from labctl.protocols._tail_models import MODELS, tail_window


def replay(rule: SteadyRule, t, i) -> bool:
    return any(rule.update(t[:k], i[:k]) for k in range(1, t.size + 1))


def diffusion_curve(i_ss=2e-9, tau=3000.0):
    t = np.geomspace(1.0, 3e4, 120)
    clean = i_ss + 1e-7 * np.exp(-t / tau)
    return t, clean * (1 + 1e-3 * np.random.default_rng(5).standard_normal(t.size))


def test_an_exponential_tail_is_steady_once_i_ss_has_settled():
    t, i = diffusion_curve()
    rule = SteadyRule(0.001, 0.05, i0_A=1.02e-7)
    assert replay(rule, t, i)
    assert rule.estimate.fit.model in ("exponential", "sum")
    assert rule.estimate.fit.steady_A == pytest.approx(2e-9, rel=0.05)
    assert rule.steady_at_s > 3000.0                 # not before a time constant has passed


def test_t_ion_outside_0_1_is_never_steady():
    """I_0 below the extrapolated I_ss (t_ion < 0): the fit is fine, the result is not."""
    t, i = diffusion_curve()
    rule = SteadyRule(0.001, 0.05, i0_A=1e-9)
    assert not replay(rule, t, i)
    assert "outside [0, 1]" in rule.estimate.failed and rule.steady_at_s is None


@pytest.mark.parametrize("model", sorted(MODELS))
def test_a_negative_i_ss_is_a_failed_fit(model):
    """A current falling through zero (a drifting offset): no model's I_ss is a result."""
    t = np.geomspace(1.0, 1e4, 100)
    fit = MODELS[model](*tail_window(t, -2e-9 + 1e-7 * t ** -0.5 + 1e-8 * np.exp(-t / 300)))
    assert fit.steady_A < 0 and "negative I_ss" in fit.failed
