"""Start-up time of `labctl --help` (target: well under 0.3 s) against bare `python -c pass`.

Run: python benchmarks/bench_cli_startup.py
"""

import statistics
import subprocess
import sys
import time


def best_of(cmd: list[str], runs: int = 15) -> float:
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        subprocess.run(cmd, check=True, capture_output=True)
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


if __name__ == "__main__":
    python = best_of([sys.executable, "-c", "pass"])
    labctl = best_of([sys.executable, "-m", "labctl.cli", "--help"])
    print(f"python -c pass:       {python * 1000:6.1f} ms (median)")
    print(f"labctl --help:        {labctl * 1000:6.1f} ms (median)")
    print(f"ratio to bare python: {labctl / python:6.2f}x  (target: < 0.3 s absolute)")
