"""`labctl examples [--out DIR]`: copy the shipped example recipes, benches and sample
files into a folder, for a user to edit and run (`labctl run DIR/arrhenius.toml --bench sim`)."""

from __future__ import annotations

import argparse
from importlib import resources
from importlib.resources.abc import Traversable
from pathlib import Path


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "examples", help="copy the example recipes, benches and sample files to edit",
        description="Copy the shipped examples (recipes, bench files) and the simulators' "
                    "sample files (OUT/samples/) into OUT. Existing files are kept.")
    parser.add_argument("--out", default="examples", metavar="DIR",
                        help="folder to copy into (default: %(default)s)")
    parser.set_defaults(func=handler)


def shipped_files() -> dict[str, Traversable]:
    """Relative name -> shipped file: the examples, and samples/NAME.toml."""
    examples = resources.files("labctl").joinpath("examples")
    samples = resources.files("labctl.simulators").joinpath("samples")
    found = {e.name: e for e in examples.iterdir() if e.name.endswith(".toml")}
    found.update({f"samples/{e.name}": e for e in samples.iterdir() if e.name.endswith(".toml")})
    return dict(sorted(found.items()))


def handler(args: argparse.Namespace) -> int:
    from labctl.errors import LabctlError
    from labctl.outputs import output_folder, writing

    shipped = Path(str(resources.files("labctl").joinpath("examples"))).resolve()
    if Path(args.out).resolve() == shipped:
        raise LabctlError(f"{args.out} is the shipped examples folder itself ({shipped}): "
                          "choose another with --out")
    out = output_folder(args.out, "examples folder")
    kept = []
    for name, source in shipped_files().items():
        target = out / name
        if target.exists():
            kept.append(name)
            continue
        with writing(target, "example file") as path:
            path.parent.mkdir(exist_ok=True)
            path.write_text(source.read_text(encoding="utf-8"), encoding="utf-8")
        print(f"  {Path(args.out) / name}")
    if kept:
        print(f"kept {len(kept)} existing file(s) unchanged: {', '.join(kept)}")
    print(f"Try: labctl run {Path(args.out) / 'arrhenius.toml'} --bench sim")
    return 0
