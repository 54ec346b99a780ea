"""The states of a run, the steps between them and the commands each state accepts.

One enum for both sides of a run: the runner's live states (`idle` before its first run,
`paused`, `aborting` while the bench is made safe; `done` or `failed` once a run ended,
`failed` also after an abort) and the statuses the store keeps (`running` also while
paused; `aborted`; `interrupted`: its writer process is gone). The values are the strings
stored and emitted (`StateChanged.state`), so a state compares equal to its string.

    runner:  idle -> running                      start
             running -> paused -> running         pause, resume
             running | paused -> aborting         abort, a fault, an interlock
             running -> done                      every step finished
             aborting -> failed                   bench made safe
             done | failed -> running             start again (a new run, or a resume)
    store:   running -> done | failed | aborted | interrupted    (`STORED`)
             interrupted | failed | aborted -> running         resume-interrupted
"""

from __future__ import annotations

from enum import StrEnum

from labctl.errors import LabctlError


class RunState(StrEnum):
    IDLE = "idle"
    RUNNING = "running"
    PAUSED = "paused"
    ABORTING = "aborting"
    DONE = "done"
    FAILED = "failed"
    ABORTED = "aborted"
    INTERRUPTED = "interrupted"


class Command(StrEnum):
    START = "start"
    PAUSE = "pause"
    RESUME = "resume"
    ABORT = "abort"
    RESUME_INTERRUPTED = "resume-interrupted"


S = RunState
RUNNER_TRANSITIONS: dict[RunState, frozenset[RunState]] = {
    S.IDLE: frozenset({S.RUNNING}),
    S.RUNNING: frozenset({S.PAUSED, S.ABORTING, S.DONE}),
    S.PAUSED: frozenset({S.RUNNING, S.ABORTING}),
    S.ABORTING: frozenset({S.FAILED}),
    S.DONE: frozenset({S.RUNNING}),
    S.FAILED: frozenset({S.RUNNING}),
}
COMMANDS: dict[Command, frozenset[RunState]] = {   # the states each command is accepted in
    Command.START: frozenset({S.IDLE, S.DONE, S.FAILED}),
    Command.PAUSE: frozenset({S.RUNNING}),
    Command.RESUME: frozenset({S.PAUSED}),
    Command.ABORT: frozenset({S.RUNNING, S.PAUSED}),
    Command.RESUME_INTERRUPTED: frozenset({S.INTERRUPTED, S.FAILED, S.ABORTED}),
}
REQUESTS = (Command.PAUSE, Command.RESUME, Command.ABORT)   # another process may ask these
STORED = (S.RUNNING, S.DONE, S.FAILED, S.ABORTED, S.INTERRUPTED)   # the store's statuses
FINAL = (S.DONE, S.FAILED)                  # the runner's states once a run has ended
ACTIVE = (S.RUNNING, S.PAUSED, S.ABORTING)  # the runner has a run in progress
del S


class IllegalTransition(LabctlError):
    """A step the state machine does not allow, or a command its state does not accept."""


def check_transition(old: str, new: str) -> RunState:
    """`new` as a RunState if the runner may go `old -> new`, else IllegalTransition."""
    new = RunState(new)
    if new not in RUNNER_TRANSITIONS.get(RunState(old), ()):
        raise IllegalTransition(f"cannot go from {old} to {new}")
    return new


def accepts(state: str, command: str) -> bool:
    """Whether a run in `state` accepts `command`."""
    return RunState(state) in COMMANDS[Command(command)]


def check_command(state: str, command: str, who: str = "the run") -> None:
    """IllegalTransition unless a run in `state` accepts `command`."""
    if not accepts(state, command):
        raise IllegalTransition(f"cannot {command}: {who} is {state}")
