"""Hebb-Wagner polarization on the simulated bench (8YSZ | Ni/NiO cell of the shipped sample)."""

from __future__ import annotations

import tomllib
from dataclasses import replace

import numpy as np
import pytest

from labctl.protocols import hebb_wagner as hw
from labctl.simulators.physics import sample_file
from labctl.simulators.physics.sample import SampleModel
from tests.protocols.simbench import output_on, sim_context

T_K = 1073.15
FIXED_HOLD_S = 3600.0     # a literature schedule: 60 min per step (protocols-science.md [SUN])


def shipped() -> dict:
    return tomllib.loads(sample_file.shipped_sample("8ysz-hebb-wagner").read_text())


def params(**changes) -> hw.Params:
    geometry = shipped()["sample"]
    values = dict(area_m2=geometry["area_m2"], L_eff_m=geometry["thickness_m"],
                  start_V=0.1, stop_V=1.0, step_V=0.1, current_limit_A=5e-3)
    return hw.Params(**{**values, **changes})


def test_sigma_n0_and_sigma_p0_within_5_percent_each_step_ending_on_the_physics(tmp_path):
    truth = SampleModel.from_dict(shipped())
    n_true, p_true = truth.electronic_parts(T_K)
    with sim_context(tmp_path, shipped(), start_K=T_K) as (ctx, bench):
        result = hw.run(ctx, params())
        assert not output_on(bench, "smu")
    assert result.sigma_n0_S_per_m == pytest.approx(n_true, rel=0.05)
    assert result.sigma_p0_S_per_m == pytest.approx(p_true, rel=0.05)
    assert 0 < result.sigma_n0_std_S_per_m < 0.05 * n_true
    assert 0 < result.sigma_p0_std_S_per_m < 0.05 * p_true
    # every step stopped when its current was steady, at the truth of that step ...
    assert all(result.steady)
    np.testing.assert_allclose(result.Iss_A, truth.hebb_wagner_current(result.voltage_V, T_K),
                               rtol=0.03)
    # ... which comes sooner where I_ss is large against the ionic transient (high E)
    assert result.step_duration_s[-1] < result.step_duration_s[0]
    assert result.duration_s < len(result.voltage_V) * FIXED_HOLD_S / 4
    # sigma_e at the blocking side: the Brouwer sigma_e at that side's pO2
    reference = truth.hebb_wagner_cell.reference_pO2_Pa
    plain = replace(truth, hebb_wagner_cell=None)
    blocking_side = [sum(plain.at_pO2(reference * 10 ** r).electronic_parts(T_K))
                     for r in result.log10_pO2_ratio]
    np.testing.assert_allclose(result.sigma_e_S_per_m, blocking_side, rtol=0.05)
    stored = hw.SPEC.result(ctx.of_kind(hw.KIND)[0].result)
    assert stored == result


def test_a_staircase_that_never_settles_is_refused_with_warnings_and_the_output_off(tmp_path):
    with sim_context(tmp_path, shipped(), start_K=T_K) as (ctx, bench):
        with pytest.raises(hw.NotEnoughSteadySteps, match="steady within 5 s"):
            hw.run(ctx, params(max_step_duration_s=5.0, stop_V=0.3, current_limit_A=0.01))
        assert not output_on(bench, "smu")
    warnings = [text for level, text in ctx.events if level == "warning"]
    assert len(warnings) == 3 and all("not steady" in text for text in warnings)


def test_unsteady_steps_are_left_out_of_the_fit(tmp_path):
    """Steps near 0.1 V need ~10 min here; with 560 s only the higher ones are steady."""
    truth = SampleModel.from_dict(shipped())
    with sim_context(tmp_path, shipped(), start_K=T_K) as (ctx, bench):
        result = hw.run(ctx, params(max_step_duration_s=560.0))
    assert not all(result.steady) and sum(result.steady) >= hw.MIN_STEADY_STEPS
    assert result.sigma_p0_S_per_m == pytest.approx(truth.electronic_parts(T_K)[1], rel=0.05)


@pytest.mark.parametrize("changes, field", [
    ({"start_V": 0.5, "stop_V": 0.1}, "start_V"), ({"start_V": -0.5}, "start_V"),
    ({"step_V": 0.5}, "step_V")])
def test_a_staircase_the_tail_fit_cannot_follow_is_refused(changes, field):
    assert field in [name for name, _ in params(**changes).problems()]
    assert params().problems() == []


def test_fit_iv_returns_the_conductivities_of_an_exact_curve():
    e = np.linspace(0.05, 1.0, 12)
    x = e * hw.FARADAY / (hw.R * T_K)
    scale = hw.R * T_K * 1e-5 / (hw.FARADAY * 2e-3)
    current = scale * (3e-6 * -np.expm1(-x) + 2e-7 * np.expm1(x))
    (n0, p0), _ = hw.fit_iv(e, current, T_K, 1e-5, 2e-3)
    assert n0 == pytest.approx(3e-6, rel=1e-9) and p0 == pytest.approx(2e-7, rel=1e-9)
