"""The physical limit of benchmarks/experiment_efficiency.py, piece by piece, against the
simulator it is computed from."""

from __future__ import annotations

import copy
import importlib.util
import sys
from pathlib import Path

import numpy as np
import pytest

from labctl.protocols import eis_sweep, stability_window
from labctl.simulators.physics.sample import SampleModel
from labctl.simulators.world import SimWorld

SCRIPT = Path(__file__).resolve().parents[2] / "benchmarks" / "experiment_efficiency.py"


@pytest.fixture(scope="module")
def limit():
    spec = importlib.util.spec_from_file_location("experiment_efficiency", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module          # its dataclasses look their module up
    spec.loader.exec_module(module)
    return module


def test_the_sample_is_in_band_from_the_settling_time_on_and_not_a_second_before(limit):
    loop = SimWorld.create().loop
    t = limit.sample_settling_s(copy.deepcopy(loop), 623.15, 10 / 60, 0.5)
    start = loop.time_s
    loop.set_rate(10 / 60)
    loop.set_target(623.15)
    offsets = []
    for dt in (t - 1.0, *np.arange(t, t + 3600.0, 5.0)):
        loop.update(start + dt)
        offsets.append(abs(loop.sample_K - 623.15))
    assert offsets[0] > 0.5 and max(offsets[1:]) <= 0.5
    assert t > (623.15 - 298.15) / (10 / 60)   # the ramp, then the sample's lag


def test_the_polarization_limit_is_where_the_current_is_within_0_001_I0_and_5_percent_of_I_ss(
        limit):
    sample, T, V = SampleModel.default(), 623.15, 0.5
    t = limit.polarization_s(sample, V, T)
    r = sample.resistances(T)
    i_ss = V / r["electronic"]
    i0 = V / (r["bulk"] + r["grain_boundary"]) + i_ss
    tolerance = min(1e-3 * i0, 0.05 * i_ss)
    excess = np.abs(sample.step_current(V, [0.98 * t, 1.02 * t, 10 * t], T) - i_ss) / tolerance
    assert excess[0] > 1 >= excess[1] and excess[2] <= 1
    assert tolerance < 1e-3 * i0                # here I_ss's 5 % is the stricter need


def test_the_spectrum_limit_is_whole_cycles_of_the_shortest_integration_plus_settling(limit):
    params = eis_sweep.Params(frequencies_Hz=(1000.0, 1.0))
    # 1 kHz: 10 cycles = 0.01 s (the shortest integration); 1 Hz: one cycle; 0.1 s settling
    assert limit.spectrum_s(params) == pytest.approx(0.01 + 0.1 + 1.0 + 0.1)


def test_the_sweep_limit_spans_the_true_onsets_at_the_scan_rate(limit):
    sample = SampleModel.default()   # |j| reaches 1e-2 A/m^2 at -1.2 V and 2.4 V
    params = stability_window.Params(area_m2=sample.sample.area_m2, scan_rate_V_per_s=0.01,
                                     threshold_A_per_m2=1e-2)
    assert limit.sweep_s(sample, params) == pytest.approx(3.6 / 0.01, rel=1e-4)
