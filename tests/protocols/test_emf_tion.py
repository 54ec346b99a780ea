"""t_ion by the EMF method (Gorelov's load line) on the simulated concentration cell,
against the DC polarization of the same sample at the same temperature."""

import tomllib
from contextlib import contextmanager
from importlib import resources
from pathlib import Path

import numpy as np
import pytest

from labctl.bench import load_bench, open_bench
from labctl.context import InMemoryContext
from labctl.errors import ConfigError, LabctlError
from labctl.protocols import atmosphere, dc_polarization, eis_sweep, emf_tion
from labctl.recipe import load_recipe
from labctl.simulators.physics import concentration_cell as cc
from labctl.simulators.physics.sample import SampleModel
from labctl.simulators.physics.sample_file import shipped_sample

BENCH = resources.files("labctl.simulators").joinpath("benches", "sim-emf.toml")
TEST_PA, MID_PA = 10132.5, 14665.0        # MID: ln pO2 midway between the test gas and air
SPECTRUM = eis_sweep.Params(start_Hz=1e6, stop_Hz=1.0, points_per_decade=8)


@contextmanager
def emf_context(path=BENCH):
    with open_bench(load_bench(path)) as bench:
        roles = {**bench.instruments, "voltmeter": bench.instruments["cell"]}
        yield InMemoryContext(roles, bench.clock, temperature_K=1073.15), bench


def gas(ctx, pO2_Pa: float) -> atmosphere.Result:
    return atmosphere.run(ctx, atmosphere.Params(target_pO2_Pa=pO2_Pa, reference_Hz=1e3))


def test_line_recovers_t_ion_from_the_circuits_load_points():
    """Exact points of the equivalent circuit: 1 - R_o/R_e is the circuit's t_ion."""
    cell = cc.cell_circuit(SampleModel.from_toml(shipped_sample("emf-cell")), 1073.15, TEST_PA)
    volts = cell.open_circuit_V * np.array([0.8, 0.6, 0.4])
    line = emf_tion.Line.fit(cell.nernst_V, cell.open_circuit_V, volts,
                             [cell.current_A(v) for v in volts])
    r_o = cell.R_ion_Ohm * cell.R_e_Ohm / (cell.R_ion_Ohm + cell.R_e_Ohm)
    t_ion, std = line.t_ion(r_o)
    assert line.R_e_Ohm == pytest.approx(cell.R_e_Ohm, rel=1e-9)
    assert line.b == pytest.approx(cell.R_ion_Ohm + cell.R_eta_Ohm, rel=1e-9)
    assert t_ion == pytest.approx(cell.t_ion, abs=1e-9) and std < 1e-9
    assert line.t_ion(r_o, nernst_rel_std=1e-3)[1] > 1e-4   # E_N's error counts


def test_emf_t_ion_agrees_with_dc_polarization_within_0_01(tmp_path):
    """800 degC: DC polarization in 14.7 kPa O2; the EMF between 10.1 kPa and air, whose mean
    t_ion is the t_ion at 14.7 kPa; the uncorrected E/E_N is visibly low."""
    with emf_context() as (ctx, bench):
        gas(ctx, MID_PA)
        eis_sweep.run(ctx, SPECTRUM)
        dc = dc_polarization.run(ctx, dc_polarization.Params(voltage_V=0.02,
                                                             current_limit_A=0.05))
        gas(ctx, TEST_PA)
        eis_sweep.run(ctx, SPECTRUM)
        result = emf_tion.run(ctx, emf_tion.Params())
        world = bench.simulation.world
        truth = cc.cell_in(world)
        load_on = bool(bench.simulation.devices["load"].output)
    assert result.steady and not load_on
    assert abs(result.t_ion - dc.t_ion) < 0.01
    assert abs(result.t_ion - truth.t_ion) < 0.005
    assert dc.t_ion - result.t_ion_uncorrected > 0.02
    assert result.R_eta_Ohm == pytest.approx(truth.R_eta_Ohm, rel=0.1)
    assert result.pO2_Pa == pytest.approx(TEST_PA, rel=0.02)
    assert result.nernst_V == pytest.approx(truth.nernst_V, rel=0.01)
    print(f"t_ion EMF {result.t_ion:.4f} ± {result.t_ion_std:.4f} (E/E_N "
          f"{result.t_ion_uncorrected:.4f}), DC {dc.t_ion:.4f}, truth {truth.t_ion:.4f}; "
          f"EMF steady after {result.waited_s:.0f} s")


