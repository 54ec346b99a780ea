"""`labctl serve [--db PATH] [--host 127.0.0.1] [--port 8080] [--token T]`: a read-only web
view of a database (runs, one run live with its plots, the analysis report).

It listens on loopback unless told otherwise; any other address needs a token
(`--token` or $LABCTL_SERVE_TOKEN), which every request must then carry.
"""

from __future__ import annotations

import argparse
import ipaddress
import os

from labctl.commands.runs import DB_HELP

WEB_EXTRA = ("flask", "waitress")


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "serve", help="a read-only web view of the runs (live plots, reports)",
        description="Serve a read-only web view of a labctl database: the runs, one run "
                    "live with its plots, the analysis report. No page changes anything.")
    parser.add_argument("--db", metavar="PATH", help=DB_HELP)
    parser.add_argument("--host", default="127.0.0.1",
                        help="address to listen on (default: %(default)s, this machine only)")
    parser.add_argument("--port", type=int, default=8080, help="default: %(default)s")
    parser.add_argument("--token", default=os.environ.get("LABCTL_SERVE_TOKEN"),
                        help="a secret every request must carry (?token=... once, or "
                             "'Authorization: Bearer ...'); required for a non-loopback "
                             "--host (default: $LABCTL_SERVE_TOKEN)")
    parser.set_defaults(func=handler)


def handler(args: argparse.Namespace) -> int:
    import sys

    from labctl.commands.extras import require_extra
    from labctl.errors import LabctlError
    from labctl.store import Store, db_path

    require_extra("web", WEB_EXTRA, "labctl serve")
    if not _loopback(args.host) and not args.token:
        raise LabctlError(f"--host {args.host} is reachable from other machines: give a "
                          "--token (or $LABCTL_SERVE_TOKEN) that every request must carry")
    db = db_path(args.db)
    Store.open(db, create=False).close()        # a missing database: a clear error now
    import waitress

    from labctl.web.app import create_app

    print(f"labctl serve: http://{args.host}:{args.port}/ (database {db}; Ctrl-C stops)",
          file=sys.stderr, flush=True)
    waitress.serve(create_app(db, args.token), host=args.host, port=args.port,
                   threads=4, _quiet=True)
    return 0


def _loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False
