"""`labctl run RECIPE --bench BENCH`: run a recipe unattended; `--resume ID` continues one.

The run goes on in a process of its own (`labctl.runprocess`), which owns the bench and
the database writer; this command follows it in the foreground (`labctl attach`) or, with
`--detach`, returns at once with the run id. Ctrl-C asks whether to abort the run or to
detach (without a terminal to ask: abort, as SIGTERM); SIGHUP (the terminal gone) detaches.

Exit status: 0 when the run is done (or detached); 1 when it failed (or the recipe/bench is
invalid); 128 + signal number when Ctrl-C / SIGTERM aborted it (after the bench went safe).
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import sys
import time
from pathlib import Path

from labctl.commands import arguments, bench_help
from labctl.commands.runs import DB_HELP

EXIT_FAILED, EXIT_ABORTED = 1, 130


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "run", help="run a recipe (temperature program, protocols) on a bench",
        description="Validate RECIPE against the bench, then run it, recording every point.")
    parser.add_argument("recipe", nargs="?", help="recipe TOML file (not with --resume)")
    parser.add_argument("--bench", required=True,
                        help=bench_help())
    parser.add_argument("--sample", metavar="FILE",
                        help="sample TOML file or a shipped sample's name (ysz, li-peo, ...) "
                             "for a simulated bench (its ground truth)")
    parser.add_argument("--seed", type=arguments.seed, help="noise seed of a simulated bench")
    parser.add_argument("--fixture", choices=("open", "short"),
                        help="a simulated bench with this fixture in every pellet's place "
                             "(for the fixture_compensation protocol's runs)")
    parser.add_argument("--speed", type=float, metavar="X",
                        help="the instruments are `labctl sim --speed X`: the run's clock "
                             "runs X times faster than real time too; a simulated bench "
                             "(sim://): simulated time paced to X times real time")
    parser.add_argument("--db", metavar="PATH", help=DB_HELP)
    parser.add_argument("--resume", type=int, metavar="RUN_ID",
                        help="continue an interrupted or failed run from its first "
                             "unfinished step (the recipe is the one stored with it)")
    parser.add_argument("--detach", action="store_true",
                        help="start the run process and return at once with the run id "
                             "(`labctl attach RUN` follows it)")
    parser.set_defaults(func=handler)


def handler(args: argparse.Namespace) -> int:
    from rich.console import Console

    from labctl.bench import load_bench
    from labctl.commands.attach import follow
    from labctl.errors import ConfigError
    from labctl.runprocess import spawn
    from labctl.store import db_path

    if (args.recipe is None) == (args.resume is None):
        raise ConfigError("give a RECIPE file or --resume RUN_ID (one of them)")
    db = db_path(args.db)
    config = with_simulation(load_bench(args.bench), args.seed, args.sample, args.fixture)
    _clock(config, args.speed)
    if args.recipe is not None:          # every problem here, before a process starts
        from labctl.recipe import load_recipe
        for warning in load_recipe(args.recipe, config).warnings:
            print(f"labctl: warning: {warning}", file=sys.stderr)
    spec = {"recipe": args.recipe, "bench": args.bench, "db": str(db), "seed": args.seed,
            "sample": args.sample, "fixture": args.fixture, "resume": args.resume,
            "speed": args.speed}
    process = spawn(spec, wait_for_client=not args.detach)
    if args.detach:
        run_id = process.until("run")
        process.close()
        print(f"run {run_id} started in process {process.pid} (log {process.log_path}); "
              f"follow it with `labctl attach {run_id} --db {db}`")
        return 0
    process.until("listening")
    return follow(process.pid, db, Console(), log_path=process.log_path, starter=process)


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
            fixture: str | None = None, resume: int | None = None,
            speed: float | None = None, console=None, serve=None) -> Outcome:
    """Validate, open the bench, run (or resume) with a progress display, print a summary
    (in this process; `serve(runner)`: a context manager held while the runner is open,
    the run process's channel)."""
    from labctl import events as ev
    from labctl.bench import load_bench, open_bench
    from labctl.notify import notifier_for
    from labctl.recipe import load_recipe, parse_recipe
    from labctl.runner import Runner
    from labctl.runview import RunView, summary
    from labctl.shutdown import StopSignals
    from labctl.store import Store, db_path

    db = db_path(str(db) if db else None)
    config = with_simulation(load_bench(bench_name), seed, sample, fixture)
    if resume is None:
        clock = _clock(config, speed)
        recipe = load_recipe(recipe_path, config)      # every problem before any instrument
        for warning in recipe.warnings:
            print(f"labctl: warning: {warning}", file=sys.stderr)
    else:
        with Store.open(db, create=False) as store:
            text = store.run(resume).recipe_text
            last = store.resume_info(resume).last_point_time_s
        recipe = parse_recipe(text, config, source=f"<recipe of run {resume}>")
        clock = _clock(config, speed, last)
    notifier = notifier_for(db)          # the user's [notify]: its problems before any instrument
    view = RunView(console)
    started = time.monotonic()
    runner = None

    def stop_run(signame: str) -> None:
        if runner is not None:
            runner.stop(f"stopped by {signame}")

    with StopSignals(on_signal=stop_run) as stop, notifier or contextlib.nullcontext():
        with open_bench(config, clock) as bench, Runner(recipe, bench, db) as runner, \
                (serve or _nothing)(runner) as channel:
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
            closing = (f"{duration_text(simulated)} of bench time in {wall:.1f} s"
                       f"{f' ({simulated / wall:,.0f}x real time)' if wall > 0 else ''}")
            if channel is not None:       # the clients' last message
                channel.publish(ev.LogMessage(runner.run_id, "info", closing))
    with Store.open(db, create=False) as store:
        console.print(summary(store, runner.run_id))
    console.print(f"{closing}; database {db} (labctl runs show {runner.run_id} --db {db})")
    code = {"done": 0, "failed": EXIT_FAILED}.get(runner.status, stop.exit_code or EXIT_ABORTED)
    return Outcome(runner.run_id, runner.status, runner.reason, simulated, wall, code)


@contextlib.contextmanager
def _nothing(runner):
    yield None


def duration_text(seconds: float) -> str:
    return f"{seconds / 3600:.2f} h" if seconds >= 3600 else f"{seconds:.0f} s"


def with_simulation(config, seed: int | None, sample: str | Path | None,
                    fixture: str | None = None):
    """The bench config with `--seed`/`--sample`/`--fixture` applied to its simulation
    (the fixture in the one sample's and every pellet's place)."""
    from labctl.errors import ConfigError
    from labctl.simulators.physics.sample_file import locate

    if seed is None and sample is None and fixture is None:
        return config
    if not config.simulated:
        raise ConfigError("--seed, --sample and --fixture apply to simulated benches only",
                          file=config.source)
    updates: dict = {"seed": seed} if seed is not None else {}
    if sample is not None:
        updates["sample"] = str(locate(sample).resolve())
    if fixture is not None:
        updates["fixture"] = fixture
        updates["pellets"] = {name: {**pellet, "fixture": fixture}
                              for name, pellet in config.simulation.get("pellets", {}).items()}
    return dataclasses.replace(config, simulation={**config.simulation, **updates})


def _clock(config, speed: float | None, last_point_time_s: float | None = None):
    """The run's clock: `--speed X` on a bench served by `labctl sim --speed X`: X times
    real time; on a simulated (`sim://`) bench: simulated time paced to X times real time
    (watchable, as in the GUI), else as fast as it computes. A resumed simulated run's
    clock continues after its last point (times stay ordered)."""
    from labctl.clock import PacedClock, ScaledClock, VirtualClock
    from labctl.errors import ConfigError

    if speed is not None and not speed > 0:
        raise ConfigError(f"--speed must be > 0, got {speed:g}", file=config.source)
    if not config.simulated:
        return None if speed is None else ScaledClock(speed)
    start = 0.0 if last_point_time_s is None else last_point_time_s + 1.0
    return VirtualClock(start=start) if speed is None else PacedClock(speed, start=start)
