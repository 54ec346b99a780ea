"""`labctl analyze` JSON keys sigma_n0/sigma_p0 from a stored Hebb-Wagner step: a run on the
simulated 8YSZ | Ni/NiO cell with an impedance spectrum and a Hebb-Wagner staircase at one
plateau, and a plateau without one."""

import pytest

from labctl.analysis.analysis import analyze
from labctl.analysis.dataset import from_store
from labctl.capabilities import CurrentReading, ImpedancePoint
from labctl.protocols import eis_sweep
from labctl.protocols import hebb_wagner as hw
from labctl.store import Store
from tests.protocols.test_hebb_wagner import T_K, params, shipped
from tests.protocols.simbench import sim_context


def store_step(store, run_id, m, path):
    step_id = store.start_step(run_id, m.kind, m.params, T_K, path=path)
    store.add_impedance(step_id, [p for p in m.points if isinstance(p, ImpedancePoint)])
    store.add_dc(step_id, [p for p in m.points if isinstance(p, CurrentReading)])
    store.finish_step(step_id, "done", m.result)


def test_analyze_json_has_the_electronic_parts_of_the_plateau_that_measured_them(tmp_path):
    store = Store.open(tmp_path / "lab.sqlite")
    geometry = shipped()["sample"]
    run_id = store.create_run("hw", "", {}, {"thickness_m": geometry["thickness_m"],
                                             "area_m2": geometry["area_m2"]})
    with sim_context(tmp_path, shipped(), start_K=T_K) as (ctx, _):
        eis_sweep.run(ctx, eis_sweep.Params(points_per_decade=3, stop_Hz=1.0))
        result = hw.run(ctx, params(stop_V=0.5))
    spectrum, staircase = ctx.measurements
    store_step(store, run_id, spectrum, "program[1]/eis")
    store_step(store, run_id, staircase, "program[1]/hebb_wagner")
    store_step(store, run_id, spectrum, "program[2]/eis")     # no Hebb-Wagner here
    out = analyze(from_store(store, run_id)).to_json()
    store.close()
    assert out["sigma_n0_S_per_m"] == [pytest.approx(result.sigma_n0_S_per_m), None]
    assert out["sigma_p0_S_per_m"] == [pytest.approx(result.sigma_p0_S_per_m), None]
    assert out["sigma_p0_std_S_per_m"][0] == pytest.approx(result.sigma_p0_std_S_per_m)