def test_emf_is_read_until_steady_not_for_a_fixed_time():
    """Right after a gas change the tube is still mixing: the EMF wait lasts beyond one
    window, and ends with the EMF at the cell's value."""
    with emf_context() as (ctx, bench):
        eis_sweep.run(ctx, SPECTRUM)
        for line, flow in (("o2", 20.0), ("n2", 180.0)):
            bench[line].set_flow(flow)
        result = emf_tion.run(ctx, emf_tion.Params())
        truth = cc.cell_in(bench.simulation.world)
    assert result.steady and result.waited_s > 1.5 * emf_tion.Params().window_s
    assert result.emf_V == pytest.approx(truth.open_circuit_V, rel=0.005)


def test_unsteady_emf_gives_up_at_max_wait_with_a_warning():
    with emf_context() as (ctx, bench):
        eis_sweep.run(ctx, SPECTRUM)
        bench["o2"].set_flow(20.0)
        bench["n2"].set_flow(180.0)
        result = emf_tion.run(ctx, emf_tion.Params(window_s=600.0, max_wait_s=300.0))
    assert not result.steady and result.waited_s == pytest.approx(300.0, abs=1.0)
    assert any(level == "warning" and "not steady" in text for level, text in ctx.events)


def test_without_a_spectrum_first_it_says_what_is_missing():
    with emf_context() as (ctx, _):
        with pytest.raises(LabctlError, match="needs an impedance spectrum"):
            emf_tion.run(ctx, emf_tion.Params())


def test_bench_naming_an_unknown_instrument_for_the_cell_is_refused(tmp_path):
    path = tmp_path / "bench.toml"
    path.write_text(BENCH.read_text().replace('concentration_cell = ["cell", "load"]',
                                              'concentration_cell = ["cell", "lod"]'))
    with pytest.raises(ConfigError, match="no instrument 'lod'"):
        with emf_context(path):
            pass


def test_example_recipe_is_valid_on_the_sim_emf_bench():
    recipe = load_recipe(Path(__file__).parents[2] / "examples" / "emf_tion.toml",
                         load_bench(BENCH))
    kinds = [step.kind for step in recipe.steps]
    assert kinds.count("emf_tion") == 3 and kinds.count("dc_polarization") == 3


def test_the_load_off_leaves_the_cell_open_and_on_draws_the_cells_current():
    with emf_context() as (ctx, bench):
        load = bench["load"]
        load.configure(current_limit_A=0.05)
        load.set_voltage(0.0)
        off = load.read().current_A
        load.output(True)
        shorted = load.read().current_A
        load.output(False)
        cell = cc.cell_in(bench.simulation.world)
    assert off == 0.0
    assert shorted == pytest.approx(-cell.nernst_V / (cell.R_ion_Ohm + cell.R_eta_Ohm), rel=0.01)


def test_a_concentration_cell_table_needs_a_brouwer_table():
    data = {k: v for k, v in tomllib.loads(shipped_sample("emf-cell").read_text()).items()
            if k != "brouwer"}
    data["electronic"] = {"sigma_ref_S_per_m": 0.4, "T_ref_K": 1073.15, "Ea_eV": 1.0}
    with pytest.raises(ConfigError, match=r"concentration_cell.*needs a \[brouwer\] table"):
        SampleModel.from_dict(data)


def test_without_a_gradient_there_is_no_t_ion():
    """The tube starts full of air, the reference is air: E_N = 0."""
    with emf_context() as (ctx, bench):
        eis_sweep.run(ctx, SPECTRUM)
        with pytest.raises(LabctlError, match="no oxygen gradient"):
            emf_tion.run(ctx, emf_tion.Params())
        loaded = bench.simulation.devices["load"].output or bench.simulation.devices["load"].level
    assert not loaded                    # refused before the cell was loaded


def test_a_load_compliance_above_the_load_instruments_limit_is_refused(tmp_path):
    recipe = tmp_path / "recipe.toml"
    text = (Path(__file__).parents[2] / "examples" / "emf_tion.toml").read_text()
    recipe.write_text(text.replace("reference_pO2_Pa = 21228.0       # dry air",
                                   "reference_pO2_Pa = 21228.0\ncurrent_limit_A = 0.2"))
    with pytest.raises(ConfigError, match="current_A = 0.05 of 'load'"):
        load_recipe(recipe, load_bench(BENCH))


def test_the_10_Mohm_input_hardly_loads_a_cell_of_a_few_ohms():
    """The cell's own internal resistance (ohms) sits behind the DMM input, not the
    zirconia sensor's 100 kOhm (which the 10 MOhm input would load by 1 %)."""
    with emf_context() as (ctx, bench):
        for line, flow in (("o2", 20.0), ("n2", 180.0)):
            bench[line].set_flow(flow)
        bench.clock.sleep(1800.0)
        dmm = bench.simulation.devices["cell"]
        dmm.input = "MOHM10"
        volts = float(dmm._read())
        cell = cc.cell_in(bench.simulation.world)
    assert volts == pytest.approx(cell.open_circuit_V, rel=0.004)
