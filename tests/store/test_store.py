"""Store API: round trips of every point type, run/step life cycle, resume information;
on SQLite and PostgreSQL (`store` here is each backend's)."""

from __future__ import annotations

import sqlite3

import numpy as np
import pytest

from labctl.capabilities import CurrentReading, GasReading, ImpedancePoint, TemperatureReading
from labctl.errors import StoreError
from labctl.store import Store
from tests.store.spectra import FREQUENCIES_HZ, SPECTRUM_OHM


@pytest.fixture
def store(lab_store):
    return lab_store


def new_step(store, kind="dc_polarization"):
    run = store.create_run("r", "", {}, {})
    return run, store.start_step(run, kind, {}, 300.0)


def test_impedance_round_trip_in_si_units(filled):
    store, _, eis, _ = filled
    z = store.impedance(eis)
    assert z.dtype.names == ("time_s", "frequency_Hz", "impedance_Ohm", "amplitude_V",
                             "bias_V", "temperature_K")
    np.testing.assert_array_equal(z["frequency_Hz"], FREQUENCIES_HZ)
    np.testing.assert_array_equal(z["impedance_Ohm"], SPECTRUM_OHM)
    assert set(z["amplitude_V"]) == {0.02} and set(z["bias_V"]) == {0.0}
    assert set(z["temperature_K"]) == {873.15}


def test_impedance_derived_columns(filled):
    store, _, eis, _ = filled
    abs_, phase = np.array(store._conn.execute(
        "SELECT z_abs_Ohm, phase_rad FROM impedance_points WHERE step_id = ?",
        (eis,)).fetchall()).T
    np.testing.assert_allclose(abs_, np.abs(SPECTRUM_OHM))
    np.testing.assert_allclose(phase, np.angle(SPECTRUM_OHM))


def test_dataclass_and_column_inputs_store_the_same(store):
    _, step_a = new_step(store, "eis")
    _, step_b = new_step(store, "eis")
    points = [ImpedancePoint(i, f, z, 0.01, 0.1)
              for i, (f, z) in enumerate(zip(FREQUENCIES_HZ, SPECTRUM_OHM))]
    assert store.add_impedance(step_a, points) == 36
    store.add_impedance(step_b, {"time_s": np.arange(36), "frequency_Hz": FREQUENCIES_HZ,
                                 "impedance_Ohm": SPECTRUM_OHM, "amplitude_V": 0.01,
                                 "bias_V": 0.1})
    a, b = store.impedance(step_a), store.impedance(step_b)
    assert a.tobytes() == b.tobytes()
    assert np.isnan(a["temperature_K"]).all()


def test_dc_points_keep_order_and_per_point_temperature(filled):
    store, _, _, dc = filled
    d = store.dc(dc)
    np.testing.assert_array_equal(d["time_s"], 40.0 + np.arange(5))
    np.testing.assert_array_equal(d["current_A"], 1e-6 / (1 + np.arange(5)))
    np.testing.assert_array_equal(d["temperature_K"], [873.0, 873.1, 873.2, 873.1, 873.0])


def test_nan_is_stored_as_null_and_read_as_nan(store):
    _, step = new_step(store)
    store.add_dc(step, [CurrentReading(0.0, 0.1, float("nan"))])
    assert store._conn.execute("SELECT current_A FROM dc_points").fetchone() == (None,)
    assert np.isnan(store.dc(step)["current_A"][0])


def test_temperature_log(filled):
    store, run, _, _ = filled
    log = store.temperature_log(run)
    assert log.dtype.names == ("time_s", "temperature_K", "setpoint_K", "output_percent")
    np.testing.assert_array_equal(log["time_s"], [0, 1, 2])


@pytest.mark.parametrize("columns, message", [
    ({"time_s": [0.0], "voltage_V": [0.1]}, "'current_A' is missing"),
    ({"time_s": [0.0], "voltage_V": 0.1, "current_A": 1.0, "volts": 1}, "unknown"),
    ({"time_s": [0.0, 1.0], "voltage_V": [0.1] * 3, "current_A": 1.0}, "batch"),
    ({"time_s": 0.0, "voltage_V": 0.1, "current_A": 1.0}, "1-D"),
])
def test_bad_columns_are_refused_and_nothing_is_written(store, columns, message):
    _, step = new_step(store)
    with pytest.raises(StoreError, match=message):
        store.add_dc(step, columns)
    assert len(store.dc(step)) == 0


