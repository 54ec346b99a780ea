"""Stability-gated wait: the sample (lagging the thermocouple) is at the set-point when it
ends, where a fixed short soak measures a sample still warming up."""

import numpy as np
import pytest

from labctl.protocols import eis_sweep, stabilize
from tests.protocols.simbench import sim_context

START_K, TARGET_K = 573.15, 673.15
RAMP = 10 / 60
EIS = eis_sweep.Params(stop_Hz=10.0)
GATE = dict(target_K=TARGET_K, ramp_rate_K_per_s=RAMP, poll_s=20.0, window_s=300.0)


def r_ion(folder, start_K, wait) -> tuple[float, float, float]:
    """(R_ion after `wait(ctx, bench)`, sample temperature then, simulated time)."""
    folder.mkdir()
    with sim_context(folder, start_K=start_K) as (ctx, bench):
        wait(ctx, bench)
        waited = bench.clock.now()
        sample_K = bench.simulation.world.sample_temperature_K()
        return eis_sweep.run(ctx, EIS).r_ion_Ohm, sample_K, waited


def fixed_soak(soak_s):
    def wait(ctx, bench):
        bench["furnace"].set_ramp_rate(RAMP)
        bench["furnace"].set_setpoint(TARGET_K)
        bench.clock.sleep((TARGET_K - START_K) / RAMP + soak_s)
    return wait


def test_gated_wait_measures_the_set_point_where_a_short_fixed_soak_does_not(tmp_path):
    reference, _, _ = r_ion(tmp_path / "equilibrium", TARGET_K, lambda ctx, bench: None)
    short, short_K, _ = r_ion(tmp_path / "fixed", START_K, fixed_soak(300.0))
    gated, gated_K, waited = r_ion(
        tmp_path / "gated", START_K,
        lambda ctx, bench: stabilize.run(ctx, stabilize.Params(reference_Hz=1e3, **GATE)))
    assert abs(short_K - TARGET_K) > 1.0 and abs(short / reference - 1) > 0.02
    assert abs(gated_K - TARGET_K) < 0.1 and abs(gated / reference - 1) < 0.005
    assert waited < (TARGET_K - START_K) / RAMP + 3600.0    # less than a 60 min soak


def test_thermocouple_criteria_alone_end_within_the_band(tmp_path):
    with sim_context(tmp_path, start_K=START_K) as (ctx, bench):
        result = stabilize.run(ctx, stabilize.Params(**GATE))
        sample_K = bench.simulation.world.sample_temperature_K()
    assert result.stable and abs(result.final_temperature_K - TARGET_K) <= 0.5
    assert abs(sample_K - TARGET_K) < 1.0 and result.final_z_drift_per_s is None
    assert len(ctx.temperatures) == pytest.approx(result.waited_s / 20.0, abs=2)
    (m,) = ctx.of_kind("stabilize")
    assert m.result == result.to_dict() and m.points == []


def test_max_wait_ends_with_a_warning(tmp_path):
    with sim_context(tmp_path, start_K=START_K) as (ctx, bench):
        result = stabilize.run(ctx, stabilize.Params(max_wait_s=600.0, **GATE))
    # the last poll's instrument traffic may carry it a little past the limit
    assert not result.stable and 600.0 <= result.waited_s < 600.0 + GATE["poll_s"]
    assert any(level == "warning" and "not stable" in text for level, text in ctx.events)


def test_stability_must_hold_for_a_whole_window(tmp_path):
    with sim_context(tmp_path, start_K=TARGET_K) as (ctx, _):     # already stable
        result = stabilize.run(ctx, stabilize.Params(**GATE))
    assert result.stable and 300.0 <= result.waited_s < 300.0 + 2 * 20.0


def test_remaining_time_is_the_ramp_and_then_the_window(tmp_path):
    with sim_context(tmp_path, start_K=START_K) as (ctx, bench):
        result = stabilize.run(ctx, stabilize.Params(**GATE))
    remaining = [r for _, r, _ in ctx.progress_updates]
    ramp_s = (TARGET_K - START_K) / RAMP
    assert remaining[0] == pytest.approx(ramp_s + GATE["window_s"], rel=0.05)
    assert remaining[-1] <= 2 * GATE["poll_s"]           # the last polls before stable
    assert result.waited_s >= ramp_s + GATE["window_s"]


def test_with_several_pellets_every_ones_impedance_must_stop_drifting():
    t = np.arange(0.0, 200.0, 10.0)
    temperature = np.full_like(t, 600.0)
    flat, drifting = np.zeros_like(t), 1e-3 * t
    params = stabilize.Params(target_K=600.0, window_s=100.0, poll_s=10.0)
    assert stabilize._criteria(t, temperature, [flat, flat], params)[0]
    stable, _, drift = stabilize._criteria(t, temperature, [flat, drifting], params)
    assert not stable and drift == pytest.approx(1e-3)
