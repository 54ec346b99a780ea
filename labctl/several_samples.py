"""How the runner measures several pellets: which steps run side by side, and the plan.

A plateau's body, expanded per sample by the recipe (`labctl.recipe_samples`), runs side by
side (`labctl.lanes`) when its steps use switched instruments in disjoint groups (every
step of the FRA's lane uses only the FRA, those of the SMU's only the SMU): a lane per
group. Otherwise, and for a run of one sample, steps run one after the other. Before each
step the matrix joins its instruments to its sample's pellet (`labctl.routing.Router`).
"""

from __future__ import annotations

from contextlib import contextmanager
from dataclasses import asdict
from typing import Any, Iterator, Sequence

from labctl import lanes
from labctl.routing import Router, Wiring
from labctl.runcontext import StoreContext
from labctl.store.store import Store


class SeveralSamples:
    """Mixed into `Runner`: uses its bench, run, `_lanes`, `_step` and what a context calls."""

    _wiring: Wiring | None = None       # with several samples: the switches
    _router: Router | None = None       # and what sets them

    def _route_samples(self, recipe: Any) -> None:
        """A run of several samples routes each step's instruments to its pellet."""
        self._lanes = lanes.Lanes(self.bench.clock)
        pellets = {s["name"]: s["pellet"] for s in recipe.sample.get("samples", ())}
        self._wiring = Wiring.from_config(self.bench.config) if pellets else None
        self._router = self._wiring and Router(self.bench, self._wiring, pellets,
                                               self._lanes.exclusive)

    def _open_switches(self) -> None:
        """A run of several samples starts with every switch open (`Router.open_all`)."""
        if self._router is not None:
            self._router.open_all()

    def _run_block(self, steps: list[Any]) -> None:
        """Steps of one plateau: side by side if they can be, else one after the other."""
        if side_by_side(steps, self._wiring):
            lanes.side_by_side(self._lanes, steps, lambda s: lane(s, self._wiring),
                               lambda s: s.position.sample, self._in_lane)
        else:
            for step in steps:
                self._step(self._context, step)

    def _new_context(self, store: Store) -> StoreContext:
        """A protocol context on `store` (the runner thread's, or a lane's)."""
        context = StoreContext(store, self.run_id, self.bench.clock, self.bench.instruments,
                               self._emit, lambda: self._checkpoint(context),
                               self._step_progress, self._check_abort, self._router)
        return context

    def _in_lane(self, step: Any) -> None:
        """`_step` on a lane's thread, with a store connection and context of its own."""
        store = Store.open(self.db_path)
        try:
            self._step(self._new_context(store), step)
        finally:
            store.close()

    @contextmanager
    def _routed(self, step: Any) -> Iterator[None]:
        """While `step` runs: its instruments joined to its sample's pellet."""
        if self._router is not None and step.position.sample:
            self._router.route(step.position.sample, instruments(step))
        try:
            yield
        finally:
            if self._router is not None:
                self._router.release()


def instruments(step: Any) -> list[str]:
    """The bench instruments a recipe step uses."""
    roles = step.position.roles
    return [roles[r] for r in step.protocol.needs(asdict(step.params)) if r in roles]


def lane(step: Any, wiring: Wiring) -> frozenset[str]:
    """The switched instruments a step uses: its lane."""
    return frozenset(i for i in instruments(step) if wiring.switched(i))


def block(todo: list[Any]) -> list[Any]:
    """The steps at the head of `todo` that measure samples in one plateau (taken off it)."""
    first = todo[0].position
    found = []
    while todo and todo[0].position.sample and first.sample \
            and todo[0].position.group == first.group:
        found.append(todo.pop(0))
    return found or [todo.pop(0)]


def side_by_side(steps: Sequence[Any], wiring: Wiring | None) -> bool:
    """Whether `steps` can run in lanes: two or more disjoint, non-empty lanes."""
    if wiring is None or len(steps) < 2:
        return False
    lanes = {lane(s, wiring) for s in steps}
    return len(lanes) > 1 and all(lanes) and sum(map(len, lanes)) == len(frozenset().union(*lanes))


def plan(steps: Sequence[Any], finished: set[str]) -> list[Any]:
    """The steps still to run: those not finished, in order. A resume inside a plateau
    first runs the plateau's first step again (the furnace may have cooled meanwhile)."""
    todo = [s for s in steps if s.path not in finished]
    if todo and todo[0].position.group:
        group = todo[0].position.group
        first = next(s for s in steps if s.position.group == group)
        if first is not todo[0]:
            todo.insert(0, first)
    return todo
