"""Stability window on the simulated bench: onsets within 50 mV of the sample's truth,
found over an electronic leakage current larger than the threshold itself."""

import numpy as np
import pytest

from labctl.protocols import stability_window as sw
from tests.protocols.simbench import SMUS, output_on, sample_with_t_ion, sim_context

FAST = {"step_V": 0.02, "scan_rate_V_per_s": 2e-3, "rest_s": 300.0}


@pytest.mark.parametrize("t_ion, reduction_V, oxidation_V", [
    (0.999, -1.2, 2.4),
    (0.9, -0.7, 1.9),          # leakage at the onset ~4x the threshold current
])
@pytest.mark.parametrize("smu", SMUS)
def test_onsets_within_50_mV_of_the_truth(tmp_path, t_ion, reduction_V, oxidation_V, smu):
    """On every instrument that can play the SMU (the EmStat4's steps were once scripts
    of their own with the cell off in between: -0.306 V for -1.2 V)."""
    sample = sample_with_t_ion(t_ion)
    sample["stability"].update(reduction_onset_V=reduction_V, oxidation_onset_V=oxidation_V)
    with sim_context(tmp_path, sample, roles={"smu": smu}) as (ctx, bench):
        area = bench.simulation.world.sample.sample.area_m2
        result = sw.run(ctx, sw.Params(area_m2=area, **FAST))
        on = output_on(bench, smu)
    # the issue asks for 50 mV; interpolating between 20 mV steps gives ~1 mV
    assert result.onset_high_V == pytest.approx(oxidation_V, abs=0.002)
    assert result.onset_low_V == pytest.approx(reduction_V, abs=0.002)
    assert result.stopped_high == result.stopped_low == "threshold" and not on
    (m,) = ctx.of_kind("stability_window")
    v = np.array([p.voltage_V for p in m.points])
    turn = int(np.argmax(v))
    assert np.all(np.diff(v[:turn + 1]) > 0) and np.all(np.diff(v[turn + 1:]) < 0)
    assert m.result == result.to_dict()


def test_without_the_baseline_the_leakage_would_fake_an_early_onset(tmp_path):
    with sim_context(tmp_path, sample_with_t_ion(0.9)) as (ctx, bench):
        area = bench.simulation.world.sample.sample.area_m2
        sw.run(ctx, sw.Params(area_m2=area, direction="anodic", **FAST))
    (m,) = ctx.of_kind("stability_window")
    v = np.array([p.voltage_V for p in m.points])
    raw = np.array([p.current_A for p in m.points]) / area
    assert sw.onset(v, raw, 1, 1e-2) < 2.4 - 0.5
    assert m.result["onset_low_V"] is None and m.result["onset_high_V"] > 2.35


def test_a_side_that_never_reaches_the_threshold_reports_none(tmp_path):
    with sim_context(tmp_path) as (ctx, bench):
        area = bench.simulation.world.sample.sample.area_m2
        result = sw.run(ctx, sw.Params(area_m2=area, direction="cathodic",
                                       min_voltage_V=-0.6, **FAST))
        assert not bench.simulation.devices["smu"].output
    assert result.onset_low_V is None and result.stopped_low == "voltage_limit"
    assert result.onset_high_V is None
    assert [level for level, text in ctx.events if "scan rate" in text] == ["warning"]


@pytest.mark.parametrize("smu", SMUS)
def test_compliance_stops_a_direction(tmp_path, smu):
    """The 2450's compliance, the EmStat's overload of its top allowed range: a stop
    reason, not a failure."""
    with sim_context(tmp_path, roles={"smu": smu}) as (ctx, bench):
        area = bench.simulation.world.sample.sample.area_m2
        result = sw.run(ctx, sw.Params(area_m2=area, direction="anodic",
                                       current_limit_A=5e-7, **FAST))
    assert result.stopped_high == "compliance"


def test_a_threshold_below_the_instruments_resolution_is_said(tmp_path):
    """A threshold current below what the EmStat4 resolves on its lowest range: the onset
    comes with a warning naming the resolution (none on the 2450, which reports none)."""
    sample = sample_with_t_ion(0.999)
    with sim_context(tmp_path, sample, roles={"smu": "pstat"}) as (ctx, bench):
        area = bench.simulation.world.sample.sample.area_m2
        sw.run(ctx, sw.Params(area_m2=area, direction="anodic", threshold_A_per_m2=1e-7,
                              **FAST))
    warnings = [text for level, text in ctx.events if "resolution of pstat" in text]
    assert len(warnings) == 1 and "upper bound" in warnings[0]
