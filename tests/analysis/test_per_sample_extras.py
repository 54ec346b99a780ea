"""Two mixed-conductor pellets in one furnace, each swept in pO2 through a switch matrix
(pellet A's spectrum measured too): the Brouwer fit of each is its own pellet's truth (the
sample file of each, its own geometry), and `labctl analyze` and the web view's report
show each under its sample."""

from __future__ import annotations

import copy
import json

import pytest
from scipy.constants import atm

from labctl.analysis import brouwer
from labctl.bench import open_bench, parse_bench
from labctl.cli import main
from labctl.recipe import parse_recipe
from labctl.runner import Runner
from labctl.simulators.physics.sample import SampleModel
from labctl.simulators.physics.sample_file import locate
from labctl.store import Store
from tests.benches import ANALYZER_LIMITS, FURNACE_LIMITS, bench, instrument
from tests.protocols.gas_bench import shipped_sample
from tests.protocols.simbench import write_sample

# pellet -> (its sample file, thickness_m, area_m2, sigma_ion and sigma_p0 x the shipped
# cgo-pr-po2's): thin, for short chemical diffusion times (25 s and 6 s at 700 degC); small
# electrodes (R ~ 400 Ohm), so that the 7011 channels' 1 Ohm and 30 pF stay below 0.5 %
PELLETS = {"A": ("a.toml", 1.0e-3, 0.785e-6, 1.0, 1.0),
           "B": ("b.toml", 0.5e-3, 0.785e-6, 0.5, 2.0)}
NAMES = {"A": "CGO-A", "B": "CGO-B"}
T_C = 700.0

RECIPE = """
[sample]
name = "two ceria pellets"
""" + "".join(f"""
[[samples]]
name = "{NAMES[p]}"
pellet = "{p}"
thickness_m = {t!r}
area_m2 = {a!r}
""" for p, (_, t, a, _, _) in PELLETS.items()) + f"""
[program]
temperatures_C = [{T_C}]
ramp_C_per_min = 10.0
stabilize = {{ band_K = 1.0, window_s = 60.0, poll_s = 10.0 }}

[[program.body]]
protocol = "eis"
samples = ["CGO-A"]
start_Hz = 1e6
stop_Hz = 10.0
points_per_decade = 2

[[program.body]]
protocol = "po2_sweep"
pO2_Pa = [101325.0, 10132.5, 1013.25, 101.325]
poll_s = 60.0
total_flow_sccm = 400.0
"""


def bench_text() -> str:
    channels = {f"1!{bank + k}": {"sample": p, "terminal": terminal}
                for k, p in enumerate(PELLETS, 1)
                for bank, terminal in ((0, "fra.hi"), (10, "fra.lo"))}
    return bench(
        instrument("furnace", "eurotherm3216", limits=FURNACE_LIMITS),
        instrument("fra", "solartron1260", limits=ANALYZER_LIMITS),
        instrument("o2", "alicat", options={"gas": "O2", "full_scale_sccm": 500.0},
                   limits={"max_flow_sccm": 500.0}),
        instrument("n2", "alicat", options={"gas": "N2", "full_scale_sccm": 500.0},
                   limits={"max_flow_sccm": 500.0}),
        instrument("o2sensor", "zirconia", options={"sensor_temperature_C": 700.0},
                   limits={"min_pO2_Pa": 1e-3, "max_pO2_Pa": 1.2e5}),
        instrument("matrix", "keithley7001", options={"channels": channels}),
        seed=0, start_temperature_C=T_C,
        pellets={p: {"sample": entry[0]} for p, entry in PELLETS.items()})


def write_pellet(folder, pellet: str) -> None:
    """Pellet `pellet`'s sample file: the shipped ceria with its geometry and parts (B: half
    A's ionic and twice its p-type conductivity, so that mixing the two shows)."""
    file, thickness_m, area_m2, ion, p0 = PELLETS[pellet]
    data = copy.deepcopy(shipped_sample("cgo-pr-po2"))
    data["sample"].update(thickness_m=thickness_m, area_m2=area_m2)
    data["bulk"]["sigma_ref_S_per_m"] *= ion
    data["brouwer"]["sigma_p0_S_per_m"] *= p0
    write_sample(folder, data).rename(folder / file)


def truth(folder, pellet: str, T_K: float) -> dict[str, float]:
    sample = SampleModel.from_toml(locate(PELLETS[pellet][0], folder)).at_pO2(atm)
    _, p = sample.electronic_parts(T_K)
    return {"ion": float(sample.sigma("bulk", T_K)), "p0": float(p)}


@pytest.fixture(scope="module")
def swept(tmp_path_factory):
    """The recipe run: (folder of the bench, database, run id)."""
    folder = tmp_path_factory.mktemp("two-pellets")
    for pellet in PELLETS:
        write_pellet(folder, pellet)
    path = folder / "bench.toml"
    path.write_text(bench_text())
    config = parse_bench(path.read_text(), str(path))
    db = folder / "lab.sqlite"
    with open_bench(config) as opened, Runner(parse_recipe(RECIPE, config), opened, db) as runner:
        assert runner.start().result() == "done", runner.reason
    return folder, db, runner.run_id


def test_each_pellets_brouwer_fit_is_its_own_truth(swept):
    folder, db, run_id = swept
    with Store.open(db, create=False) as store:
        fits = {p: brouwer.from_store(store, run_id, NAMES[p]).fits for p in PELLETS}
    for pellet, found in fits.items():
        assert len(found) == 1, pellet                    # its own sweep, not the other's
        fit = found[0]
        expected = truth(folder, pellet, fit.temperature_K)
        assert fit.sigma_ion_S_per_m == pytest.approx(expected["ion"], rel=0.01), pellet
        assert fit.sigma_p0_S_per_m == pytest.approx(expected["p0"], rel=0.05), pellet
    # the two truths are far apart: a fit of the other pellet's points would fail above
    assert truth(folder, "B", 973.15)["ion"] < 0.6 * truth(folder, "A", 973.15)["ion"]


def test_labctl_analyze_reports_each_pellets_fit_under_its_sample(swept, tmp_path, capsys):
    folder, db, run_id = swept
    assert main(["analyze", str(run_id), "--db", str(db), "--out", str(tmp_path),
                 "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["run_id"] == run_id and set(out["samples"]) == set(NAMES.values())
    assert "brouwer" not in out                            # nothing for the run as a whole
    for pellet, name in NAMES.items():
        found = out["samples"][name]["brouwer"]
        expected = truth(folder, pellet, found["temperature_K"][0])
        assert found["sigma_ion_S_per_m"] == [pytest.approx(expected["ion"], rel=0.01)]
        assert out["samples"][name]["t_ion_emf"] == []
        assert (tmp_path / name / "brouwer.png").stat().st_size > 0
    assert "Ea_bulk_eV" in out["samples"]["CGO-A"]              # beside its spectrum's
    assert "Ea_bulk_eV" not in out["samples"]["CGO-B"]          # B: no spectrum, a sweep
    assert "brouwer.png" in (tmp_path / "CGO-A" / "index.html").read_text()
    assert not (tmp_path / "brouwer.png").exists()


def test_the_web_views_report_links_the_pellets_brouwer_plot(swept):
    pytest.importorskip("flask")
    from labctl.web.app import create_app

    _, db, run_id = swept
    client = create_app(db).test_client()
    page = client.get(f"/runs/{run_id}/report/CGO-A/index.html").get_data(as_text=True)
    assert "brouwer.png" in page
    image = client.get(f"/runs/{run_id}/report/CGO-A/brouwer.png")
    assert image.status_code == 200 and image.data.startswith(b"\x89PNG")
