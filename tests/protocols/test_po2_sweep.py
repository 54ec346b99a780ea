"""The `po2_sweep` protocol on the simulated buffer-gas bench (`sim-buffer`): the shipped
example sweeps 25 decades of pO2 (O2/N2 and CO/CO2) at three temperatures and the Brouwer fit
returns the sample file's sigma_ion, sigma_n0, sigma_p0; each wait ends on the physics; the
atmosphere is on disk as it is read; bad targets are refused before any gas flows."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest
from scipy.constants import atm

from labctl.analysis import brouwer
from labctl.bench import load_bench, open_bench
from labctl.cli import main
from labctl.context import InMemoryContext
from labctl.errors import ConfigError, RangeError
from labctl.protocols import atmosphere, po2_sweep
from labctl.protocols._params import problems
from labctl.recipe import parse_recipe
from labctl.runner import Runner
from labctl.simulators.physics.sample import SampleModel
from labctl.simulators.physics.sample_file import shipped_sample
from labctl.store import Store

EXAMPLE = Path(__file__).parents[2] / "examples" / "po2_sweep.toml"
FIXED_EQUILIBRATION_S = 2 * 3600.0


@pytest.fixture(scope="module")
def swept(tmp_path_factory):
    """The example recipe run on sim-buffer: (database, run id)."""
    db = tmp_path_factory.mktemp("po2") / "lab.sqlite"
    bench = load_bench("sim-buffer")
    recipe = parse_recipe(EXAMPLE.read_text(), bench)
    with open_bench(bench) as opened:
        runner = Runner(recipe, opened, db)
        try:
            assert runner.start().result(600) == "done"
        finally:
            runner.close()
    return db, runner.run_id


@pytest.fixture
def buffer_bench():
    """(context at a 650 degC plateau, bench): sim-buffer, every valve closed."""
    with open_bench(load_bench("sim-buffer")) as bench:
        yield InMemoryContext(bench.instruments, bench.clock, temperature_K=923.15), bench


def test_every_target_is_checked_before_any_gas_flows(buffer_bench):
    ctx, bench = buffer_bench
    params = po2_sweep.Params(pO2_Pa=(1e-15, atm), total_flow_sccm=300.0, buffer_below_Pa=1.0,
                              sensor_in_furnace=True)      # 1 atm: 300 sccm O2, limit 100
    with pytest.raises(RangeError, match="o2: flow 300 sccm exceeds"):
        po2_sweep.run(ctx, params)
    assert bench.simulation.world.atmosphere.total_flow_sccm() == 0.0
    assert ctx.measurements == []


def test_a_buffer_needs_the_plateaus_temperature(buffer_bench):
    _, bench = buffer_bench
    ctx = InMemoryContext(bench.instruments, bench.clock)          # no temperature program
    with pytest.raises(ConfigError, match="depends on temperature"):
        po2_sweep.run(ctx, po2_sweep.Params(pO2_Pa=(1e-15,), buffer_below_Pa=1.0))
    assert bench.simulation.world.atmosphere.total_flow_sccm() == 0.0


def test_a_reducing_target_without_buffer_lines_is_a_recipe_problem():
    assert problems(po2_sweep.Params, {"pO2_Pa": [1000.0, 1e-10]}) == \
        [("target_pO2_Pa", "below 1e-3 Pa an O2/N2 mix is not pure enough: give "
                           "buffer_below_Pa and CO/CO2 lines")]
    assert problems(po2_sweep.Params, {"pO2_Pa": [1000.0, 1e-10], "buffer_below_Pa": 1.0}) == []


def test_co_and_o2_never_feed_the_tube_together(buffer_bench, monkeypatch):
    """From a buffer to an oxidizing mix and back: at every change of any line the tube is
    never fed by the CO and the O2 line at once (the closing lines go first)."""
    ctx, bench = buffer_bench
    world, fed = bench.simulation.world, []
    set_feed = world.set_feed

    def watched(line, flow_sccm, gas):
        set_feed(line, flow_sccm, gas)
        feeds = world.atmosphere.feeds
        fed.append({g: sum(f for f, x in feeds.values() if x[i] == 1.0)
                    for i, g in ((0, "O2"), (1, "CO"))})

    monkeypatch.setattr(world, "set_feed", watched)
    for target in (1e-15, 1e3, 1e-15):
        atmosphere.run(ctx, atmosphere.Params(target_pO2_Pa=target, buffer_below_Pa=1.0,
                                              sensor_in_furnace=True, max_wait_s=60.0))
    assert any(f["O2"] > 0 for f in fed) and any(f["CO"] > 0 for f in fed)
    assert not any(f["O2"] > 0 and f["CO"] > 0 for f in fed)


def truth(T_K: float) -> dict[str, float]:
    sample = SampleModel.from_toml(shipped_sample("cgo-pr-po2")).at_pO2(atm)
    n, p = sample.electronic_parts(T_K)
    return {"ion": float(sample.sigma("bulk", T_K)), "n0": float(n), "p0": float(p)}


def test_the_example_returns_the_samples_parts_within_5_percent(swept):
    db, run_id = swept
    with Store.open(db, create=False) as store:
        analysis = brouwer.from_store(store, run_id)
        results = [s.result for s in store.steps(run_id) if s.kind == po2_sweep.KIND]
    assert len(analysis.fits) == 3
    for sweep in analysis.sweeps:
        assert math.log10(sweep["pO2_Pa"].max() / sweep["pO2_Pa"].min()) >= 8
    for fit in analysis.fits:
        expected = truth(fit.temperature_K)
        for part in brouwer.PARTS:
            value = getattr(fit, f"sigma_{part}_S_per_m")
            assert value == pytest.approx(expected[part], rel=0.05, abs=0), part
            assert getattr(fit, f"sigma_{part}_std_S_per_m") < 0.05 * value
        # Z' at 1 MHz is the ionic and electronic paths in parallel: at 1 Hz the electrodes
        # would add ~0.8 %, far above the 0.05 % noise of sigma_ion
        assert fit.sigma_ion_S_per_m == pytest.approx(expected["ion"], rel=0.005)
        assert fit.pO2_n_boundary_Pa == pytest.approx(
            atm * (expected["n0"] / expected["ion"]) ** 4, rel=0.2, abs=0)
    waits = [w for r in results for w in r["waited_s"]]
    assert all(s for r in results for s in r["steady"])
    print(f"po2_sweep: {len(waits)} steps, wait per pO2 {min(waits):.0f}..{max(waits):.0f} s "
          f"(mean {np.mean(waits):.0f} s) against a fixed {FIXED_EQUILIBRATION_S:.0f} s")
    assert np.mean(waits) < FIXED_EQUILIBRATION_S


def test_pO2_and_flows_are_in_the_store_and_CO_never_flows_with_O2(swept):
    db, run_id = swept
    with Store.open(db, create=False) as store:
        step = next(s for s in store.steps(run_id) if s.kind == po2_sweep.KIND)
        gas = store.gas(step.id)
    assert len(gas) > 50 and np.all(np.diff(gas["time_s"]) > 0)
    assert gas["pO2_Pa"].max() > 0.9 * atm and gas["pO2_Pa"].min() < 2e-25 * atm
    assert not np.any((gas["co_flow_sccm"] > 0) & (gas["o2_flow_sccm"] > 0))
    assert np.any(gas["co_flow_sccm"] > 0) and np.any(gas["o2_flow_sccm"] > 0)
    assert np.all(np.isfinite(gas["temperature_K"]))


def test_labctl_analyze_reports_the_brouwer_parts_as_json(swept, tmp_path, capsys):
    db, run_id = swept
    assert main(["analyze", str(run_id), "--db", str(db), "--out", str(tmp_path),
                 "--json"]) == 0
    out = json.loads(capsys.readouterr().out)["brouwer"]
    for key in ("sigma_ion_S_per_m", "sigma_n0_S_per_m", "sigma_p0_S_per_m",
                "pO2_n_boundary_Pa", "pO2_p_boundary_Pa", "Ea_ion_eV", "Ea_n0_eV", "Ea_p0_eV"):
        assert key in out
    assert out["Ea_n0_eV"] == pytest.approx(2.5, rel=0.05)      # the sample file's
    assert out["Ea_ion_eV"] == pytest.approx(0.70, rel=0.05)
    assert out["p_boundary_extrapolated"] == [True, True, True]
    assert (tmp_path / "brouwer.png").stat().st_size > 0
