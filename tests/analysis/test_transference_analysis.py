"""t+ per temperature from the store, the parts of a measurement, its plot: on the stored
points and result of real protocol runs on the simulated Li cell."""

import pytest

from labctl.analysis import transference as analysis
from labctl.analysis.analysis import analyze
from labctl.analysis.dataset import from_store
from labctl.capabilities import CurrentReading, ImpedancePoint
from labctl.store import Store
from labctl.protocols import transference as tr
from labctl.simulators.physics.sample import SampleModel
from tests.protocols.li_bench import li_context, li_sample

RUNS = {353.15: (0.3, True), 363.15: (0.6, False)}    # T_K: (t+, relax afterwards)


@pytest.fixture(scope="module")
def stored(tmp_path_factory):
    """A store holding a run with a transference step at each of two plateaus, and an
    impedance step that is not one."""
    folder = tmp_path_factory.mktemp("analysis")
    store = Store.open(folder / "lab.sqlite")
    run_id = store.create_run("t+", "", {}, {})
    for T_K, (t_plus, relax) in RUNS.items():
        (folder / str(T_K)).mkdir()
        with li_context(folder / str(T_K), li_sample(transference__t_plus=t_plus), T_K) as (ctx, _):
            tr.run(ctx, tr.Params(relax=relax, eis_points_per_decade=5, points_per_decade=10,
                                  dense_readings=40))   # coarser: quicker, still within 0.02
        (m,) = ctx.measurements
        seq = len(store.steps(run_id)) + 1
        step_id = store.start_step(run_id, m.kind, m.params, T_K, path=f"program[{seq}]/{m.kind}")
        store.add_impedance(step_id, [p for p in m.points if isinstance(p, ImpedancePoint)])
        store.add_dc(step_id, [p for p in m.points if isinstance(p, CurrentReading)])
        store.finish_step(step_id, "done", m.result)
    other = store.start_step(run_id, "eis", {}, 373.15, path="program[3]/eis")
    spectrum = [p for p in m.points if isinstance(p, ImpedancePoint)][:40]
    store.add_impedance(other, spectrum)          # a plateau without a transference step
    store.finish_step(other, "done", {"r_ion_Ohm": 1.0})
    yield store, run_id
    store.close()


def test_t_plus_per_temperature(stored):
    store, run_id = stored
    found = analysis.by_temperature(store, run_id)
    assert sorted(found) == sorted(RUNS)
    for T_K, (t_plus, _) in RUNS.items():
        assert found[T_K]["t_plus"] == pytest.approx(t_plus, abs=0.02)
        assert found[T_K]["t_plus_std"] < 0.005
        assert abs(found[T_K]["t_plus_naive"] - t_plus) > 0.02


def test_parts_leave_out_the_relaxation(stored):
    store, run_id = stored
    for step in analysis.steps(store, run_id):
        parts = analysis.parts(store, step)
        assert len(parts.before) == len(parts.after) > 30
        assert set(parts.current["voltage_V"]) == {step.result["voltage_V"]}
        assert 0 < parts.current["time_s"][0] < 0.1
        assert parts.current["time_s"][-1] == pytest.approx(step.result["duration_s"])
        relaxation = len(store.dc(step.id)) - len(parts.current)
        assert (relaxation > 0) == RUNS[step.temperature_K][1]


def test_plot_marks_both_currents_and_overlays_both_spectra(stored, tmp_path):
    store, run_id = stored
    step = analysis.steps(store, run_id)[0]
    path = analysis.plot(store, step, tmp_path / "t_plus.svg")
    svg = path.read_text()
    assert "I_0 = " in svg and "I_ss = " in svg
    assert "R_0 = " in svg and "R_ss = " in svg


def test_analyze_reports_t_plus_per_temperature_null_where_not_measured(stored):
    store, run_id = stored
    result = analyze(from_store(store, run_id)).to_json()
    assert result["temperatures_K"] == pytest.approx([*RUNS, 373.15], abs=0.5)
    assert result["t_plus"][2] is None and result["t_plus_std"][2] is None
    for value, (t_plus, _) in zip(result["t_plus"], RUNS.values()):
        assert value == pytest.approx(t_plus, abs=0.02)


def test_li_cell_runs_are_fitted_with_bulk_and_interface(stored, tmp_path):
    """The pellet circuit's electronic leak mistakes the non-blocking Li cell's DC path
    for leakage; by default a run with transference steps gets bulk + interface."""
    from labctl.analysis.analysis import LI_CELL_CIRCUIT

    store, run_id = stored
    result = analyze(from_store(store, run_id))
    assert result.circuit == LI_CELL_CIRCUIT
    for plateau, (t_plus, _) in zip(result.plateaus[:2], RUNS.values()):
        assert plateau.fit.state == "ok"
        assert [arc.label for arc in plateau.arcs] == ["bulk", "electrode"]
        truth = SampleModel.from_dict(li_sample(transference__t_plus=t_plus)).resistances(
            plateau.temperature_K)
        assert plateau.R_Ohm["bulk"] == pytest.approx(truth["bulk"], rel=0.03)
    from labctl.analysis import report

    html = report.write(result, tmp_path / "report").read_text()
    for plateau in result.plateaus[:2]:
        li = plateau.plateau.transference
        assert f"{li['t_plus']:.3f} \u00b1 {li['t_plus_std']:.3f}" in html


def test_cli_report_embeds_the_transference_plots(stored, tmp_path, capsys):
    from labctl.cli import main

    store, run_id = stored
    assert main(["analyze", str(run_id), "--db", str(store.path), "--out",
                 str(tmp_path / "r")]) == 0
    html = (tmp_path / "r" / "index.html").read_text()
    for step in analysis.steps(store, run_id):
        name = f"transference-step{step.seq:03d}.png"
        assert (tmp_path / "r" / name).stat().st_size > 10_000 and f'src="{name}"' in html
    assert "t+ 0.3" in capsys.readouterr().out