def test_points_of_another_kind_are_refused(store):
    _, step = new_step(store)
    with pytest.raises(StoreError, match="expected CurrentReading"):
        store.add_dc(step, [ImpedancePoint(0.0, 1e3, 1 - 1j, 0.01)])


def test_points_only_go_to_running_steps_and_runs(filled):
    store, run, eis, dc = filled
    with pytest.raises(StoreError, match="step .* is done"):
        store.add_dc(dc, [CurrentReading(0, 0, 0)])
    with pytest.raises(StoreError, match="run .* is done"):
        store.add_temperature(run, [TemperatureReading(0, 1, 1, 0)])
    with pytest.raises(StoreError, match="no step"):
        store.add_impedance(999, [])
    assert len(store.dc(dc)) == 5


def test_steps_are_numbered_and_summarised(filled):
    store, run, _, _ = filled
    steps = store.steps(run)
    assert [(s.seq, s.kind, s.status, s.points) for s in steps] == [
        (1, "eis", "done", 36), (2, "dc_polarization", "done", 5)]
    assert steps[1].params == {"voltage_V": 0.1}


def test_run_record_keeps_metadata(filled):
    store, run, _, _ = filled
    r = store.run(run)
    assert (r.name, r.status, r.operator, r.steps, r.points) == ("YSZ 8 mol%", "done", "ada",
                                                                 2, 41)
    assert r.sample["thickness_m"] == 1.2e-3 and r.bench["smu"]["idn"].startswith("KEITHLEY")
    assert r.recipe_text.startswith("[[steps]]") and r.ended_utc >= r.started_utc
    assert [r.id for r in store.runs()] == [run]


def test_events_are_logged_in_order(filled):
    store, run, _, dc = filled
    assert [(e.level, e.message, e.step_id) for e in store.events(run)] == [
        ("warning", "drift 0.3 %", dc), ("info", "done", None)]
    with pytest.raises(StoreError, match="level"):
        store.log_event(run, "loud", "x")


@pytest.mark.parametrize("status", ["running", "paused", "ok"])
def test_final_status_is_validated(store, status):
    run, step = new_step(store)
    with pytest.raises(StoreError, match="final status"):
        store.finish_step(step, status)
    with pytest.raises(StoreError, match="final status"):
        store.finish_run(run, status)


def test_finishing_a_run_closes_its_running_steps(store):
    run, step = new_step(store)
    store.finish_run(run, "aborted")
    assert store.steps(run)[0].status == "aborted"
    with pytest.raises(StoreError, match="aborted, not running"):
        store.finish_step(step, "done")


def set_owner(store, run, owner):
    """As if another process had written run `run`."""
    store._conn.execute("UPDATE runs SET owner = ? WHERE id = ?", (owner, run))


def test_mark_interrupted_spares_live_and_unknown_writers(store):
    import socket
    mine, _ = new_step(store)
    elsewhere, _ = new_step(store)
    rebooted, _ = new_step(store)
    set_owner(store, elsewhere, "another-host - 1")
    set_owner(store, rebooted, f"{socket.gethostname()} boot-before {2 ** 22 + 1}")
    assert store.mark_interrupted() == [rebooted]
    assert [r.status for r in store.runs()] == ["running", "running", "interrupted"]
    assert store.steps(rebooted)[0].status == "interrupted"
    assert store.events(rebooted)[-1].message.startswith("run interrupted")


def test_resume_info_and_resume(store):
    import socket
    run = store.create_run("r", "", {}, {})
    first = store.start_step(run, "eis", {}, 300.0)
    store.add_impedance(first, [ImpedancePoint(5.0, 1e3, 1 - 1j, 0.01)])
    store.finish_step(first, "done")
    second = store.start_step(run, "dc_polarization", {}, 300.0)
    store.add_dc(second, [CurrentReading(7.5, 0.1, 1e-6)])
    store.add_temperature(run, [TemperatureReading(6.0, 300, 300, 0)])
    with pytest.raises(StoreError, match="only an interrupted, failed or aborted run"):
        store.resume_run(run)
    set_owner(store, run, f"{socket.gethostname()} boot-before 1")
    assert store.mark_interrupted() == [run]

    info = store.resume_run(run)
    assert (info.status, info.last_completed.id, info.unfinished.id) == ("running", first,
                                                                         second)
    assert info.unfinished.status == "interrupted" and info.last_point_time_s == 7.5
    assert store.mark_interrupted() == []  # this process owns it now
    third = store.start_step(run, "dc_polarization", {}, 300.0)
    assert store.steps(run)[-1].seq == 3 and third > second
    assert store.events(run)[-1].message == "run resumed"


