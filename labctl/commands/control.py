"""`labctl pause|resume|abort RUN`: ask a running run, from any process, through the store.

The request is stored (with an event naming this process and host); the run's runner acts
on it at its next checkpoint and acknowledges it in the run's events (`labctl runs show`).
A run that is not running is refused (exit 1).
"""

from __future__ import annotations

import argparse

from labctl.commands.runs import DB_HELP

WHAT = {"pause": "pause a running run at its next checkpoint (instruments stay as they are)",
        "resume": "resume a paused run",
        "abort": "abort a running run at its next checkpoint (the bench is made safe)"}
DESCRIPTION = ("Asked through the database, from any terminal (or machine sharing it): the "
               "run's runner acts at its next checkpoint and acknowledges it in the run's "
               "events (`labctl runs show RUN`). A run that is not running is refused.")


def register(subparsers) -> None:
    for command, text in WHAT.items():
        parser = subparsers.add_parser(command, help=text,
                                       description=f"{text[0].upper()}{text[1:]}. {DESCRIPTION}")
        parser.add_argument("id", type=int, metavar="RUN", help="run id (see `labctl runs`)")
        parser.add_argument("--db", metavar="PATH", help=DB_HELP)
        parser.set_defaults(func=handler, command=command)


def handler(args: argparse.Namespace) -> int:
    from labctl.store import Store, db_path

    with Store.open(db_path(args.db), create=False) as store:
        request = store.request(args.id, args.command)
    print(f"run {args.id}: {args.command} requested by {request.requester}; the run acts on "
          f"it at its next checkpoint (see `labctl runs show {args.id}`)")
    return 0
