"""Speed of the simulation physics that every simulated measurement relies on.

- furnace: twelve hours of controller ticks (0.25 s) in one `ControlLoop.update`, as
  virtual seconds per wall-clock second;
- sample: one `step_current` over 100 log-spaced times (one Laplace inversion each), the
  cost behind every simulated SMU reading.
Run: python benchmarks/bench_simulation.py [--repeat N]
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from labctl.simulators.physics.furnace import ControlLoop, Furnace
from labctl.simulators.physics.sample import SampleModel


def best_of(repeat: int, call) -> float:
    """Shortest wall-clock duration of `call()` over `repeat` runs (s)."""
    durations = []
    for _ in range(repeat):
        start = time.perf_counter()
        call()
        durations.append(time.perf_counter() - start)
    return min(durations)


def twelve_hours() -> None:
    loop = ControlLoop(Furnace())
    loop.set_rate(10 / 60)
    loop.set_target(900.0)
    loop.update(12 * 3600.0)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    repeat = parser.parse_args().repeat
    furnace_s = best_of(repeat, twelve_hours)
    print(f"furnace: 12 h of control ticks in {furnace_s * 1e3:.0f} ms "
          f"({12 * 3600 / furnace_s:.3g} x real time)")
    sample, t = SampleModel.default(), np.logspace(-3, 3, 100)
    step_s = best_of(repeat, lambda: sample.step_current(0.1, t, 573.15))
    print(f"sample: step_current at 100 times in {step_s * 1e3:.2f} ms "
          f"({step_s / 100 * 1e6:.1f} us per time)")


if __name__ == "__main__":
    main()
