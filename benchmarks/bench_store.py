"""Throughput of the store into the DC table vs a plain sqlite3 `executemany` baseline.

Both write the same rows in the same batches, one commit per batch, into a database with
the same schema (WAL, synchronous=FULL); the baseline gets ready-made row tuples and no
foreign-key checks, the store converts numpy columns, checks the step and enforces keys.
Run: python benchmarks/bench_store.py [--points N] [--batch B]
"""

from __future__ import annotations

import argparse
import sqlite3
import tempfile
import time
from pathlib import Path

import numpy as np

from labctl.capabilities import CurrentReading
from labctl.store import Store


def batches(n_points: int, batch: int):
    """Column batches of synthetic DC readings (numpy arrays)."""
    for start in range(0, n_points, batch):
        t = np.arange(start, min(start + batch, n_points), dtype=float)
        yield {"time_s": t, "voltage_V": np.full(len(t), 0.1), "current_A": 1e-6 / (1 + t)}


def new_step(path: Path) -> tuple[Store, int]:
    store = Store.open(path)
    run = store.create_run("bench", "", {}, {})
    return store, store.start_step(run, "dc_polarization", {}, 1073.15)


def bench_store(path: Path, n_points: int, batch: int, objects: bool) -> float:
    """Columns of numpy arrays, or (`objects`) lists of `CurrentReading`."""
    store, step = new_step(path)
    data = list(batches(n_points, batch))
    if objects:
        data = [[CurrentReading(*r) for r in zip(c["time_s"].tolist(), c["voltage_V"].tolist(),
                                                 c["current_A"].tolist())] for c in data]
    start = time.perf_counter()
    for cols in data:
        store.add_dc(step, cols, temperature_K=1073.15)
    elapsed = time.perf_counter() - start
    assert len(store.dc(step)) == n_points
    store.close()
    return n_points / elapsed


def bench_baseline(path: Path, n_points: int, batch: int) -> float:
    store, step = new_step(path)
    store.close()
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA synchronous = FULL")  # WAL mode persists in the file
    data = [list(zip([step] * len(c["time_s"]), c["time_s"].tolist(), c["voltage_V"].tolist(),
                     c["current_A"].tolist(), [1073.15] * len(c["time_s"])))
            for c in batches(n_points, batch)]
    start = time.perf_counter()
    for rows in data:
        conn.execute("BEGIN")
        conn.executemany("INSERT INTO dc_points (step_id, time_s, voltage_V, current_A, "
                         "temperature_K) VALUES (?,?,?,?,?)", rows)
        conn.execute("COMMIT")
    elapsed = time.perf_counter() - start
    conn.close()
    return n_points / elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--points", type=int, default=1_000_000)
    parser.add_argument("--batch", type=int, default=1000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        base = bench_baseline(Path(tmp) / "baseline.sqlite", args.points, args.batch)
        arrays = bench_store(Path(tmp) / "arrays.sqlite", args.points, args.batch, False)
        objects = bench_store(Path(tmp) / "objects.sqlite", args.points, args.batch, True)
    print(f"{args.points} DC points in batches of {args.batch}")
    print(f"{'baseline executemany:':37s} {base:10,.0f} points/s")
    for label, rate in (("numpy columns", arrays), ("CurrentReading objects", objects)):
        print(f"{f'Store.add_dc, {label}:':37s} {rate:10,.0f} points/s  "
              f"(ratio {rate / base:.2f})")

if __name__ == "__main__":
    main()
