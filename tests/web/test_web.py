"""The read-only web view through Flask's test client: pages, plots, report, token."""

from __future__ import annotations

import html
from urllib.parse import quote

import numpy as np
import pytest

from labctl.cli import main
from labctl.capabilities import CurrentReading, ImpedancePoint
from labctl.store import Store
from labctl.web import plots
from labctl.web.app import create_app


@pytest.fixture
def client(db):
    return create_app(db).test_client()


def test_the_runs_page_lists_runs_and_filters_them(client, db):
    page = client.get("/").get_data(as_text=True)
    assert '<a href="/runs/1">1</a>' in page and "YSZ-web" in page
    with Store.open(db, create=False) as store:
        bench = store.run(1).bench_name
    assert bench and f"<td>{html.escape(bench)} (" in page          # name (host)
    for query, shown in ((f"bench={quote(bench)}", True), ("bench=furnace-2", False),
                         ("status=done", True), ("status=failed", False),
                         ("sample=ysz-W", True), ("sample=llzo", False),
                         ("since=2000-01-01", True), ("since=2999-01-01", False)):
        page = client.get(f"/?{query}").get_data(as_text=True)
        assert ('<a href="/runs/1">1</a>' in page) is shown, query
    assert client.get("/?since=yesterday").status_code == 400


def test_a_run_page_shows_steps_results_and_plots(client, db):
    page = client.get("/runs/1").get_data(as_text=True)
    with Store.open(db, create=False) as store:
        steps = store.steps(1)
    assert all(step.path in page for step in steps)
    assert "R_ion = " in page                          # the steps' results
    for name in ("nyquist", "bode", "current", "temperature", "arrhenius"):
        assert f'id="plot-{name}"' in page
        image = client.get(f"/runs/1/plots/{name}.png")
        assert image.status_code == 200 and image.data.startswith(b"\x89PNG")
    assert client.get("/runs/1/plots/nothing.png").status_code == 404
    assert 'id="plot-sweep"' not in page                      # no voltage swept
    assert client.get("/runs/1/plots/sweep.png").status_code == 404
    assert client.get("/runs/99").status_code == 404


def test_the_state_follows_the_store(client, db):
    state = client.get("/runs/1/state.json").get_json()
    with Store.open(db, create=False) as store:
        run = store.run(1)
    assert state["status"] == "done" and state["points"] == run.points > 0
    assert state["current"] is None and state["steps"] == 5        # 2 x (stabilize, eis) + 1 polarization


def test_the_analysis_report_is_served(client):
    index = client.get("/runs/1/report/")
    assert index.status_code == 200 and b"<html" in index.data.lower()
    images = [a for a in index.get_data(as_text=True).split('"') if a.endswith(".png")]
    assert images and client.get(f"/runs/1/report/{images[0]}").data.startswith(b"\x89PNG")


def test_a_run_of_several_pellets_has_a_report_per_pellet(tmp_path):
    from tests.multisample import write_run

    run_id = write_run(tmp_path / "lab.sqlite", pellets=("A", "C"), temperatures_C=(300.0, 340.0))
    client = create_app(tmp_path / "lab.sqlite").test_client()
    index = client.get(f"/runs/{run_id}/report/").get_data(as_text=True)
    assert 'href="A/index.html"' in index and 'href="C/index.html"' in index
    assert client.get(f"/runs/{run_id}/report/C/index.html").status_code == 200


