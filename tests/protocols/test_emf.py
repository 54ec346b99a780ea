"""Cell EMF read until steady, and the cell reaction's dS, dH from E(T) over a program."""

import pytest

from labctl.analysis.cell_thermodynamics import cell_thermodynamics
from labctl.protocols import emf, stabilize
from labctl.simulators.physics.galvanic import cell_emf_V
from labctl.simulators.physics.sample_file import GalvanicCell
from tests.protocols.emf_bench import CELL, emf_context, truth

PLATEAUS_K = (950.0, 1000.0, 1050.0, 1100.0, 1150.0)
RAMP = 10 / 60


def program(ctx, plateaus=PLATEAUS_K, params=emf.Params()) -> list[emf.Result]:
    """At each plateau: stabilize on the thermocouple, then read the EMF until steady."""
    results = []
    for target in plateaus:
        stabilize.run(ctx, stabilize.Params(target_K=target, ramp_rate_K_per_s=RAMP,
                                             poll_s=20.0, window_s=300.0))
        results.append(emf.run(ctx, params))
    return results


def test_program_gives_dS_and_dH_of_the_cell_within_2_percent(tmp_path):
    with emf_context(tmp_path, PLATEAUS_K[0]) as (ctx, bench):
        results = program(ctx)
    thermo = cell_thermodynamics([r.temperature_K for r in results], [r.emf_V for r in results],
                                 [r.emf_std_V for r in results], electrons=2)
    dS, dH = truth()
    assert all(r.steady for r in results)
    assert thermo.dS_J_per_mol_K == pytest.approx(dS, rel=0.02)
    assert thermo.dH_J_per_mol == pytest.approx(dH, rel=0.02)
    assert abs(thermo.dS_J_per_mol_K - dS) < 3 * thermo.dS_std_J_per_mol_K + 0.5
    print(f"dS {thermo.dS_J_per_mol_K:.3f} ± {thermo.dS_std_J_per_mol_K:.3f} (truth {dS:.3f}), "
          f"dH {thermo.dH_J_per_mol:.1f} ± {thermo.dH_std_J_per_mol:.1f} (truth {dH:.1f}); "
          f"waited {[round(r.waited_s) for r in results]} s")


def test_each_reading_ends_on_the_physics_not_a_fixed_hold(tmp_path):
    """A temperature step leaves the EMF settling (sample lag, electrodes): the reading waits
    until it is within 0.2 mV of equilibrium; a short fixed hold is not."""
    cell = GalvanicCell(**CELL)
    with emf_context(tmp_path, 1000.0) as (ctx, bench):
        bench["furnace"].set_ramp_rate(20 / 60)
        bench["furnace"].set_setpoint(1050.0)
        bench.clock.sleep(300.0)
        early = bench["voltmeter"].read_emf_V()
        result = emf.run(ctx, emf.Params())
        equilibrium = cell_emf_V(cell, bench.simulation.world.sample_temperature_K())
    assert abs(early - equilibrium) > 2e-3
    assert result.steady and abs(result.emf_V - equilibrium) < 0.2e-3
    assert result.emf_std_V < 20e-6


def test_without_settling_the_window_is_the_only_wait(tmp_path):
    with emf_context(tmp_path, 1000.0) as (ctx, bench):
        result = emf.run(ctx, emf.Params(window_s=300.0, poll_s=10.0))
    assert result.steady and result.waited_s == pytest.approx(300.0, abs=10.0)
    assert result.dG_J_per_mol == pytest.approx(-2 * emf.FARADAY * result.emf_V)


def test_unsteady_emf_gives_up_at_max_wait_with_a_warning(tmp_path):
    with emf_context(tmp_path, 1000.0, cell={**CELL, "settling_s": 1e5}) as (ctx, bench):
        bench["furnace"].set_ramp_rate(20 / 60)
        bench["furnace"].set_setpoint(1100.0)
        result = emf.run(ctx, emf.Params(max_wait_s=1800.0))
    assert not result.steady and result.waited_s == pytest.approx(1800.0, abs=1.0)
    assert any(level == "warning" and "not steady" in text for level, text in ctx.events)
