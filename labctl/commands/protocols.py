"""`labctl protocols [NAME]`: the protocols a recipe can run, each parameter with its type,
unit, default, range and description (with NAME: that protocol, with its full description)."""

from __future__ import annotations

import argparse

from labctl.commands.runs import _table


def register(subparsers) -> None:
    parser = subparsers.add_parser(
        "protocols", help="list the protocols and their parameters",
        description="The protocols a recipe step can name (`protocol = \"eis\"`), with the "
                    "instruments (roles) they use and every parameter: type, SI unit, "
                    "default ('required': the recipe must give it), allowed range, description.")
    parser.add_argument("name", nargs="?", metavar="NAME", help="one protocol, e.g. eis")
    parser.set_defaults(func=handler)


def handler(args: argparse.Namespace) -> int:
    from labctl.errors import LabctlError
    from labctl.recipe import PROTOCOLS

    if args.name is not None and args.name not in PROTOCOLS:
        raise LabctlError(f"no protocol {args.name!r}; the protocols: "
                          f"{', '.join(sorted(PROTOCOLS))}")
    names = [args.name] if args.name else list(PROTOCOLS)
    print("\n\n".join(_protocol(name, full=args.name is not None) for name in names))
    return 0


def _protocol(name: str, full: bool) -> str:
    import importlib

    from labctl.recipe import PROTOCOLS, ROLES
    from labctl.protocols._params import describe

    module = importlib.import_module(PROTOCOLS[name])
    doc = (module.__doc__ or "").strip()
    about = doc if full else doc.split("\n", 1)[0]
    rows = [[p.name, p.type, p.unit or "-", p.default, p.range or "-", p.doc]
            for p in describe(module.Params)]
    return "\n".join([f"{name}: {about}", f"instruments (roles): {', '.join(ROLES[name])}", "",
                      _table(["parameter", "type", "unit", "default", "range", "description"],
                             rows)])
