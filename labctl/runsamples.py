"""How the runner measures several pellets: which steps run side by side, and the plan.

A plateau's body, expanded per sample by the recipe (`labctl.recipe_samples`), runs side by
side (`labctl.lanes`) when its steps use switched instruments in disjoint groups (every
step of the FRA's lane uses only the FRA, those of the SMU's only the SMU): a lane per
group. Otherwise, and for a run of one sample, steps run one after the other.
"""

from __future__ import annotations

from dataclasses import asdict
from typing import Any, Sequence

from labctl.routing import Wiring


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
