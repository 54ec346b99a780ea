"""Several pellets in one furnace run, through the runner on `sim-multi`'s matrix: every
pellet measured at its own temperature, the SMU polarizing one pellet while the FRA
measures another, and a relay or a channel map that goes wrong ends the run safely."""

from __future__ import annotations

from pathlib import Path

import pytest

from labctl.errors import SafeStateError
from labctl.events import MeasurementStarted
from labctl.bench import load_bench, open_bench, parse_bench
from labctl.simulators import builtin_benches
from labctl.recipe import load_recipe, parse_recipe
from labctl.runner import Runner
from labctl.simulators.physics.sample import SampleModel
from labctl.simulators.physics.sample_file import locate
from labctl.store import Store

# sim-multi, started hot (its pellets: A ysz, B 8ysz, C mixed-conductor, D li-peo)
BENCH = builtin_benches()["sim-multi"].read_text().replace(
    "seed = 0", "seed = 0\nstart_temperature_C = 400.0")
OFFSET_K = {"A": -2.0, "B": 1.5, "C": -3.0, "D": 1.0}
EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "multisample.toml"
FILES = {"A": "ysz", "B": "8ysz", "C": "mixed-conductor", "D": "li-peo"}

RECIPE = """
[sample]
name = "four pellets, short"

[[samples]]
name = "YSZ-A"
pellet = "A"
thickness_m = 1.0e-3
area_m2 = 1.0e-4

[[samples]]
name = "8YSZ-B"
pellet = "B"
thickness_m = 1.0e-3
area_m2 = 1.0e-4

[[samples]]
name = "MIEC-C"
pellet = "C"
thickness_m = 0.5e-3
area_m2 = 1.0e-4

[[samples]]
name = "Li-D"
pellet = "D"
thickness_m = 175e-6
area_m2 = 0.9e-4
at_C = [425]

[program]
temperatures_C = [400, 425]
ramp_C_per_min = 10.0
stabilize = { band_K = 1.0, window_s = 60.0, poll_s = 10.0, reference_Hz = 1000.0, max_z_drift_per_s = 2.0e-4 }

[[program.body]]
protocol = "eis"
start_Hz = 1e5
stop_Hz = 1.0
points_per_decade = 3

[[program.body]]
protocol = "dc_polarization"
samples = ["YSZ-A", "8YSZ-B", "MIEC-C"]
voltage_V = 0.5
max_duration_s = 1800.0
"""


def bench_file(tmp_path, text=BENCH):
    path = tmp_path / "bench.toml"
    path.write_text(text)
    return parse_bench(text, str(path))


def run(tmp_path, recipe_text=RECIPE, bench_text=BENCH, check_against=None,
        prepare=lambda bench: None, out=None):
    """Run the recipe (validated against `check_against`, default the bench run on) on
    the bench after `prepare(bench)`: status, runner, the run's steps and events, and the
    SMU's output state read at the end (also in `out`, for a bench that fails to close)."""
    config = bench_file(tmp_path, bench_text)
    recipe = parse_recipe(recipe_text, check_against or config)
    db = tmp_path / "lab.sqlite"
    out = [] if out is None else out
    with open_bench(config) as bench, Runner(recipe, bench, db) as runner:
        prepare(bench)
        started = []
        runner.subscribe(lambda e: started.append(e) if isinstance(e, MeasurementStarted)
                         else None)
        status = runner.start().result()
        runner.started = started
        with Store.open(db) as store:
            out += [status, runner, store.steps(runner.run_id), store.events(runner.run_id),
                    bench["smu"].query(":OUTP?").strip()]
    return out


def spans(steps, kind):
    return {s.sample: s for s in steps if s.kind == kind and s.path.startswith("program[1]")}


@pytest.fixture(scope="module")
def done(tmp_path_factory):
    return run(tmp_path_factory.mktemp("multisample"))


def test_every_pellet_is_measured_at_its_plateaus_and_each_step_names_its_sample(done):
    status, runner, steps, _, _ = done
    assert status == "done", runner.reason
    measured = {(s.path.partition("/")[0], s.sample, s.kind) for s in steps
                if s.kind != "stabilize"}
    oxides = ("YSZ-A", "8YSZ-B", "MIEC-C")
    assert measured == {(p, name, kind) for p in ("program[1]", "program[2]")
                        for name in oxides for kind in ("eis", "dc_polarization")} \
        | {("program[2]", "Li-D", "eis")}
    # one stabilization per plateau, each pellet's |Z| its own monitor
    assert {(s.path, s.sample) for s in steps if s.kind == "stabilize"} == \
        {("program[1]/stabilize", n) for n in (None, *oxides)} | \
        {("program[2]/stabilize", n) for n in (None, *oxides, "Li-D")}


def test_the_live_events_name_the_sample_of_each_measurement(done):
    """What the GUI colours its live curves by."""
    _, runner, steps, _, _ = done
    assert {(e.step_id, e.sample) for e in runner.started} == {(s.id, s.sample) for s in steps}