def test_the_plots_of_a_run_of_several_pellets_are_each_pellets(tmp_path):
    """Every pellet's spectrum at every temperature (not the latest pellet's only), and an
    Arrhenius line per pellet through its own points with its own geometry, at the pellet's
    calibrated temperature."""
    from matplotlib.figure import Figure

    from labctl.analysis.quantities import arrhenius, conductivity
    from tests.multisample import PELLETS, write_run

    db = tmp_path / "lab.sqlite"
    offsets_K = {"A": -8.0, "C": 6.0}
    run_id = write_run(db, pellets=("A", "C"), temperatures_C=(300.0, 340.0),
                       offsets_K=offsets_K, calibrated_K=offsets_K)
    with Store.open(db, create=False) as store:
        assert "arrhenius" in plots.available(store, run_id)
        drawn = {}
        for name in ("nyquist", "arrhenius"):
            ax = Figure().add_subplot()
            plots.DRAW[name](store, run_id, ax)
            drawn[name] = [line.get_label() for line in ax.get_lines()]
        steps = [s for s in store.steps(run_id) if s.result.get("r_ion_Ohm")]
    assert sorted(drawn["nyquist"]) == ["A, 300 °C", "A, 340 °C", "C, 300 °C", "C, 340 °C"]
    for pellet in ("A", "C"):
        _, thickness_m, area_m2 = PELLETS[pellet]
        T = np.array([s.temperature_K for s in steps if s.sample == pellet]) + offsets_K[pellet]
        R = np.array([s.result["r_ion_Ohm"] for s in steps if s.sample == pellet])
        Ea = arrhenius(T, conductivity(R, thickness_m, area_m2)).Ea_eV
        assert f"{pellet}: Ea = {Ea:.3f} eV" in drawn["arrhenius"]


def test_nothing_can_be_changed(client):
    for path in ("/", "/runs/1", "/runs/1/state.json", "/runs/1/plots/nyquist.png"):
        for method in ("post", "put", "delete", "patch"):
            assert getattr(client, method)(path).status_code == 405, (method, path)


def test_a_token_guards_every_page(db):
    client = create_app(db, token="s3cret").test_client()
    assert client.get("/").status_code == 401
    assert client.get("/runs/1/plots/nyquist.png").status_code == 401
    assert client.get("/?token=wrong").status_code == 401
    assert client.get("/", headers={"Authorization": "Bearer s3cret"}).status_code == 200
    assert client.get("/?token=s3cret").status_code == 200
    assert client.get("/runs/1").status_code == 200         # the cookie from then on


def test_serve_refuses_a_non_loopback_address_without_a_token(db, capsys, monkeypatch):
    monkeypatch.delenv("LABCTL_SERVE_TOKEN", raising=False)
    assert main(["serve", "--db", str(db), "--host", "0.0.0.0"]) == 1
    assert "give a --token" in capsys.readouterr().err
    assert main(["serve", "--db", str(db.parent / "none.sqlite")]) == 1


def test_plots_follow_the_data_not_the_protocol(tmp_path):
    """A one-frequency monitor is no spectrum; a DC step over a voltage range is a sweep."""
    db = tmp_path / "lab.sqlite"
    with Store.open(db) as store:
        run_id = store.create_run("monitor", "# r", {}, {"name": "x"})
        monitor = store.start_step(run_id, "anything", {}, temperature_K=600.0)
        store.add_impedance(monitor, [ImpedancePoint(float(t), 1e3, 100 - 5j, 0.01) for t in range(20)])
        sweep = store.start_step(run_id, "anything", {}, temperature_K=600.0)
        store.add_dc(sweep, [CurrentReading(float(t), 0.1 * t, 1e-6 * t) for t in range(20)])
        assert plots.available(store, run_id) == ["sweep"]


def test_a_poll_reads_only_the_steps_that_grew(tmp_path, monkeypatch):
    """The page polls state.json every few seconds: finished steps are not read again."""
    with Store.open(tmp_path / "lab.sqlite") as store:
        run_id = store.create_run("r", "# r", {}, {"name": "x"})
        done = store.start_step(run_id, "anything", {}, temperature_K=600.0)
        store.add_impedance(done, [ImpedancePoint(0.0, f, 100 - 5j, 0.01) for f in (1e5, 1e4, 1e3, 1e2, 10)])
        going = store.start_step(run_id, "anything", {}, temperature_K=600.0)
        store.add_dc(going, [CurrentReading(0.0, 0.1, 1e-6)])
        shapes = plots.StepShapes()
        assert plots.available(store, run_id, shapes) == ["nyquist", "bode"]
        read = []
        real_impedance = Store.impedance
        monkeypatch.setattr(Store, "impedance", lambda self, step_id: read.append(step_id)
                            or real_impedance(self, step_id))
        store.add_dc(going, [CurrentReading(1.0, 0.1, 2e-6)])
        assert plots.available(store, run_id, shapes) == ["nyquist", "bode", "current"]
        assert read == [going]
