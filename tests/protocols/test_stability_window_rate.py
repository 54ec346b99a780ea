"""The sweep keeps the requested scan rate: each step of `step_V` takes step/rate, on every
instrument that can play the SMU (the 2450's staircase, the EmStat's linear sweep)."""

import numpy as np
import pytest

from labctl.protocols import stability_window as sw
from tests.protocols.simbench import SMUS, sim_context


@pytest.mark.parametrize("smu", SMUS)
@pytest.mark.parametrize("scan_rate_V_per_s", [2e-3, 1e-4])
def test_the_recorded_sweep_runs_at_the_requested_scan_rate(tmp_path, scan_rate_V_per_s, smu):
    with sim_context(tmp_path, roles={"smu": smu}) as (ctx, bench):
        area = bench.simulation.world.sample.sample.area_m2
        sw.run(ctx, sw.Params(area_m2=area, direction="anodic", step_V=0.02, max_voltage_V=0.4,
                              scan_rate_V_per_s=scan_rate_V_per_s))
    (m,) = ctx.of_kind("stability_window")
    t = np.array([p.time_s for p in m.points])
    v = np.array([p.voltage_V for p in m.points])
    assert v.size == 21 and v[0] == 0 and v[-1] == pytest.approx(0.4, abs=1e-3)
    assert np.polyfit(t, v, 1)[0] == pytest.approx(scan_rate_V_per_s, rel=0.02)
