"""The adaptive sweep ends on the electrode spike only when its last points lie on a power
law: a low-frequency tail as capacitive and as steep, but bending, is not a spike."""

import numpy as np

from labctl.capabilities import ImpedancePoint
from labctl.protocols import eis_sweep

PARAMS = eis_sweep.Params(adaptive_low_frequency=True)
F = np.logspace(6, -1, 71)
W = 2j * np.pi * F
CLEAN = 1e4 / (1 + W * 1e4 * 1e-10) + 1 / (1e-6 * W ** 0.9)   # bulk arc, then a CPE spike


def points(z: np.ndarray) -> list[ImpedancePoint]:
    return [ImpedancePoint(float(i), f, complex(v), 0.01, 0.0)
            for i, (f, v) in enumerate(zip(F, z))]


def bent(z: np.ndarray, k: int, curvature: float) -> np.ndarray:
    """The last `k` points with ln|Z| bent by `curvature` (ln f)^2 about their middle, their
    phases kept."""
    x = np.log(F[-k:]) - np.log(F[-k:]).mean()
    out = z.copy()
    out[-k:] *= np.exp(curvature * x ** 2)
    return out


def test_a_bending_capacitive_tail_does_not_end_the_sweep():
    """Bent by 0.6 (ln f)^2 over the last five points, 0.064 off a line in ln|Z| (a causal
    spectrum with every phase below -60 deg bends at most ~0.04 over half a decade; a
    drifting or glitching low-frequency tail can): phases and mean slope still a spike's."""
    k = PARAMS.spike_points
    assert eis_sweep.spike_established(points(CLEAN), PARAMS)
    curved = bent(CLEAN, k, 0.6)
    tail = curved[-k:]
    slope = np.polyfit(np.log(F[-k:]), np.log(np.abs(tail)), 1)[0]
    assert -1 <= slope <= -0.5 and np.all(np.degrees(np.angle(tail)) < PARAMS.spike_phase_deg)
    assert not eis_sweep.spike_established(points(curved), PARAMS)
    assert eis_sweep.spike_established(points(bent(CLEAN, k, 0.1)), PARAMS)   # slightly: still
