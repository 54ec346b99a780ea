"""`labctl attach RUN`: follow a run in progress (its run process) in this terminal.

Several clients may follow one run; leaving (Ctrl-C → detach, a closed terminal, kill -9)
leaves the run running. Ctrl-C asks whether to abort the run or to detach; without a
terminal to ask, and on SIGTERM, the run is aborted (the bench made safe) as an in-process
run was; SIGHUP (the terminal gone) detaches. If the run process dies, the run is marked
interrupted (`labctl run --resume RUN` continues it).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from labctl.commands.runs import DB_HELP

EXIT_FAILED, EXIT_ABORTED, EXIT_GONE = 1, 130, 1
ENDED = ("done", "failed", "aborted")      # a run's stored status once its runner finished it


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "attach", help="follow a run in progress (its run process) in this terminal",
        description="Show the progress of RUN, started by `labctl run` or the GUI, until it "
                    "ends; Ctrl-C asks whether to abort it or to detach (the run goes on).")
    parser.add_argument("id", type=int, metavar="RUN", help="run id (see `labctl runs`)")
    parser.add_argument("--db", metavar="PATH", help=DB_HELP)
    parser.set_defaults(func=handler)


def handler(args: argparse.Namespace) -> int:
    from rich.console import Console

    from labctl.channel import ChannelClosed
    from labctl.runprocess import wait_gone
    from labctl.runview import summary
    from labctl.store import Store, db_path

    db = db_path(args.db)
    console = Console()
    with Store.open(db, create=False) as store:     # marks a dead writer's run interrupted
        pid = store.writer_pid(args.id)
    if pid is not None:
        try:
            return follow(pid, db, console)
        except ChannelClosed:      # closing after its run, or dead: the store says which
            wait_gone(pid)
    with Store.open(db, create=False) as store:
        status = store.run(args.id).status
        console.print(summary(store, args.id))
    console.print(f"run {args.id} is {status}: no run process to attach to"
                  + (f" (continue it: labctl run --resume {args.id} --bench BENCH)"
                     if status == "interrupted" else ""))
    return 0 if status == "done" else EXIT_FAILED


def follow(pid: int, db: Path, console, *, log_path: Path | None = None,
           starter=None) -> int:
    """Show run process `pid`'s events until its run ends (or this client detaches); the
    exit status of `labctl run` for how it ended. `starter`: the `RunProcess` this client
    started (its reports name the run if the process dies before the first event)."""
    from labctl import events as ev
    from labctl.channel import Ack, RunClient
    from labctl.runprocess import wait_gone
    from labctl.runview import RunView
    from labctl.shutdown import StopSignals

    view, finished, closing = RunView(console), None, ""
    with RunClient(pid) as client, StopSignals() as stop:
        run_id = client.hello.run_id
        if run_id is not None:
            console.print(f"attached to run {run_id} {client.hello.name!r} "
                          f"({client.hello.state}), run process {pid}")
        asked = False
        with view.progress:
            while True:
                if stop.requested and not asked:
                    asked = True
                    if _choose(stop.requested, view, console) == "detach":
                        return _detached(console, run_id, db)
                    client.send("abort")
                try:
                    message = client.receive(0.2)
                except EOFError:
                    break
                if isinstance(message, Ack):
                    console.print(f"  {message.command}: {message.message}")
                elif isinstance(message, ev.LogMessage) and finished is not None:
                    closing = message.message
                elif message is not None:
                    run_id = getattr(message, "run_id", run_id)
                    finished = message if isinstance(message, ev.RunFinished) else finished
                    view.subscriber(message)
                    view.pump(0)
    wait_gone(pid)     # the bench free, the log complete, a dead writer seen as dead
    if run_id is None and starter is not None:     # why it started none (LabctlError)
        run_id = starter.until("run", timeout=10.0)
    return _ended(console, run_id, db, finished, closing, stop.exit_code, log_path)


def _choose(signame: str, view, console) -> str:
    """'abort' or 'detach' after a stop signal: asked on a terminal after Ctrl-C."""
    if signame == "SIGHUP":
        return "detach"
    if signame != "SIGINT" or not sys.stdin.isatty():
        return "abort"
    view.progress.stop()
    try:
        answer = console.input("abort the run (the bench is made safe) or detach (the run "
                               "goes on)? [a/D] ", markup=False).strip().lower()
    except (EOFError, KeyboardInterrupt):
        answer = "d"
    view.progress.start()
    return "abort" if answer.startswith("a") else "detach"


def _detached(console, run_id: int | None, db: Path) -> int:
    console.print(f"detached: run {run_id} goes on; `labctl attach {run_id} --db {db}` "
                  "follows it again")
    return 0


def _ended(console, run_id: int | None, db: Path, finished, closing: str,
           signal_code: int | None, log_path: Path | None) -> int:
    """The summary of a run whose channel closed: ended, or its process gone."""
    from labctl import events as ev
    from labctl.errors import LabctlError
    from labctl.runview import summary
    from labctl.store import Store

    if run_id is None:
        raise LabctlError("the run process ended before it started a run"
                          + (f" (log {log_path})" if log_path else ""))
    with Store.open(db, create=False) as store:     # marks a dead writer's run interrupted
        console.print(summary(store, run_id))
        status = store.run(run_id).status
    if finished is None and status in ENDED:     # it ended before this client was let in
        finished, closing = ev.RunFinished(run_id, status), f"run {run_id} {status}"
    if finished is None:
        console.print(f"run {run_id} is {status}: its run process ended without finishing "
                      f"it; continue it with `labctl run --resume {run_id} --bench BENCH`"
                      + (f" (log {log_path})" if log_path else ""))
        return EXIT_GONE
    console.print(f"{closing}; database {db} (labctl runs show {run_id} --db {db})")
    return {"done": 0, "failed": EXIT_FAILED}.get(finished.status, signal_code or EXIT_ABORTED)
