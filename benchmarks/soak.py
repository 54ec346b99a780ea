"""Long-run memory: a week of simulated temperature cycling through the runner, RSS sampled.

The program cycles the built-in simulated bench between 300 and 450 degC in 50 K steps and
measures an impedance spectrum at every plateau (one every ~10-15 simulated minutes), through
the same recipe -> runner -> protocols -> drivers -> store path as `labctl run`, on the
virtual clock, until a week of bench time has passed. Resident memory (RSS, from
/proc/self/statm) is sampled after every finished step; the growth ratio compares the end
with the RSS after the first simulated day (imports, caches and the first spectra are in
both), so it shows growth with run length only.
Run: python benchmarks/soak.py [--days 7]
Last line: {"days": ..., "rss_start_MB": ..., "rss_end_MB": ..., "rss_growth_ratio": ...,
            "points": ..., "wall_s": ...}
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
import time
from pathlib import Path

DAY_S = 86400.0
CYCLE_C = [300, 350, 400, 450, 400, 350]
PAGE_MB = os.sysconf("SC_PAGE_SIZE") / 2**20


def rss_MB() -> float:
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * PAGE_MB


def recipe_text(plateaus: int) -> str:
    temperatures = [CYCLE_C[i % len(CYCLE_C)] for i in range(plateaus)]
    return f"""
[run]
name = "soak: {plateaus} plateaus, EIS at each"
[sample]
name = "demo pellet"
thickness_m = 0.5e-3
area_m2 = 1.0e-4
[program]
temperatures_C = {temperatures}
ramp_C_per_min = 10.0
stabilize = {{ band_K = 0.5, window_s = 300.0, poll_s = 30.0, max_wait_s = 7200.0 }}
[[program.body]]
protocol = "eis"
start_Hz = 1.0e6
stop_Hz = 0.1
points_per_decade = 5
amplitude_V = 0.02
"""


def main() -> None:
    from labctl import events as ev
    from labctl.bench import load_bench, open_bench
    from labctl.recipe import parse_recipe
    from labctl.runner import Runner
    from labctl.store import Store

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--days", type=float, default=7.0)
    args = parser.parse_args()
    config = load_bench("sim")
    samples: list[tuple[float, float]] = []      # (bench time since start, RSS MB)
    points = 0

    def on_event(event) -> None:
        nonlocal points
        if isinstance(event, ev.PointRecorded):
            points += 1
        elif isinstance(event, ev.StepFinished):
            samples.append((bench.clock.now() - t0, rss_MB()))
            if samples[-1][0] >= args.days * DAY_S:
                runner.abort("soak: enough simulated time")

    plateaus = min(1000, int(args.days * DAY_S / 600))   # more than the days can hold
    recipe = parse_recipe(recipe_text(plateaus), config, source="<soak recipe>")
    started = time.monotonic()
    with tempfile.TemporaryDirectory() as tmp, open_bench(config) as bench, \
            Runner(recipe, bench, Path(tmp) / "soak.sqlite") as runner:
        runner.subscribe(on_event)
        t0 = bench.clock.now()
        runner.start().result()
        simulated_s = bench.clock.now() - t0
        with Store.open(Path(tmp) / "soak.sqlite", create=False) as store:
            stored = store.run(runner.run_id).points
    wall = time.monotonic() - started
    first_day = next(rss for t, rss in samples if t >= min(DAY_S, samples[-1][0]))
    end = samples[-1][1]
    print(f"{simulated_s / DAY_S:.2f} simulated days in {wall:.0f} s wall; "
          f"{stored} points stored ({points} reported); {len(samples)} steps")
    for day in range(int(simulated_s // DAY_S) + 1):
        rss = [r for t, r in samples if day * DAY_S <= t < (day + 1) * DAY_S]
        if rss:
            print(f"  day {day + 1}: RSS {min(rss):7.1f} .. {max(rss):7.1f} MB")
    print(json.dumps({"days": round(simulated_s / DAY_S, 2), "rss_start_MB": round(first_day, 1),
                      "rss_end_MB": round(end, 1), "rss_growth_ratio": round(end / first_day, 3),
                      "points": stored, "wall_s": round(wall, 1)}))


if __name__ == "__main__":
    main()
