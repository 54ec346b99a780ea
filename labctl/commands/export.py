"""`labctl export ID --format csv|z --out DIR`: write a run's data as CSV or ZView `.z`."""

from __future__ import annotations

import argparse

from labctl.commands.runs import DB_HELP


def register(subparsers) -> None:
    parser = subparsers.add_parser(
        "export", help="export a run as CSV or ZView .z files",
        description="CSV: one file per step and point table plus the temperature log. "
                    ".z: one ZView/ZPlot file per impedance spectrum. Files are named "
                    "by run, step, kind and temperature (run0001-step021-eis-350C.z); in a "
                    "run with several samples, each file is one sample's, its name after the "
                    "run number (run0001-A-step021-eis-350C.z), that sample's geometry in "
                    "its comments.")
    parser.add_argument("id", type=int, help="run id (see `labctl runs`)")
    parser.add_argument("--format", choices=("csv", "z"), default="csv")
    parser.add_argument("--out", metavar="DIR", default=".", help="output folder (default: .)")
    parser.add_argument("--include-superseded", action="store_true",
                        help="also the measurements a resumed run measured again (left "
                             "out by default: the later one counts)")
    parser.add_argument("--db", metavar="PATH", help=DB_HELP)
    parser.set_defaults(func=handler)


def handler(args: argparse.Namespace) -> int:
    from labctl.outputs import output_folder, writing
    from labctl.store import Store, db_path
    from labctl.store.export import export_csv, export_z

    export = export_csv if args.format == "csv" else export_z
    with Store.open(db_path(args.db), create=False) as store:
        out = output_folder(args.out, "export folder")
        with writing(out, "export files"):
            paths = export(store, args.id, out, include_superseded=args.include_superseded)
    for path in paths:
        print(path)
    return 0
