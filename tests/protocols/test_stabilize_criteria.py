"""The stability criteria on a furnace whose heater is held (manual output): a furnace
steady outside the band, or drifting inside it, is not stable; one steady inside it is."""

import pytest

from labctl.protocols import stabilize
from tests.protocols.simbench import sim_context

TARGET_K = 673.15


def held(folder, start_K, hold_K, **criteria) -> stabilize.Result:
    """Stabilize at TARGET_K with the heater held at the output that keeps the furnace at
    `hold_K` (it starts at `start_K` and relaxes towards `hold_K`)."""
    with sim_context(folder, start_K=start_K) as (ctx, bench):
        with bench.simulation.world.control() as loop:
            loop.set_manual(100 * loop.furnace.params.holding_fraction(hold_K))
        return stabilize.run(ctx, stabilize.Params(
            target_K=TARGET_K, ramp_rate_K_per_s=0.1, window_s=300.0, poll_s=20.0,
            **criteria))


@pytest.mark.parametrize("offset_K, stable", [(-0.2, True), (-2.5, False), (2.5, False)])
def test_the_band_holds_on_both_sides_of_the_target(tmp_path, offset_K, stable):
    T = TARGET_K + offset_K
    result = held(tmp_path, T, T, band_K=0.5, max_wait_s=900.0)
    assert result.final_rate_K_per_s < 1e-6 and result.final_temperature_K == pytest.approx(T)
    assert result.stable is stable


def test_a_furnace_drifting_inside_the_band_is_not_stable(tmp_path):
    """From 1.9 K below the target towards 5 K above (time constant 1333 s): 0.004 K/s,
    inside a 2 K band for the whole wait, but above the allowed 0.1 K/min."""
    result = held(tmp_path, TARGET_K - 1.9, TARGET_K + 5.0, band_K=2.0, max_wait_s=600.0)
    assert abs(result.final_temperature_K - TARGET_K) < 2.0
    assert result.final_rate_K_per_s > 2 * stabilize.Params(TARGET_K).max_rate_K_per_s
    assert not result.stable and result.waited_s >= 600.0
