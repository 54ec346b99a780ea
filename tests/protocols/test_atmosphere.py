"""The `atmosphere` protocol on the simulated gas bench (`sim-gas`): a step from O2 to an
N2-rich mix ends when the oxygen sensor and the sample's |Z| are steady (not a fixed time),
and the recorded pO2 follows the furnace tube's truth."""

import math

import numpy as np
import pytest
from scipy.constants import atm

from labctl.capabilities import ImpedancePoint
from labctl.errors import ConfigError, RangeError
from labctl.protocols import atmosphere
from labctl.protocols._params import problems
from labctl.protocols.atmosphere import Params
from tests.protocols.gas_bench import gas_context, shipped_sample

TUBE_CM3 = 300.0            # the simulated tube (physics.atmosphere.MixingVolume)
N2_O2_FRACTION = 3e-6       # grade 5.0 N2's O2 impurity in the simulation
FIXED_EQUILIBRATION_S = 2 * 3600.0


def mixed_conductor(D_m2_per_s: float = 1e-9) -> dict:
    """8YSZ with a p-type part large enough that |Z| at 1 Hz follows pO2 (sigma_p = sigma_ion
    / 4 at 1 atm), and chemical diffusion coefficient `D_m2_per_s` (1e-9: tau_D = 101 s)."""
    sample = shipped_sample("8ysz-po2")
    sample["brouwer"]["sigma_p0_S_per_m"] = 1.0
    sample["chemical_diffusion"]["D_ref_m2_per_s"] = D_m2_per_s
    return sample


def in_oxygen(ctx, bench) -> None:
    """The tube and the sample equilibrated with pure O2 (100 sccm for an hour)."""
    ctx.instruments["o2"].set_flow(100.0)
    bench.clock.sleep(3600.0)


def test_a_step_to_a_nitrogen_rich_mix_ends_when_gas_and_sample_are_steady(tmp_path):
    with gas_context(tmp_path, mixed_conductor()) as (ctx, bench):
        world = bench.simulation.world
        in_oxygen(ctx, bench)
        result = atmosphere.run(ctx, Params(o2_flow_sccm=10.0, n2_flow_sccm=490.0))
        tube, sample = world.pO2_Pa(), world.sample_pO2_Pa()
        assert result.steady and ctx.events == []
        print(f"atmosphere O2 -> 2 % O2: steady after {result.waited_s:.0f} s "
              f"(fixed equilibration {FIXED_EQUILIBRATION_S:.0f} s)")
        assert result.waited_s < FIXED_EQUILIBRATION_S / 2
        assert result.gas_steady_s <= result.sample_steady_s == result.time_s[-1]
        # it ended on the physics: the sample had taken up the tube's oxygen ...
        assert sample == pytest.approx(tube, rel=0.01)
        assert result.pO2_Pa == pytest.approx(tube, rel=0.01)
        assert result.pO2_std_Pa < 0.01 * result.pO2_Pa
        # ... and |Z| does not move any more: an hour later it is what the fit said
        bench.clock.sleep(3600.0)
        later = abs(ctx.instruments["fra"].measure(1.0, 0.01).impedance_Ohm)
        first = abs(next(p for p in ctx.measurements[0].points
                         if isinstance(p, ImpedancePoint)).impedance_Ohm)
        assert abs(later / first - 1) > 0.05                      # |Z| did relax
        assert result.magnitude_Ohm == pytest.approx(later, rel=0.004)


def test_a_slow_sample_keeps_the_wait_going_after_the_gas_is_steady(tmp_path):
    with gas_context(tmp_path, mixed_conductor(3e-10)) as (ctx, bench):   # tau_D = 340 s
        world = bench.simulation.world
        in_oxygen(ctx, bench)
        result = atmosphere.run(ctx, Params(o2_flow_sccm=10.0, n2_flow_sccm=490.0))
        print(f"slow sample: gas steady after {result.gas_steady_s:.0f} s, "
              f"|Z| after {result.sample_steady_s:.0f} s")
        assert result.steady and result.sample_steady_s > 3 * result.gas_steady_s
        assert world.sample_pO2_Pa() == pytest.approx(world.pO2_Pa(), rel=1e-3)


