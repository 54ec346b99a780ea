"""The router on sim-multi's matrix: each lane's pellet joined, the union of what the lanes
need closed, and the relays read back before every measurement."""

from __future__ import annotations

import pytest

from labctl.bench import load_bench, open_bench
from labctl.errors import InstrumentError, SafetyLimitError
from labctl.routing import Router, Wiring
from labctl.runcontext import Position, StoreContext
from labctl.store import Store


@pytest.fixture
def bench():
    with open_bench(load_bench("sim-multi")) as opened:
        yield opened


def test_the_wiring_names_what_a_pellet_cannot_reach_and_what_may_not_close_together():
    wiring = Wiring.from_config(load_bench("sim-multi"))
    assert wiring.pellets() == {"A", "B", "C", "D"}
    assert wiring.channels("A", ["fra", "furnace"]) == {"matrix": frozenset({"1!1", "1!11"})}
    assert wiring.problems("A", ["fra", "furnace"]) == []
    assert wiring.problems("E", ["fra"]) == ["pellet 'E' is wired to no terminal of instrument 'fra'"]
    assert wiring.conflicts({"A": ["fra"], "B": ["smu"]}) == []
    assert "instrument fra on samples A and B (in parallel)" in \
        wiring.conflicts({"A": ["fra"], "B": ["fra"]})


def test_the_routes_of_two_lanes_stay_closed_together_and_a_released_one_opens(bench):
    router = Router(bench, Wiring.from_config(bench.config), {"a": "A", "b": "B"})
    matrix = bench["matrix"]
    router.route("a", ["fra"])
    router._needs[-1] = router.wiring.channels("B", ["smu"])       # another lane's need
    router.route("a", ["fra"])
    assert matrix.closed() == {"1!1", "1!11", "1!22", "1!32"}
    router.release()
    del router._needs[-1]
    router.route("b", ["fra"])
    assert matrix.closed() == {"1!2", "1!12"}
    with pytest.raises(SafetyLimitError, match="instrument fra on samples A and B"):
        router._needs[-1] = router.wiring.channels("A", ["fra"])
        router.route("b", ["fra"])


def test_a_relay_that_opened_since_routing_stops_the_next_measurement(bench, tmp_path):
    router = Router(bench, Wiring.from_config(bench.config), {"a": "A"})
    with Store.open(tmp_path / "lab.sqlite") as store:
        run = store.create_run("r", "", {}, {})
        ctx = StoreContext(store, run, bench.clock, bench.instruments, lambda e: None,
                           lambda: None, lambda *a: None, router=router)
        ctx.enter(Position("program[1]/a/eis", {"fra": "fra"}, 600.0, "program[1]", "a"))
        router.route("a", ["fra"])
        with ctx.measurement("eis", {}):
            pass
        bench.simulation.devices["matrix"].stick("1!11", False)      # a relay dies open
        with pytest.raises(InstrumentError, match=r"relay stuck: \(@1!11\) not closed"):
            with ctx.measurement("eis", {}):
                pass
        assert [s.sample for s in store.steps(run)] == ["a"]


def test_a_resumed_run_opens_the_channels_a_failed_one_left_closed(bench, tmp_path):
    """A run that failed with the matrix unreachable could not open it; the run resumed
    on it opens what it finds closed before its first measurement (a plateau's), instead
    of failing with every relay 'stuck'."""
    matrix = bench["matrix"]
    matrix.connect(matrix.channels_for("B", "fra") | matrix.channels_for("A", "smu"))
    router = Router(bench, Wiring.from_config(bench.config), {"a": "A", "b": "B"})
    with Store.open(tmp_path / "lab.sqlite") as store:
        run = store.create_run("r", "", {}, {})
        ctx = StoreContext(store, run, bench.clock, bench.instruments, lambda e: None,
                           lambda: None, lambda *a: None, router=router)
        ctx.enter(Position("program[1]/stabilize", {"fra": "fra"}, 600.0, "program[1]",
                           samples=("a", "b")))
        with ctx.measurement("stabilize", {}):
            assert matrix.closed() == frozenset()
