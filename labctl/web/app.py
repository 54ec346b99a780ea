"""The web view's Flask application: read-only pages over one labctl database.

Pages: `/` the runs (filters `bench`, `sample`, `status`, `since`, as `labctl runs`), `/runs/ID` one run (status,
current step, steps with their results, latest events, plots; the page follows a running
run by polling `/runs/ID/state.json` and redraws the plots when points arrive),
`/runs/ID/plots/NAME.png`, `/runs/ID/report/` the analysis report (`labctl analyze`).
No page changes anything. With a `token`, every request must carry it (`?token=` once:
then a cookie; or `Authorization: Bearer TOKEN`).
"""

from __future__ import annotations

import hmac
import tempfile
from argparse import ArgumentTypeError
from pathlib import Path

from flask import Flask, abort, jsonify, render_template, request, send_from_directory

from labctl.commands.runs import since
from labctl.errors import StoreError
from labctl.runview import result_text
from labctl.store import Store
from labctl.store.paths import location
from labctl.units import celsius_text
from labctl.web import plots

EVENTS_SHOWN = 30
COOKIE = "labctl_token"


def create_app(db: Path | str, token: str | None = None) -> Flask:
    """`db`: a database file or a lab's `postgresql://` URL."""
    app = Flask(__name__)
    db = location(db)
    reports = Path(tempfile.mkdtemp(prefix="labctl-web-reports-"))
    shapes = plots.StepShapes()

    def store() -> Store:
        return Store.open(db, create=False)

    @app.before_request
    def check_token():
        if token is None:
            return None
        given = (request.args.get("token") or request.cookies.get(COOKIE)
                 or request.headers.get("Authorization", "").removeprefix("Bearer "))
        if not hmac.compare_digest(given.encode(), token.encode()):
            abort(401)
        return None

    @app.after_request
    def remember_token(response):
        if token is not None and request.args.get("token"):
            response.set_cookie(COOKIE, token, httponly=True, samesite="Strict")
        return response

    @app.get("/")
    def runs():
        filters = {k: request.args.get(k, "").strip() for k in ("bench", "sample", "status", "since")}
        try:
            since_utc = since(filters["since"]) if filters["since"] else None
        except ArgumentTypeError as exc:
            abort(400, f"since: {exc}")
        with store() as s:
            shown = s.runs(bench=filters["bench"] or None, since=since_utc,
                           sample=filters["sample"] or None, status=filters["status"] or None)
        return render_template("runs.html", runs=shown[::-1], filters=filters, db=db)

    @app.get("/runs/<int:run_id>")
    def run(run_id: int):
        with store() as s:
            run = _run_or_404(s, run_id)
            steps = s.steps(run_id)
            rows = [(step, celsius_text(step.temperature_K), result_text(step.kind, step.result))
                    for step in steps]
            return render_template("run.html", run=run, rows=rows, state=_state(run, steps),
                                   events=s.events(run_id)[-EVENTS_SHOWN:],
                                   plots=plots.available(s, run_id, shapes))

    @app.get("/runs/<int:run_id>/state.json")
    def state(run_id: int):
        with store() as s:
            state = _state(_run_or_404(s, run_id), s.steps(run_id))
            return jsonify(state | {"plots": plots.available(s, run_id, shapes)})

    @app.get("/runs/<int:run_id>/plots/<name>.png")
    def plot(run_id: int, name: str):
        if name not in plots.PLOTS:
            abort(404)
        with store() as s:
            _run_or_404(s, run_id)
            if name not in plots.available(s, run_id, shapes):
                abort(404)
            image = plots.png(s, run_id, name)
        return image, 200, {"Content-Type": "image/png", "Cache-Control": "no-store"}

    @app.get("/runs/<int:run_id>/report/")
    @app.get("/runs/<int:run_id>/report/<path:name>")
    def report(run_id: int, name: str = "index.html"):
        with store() as s:
            run = _run_or_404(s, run_id)
            folder = reports / f"run{run_id}-{run.points}"
            if not (folder / "index.html").exists():
                _write_report(s, run_id, folder)
        return send_from_directory(folder, name)

    return app


def _run_or_404(store: Store, run_id: int):
    try:
        return store.run(run_id)
    except StoreError:          # no run with that id
        abort(404)


def _state(run, steps) -> dict:
    """What the run page shows of a run in progress."""
    current = next((s for s in reversed(steps) if s.status == "running"), None)
    return {"status": run.status, "points": run.points, "steps": len(steps),
            "current": (current.path or current.kind) if current else None,
            "current_points": current.points if current else None}


def _write_report(store: Store, run_id: int, folder: Path) -> None:
    """The analysis report of the run (of each sample, with their overview, for several),
    with each sample's pO2 sweeps and t_ion by EMF."""
    from labctl.analysis import overview

    folder.mkdir(parents=True, exist_ok=True)
    overview.write_run(store, run_id, folder)
