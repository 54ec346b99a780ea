"""`labctl sim`: serve the simulated bench on loopback TCP ports and pseudo-terminals.

Other programs (labctl on a real-bench configuration, PyMeasure, minimalmodbus, a VISA
test panel) talk to the simulated instruments exactly as to real ones until stopped
(Ctrl-C, SIGTERM or SIGHUP: see labctl.shutdown). Lines on the standard input give the
served instruments faults (labctl.simulators.control).
"""

from __future__ import annotations

import argparse
import os
import sys
import threading

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
    from labctl.simulators.control import USAGE as control_usage

    config = load_bench(args.bench)
    if not config.simulated:
        raise ConfigError("no simulated instrument to serve (a resource sim://NAME)",
                          file=config.source)
    simulation = SimBench.from_config(config, clock=ScaledClock(args.speed),
                                      seed=args.seed, sample=args.sample)
    with StopSignals() as stop:   # Ctrl-C, kill, hang-up: servers and ptys closed
        try:
            served = simulation.serve()
            print(f"Simulating {_samples(simulation.world)}, time x{args.speed:g}")
            for name, resource in served.items():
                print(f"  {name:<10} {simulation.drivers[name]:<16} {resource}")
            if args.write_bench:
                simulation.write_bench(args.write_bench, served, config)
                print(f"Bench file written: {args.write_bench}")
            print("Serving; press Ctrl-C to stop. Faults: type " + control_usage, flush=True)
            threading.Thread(target=_take_faults, args=(simulation, config, args),
                             daemon=True, name="sim-faults").start()
            stop.wait()
        finally:
            simulation.close()
        print("Stopped.", flush=True)
    return stop.exit_code



def _samples(world) -> str:
    """What the world simulates: its sample, or its pellets (a bench of several)."""
    if world.pellets:
        return "pellets " + ", ".join(f"{name} ({pellet.sample.sample.name!r})"
                                      for name, pellet in world.pellets.items())
    return f"sample {world.sample.sample.name!r} ({world.sample.source})"


def _take_faults(simulation, config, args: argparse.Namespace) -> None:
    """Apply each line of the standard input (until its end) to the served instruments;
    a pty plugged in again at a new path goes into the bench file too. A terminal is read
    only while `labctl sim` runs in its foreground (reading it from the background would
    stop the process)."""
    from labctl.simulators import control

    if sys.stdin is None or sys.stdin.isatty() and not _in_foreground():
        return
    written = simulation.resources()
    for line in sys.stdin:
        if line.strip():
            print(control.apply(simulation, line), flush=True)
            if args.write_bench and simulation.resources() != written:
                written = simulation.resources()
                simulation.write_bench(args.write_bench, written, config)


def _in_foreground() -> bool:
    try:
        return os.tcgetpgrp(sys.stdin.fileno()) == os.getpgrp()
    except OSError:
        return False
