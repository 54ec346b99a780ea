"""`labctl protocols [NAME]`: the protocols a recipe can run, each parameter with its type,
unit, default, range and description (with NAME: that protocol, with its full description),
read from the protocols' declarations (`labctl.protocol.ProtocolSpec`)."""

from __future__ import annotations

import argparse

from labctl.commands.runs import _table


def register(subparsers) -> None:
    parser = subparsers.add_parser(
        "protocols", help="list the protocols and their parameters",
        description="The protocols a recipe step can name (`protocol = \"eis\"`), with the "
                    "instruments (roles) they use, what they record and every parameter: "
                    "type, SI unit, default ('required': the recipe must give it), allowed "
                    "range, description.")
    parser.add_argument("name", nargs="?", metavar="NAME", help="one protocol, e.g. eis")
    parser.set_defaults(func=handler)


def handler(args: argparse.Namespace) -> int:
    from labctl import registry
    from labctl.errors import LabctlError

    known = registry.protocols()
    if args.name is not None and args.name not in known:
        raise LabctlError(f"no protocol {args.name!r}; the protocols: {', '.join(sorted(known))}")
    specs = [known[args.name]] if args.name else known.values()
    print("\n\n".join(_protocol(spec, full=args.name is not None) for spec in specs))
    return 0


def _protocol(spec, full: bool) -> str:
    from labctl.protocols._params import describe

    doc = spec.doc.strip()
    about = doc if full else doc.split("\n", 1)[0]
    roles = ", ".join(f"{r.name} ({r.capability.__name__}"
                      + (f", when {r.when} is set)" if r.when else ")") for r in spec.roles)
    records = "; ".join(f"{s.table}: " + ", ".join(f"{c} / {u}" for c, u in s.columns)
                        for s in spec.streams) or "-"
    shows = ", ".join(s.label + (f" / {s.unit}" if s.unit else "") for s in spec.summary) or "-"
    rows = [[p.name, p.type, p.unit or "-", p.default, p.range or "-", p.doc]
            for p in describe(spec.Params)]
    return "\n".join([f"{spec.kind}: {about}", f"instruments (roles): {roles}",
                      f"records: {records}", f"results shown: {shows}", "",
                      _table(["parameter", "type", "unit", "default", "range", "description"],
                             rows)])
