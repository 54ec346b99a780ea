"""Furnace plant against its closed forms; controller ramps, tuning, faults, determinism."""

import math
from dataclasses import replace

import numpy as np
import pytest
from scipy.constants import zero_Celsius

from labctl.simulators.physics.furnace import ControlLoop, Furnace, FurnaceParams, PIDGains

P = FurnaceParams()
TAU_F = P.heat_capacity_J_per_K / P.loss_conductance_W_per_K
RATE = 10 / 60                    # 10 K/min


def test_defaults_reach_a_tube_furnace_maximum():
    assert 1100 < P.steady_state_K(1.0) - zero_Celsius < 1200
    assert math.isclose(P.holding_fraction(P.steady_state_K(0.3)), 0.3)


def test_steady_state_for_constant_power_is_the_closed_form():
    furnace = Furnace()
    furnace.advance(40 * TAU_F, 0.5)
    expected = P.ambient_K + 0.5 * P.max_power_W / P.loss_conductance_W_per_K
    assert math.isclose(furnace.furnace_K, expected, rel_tol=1e-12)
    assert math.isclose(furnace.sample_K, furnace.furnace_K, rel_tol=1e-12)


@pytest.mark.parametrize("lag_s", [120.0, TAU_F])       # TAU_F: equal time constants
def test_transient_matches_the_two_exponential_solution(lag_s):
    params = replace(P, sample_lag_s=lag_s)
    furnace = Furnace(params, temperature_K=500.0)
    t, u = 900.0, 0.7
    steady = params.steady_state_K(u)
    x0 = 500.0 - steady
    a, b = math.exp(-t / TAU_F), math.exp(-t / lag_s)
    coupling = x0 * TAU_F / (TAU_F - lag_s) * (a - b) if lag_s != TAU_F else x0 * t / TAU_F * a
    for _ in range(9):                          # exact for piecewise-constant power
        furnace.advance(t / 9, u)
    assert math.isclose(furnace.furnace_K, steady + x0 * a, rel_tol=1e-12)
    assert math.isclose(furnace.sample_K, steady + coupling + b * x0, rel_tol=1e-12)


def ramp(loop: ControlLoop, duration_s: float, every_s: float = 1.0):
    """Readings (t, PV, working set-point, sample) every `every_s` for `duration_s`."""
    rows = []
    for t in np.arange(loop.time_s, loop.time_s + duration_s, every_s):
        loop.update(t)
        rows.append((loop.time_s, loop.pv_K, loop.working_setpoint_K, loop.sample_K))
    return np.array(rows).T


def test_ten_k_per_min_to_600_c_tracks_and_barely_overshoots():
    loop = ControlLoop(Furnace())
    loop.set_rate(RATE)
    target = 600 + zero_Celsius
    loop.set_target(target)
    t, pv, wsp, sample = ramp(loop, 6000.0)
    ramping = (wsp < target) & (t > 60)
    assert np.abs(pv - wsp)[ramping].max() < 1.0
    assert pv.max() - target < 2.0
    after = t > (target - P.ambient_K) / RATE + 600
    assert np.abs(pv[after] - target).max() < 0.2
    # sample lags the thermocouple by rate * tau_s during the ramp, then catches up
    assert math.isclose((pv - sample)[ramping][-1], RATE * P.sample_lag_s, rel_tol=1e-3)
    assert abs(sample[-1] - target) < 0.01


def test_anti_windup_a_saturated_step_does_not_overshoot():
    loop = ControlLoop(Furnace())
    loop.set_target(600 + zero_Celsius)                 # rate limit off: full power for ~15 min
    _, pv, _, _ = ramp(loop, 10000.0)
    assert loop.output_pct < 100 and pv.max() - loop.target_K < 0.1


def test_derivative_acts_on_the_measurement():
    outputs = []
    for derivative_s in (0.0, 2.0):
        loop = ControlLoop(Furnace(), gains=PIDGains(derivative_time_s=derivative_s))
        loop.set_manual(50.0)
        loop.update(100.0)                              # heating at ~0.4 K/s
        losses = P.loss_conductance_W_per_K * (loop.pv_K - P.ambient_K)
        rising = (500.0 - losses) / P.heat_capacity_J_per_K
        loop.set_target(loop.pv_K)
        loop.set_auto()
        loop.update(100.25)
        outputs.append(loop.output_pct)
    assert outputs[0] == pytest.approx(50.0, abs=0.5)
    assert outputs[0] - outputs[1] == pytest.approx(20.0 * 2.0 * rising, rel=0.02)


