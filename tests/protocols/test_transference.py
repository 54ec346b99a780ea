"""Bruce-Vincent-Evans t+ on the simulated Li cell: the formula against the paper, t+ from
0.2 to 0.9 recovered with a drifting interface on both instrument pairs (the naive I_ss/I_0
is not), the parts (spectrum fit, steady-state test), warnings, abort."""

import math
from pathlib import Path

import numpy as np
import pytest

from labctl.bench import load_bench
from labctl.capabilities import CurrentReading, ImpedancePoint
from labctl.context import Aborted
from labctl.errors import LabctlError
from labctl.recipe import load_recipe
from labctl.protocols import _cell_fit, transference as tr
from labctl.protocols._diffusion_tail import SteadyState, tail_fit
from labctl.protocols._params import problems
from labctl.simulators.physics.sample import SampleModel
from tests.protocols.li_bench import li_context, li_sample

T_K = 353.15                     # 80 degC: diffusion time L^2/(pi^2 D) = 3.3 h
TOLERANCE = 0.02
EXAMPLES = Path(__file__).parents[2] / "examples"
DRIFT = {"electrode__drift_fraction": 0.6, "electrode__drift_time_s": 7200.0}


# -- the formula ---------------------------------------------------------------------------
@pytest.mark.parametrize("dV_mV, i0_uA, r0, iss_uA, rss, expected", [
    (10.2, 21.0, 150, 10.10, 249, 0.441),      # Evans, Vincent & Bruce 1987, Table 1, cell 2
    (10.2, 19.93, 136, 10.42, 197, 0.481),     # cell 3
])
def test_bruce_vincent_reproduces_the_papers_table(dV_mV, i0_uA, r0, iss_uA, rss, expected):
    t, _ = tr.bruce_vincent(dV_mV * 1e-3, i0_uA * 1e-6, r0, iss_uA * 1e-6, rss)
    assert t == pytest.approx(expected, abs=5e-4)


def test_uncertainty_is_the_first_order_propagation_of_the_four_inputs():
    x = np.array([20e-6, 150.0, 10e-6, 250.0])
    stds = (2e-8, 1.5, 3e-8, 2.0)
    _, std = tr.bruce_vincent(10e-3, *x, stds)
    gradient = []
    for j in range(4):
        h = np.zeros(4)
        h[j] = 1e-6 * x[j]
        gradient.append((tr.bruce_vincent(10e-3, *(x + h))[0]
                         - tr.bruce_vincent(10e-3, *(x - h))[0]) / (2 * h[j]))
    assert std == pytest.approx(math.sqrt(sum((g * s) ** 2 for g, s in zip(gradient, stds))),
                                rel=1e-6)


# -- on the simulated bench ----------------------------------------------------------------
RUNS = {}


def measured(tmp_path_factory, pair: str, t_plus: float):
    """One run per (pair, t+), shared by the tests that read it: (result, ctx, truth)."""
    if (pair, t_plus) not in RUNS:
        folder = tmp_path_factory.mktemp("li")
        sample = li_sample(transference__t_plus=t_plus, **DRIFT)
        with li_context(folder, sample, T_K, pair) as (ctx, bench):
            # the relaxation afterwards is checked on one run only (it doubles the time)
            relax = (pair, t_plus) == ("keithley+solartron", 0.5)
            result = tr.run(ctx, tr.Params(relax=relax))
            world = bench.simulation.world
            model = SampleModel.from_dict(sample)
            truth = {"t_plus": world.sample.transference.t_plus,
                     "R0": model.at_age(result.step_time_s).resistances(T_K)["interface"],
                     "Rss": world.sample.resistances(T_K)["interface"],
                     "smu_output": bench.simulation.devices[
                         "smu" if pair.startswith("keithley") else "pstat"],
                     "end_s": bench.clock.now()}
        RUNS[pair, t_plus] = result, ctx, truth
    return RUNS[pair, t_plus]


CASES = [("keithley+solartron", 0.2), ("keithley+solartron", 0.5),
         ("keithley+solartron", 0.9), ("emstat4", 0.9)]


