"""`labctl sim`: serve the simulated bench on loopback TCP ports and pseudo-terminals.

Other programs (labctl on a real-bench configuration, PyMeasure, minimalmodbus, a VISA
test panel) talk to the simulated instruments exactly as to real ones until stopped
(Ctrl-C, SIGTERM or SIGHUP: see labctl.shutdown).
"""

from __future__ import annotations

import argparse

from labctl.commands import arguments, bench_help


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("sim", help="serve simulated instruments on TCP ports / ptys")
    parser.add_argument("--bench", default="sim-full",
                        help="the bench whose sim:// instruments to serve: "
                             + bench_help() + " (default: %(default)s, every simulated "
                             "instrument)")
    parser.add_argument("--sample", help="sample TOML file or a shipped sample's name "
                                         "(default: the shipped default sample)")
    parser.add_argument("--seed", type=arguments.seed,
                        help="noise seed (default: the bench's, else 0)")
    parser.add_argument("--speed", type=arguments.speed, default=1.0,
                        help="simulated time runs SPEED times faster than real time "
                             f"(at most {arguments.MAX_SPEED:g})")
    parser.add_argument("--write-bench", metavar="PATH",
                        help="write a bench file whose resources point at the served instruments")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from labctl.bench import load_bench
    from labctl.clock import ScaledClock
    from labctl.errors import ConfigError
    from labctl.shutdown import StopSignals
    from labctl.simulators.bench import SimBench

    config = load_bench(args.bench)
    if not config.simulated:
        raise ConfigError("no simulated instrument to serve (a resource sim://NAME)",
                          file=config.source)
    simulation = SimBench.from_config(config, clock=ScaledClock(args.speed),
                                      seed=args.seed, sample=args.sample)
    with StopSignals() as stop:   # Ctrl-C, kill, hang-up: servers and ptys closed
        try:
            served = simulation.serve()
            print(f"Simulating sample {simulation.world.sample.sample.name!r} "
                  f"({simulation.world.sample.source}), time x{args.speed:g}")
            for name, resource in served.items():
                print(f"  {name:<10} {simulation.drivers[name]:<16} {resource}")
            if args.write_bench:
                simulation.write_bench(args.write_bench, served, config)
                print(f"Bench file written: {args.write_bench}")
            print("Serving; press Ctrl-C to stop.", flush=True)
            stop.wait()
        finally:
            simulation.close()
        print("Stopped.", flush=True)
    return stop.exit_code
