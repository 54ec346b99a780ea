"""Per-query round trip of labctl's Keithley 2450 driver vs PyMeasure's, same instrument.

Both drivers talk to the same simulated 2450 that `labctl sim` serves on loopback TCP, through
pyvisa-py, and send the same query sequence (queries whose bytes are identical in both
drivers: source voltage, current limit, NPLC, output state). Rounds are interleaved, one
connection open at a time; the figure is the median time per query of each driver.
Run: python benchmarks/driver_overhead.py [--rounds N] [--queries Q]
Last line: {"labctl_us": ..., "pymeasure_us": ..., "labctl_over_pymeasure": ...}
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

# (labctl property, PyMeasure property): both send the same query text
QUERIES = (("voltage_V", "source_voltage"),            # :SOUR:VOLT?
           ("current_limit_A", "compliance_current"),  # :SOUR:VOLT:ILIM?
           ("nplc", "current_nplc"),                   # :SENS:CURR:NPLC?
           ("output_on", "source_enabled"))            # :OUTP?


def serve(folder: Path) -> tuple[subprocess.Popen, str]:
    """Start `labctl sim --bench sim`; return the process and the SMU's VISA resource."""
    bench_file = folder / "served.toml"
    server = subprocess.Popen(
        [sys.executable, "-m", "labctl.cli", "sim", "--bench", "sim", "--write-bench",
         str(bench_file)], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    for line in server.stdout:
        if line.startswith("Serving"):
            break
    else:
        raise SystemExit(f"labctl sim did not start (exit {server.wait()})")
    from labctl.bench import load_bench

    return server, load_bench(bench_file).instruments["smu"].resource


def timed(getters, queries: int) -> list[float]:
    """Seconds per call of each getter, `queries` calls in the QUERIES order."""
    times = []
    for i in range(queries):
        get = getters[i % len(getters)]
        start = time.perf_counter()
        get()
        times.append(time.perf_counter() - start)
    return times


def labctl_round(resource: str, queries: int) -> list[float]:
    from labctl.drivers.keithley2450 import Keithley2450

    with Keithley2450.open(resource) as smu:
        smu.identify()
        return timed([lambda p=p: getattr(smu, p) for p, _ in QUERIES], queries)


def pymeasure_round(resource: str, queries: int) -> list[float]:
    from pymeasure.instruments.keithley import Keithley2450

    smu = Keithley2450(resource, visa_library="@py", read_termination="\n",
                       write_termination="\n", timeout=5000)
    try:
        smu.id
        return timed([lambda p=p: getattr(smu, p) for _, p in QUERIES], queries)
    finally:
        smu.adapter.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=10)
    parser.add_argument("--queries", type=int, default=200, help="queries per round")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        server, resource = serve(Path(tmp))
        try:
            ours, theirs = [], []
            for _ in range(args.rounds):
                ours += labctl_round(resource, args.queries)
                theirs += pymeasure_round(resource, args.queries)
        finally:
            server.terminate()
            try:
                server.wait(timeout=10)
            except subprocess.TimeoutExpired:
                server.kill()
                server.wait()
    labctl_us = statistics.median(ours) * 1e6
    pymeasure_us = statistics.median(theirs) * 1e6
    print(f"{'driver':<10} {'median us/query':>16} {'p90 us':>10}  ({len(ours)} queries each,"
          f" {args.rounds} interleaved rounds)")
    for name, t in (("labctl", ours), ("pymeasure", theirs)):
        print(f"{name:<10} {statistics.median(t) * 1e6:>16.1f} "
              f"{statistics.quantiles(t, n=10)[-1] * 1e6:>10.1f}")
    print(json.dumps({"labctl_us": round(labctl_us, 1), "pymeasure_us": round(pymeasure_us, 1),
                      "labctl_over_pymeasure": round(labctl_us / pymeasure_us, 3)}))


if __name__ == "__main__":
    main()