@pytest.mark.parametrize("pair, t_plus", CASES)
def test_t_plus_within_0_02_of_the_truth_with_a_drifting_interface(tmp_path_factory, pair,
                                                                      t_plus):
    result, ctx, truth = measured(tmp_path_factory, pair, t_plus)
    assert truth["t_plus"] == t_plus
    assert result.t_plus == pytest.approx(t_plus, abs=TOLERANCE)
    assert result.t_plus_std < TOLERANCE / 4
    assert result.stopped == "steady_state" and ctx.events == []
    assert result.R0_Ohm == pytest.approx(truth["R0"], rel=0.01)        # interface at the step
    assert result.Rss_Ohm == pytest.approx(truth["Rss"], rel=0.01)      # ... and at the end
    assert result.Rss_Ohm > 1.4 * result.R0_Ohm                          # it drifted


@pytest.mark.parametrize("pair, t_plus", CASES)
def test_the_naive_current_ratio_misses_by_more_than_the_tolerance(tmp_path_factory, pair,
                                                                    t_plus):
    result, _, _ = measured(tmp_path_factory, pair, t_plus)
    assert result.t_plus_naive == pytest.approx(result.Iss_A / result.I0_A)
    assert abs(result.t_plus_naive - t_plus) > TOLERANCE


def test_one_measurement_holds_both_spectra_the_current_and_the_relaxation(tmp_path_factory):
    result, ctx, truth = measured(tmp_path_factory, "keithley+solartron", 0.5)
    (m,) = ctx.measurements
    assert (m.kind, m.status, m.result) == ("transference", "done", result.to_dict())
    step, end = result.step_time_s, result.step_time_s + result.duration_s
    spectra = [p for p in m.points if isinstance(p, ImpedancePoint)]
    before = [p for p in spectra if p.time_s <= step]
    after = [p for p in spectra if p.time_s > step]
    readings = [p for p in m.points if isinstance(p, CurrentReading)]
    current = [r for r in readings if r.time_s <= end + 1e-9]
    relaxation = [r for r in readings if r.time_s > after[-1].time_s]
    assert len(before) == len(after) and len(current) + len(relaxation) == len(readings)
    assert current[0].time_s > step and after[0].time_s > end
    assert before[0].frequency_Hz < before[-1].frequency_Hz          # upwards, arc last
    assert after[0].frequency_Hz > after[-1].frequency_Hz            # downwards, arc first
    assert {p.bias_V for p in after} == {0.01} and {p.bias_V for p in before} == {0.0}
    gaps = np.diff([r.time_s for r in current])
    assert gaps[0] == pytest.approx(0.02) and gaps[-1] > 100 * gaps[0]   # dense, then sparse
    assert {r.voltage_V for r in relaxation} == {0.0}
    assert np.mean(np.abs([r.current_A for r in relaxation[-5:]])) < 0.002 * result.Iss_A
    assert result.relaxed_s == pytest.approx(relaxation[-1].time_s - relaxation[0].time_s,
                                             abs=1.0)
    assert not truth["smu_output"].output


def test_a_second_run_on_the_same_cell_starts_relaxed(tmp_path):
    """As at the next plateau of a program: without the relaxation the first run's
    gradient would still be relaxing through the source meter's 0 V (the interface keeps
    drifting: the shipped sample's passivation grows over the first day)."""
    with li_context(tmp_path, li_sample(transference__t_plus=0.5), T_K) as (ctx, _):
        first, second = tr.run(ctx, tr.Params()), tr.run(ctx, tr.Params(relax=False))
    assert first.relaxed_s > 3600.0
    assert second.t_plus == pytest.approx(0.5, abs=TOLERANCE)
    for run in (first, second):       # no relaxation current left on the second step
        assert run.I0_A == pytest.approx(run.I0_eis_A, rel=0.01)


def test_the_emstat_caps_the_spectrum_at_its_highest_frequency(tmp_path_factory):
    _, ctx, truth = measured(tmp_path_factory, "emstat4", 0.9)
    spectrum = [p.frequency_Hz for p in ctx.measurements[0].points if isinstance(p, ImpedancePoint)]
    assert max(spectrum) == 2e5
    assert not truth["smu_output"].cell.on


