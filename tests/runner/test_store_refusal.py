"""Issue 23: when the runner's process loses SQLite's locks mid-run (a file's probing), the
store refuses the next write: the run fails with the bench made safe, the refusal is what
the run's future raises (the failure cannot be stored), and every point reported as
recorded is in the database."""

from __future__ import annotations

import pytest

from labctl import events as ev
from labctl.errors import StoreError
from labctl.store import Store
from tests.runner.test_runner import TIMEOUT, safe_bench
from tests.runner.toy_protocols import plateau_recipe
from tests.store.outsiders import probe


def test_a_probe_mid_run_fails_it_safely_and_keeps_every_recorded_point(make_runner, bench,
                                                                        db):
    runner = make_runner(plateau_recipe(573.15, 623.15, readings=10))
    recorded = []

    def on(event) -> None:
        if isinstance(event, ev.PointRecorded):
            recorded.append(event)
        elif isinstance(event, ev.StepFinished) and event.kind == "eis" and len(recorded) < 20:
            probe(db)
    runner.subscribe(on)
    with pytest.raises(StoreError, match="lost its SQLite lock"):
        runner.start().result(TIMEOUT)
    assert runner.state == "failed" and "lost its SQLite lock" in runner.reason
    assert safe_bench(bench) == (False, 298.15)
    with Store.open(db) as store:          # this process's stores closed: locks again
        assert 0 < store.run(runner.run_id).points == len(recorded)
        steps = store.steps(runner.run_id)          # the step after the probe never began
        assert [(s.kind, s.status) for s in steps] == [("stabilize", "done"), ("eis", "done")]