def test_each_spectrum_is_its_own_pellets_at_its_own_temperature(done):
    """R_ion of each oxide's spectrum: within 10 % of its own pellet's bulk + grain
    boundary at its own temperature (an MIEC's spectrum: with its electronic path in
    parallel), and closest to it of all pellets'."""
    _, _, steps, _, _ = done

    def truth(pellet):
        r = SampleModel.from_toml(locate(FILES[pellet])).resistances(698.15 + OFFSET_K[pellet])
        return r["bulk"] + r["grain_boundary"]
    for name, pellet in (("YSZ-A", "A"), ("8YSZ-B", "B"), ("MIEC-C", "C")):
        (eis,) = [s for s in steps if s.kind == "eis" and s.sample == name
                  and s.path.startswith("program[2]")]
        r_ion = eis.result["r_ion_Ohm"]
        assert r_ion == pytest.approx(truth(pellet), rel=0.1), name
        assert min("ABC", key=lambda p: abs(truth(p) - r_ion)) == pellet
    t_ion = {s.sample: s.result["t_ion"] for s in steps if s.kind == "dc_polarization"
             and s.path.startswith("program[1]")}
    expected = SampleModel.from_toml(locate("mixed-conductor")).ionic_transference_number(
        673.15 + OFFSET_K["C"])
    assert t_ion["MIEC-C"] == pytest.approx(expected, abs=0.02)
    assert t_ion["YSZ-A"] > 0.99 > expected


def test_each_polarization_takes_I0_from_its_own_pellets_spectrum(done):
    """I_0 = V / R_ion of the same pellet's spectrum at the plateau (not of the spectrum the
    FRA measured last, another pellet's while the SMU polarized)."""
    _, _, steps, _, _ = done
    eis = {(s.path.partition("/")[0], s.sample): s.result["r_ion_Ohm"]
           for s in steps if s.kind == "eis"}
    polarizations = [s for s in steps if s.kind == "dc_polarization"]
    assert len(polarizations) == 6
    for s in polarizations:
        assert s.result["I0_source"] == "eis"
        r_ion = eis[(s.path.partition("/")[0], s.sample)]
        assert s.result["I0_A"] == pytest.approx(s.result["voltage_V"] / r_ion, rel=1e-6)


def test_the_smu_polarizes_one_pellet_while_the_fra_measures_another(tmp_path):
    """Points' bench times: a polarization and another pellet's spectrum overlap, and the
    plateau's body takes less than its steps one after the other."""
    status, runner, steps, _, _ = run(tmp_path, RECIPE.replace("[400, 425]", "[400]")
                                      .replace("at_C = [425]", "at_C = [400]"))
    assert status == "done", runner.reason
    with Store.open(tmp_path / "lab.sqlite") as store:
        def window(step):
            t = [*store.impedance(step.id)["time_s"], *store.dc(step.id)["time_s"]]
            return min(t), max(t)
        body = [window(s) for s in steps if s.kind in ("eis", "dc_polarization")]
        polarizations = [(s.sample, window(s)) for s in steps if s.kind == "dc_polarization"]
        spectra = [(s.sample, window(s)) for s in steps if s.kind == "eis"]
    assert any(a != b and w[0] < v[1] and v[0] < w[1]
               for a, w in polarizations for b, v in spectra)
    one_after_the_other = sum(end - start for start, end in body)
    assert max(e for _, e in body) - min(s for s, _ in body) < 0.95 * one_after_the_other


def test_a_welded_relay_ends_the_run_safely_naming_it(tmp_path):
    """B's relay to the FRA welded: found when the FRA is to reach A alone."""
    out = []
    with pytest.raises(SafeStateError, match=r"matrix: .*relay stuck: \(@1!2\) still closed"):
        run(tmp_path, out=out,
            prepare=lambda bench: bench.simulation.devices["matrix"].stick("1!2", True))
    status, runner, steps, events, smu_on = out
    assert status == "failed"
    assert "relay stuck" in runner.reason and "1!2" in runner.reason
    assert smu_on == "0"
    assert any("safe state incomplete" in e.message and "1!2" in e.message for e in events)


def test_a_channel_map_that_would_short_two_pellets_ends_the_run_before_switching(tmp_path):
    """The bench file changed after the recipe was checked: pellet B on a second fra.hi
    channel. The route is refused before anything is sent, the run ends safely."""
    edited = BENCH.replace('"1!2" = { sample = "B", terminal = "fra.hi" }',
                           '"1!2" = { sample = "B", terminal = "fra.hi" }\n'
                           '"1!5" = { sample = "B", terminal = "fra.hi" }')
    status, runner, _, _, smu_on = run(tmp_path, bench_text=edited,
                                       check_against=bench_file(tmp_path))
    assert status == "failed"
    assert "refused to close" in runner.reason
    assert "terminal fra.hi on channels 1!2 and 1!5" in runner.reason
    assert smu_on == "0"


def test_the_example_is_valid_on_sim_multi_and_measures_four_pellets():
    recipe = load_recipe(EXAMPLE, load_bench("sim-multi"))
    assert {s.position.sample for s in recipe.steps} - {None} == \
        {"YSZ-A", "8YSZ-B", "MIEC-C", "LiPEO-D"}
    assert [s["pellet"] for s in recipe.sample["samples"]] == ["A", "B", "C", "D"]