def test_large_step_warns_and_an_abort_leaves_the_output_off(tmp_path):
    with li_context(tmp_path, li_sample(), T_K) as (ctx, bench):
        checkpoint = ctx.checkpoint

        def abort_during_the_step():
            if any(isinstance(p, CurrentReading) for p in ctx.measurements[0].points):
                ctx.abort("operator")
            checkpoint()
        ctx.checkpoint = abort_during_the_step
        with pytest.raises(Aborted):
            tr.run(ctx, tr.Params(voltage_V=0.05))
        output_on = bench.simulation.devices["smu"].output
    assert not output_on and ctx.measurements[0].status == "aborted"
    assert [level for level, text in ctx.events if "linear regime" in text] == ["warning"]


def test_params_are_checked_together():
    found = problems(tr.Params, {"voltage_V": 0.0, "start_Hz": 10.0, "stop_Hz": 100.0,
                                 "first_interval_s": 5.0, "max_interval_s": 1.0})
    assert [key for key, _ in found] == ["voltage_V", "stop_Hz", "max_interval_s"]


# -- the parts -----------------------------------------------------------------------------
@pytest.mark.parametrize("celsius, f_max", [(25, 1e6), (25, 2e5), (80, 1e6), (80, 2e5)])
def test_spectrum_fit_separates_bulk_and_interface(celsius, f_max):
    sample = SampleModel.from_dict(li_sample())
    T = celsius + 273.15
    f = np.logspace(math.log10(f_max), -1, 60)
    z = sample.add_noise(sample.impedance(f, T), np.random.default_rng(5))
    fit = _cell_fit.fit(f, z)
    r = sample.resistances(T)
    assert fit.bulk_Ohm == pytest.approx(r["bulk"], rel=0.005)
    assert fit.interface_Ohm == pytest.approx(r["interface"], rel=0.01)
    assert fit.max_residual < 0.01 and fit.interface_std_Ohm < 0.005 * r["interface"]


def test_spectrum_without_an_interface_arc_is_refused():
    f = np.logspace(5, -1, 40)
    with pytest.raises(LabctlError, match="no interfacial arc"):
        _cell_fit.fit(f, 100.0 + 1e3 / (2j * np.pi * f) ** 0.9)


def test_steady_state_needs_a_resolved_decay():
    """A sqrt(t) decline (semi-infinite diffusion) and a flat noisy stretch never look
    steady; an exponential approach does once its amplitude is below the tolerance."""
    rng = np.random.default_rng(3)
    t = np.geomspace(0.1, 1e4, 200)

    def first_steady(current):
        steady = SteadyState(0.002, min_tau_s=2.0)
        for n in range(20, t.size + 1):
            fit = tail_fit(t[:n], current[:n])
            if fit is not None and steady.update(fit, t[:n], current[:n]):
                return t[n - 1]
        return None
    noise = 1 + 1e-3 * rng.standard_normal(t.size)
    assert first_steady((1 - 0.002 * np.sqrt(t)) * noise) is None
    assert first_steady(np.full(t.size, 1.0) * noise) is None
    tau = 800.0
    stop = first_steady((0.5 + 0.5 * np.exp(-t / tau)) * noise)
    assert stop is not None and 4 * tau < stop < 10 * tau
    fit = tail_fit(t, 0.5 + 0.5 * np.exp(-t / tau))
    assert fit.tau_s == pytest.approx(tau, rel=1e-3) and fit.steady_A == pytest.approx(0.5)


def test_the_example_recipe_is_valid_on_the_full_simulated_bench():
    recipe = load_recipe(EXAMPLES / "transference.toml", load_bench("sim-full"))
    kinds = [step.kind for step in recipe.steps]
    assert kinds.count("transference") == 3 and kinds.count("stabilize") == 3


def test_initial_current_is_extrapolated_through_the_onset_of_diffusion():
    """At 80 degC the current already falls as t^1/2 during the dense readings: the
    extrapolation finds dV/(R_b + R_i), a reading does not."""
    sample = SampleModel.from_dict(li_sample())
    r = sample.resistances(T_K)
    t = 0.02 * np.arange(1, 101)
    current = sample.step_current(0.01, t, T_K)
    i0, std = tr._initial_current(t, current)
    truth = 0.01 / (r["bulk"] + r["interface"])
    assert i0 == pytest.approx(truth, rel=3e-4) and std < 1e-4 * truth
    assert abs(current[tr.SKIP_DENSE] / truth - 1) > 1e-3
