"""The shipped default sample shows both arcs and the electrode spike over the demo range.

Verified 250..450 degC (every 25 K) over 0.1 Hz..1 MHz: bulk apex 4.7 kHz..0.46 MHz,
grain-boundary apex 12 Hz..3.8 kHz, at least 119x apart; |Z| 2 kOhm..2.1 MOhm.
"""

import numpy as np
import pytest
from scipy.constants import zero_Celsius
from scipy.signal import argrelmax

from labctl.simulators.physics.sample import SampleModel

DEMO_C = np.arange(250, 451, 25)
F_MIN, F_MAX = 0.1, 1e6
SAMPLE = SampleModel.default()


@pytest.mark.parametrize("T_C", DEMO_C)
def test_both_arcs_are_resolved_and_the_spike_is_visible(T_C):
    T = T_C + zero_Celsius
    apex = SAMPLE.apex_frequencies_Hz(T)
    f_b, f_gb = apex["bulk"], apex["grain_boundary"]
    assert 10 * F_MIN < f_gb and f_b < F_MAX / 2
    assert f_b / f_gb > 100

    # -Z'' has a local maximum at each arc (grain boundary pulled down a little by the spike)
    f = np.logspace(np.log10(F_MIN), np.log10(F_MAX), 2000)
    z = SAMPLE.impedance(f, T)
    peaks = f[argrelmax(-z.imag)[0]]
    assert len(peaks) == 2
    assert np.allclose(peaks / [f_gb, f_b], 1, atol=0.15)

    # electrode knee (|Z_el| = R_b + R_gb) above 0.1 Hz: the spike rises at the low end
    r = SAMPLE.resistances(T)
    el = SAMPLE.electrode
    knee = (1 / (el.Q * (r["bulk"] + r["grain_boundary"]))) ** (1 / el.n) / (2 * np.pi)
    assert knee > F_MIN
    assert -z.imag[0] > -z.imag[np.argmin(np.abs(f - f_gb))]

    assert 10 < np.abs(z).min() and np.abs(z).max() < 1e8
