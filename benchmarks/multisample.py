"""Four pellets in one furnace run against one: simulated time of the same program.

The program of `examples/multisample.toml` (or --recipe) on the built-in bench `sim-multi`
(a 7001 matrix joining the FRA and the SMU to four pellets), through the runner on the
virtual clock, twice: with its first [[samples]] table only, and with all of them. The
furnace program (plateaus, ramps, stabilization) is the same; with four pellets each
plateau also measures the others, the SMU's polarizations beside the FRA's spectra
(`labctl.lanes`). Four separate runs would take about 4x one.
Run: python benchmarks/multisample.py [--recipe PATH] [--side-by-side off]
Last line: {"one_sample_s": ..., "four_samples_s": ..., "ratio": ...}
"""

from __future__ import annotations

import argparse
import json
import tempfile
import tomllib
from pathlib import Path

import tomli_w

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "multisample.toml"


def simulated_s(text: str, db: Path, side_by_side: bool = True) -> float:
    """Bench-clock seconds the recipe `text` takes on `sim-multi` (the run must end done)."""
    from labctl import several_samples
    from labctl.bench import load_bench, open_bench
    from labctl.recipe import parse_recipe
    from labctl.runner import Runner

    config = load_bench("sim-multi")
    recipe = parse_recipe(text, config, source=str(db.with_suffix(".toml")))
    if not side_by_side:
        several_samples.side_by_side = lambda steps, wiring: False
    with open_bench(config) as bench, Runner(recipe, bench, db) as runner:
        t0 = bench.clock.now()
        status = runner.start().result()
        elapsed = bench.clock.now() - t0
    if status != "done":
        raise SystemExit(f"the run ended {status!r}: {runner.reason}")
    return elapsed


def first_sample_only(text: str) -> str:
    """The recipe with its first [[samples]] table only (its body steps for that one)."""
    data = tomllib.loads(text)
    data["samples"] = data["samples"][:1]
    kept = data["samples"][0]["name"]
    program = data.get("program", {})
    program["body"] = [dict(step, **({"samples": [kept]} if "samples" in step else {}))
                       for step in program.get("body", []) if kept in step.get("samples", [kept])]
    return tomli_w.dumps(data)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--recipe", type=Path, default=EXAMPLE)
    parser.add_argument("--side-by-side", choices=("on", "off"), default="on")
    args = parser.parse_args()
    text = args.recipe.read_text()
    with tempfile.TemporaryDirectory() as tmp:
        one = simulated_s(first_sample_only(text), Path(tmp) / "one.sqlite")
        four = simulated_s(text, Path(tmp) / "four.sqlite", args.side_by_side == "on")
    print(f"one sample: {one / 3600:.2f} h, four samples: {four / 3600:.2f} h of simulated time")
    print(json.dumps({"one_sample_s": round(one, 1), "four_samples_s": round(four, 1),
                      "ratio": round(four / one, 3)}))


if __name__ == "__main__":
    main()