def test_resume_info_of_a_fresh_run(store):
    run = store.create_run("r", "", {}, {})
    info = store.resume_info(run)
    assert (info.last_completed, info.unfinished, info.last_point_time_s) == (None, None, None)


def test_an_sqlite_store_is_bound_to_its_thread(db):
    from concurrent.futures import ThreadPoolExecutor
    with Store.open(db) as store, ThreadPoolExecutor(1) as pool:
        with pytest.raises(sqlite3.ProgrammingError):
            pool.submit(store.runs).result()


def test_steps_carry_path_and_result_and_resumes_supersede(store):
    run = store.create_run("r", "", {}, {})
    first = store.start_step(run, "eis", {}, 300.0, path="program[1]/eis")
    store.finish_step(first, "done", result={"r_ion_Ohm": np.float64(12.5), "kk_ok": np.bool_(True),
                                             "skipped_below_Hz": None})
    other = store.start_step(run, "dc_polarization", {}, 300.0, path="program[1]/dc")
    store.finish_position(run, "program[1]/eis")
    assert store.finished_positions(run) == ["program[1]/eis"]
    assert store.supersede(run, "program[1]/eis") == 1
    steps = store.steps(run)
    assert (steps[0].path, steps[0].result, steps[0].superseded) == (
        "program[1]/eis", {"r_ion_Ohm": 12.5, "kk_ok": True, "skipped_below_Hz": None}, True)
    assert (steps[1].result, steps[1].superseded) == (None, False)
    store.finish_step(other, "failed")
    store.finish_run(run, "failed")
    with pytest.raises(StoreError, match="not running"):
        store.finish_position(run, "program[1]/dc")
    assert store.resume_run(run).status == "running"   # a failed run resumes
    store.finish_run(run, "done")
    with pytest.raises(StoreError, match="run 1 is done"):
        store.resume_run(run)


def test_steps_name_their_sample_and_a_run_lists_its_samples(store):
    """A run of several pellets: sample_json names each, every step says which it measured
    (NULL: the run's only sample, as before schema v6)."""
    samples = {"name": "furnace day", "samples": [
        {"name": "A", "thickness_m": 1.0e-3, "area_m2": 5.0e-5},
        {"name": "B", "thickness_m": 1.2e-3, "area_m2": 4.0e-5}]}
    run = store.create_run("four pellets", "", {}, samples)
    a = store.start_step(run, "eis", {}, 600.0, path="program[1]/eis", sample="A")
    b = store.start_step(run, "eis", {}, 600.0, path="program[1]/eis", sample="B")
    plain = store.start_step(run, "temperature", {}, 600.0)
    assert [(s.id, s.sample) for s in store.steps(run)] == [(a, "A"), (b, "B"), (plain, None)]
    assert store.run(run).sample == samples


def test_gas_readings_round_trip_on_both_backends(lab_store):
    """pO2 and the flows of a step (atmosphere protocols), NaN (no such line) as NULL."""
    run = lab_store.create_run("gas", "", {}, {})
    step = lab_store.start_step(run, "po2_sweep", {}, 923.15)
    readings = [GasReading(10.0 * i, 2e4 / (1 + i), 50.0, 50.0 - i) for i in range(3)]
    assert lab_store.add_gas(step, readings, temperature_K=923.2) == 3
    g = lab_store.gas(step)
    np.testing.assert_array_equal(g["time_s"], [0.0, 10.0, 20.0])
    np.testing.assert_array_equal(g["pO2_Pa"], [2e4, 1e4, 2e4 / 3])
    np.testing.assert_array_equal(g["n2_flow_sccm"], [50.0, 49.0, 48.0])
    assert np.all(np.isnan(g["co_flow_sccm"])) and np.all(g["temperature_K"] == 923.2)
