"""Test subprocesses are always stopped, and the session finds any left behind."""

import os
import subprocess
import sys

from tests.processes import SESSION_MARK, Child, marked_processes

WAIT_FOR_STDIN = "import signal; signal.signal(signal.SIGTERM, signal.SIG_IGN) if {} else 0; " \
                 "print('up', flush=True); input()"


def test_a_running_child_carries_the_session_mark_until_stopped():
    mark = os.environ[SESSION_MARK]
    with Child([sys.executable, "-c", WAIT_FOR_STDIN.format(False)],
               stdin=subprocess.PIPE) as child:
        child.read_until("up")
        assert child.proc.pid in marked_processes(mark)
    assert child.proc.returncode == -15
    assert child.proc.pid not in marked_processes(mark)


def test_a_child_that_ignores_sigterm_is_killed_after_the_grace_period():
    child = Child([sys.executable, "-c", WAIT_FOR_STDIN.format(True)], stdin=subprocess.PIPE)
    try:
        child.read_until("up")
    finally:
        child.stop(grace_s=0.2)
    assert child.proc.returncode == -9
