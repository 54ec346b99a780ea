"""The demo: a complete simulated experiment through every layer, checked against the
simulated sample's ground truth."""

import signal
import sys

import numpy as np
import pytest

from labctl import demo
from labctl.store.store import Store
from tests.processes import Child


@pytest.fixture(scope="module")
def demo_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("demo")
    run_id, results = demo.run(out, out / "demo.sqlite", temperatures_C=(300.0, 400.0))
    return out, run_id, results


def test_conductivity_and_transference_number_match_the_sample(demo_run):
    _, _, results = demo_run
    for r in results:
        assert r.sigma_S_per_m == pytest.approx(r.true_sigma_S_per_m, rel=0.1)
        assert r.t_ion == pytest.approx(r.true_t_ion, abs=5e-4)
    assert demo.activation_energy_eV(results) == pytest.approx(
        demo.activation_energy_eV(results, "true_sigma_S_per_m"), abs=0.03)


def test_every_point_is_in_the_store(demo_run):
    out, run_id, _ = demo_run
    with Store.open(out / "demo.sqlite") as store:
        run = store.run(run_id)
        steps = store.steps(run_id)
        assert run.status == "done"
        assert [s.kind for s in steps] == ["eis", "dc_polarization"] * 2
        assert all(s.status == "done" for s in steps)
        spectrum = store.impedance(steps[0].id)
        assert len(spectrum) == len(demo.FREQUENCIES_HZ)
        np.testing.assert_allclose(spectrum["frequency_Hz"], demo.FREQUENCIES_HZ, rtol=1e-9)
        assert len(store.dc(steps[1].id)) == pytest.approx(demo.POLARIZATION_S / demo.INTERVAL_S, abs=2)
        log = store.temperature_log(run_id)
        assert log["temperature_K"].max() == pytest.approx(673.15, abs=1.0)


def test_exports_and_plots_are_written(demo_run):
    from impedance.preprocessing import readZPlot

    out, _, _ = demo_run
    z_files = sorted(out.glob("*.z"))
    assert len(z_files) == 2
    f, z = readZPlot(str(z_files[0]))
    assert len(f) == len(demo.FREQUENCIES_HZ) and np.all(z.imag < 0)
    for png in ("nyquist_and_polarization.png", "arrhenius.png"):
        assert (out / png).stat().st_size > 10_000


@pytest.mark.parametrize("exc, status", [(KeyboardInterrupt, "aborted"), (RuntimeError, "failed")])
def test_an_interrupted_demo_keeps_its_data_and_says_how_it_ended(tmp_path, exc, status):
    def progress(message):
        if "impedance sweep" in message:
            raise exc("stop here")

    with pytest.raises(exc):
        demo.run(tmp_path, tmp_path / "demo.sqlite", temperatures_C=(300.0,), progress=progress)
    with Store.open(tmp_path / "demo.sqlite") as store:
        (run,) = store.runs()
        assert run.status == status
        assert len(store.temperature_log(run.id)) > 10  # the ramp's readings were kept


@pytest.mark.parametrize("ignore_sigint, signals, code", [
    (True, (signal.SIGTERM, signal.SIGINT), 143),  # a background job killed, then Ctrl-C
    (False, (signal.SIGINT,), 130)])               # in a terminal: Ctrl-C
def test_a_signal_stops_the_demo_with_the_bench_safe_and_the_run_aborted(
        tmp_path, ignore_sigint, signals, code):
    first, *more = signals
    with Child([sys.executable, "-m", "labctl.cli", "demo", "--out", str(tmp_path)],
               ignore_sigint=ignore_sigint) as proc:
        proc.read_until("DC polarization")   # the first spectrum is stored
        proc.signal(first)
        for sig in more:                      # again while stopping: still a safe stop
            proc.read_until(f"{first.name}: stopping")
            proc.signal(sig)
        assert proc.wait() == code, proc.output
    assert f"labctl: stopped by {first.name}" in proc.output
    with Store.open(tmp_path / "labctl-demo.sqlite") as store:
        (run,) = store.runs()
        assert run.status == "aborted"
        steps = store.steps(run.id)
        assert steps[0].kind == "eis" and steps[0].status == "done"
        assert len(store.impedance(steps[0].id)) == len(demo.FREQUENCIES_HZ)   # data kept
        assert len(store.temperature_log(run.id)) > 10
        assert "running" not in {s.status for s in steps}
        (stop,) = [e.message for e in store.events(run.id) if "stopped by" in e.message]
    assert stop == (f"stopped by {first.name}; after the safe state: "
                    "smu output off, furnace set-point 25.0 C")
