"""`labctl run RECIPE --bench BENCH`: run a recipe unattended; `--resume ID` continues one.

Exit status: 0 when the run is done; 1 when it failed (or the recipe/bench is invalid);
128 + signal number when Ctrl-C / SIGTERM aborted it (after the bench went safe).
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import sys
import time
from pathlib import Path

from labctl.commands import arguments
from labctl.commands.runs import DB_HELP

EXIT_FAILED, EXIT_ABORTED = 1, 130


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "run", help="run a recipe (temperature program, protocols) on a bench",
        description="Validate RECIPE against the bench, then run it, recording every point.")
    parser.add_argument("recipe", nargs="?", help="recipe TOML file (not with --resume)")
    parser.add_argument("--bench", required=True,
                        help="bench TOML file, or a built-in simulated bench: sim, sim-full")
    parser.add_argument("--sample", metavar="FILE",
                        help="sample TOML file or a shipped sample's name (ysz, li-peo, ...) "
                             "for a simulated bench (its ground truth)")
    parser.add_argument("--seed", type=arguments.seed, help="noise seed of a simulated bench")
    parser.add_argument("--speed", type=float, metavar="X",
                        help="the instruments are `labctl sim --speed X`: the run's clock "
                             "runs X times faster than real time too")
    parser.add_argument("--db", metavar="PATH", help=DB_HELP)
    parser.add_argument("--resume", type=int, metavar="RUN_ID",
                        help="continue an interrupted or failed run from its first "
                             "unfinished step (the recipe is the one stored with it)")
    parser.set_defaults(func=handler)


def handler(args: argparse.Namespace) -> int:
    from rich.console import Console

    from labctl.errors import ConfigError

    if (args.recipe is None) == (args.resume is None):
        raise ConfigError("give a RECIPE file or --resume RUN_ID (one of them)")
    outcome = execute(args.recipe, args.bench, db=args.db, seed=args.seed,
                      sample=args.sample, resume=args.resume, speed=args.speed,
                      console=Console())
    return outcome.exit_code


@dataclasses.dataclass(frozen=True)
class Outcome:
    run_id: int | None
    status: str             # done, failed, aborted
    reason: str
    simulated_s: float      # bench-clock time the run took
    wall_s: float
    exit_code: int


def execute(recipe_path: str | Path | None, bench_name: str | Path, *, db: str | Path | None,
            seed: int | None = None, sample: str | Path | None = None,
            resume: int | None = None, speed: float | None = None, console=None) -> Outcome:
    """Validate, open the bench, run (or resume) with a progress display, print a summary."""
    from labctl.bench import load_bench, open_bench
    from labctl.notify import notifier_for
    from labctl.recipe import load_recipe, parse_recipe
    from labctl.runner import Runner
    from labctl.runview import RunView, summary
    from labctl.shutdown import StopSignals
    from labctl.store import Store, db_path

    db = db_path(str(db) if db else None)
    config = _simulation(load_bench(bench_name), seed, sample)
    clock = _scaled_clock(config, speed)
    if resume is None:
        recipe = load_recipe(recipe_path, config)      # every problem before any instrument
        for warning in recipe.warnings:
            print(f"labctl: warning: {warning}", file=sys.stderr)
    else:
        with Store.open(db, create=False) as store:
            text = store.run(resume).recipe_text
            last = store.resume_info(resume).last_point_time_s
        recipe = parse_recipe(text, config, source=f"<recipe of run {resume}>")
        clock = clock or _resumed_clock(config, last)
    notifier = notifier_for(db)          # the user's [notify]: its problems before any instrument
    view = RunView(console)
    started = time.monotonic()
    runner = None

    def stop_run(signame: str) -> None:
        if runner is not None:
            runner.stop(f"stopped by {signame}")

    with StopSignals(on_signal=stop_run) as stop, notifier or contextlib.nullcontext():
        with open_bench(config, clock) as bench, Runner(recipe, bench, db) as runner:
            stop.check()                  # a signal while the bench opened: start nothing
            runner.subscribe(view.subscriber)
            if notifier:
                runner.subscribe(notifier)
            t0 = bench.clock.now()
            with view.progress:
                future = runner.start(resume=resume)
                while not (future.done() and view.events.empty()):
                    view.pump(timeout=0.2)
            future.result()
            simulated = bench.clock.now() - t0
    wall = time.monotonic() - started
    with Store.open(db, create=False) as store:
        console.print(summary(store, runner.run_id))
    console.print(f"{duration_text(simulated)} of bench time in {wall:.1f} s"
                  f"{f' ({simulated / wall:,.0f}x real time)' if wall > 0 else ''}; "
                  f"database {db} (labctl runs show {runner.run_id} --db {db})")
    code = {"done": 0, "failed": EXIT_FAILED}.get(runner.status, stop.exit_code or EXIT_ABORTED)
    return Outcome(runner.run_id, runner.status, runner.reason, simulated, wall, code)


def duration_text(seconds: float) -> str:
    return f"{seconds / 3600:.2f} h" if seconds >= 3600 else f"{seconds:.0f} s"


def _simulation(config, seed: int | None, sample: str | Path | None):
    """The bench config with `--seed`/`--sample` applied to its simulation."""
    from labctl.errors import ConfigError
    from labctl.simulators.physics.sample_file import locate

    if seed is None and sample is None:
        return config
    if not config.simulated:
        raise ConfigError("--seed and --sample apply to simulated benches only",
                          file=config.source)
    updates = {"seed": seed} if seed is not None else {}
    if sample is not None:
        updates["sample"] = str(locate(sample).resolve())
    return dataclasses.replace(config, simulation={**config.simulation, **updates})


def _scaled_clock(config, speed: float | None):
    """`--speed X`: a clock X times faster than real time, for a bench of served simulators."""
    from labctl.clock import ScaledClock
    from labctl.errors import ConfigError

    if speed is None:
        return None
    if config.simulated or not speed > 0:
        raise ConfigError("--speed X (> 0) is for benches served by `labctl sim --speed X`; "
                          "sim:// instruments run on a virtual clock", file=config.source)
    return ScaledClock(speed)


def _resumed_clock(config, last_point_time_s: float | None):
    """A simulated bench's clock continues after the run's last point (times stay ordered)."""
    from labctl.clock import VirtualClock

    if not config.simulated:
        return None
    return VirtualClock(start=(last_point_time_s or 0.0) + 1.0)
