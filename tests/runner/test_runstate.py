"""The run-state machine: every step the runner may take and every command each state
accepts, against the specification written out here (the runner's docstring diagram);
everything else refused; the values are the strings the store keeps."""

from __future__ import annotations

from itertools import product

import pytest

from labctl.runstate import (COMMANDS, RUNNER_TRANSITIONS, STORED, Command, IllegalTransition,
                             RunState, accepts, check_command, check_transition)
from labctl.store import Store

SPEC_STEPS = {  # the runner's steps, as the design states them
    ("idle", "running"), ("running", "paused"), ("paused", "running"),
    ("running", "aborting"), ("paused", "aborting"), ("running", "done"),
    ("aborting", "failed"), ("done", "running"), ("failed", "running"),
}
SPEC_COMMANDS = {
    "start": {"idle", "done", "failed"}, "pause": {"running"}, "resume": {"paused"},
    "abort": {"running", "paused"}, "resume-interrupted": {"interrupted", "failed", "aborted"},
}
EVERY_PAIR = list(product(RunState, RunState))


@pytest.mark.parametrize("old, new", sorted(SPEC_STEPS))
def test_each_step_of_the_runner_is_allowed(old, new):
    assert check_transition(old, new) is RunState(new)


@pytest.mark.parametrize("old, new", [p for p in EVERY_PAIR if p not in SPEC_STEPS],
                         ids=lambda s: str(s))
def test_every_other_step_is_refused(old, new):
    with pytest.raises(IllegalTransition, match=f"cannot go from {old} to {new}"):
        check_transition(old, new)


def test_the_transition_table_is_the_specification():
    assert {(o, n) for o, targets in RUNNER_TRANSITIONS.items() for n in targets} == SPEC_STEPS


@pytest.mark.parametrize("command, state", list(product(Command, RunState)),
                         ids=lambda s: str(s))
def test_a_command_is_accepted_exactly_in_its_states(command, state):
    allowed = state in SPEC_COMMANDS[command]
    assert accepts(state, command) is allowed
    assert (state in COMMANDS[command]) is allowed
    if not allowed:
        with pytest.raises(IllegalTransition, match=f"cannot {command}: the run is {state}"):
            check_command(state, command)


def test_the_states_are_the_strings_the_store_keeps(tmp_path):
    assert [str(s) for s in STORED] == ["running", "done", "failed", "aborted", "interrupted"]
    assert RunState.PAUSED == "paused" and f"{RunState.ABORTING}" == "aborting"
    with Store.open(tmp_path / "runs.sqlite") as store:
        for status in STORED[1:]:
            run = store.create_run(f"ends {status}", "", {}, {})
            store.finish_run(run, status)
            assert store.run(run).status == status
        refused = store.create_run("ends paused", "", {}, {})
        with pytest.raises(Exception, match="final status"):
            store.finish_run(refused, RunState.PAUSED)