def test_ramp_timing_300_k_at_10_k_per_min_takes_30_min():
    loop = ControlLoop(Furnace(temperature_K=500.0))
    loop.set_rate(RATE)
    loop.set_target(800.0)
    t, pv, wsp, _ = ramp(loop, 3600.0, every_s=0.25)
    end = t[np.argmax(wsp >= 800.0)]
    assert abs(end - 1800.0) <= 0.25
    assert not loop.ramp_running and loop.ramp_running is False
    assert abs(t[np.argmax(pv >= 799.0)] - 1800.0) < 60


def test_rate_zero_steps_the_working_setpoint():
    loop = ControlLoop(Furnace())
    loop.set_target(700.0)
    assert loop.working_setpoint_K == 700.0 and not loop.ramp_running
    loop.set_rate(RATE)
    loop.set_target(900.0)
    assert loop.ramp_running and loop.working_setpoint_K == loop.pv_K
    loop.set_rate(0.0)
    assert loop.working_setpoint_K == 900.0


def test_heater_failure_decays_to_ambient_with_the_furnace_time_constant():
    furnace = Furnace(temperature_K=873.15)
    loop = ControlLoop(furnace)
    loop.update(600.0)
    start = furnace.furnace_K
    furnace.heater_failed = True
    loop.update(600.0 + TAU_F)
    decay = math.exp(-(loop.time_s - 600.0) / TAU_F)
    excess = furnace.furnace_K - P.ambient_K
    assert math.isclose(excess, (start - P.ambient_K) * decay, rel_tol=1e-9)
    assert loop.output_pct == 100.0                     # the controller asks in vain
    loop.update(600.0 + 30 * TAU_F)
    assert abs(loop.sample_K - P.ambient_K) < 1e-6


def test_thermocouple_break_invalidates_pv_and_cuts_the_output():
    furnace = Furnace(temperature_K=873.15)
    loop = ControlLoop(furnace)
    furnace.thermocouple_broken = True
    loop.update(TAU_F)
    assert loop.sensor_break and math.isnan(loop.pv_K) and loop.output_pct == 0.0
    excess = furnace.furnace_K - P.ambient_K
    assert math.isclose(excess, (873.15 - P.ambient_K) / math.e, rel_tol=1e-3)
    furnace.thermocouple_broken = False
    loop.update(TAU_F + 3600)
    assert abs(loop.pv_K - 873.15) < 0.1


def test_manual_mode_holds_the_output_and_returns_bumplessly():
    loop = ControlLoop(Furnace(temperature_K=700.0))
    loop.update(100.0)
    loop.set_manual(40.0)
    loop.update(700.0)
    assert loop.output_pct == 40.0
    loop.set_target(loop.pv_K)
    loop.set_auto()
    loop.update(700.25)
    assert abs(loop.output_pct - 40.0) < 0.5
    loop.set_manual(150.0)
    loop.update(701.0)
    assert loop.output_pct == 100.0                     # clipped to the output limits


def test_take_over_keeps_the_time_grid_and_the_output():
    furnace = Furnace(temperature_K=700.0)
    first = ControlLoop(furnace)
    second = ControlLoop(furnace, start_s=0.0)
    first.set_target(800.0)
    second.set_target(800.0)
    first.update(600.0)
    before = furnace.furnace_K
    second.take_over(first)
    second.update(600.0)
    assert furnace.furnace_K == before                  # no time is simulated twice
    second.update(600.25)
    assert abs(second.output_pct - first.output_pct) < 0.5
    with pytest.raises(ValueError):
        second.take_over(ControlLoop(Furnace()))


def test_state_depends_only_on_time_not_on_how_often_it_is_read():
    loops = [ControlLoop(Furnace()) for _ in range(2)]
    for loop in loops:
        loop.set_rate(RATE)
        loop.set_target(900.0)
    for t in np.arange(0.0, 3000.0, 0.7):
        loops[0].update(t)
    loops[0].update(3000.0)
    loops[1].update(3000.0)
    loops[1].update(10.0)                                # the past: no effect
    a, b = loops
    def state(loop):
        return loop.time_s, loop.pv_K, loop.sample_K, loop.output_pct, loop.working_setpoint_K
    assert state(a) == state(b)


def test_twelve_hours_of_virtual_time_in_one_update():
    """One call runs all 172800 control ticks (its speed: benchmarks/bench_simulation.py)."""
    loop = ControlLoop(Furnace())
    loop.set_rate(RATE)
    loop.set_target(900.0)
    loop.update(12 * 3600.0)
    assert loop.time_s == 12 * 3600.0
    assert abs(loop.pv_K - 900.0) < 1e-6


def test_invalid_settings_are_refused():
    loop = ControlLoop(Furnace())
    for call in (lambda: loop.set_rate(-1.0), lambda: loop.set_output_limits(50, 10),
                 lambda: ControlLoop(Furnace(), period_s=0), lambda: Furnace().advance(-1, 0)):
        with pytest.raises(ValueError):
            call()
