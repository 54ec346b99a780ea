"""The transference step is steady only once the latest readings agree with the I_ss the
tail fit extrapolates: an interface still drifting (a slow second mode after the salt
diffusion has settled) keeps it going."""

import numpy as np
import pytest

from labctl.protocols._diffusion_tail import SteadyState, tail_fit

TOLERANCE = 0.002
t = np.geomspace(0.1, 3e5, 400)


def first_steady(current: np.ndarray) -> float | None:
    steady = SteadyState(TOLERANCE, min_tau_s=2.0)
    for n in range(20, t.size + 1):
        fit = tail_fit(t[:n], current[:n])
        if fit is not None and steady.update(fit, t[:n], current[:n]):
            return float(t[n - 1])
    return None


@pytest.mark.parametrize("drift_tau_s", [2e4, 5e4])
def test_a_drifting_interface_does_not_end_the_step_early(drift_tau_s):
    """Diffusion settles with tau = 800 s; a tenth of the current drifts away with
    `drift_tau_s`. Wherever the step ends, what is left to drift is within the tolerance
    (ended on the fit alone: at 75 ks 0.0023 left, and at 98 ks 0.014)."""
    noise = 1 + 1e-3 * np.random.default_rng(3).standard_normal(t.size)
    drift = 0.1 * np.exp(-t / drift_tau_s)
    stop = first_steady((0.5 + 0.4 * np.exp(-t / 800.0) + drift) * noise)
    assert stop is None or 0.1 * np.exp(-stop / drift_tau_s) < TOLERANCE
    assert stop is not None or drift[-1] > TOLERANCE / 10   # not steady only while drifting
