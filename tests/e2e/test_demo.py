"""The demo: the example recipe (`examples/arrhenius.toml`, run as shipped) through every
layer on the simulated bench, checked against the simulated sample's ground truth; exports,
plots; a signal stops it safely."""

import io
import json
import signal
import sys

import numpy as np
import pytest
from rich.console import Console

from labctl import demo
from labctl.store.store import Store
from tests.processes import Child


@pytest.fixture(scope="module")
def demo_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("demo")
    console = Console(file=io.StringIO(), width=100)
    outcome, results, db = demo.run(out, console=console)
    return out, outcome, results, db, console.file.getvalue()


def test_the_example_runs_as_shipped_and_matches_the_sample(demo_run):
    _, outcome, results, _, _ = demo_run
    assert (outcome.status, outcome.exit_code) == ("done", 0)
    assert outcome.simulated_s > 3600 and len(results) == 5
    for r in results:
        assert r.sigma_S_per_m == pytest.approx(r.true_sigma_S_per_m, rel=0.05)
        assert r.t_ion == pytest.approx(r.true_t_ion, abs=2e-3)
    assert demo.activation_energy_eV(results) == pytest.approx(
        demo.activation_energy_eV(results, "true_sigma_S_per_m"), abs=0.02)


def test_every_position_is_stored_with_its_result(demo_run):
    _, outcome, _, db, _ = demo_run
    with Store.open(db) as store:
        run = store.run(outcome.run_id)
        steps = store.steps(run.id)
        assert run.status == "done" and run.sample["area_m2"] == 1e-4
        assert run.recipe_text == demo.EXAMPLE.read_text()
        assert store.finished_positions(run.id)[-1] == "final/cool_down"
        assert [s.kind for s in steps].count("stability_window") == 1
        for i in range(1, 6):
            at = [s.path for s in steps if s.path.startswith(f"program[{i}]/")]
            assert at[:4] == [f"program[{i}]/{n}" for n in
                              ("stabilize", "eis", "dc_polarization", "eis#2")]
        assert all(s.status == "done" and s.result for s in steps)
        assert len(store.temperature_log(run.id)["temperature_K"]) > 100


def test_exports_and_plots_are_written_and_the_output_says_where(demo_run):
    from impedance.preprocessing import readZPlot

    out, _, _, db, printed = demo_run
    z_files = sorted(out.glob("*.z"))
    assert len(z_files) == 10
    f, z = readZPlot(str(z_files[0]))
    assert len(f) == 36 and np.all(z.imag < 0)
    for png in ("nyquist_and_polarization.png", "arrhenius.png"):
        assert (out / png).stat().st_size > 10_000
    assert str(db) in printed.replace("\n", "")


def test_the_demo_ends_with_the_analysis_report(demo_run):
    from labctl.simulators.physics.sample import SampleModel

    out, _, _, _, printed = demo_run
    truth = SampleModel.default()
    result = json.loads((out / "analysis" / "analysis.json").read_text())
    assert result["Ea_bulk_eV"] == pytest.approx(truth.bulk.Ea_eV, rel=0.01)
    assert result["Ea_gb_eV"] == pytest.approx(truth.grain_boundary.Ea_eV, rel=0.01)
    assert (out / "analysis" / "index.html").exists()
    assert "Circuit fits: Ea bulk = 0.80" in printed


@pytest.mark.parametrize("ignore_sigint, signals, code", [
    (True, (signal.SIGTERM, signal.SIGINT), 143),  # a background job killed, then Ctrl-C
    (False, (signal.SIGINT,), 130)])               # in a terminal: Ctrl-C
def test_a_signal_stops_the_demo_with_the_bench_safe_and_the_run_aborted(
        tmp_path, ignore_sigint, signals, code):
    first, *more = signals
    with Child([sys.executable, "-m", "labctl.cli", "demo", "--out", str(tmp_path)],
               ignore_sigint=ignore_sigint) as proc:
        proc.read_until("program[1]/eis: done")   # the first spectrum is stored
        proc.signal(first)
        for sig in more:                      # again while stopping: still a safe stop
            proc.read_until(f"{first.name}: stopping")
            proc.signal(sig)
        assert proc.wait() == code, proc.output
    assert f"stopped by {first.name}" in proc.output
    with Store.open(tmp_path / "labctl-demo.sqlite") as store:
        (run,) = store.runs()
        assert run.status == "aborted"
        steps = store.steps(run.id)
        assert steps[1].path == "program[1]/eis" and steps[1].status == "done"
        assert len(store.impedance(steps[1].id)) == 36   # data kept
        assert "running" not in {s.status for s in steps}
        messages = [e.message for e in store.events(run.id)]
    assert f"run aborted: stopped by {first.name}" in messages
    assert any(m.startswith("bench made safe in") for m in messages)
