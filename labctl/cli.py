"""The `labctl` command line: builds the parser from `labctl.commands` modules."""

from __future__ import annotations

import argparse
import importlib
import os
import sys

from labctl import __version__
from labctl.commands import COMMAND_MODULES
from labctl.errors import LabctlError
from labctl.shutdown import Stopped

EXIT_BROKEN_PIPE = 141  # 128 + SIGPIPE, as a shell reports a pipeline's writer


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="labctl",
        description="Run solid-state ion-conductor experiments on real or simulated benches.")
    parser.add_argument("--version", action="version", version=f"labctl {__version__}")
    subparsers = parser.add_subparsers(title="commands", metavar="COMMAND")
    for name in COMMAND_MODULES:
        importlib.import_module(f"labctl.commands.{name}").register(subparsers)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not hasattr(args, "func"):
        parser.print_help()
        return 2
    try:
        code = args.func(args)
        sys.stdout.flush()   # a closed pipe shows here, not at exit
        return code
    except BrokenPipeError:  # `labctl runs show 1 | head -1`: the reader has gone
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return EXIT_BROKEN_PIPE
    except LabctlError as exc:
        print(f"labctl: error: {exc}", file=sys.stderr)
        return 1
    except Stopped as exc:   # see labctl.shutdown
        print(f"labctl: stopped by {exc.signame}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        print("labctl: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