def test_a_signal_is_steady_only_once_it_is_there_not_when_it_is_predictable():
    """y = 0.5 exp(-t / 300 s) read every 10 s: its end value is known long before y is
    within the tolerance of it; steady waits for the latter."""
    rng = np.random.default_rng(1)
    tolerance, settling = 0.002, atmosphere.Settling(0.002)
    t = np.arange(0.0, 20000.0, 10.0)
    y = 0.5 * np.exp(-t / 300.0) + rng.normal(0.0, 1e-5, t.size)
    stop = next(i for i in range(2, t.size) if settling.update(t[:i], y[:i])) - 1
    assert 0.5 * np.exp(-t[stop] / 300.0) < tolerance
    assert settling.steady_y == pytest.approx(0.0, abs=tolerance) and settling.steady_at_s == t[stop]


def test_the_recorded_pO2_follows_the_tube(tmp_path):
    """Each reading against the mixing volume's x(t) = x_in + (1 - x_in) exp(-t Q / V)."""
    with gas_context(tmp_path, mixed_conductor()) as (ctx, bench):
        in_oxygen(ctx, bench)
        result = atmosphere.run(ctx, Params(o2_flow_sccm=10.0, n2_flow_sccm=490.0, poll_s=5.0))
        x_in = (10.0 + 490.0 * N2_O2_FRACTION) / 500.0
        tau = TUBE_CM3 / 500.0 * 60.0
        truth = [atm * (x_in + (1 - x_in) * math.exp(-t / tau)) for t in result.time_s]
        assert len(truth) > 20 and result.pO2_series_Pa[0] > 10 * result.pO2_series_Pa[-1]
        for measured, expected in zip(result.pO2_series_Pa, truth):
            assert measured == pytest.approx(expected, rel=0.02)
        assert set(result.o2_series_sccm) == {10.0} and set(result.n2_series_sccm) == {490.0}


def test_a_target_pO2_is_mixed_from_the_two_lines(tmp_path):
    with gas_context(tmp_path, shipped_sample("8ysz-po2")) as (ctx, bench):
        result = atmosphere.run(ctx, Params(target_pO2_Pa=1000.0, total_flow_sccm=400.0))
        assert result.o2_flow_sccm == pytest.approx(400.0 * 1000.0 / atm)
        assert result.o2_flow_sccm + result.n2_flow_sccm == pytest.approx(400.0)
        assert result.steady and result.pO2_Pa == pytest.approx(1000.0, rel=0.01)
        assert bench.simulation.world.pO2_Pa() == pytest.approx(1000.0, rel=0.01)


def test_flows_above_a_line_limit_are_refused_before_either_is_sent(tmp_path):
    with gas_context(tmp_path, shipped_sample("8ysz-po2")) as (ctx, bench):
        with pytest.raises(RangeError, match="n2: flow 501 sccm exceeds"):
            atmosphere.run(ctx, Params(o2_flow_sccm=10.0, n2_flow_sccm=501.0))
        assert bench.simulation.world.atmosphere.total_flow_sccm() == 0.0
        assert ctx.measurements == []


def test_a_target_above_the_oxygen_line_is_refused(tmp_path):
    with gas_context(tmp_path, shipped_sample("8ysz-po2")) as (ctx, bench):
        with pytest.raises(ConfigError, match="above what the oxygen line"):
            atmosphere.flows(Params(target_pO2_Pa=1.1 * atm), "O2", None)
        assert atmosphere.flows(Params(target_pO2_Pa=0.1 * atm), "AIR", None)["o2"] == \
            pytest.approx(200.0 * 0.1 / 0.2095)


@pytest.mark.parametrize("values, field", [
    ({}, "o2_flow_sccm"),
    ({"o2_flow_sccm": 10.0}, "o2_flow_sccm"),
    ({"o2_flow_sccm": 10.0, "n2_flow_sccm": 10.0, "target_pO2_Pa": 100.0}, "target_pO2_Pa"),
    ({"o2_flow_sccm": 0.0, "n2_flow_sccm": 0.0}, "o2_flow_sccm")])
def test_the_mix_must_be_given_once(values, field):
    assert [f for f, _ in problems(Params, values)] == [field]
    assert problems(Params, {"target_pO2_Pa": 100.0}) == []
