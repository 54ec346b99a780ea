"""`labctl bench check BENCH`: validate a bench file, open every instrument, print its
identity, limits and interlocks, and close them in their safe state."""

from __future__ import annotations

import argparse

from labctl.commands import bench_help


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("bench", help="check a bench file and its instruments")
    sub = parser.add_subparsers(title="bench commands", metavar="ACTION", required=True)
    check = sub.add_parser("check", help="open every instrument, print identity and limits")
    check.add_argument("bench", help=bench_help())
    check.set_defaults(func=run_check)


def run_check(args: argparse.Namespace) -> int:
    from labctl.bench import load_bench, open_bench
    from labctl.interlocks import describe as describe_interlocks

    config = load_bench(args.bench)
    print(f"Bench {config.source}: {len(config.instruments)} instruments, configuration valid")
    with open_bench(config) as bench:
        for name, instrument in bench.instruments.items():
            spec = config.instruments[name]
            limits = ", ".join(f"{k} = {v:g}" for k, v in spec.limits.items()) or "none"
            print(f"  {name:<10} {spec.driver:<16} {spec.resource}")
            print(f"  {'':<10} identity: {instrument.identify()}")
            print(f"  {'':<10} limits:   {limits}")
            print(f"  {'':<10} interlocks: {describe_interlocks(spec.interlocks)}")
    print("All instruments answered and were left in their safe state.")
    return 0
