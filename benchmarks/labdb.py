"""One lab database, many benches: 8 simulated benches write DC points concurrently into
one PostgreSQL store while readers list runs and export them; vs one bench alone on SQLite.

Each bench is a process with its own `Store` (as one labctl per bench PC): a run, a DC
step, `--points` points committed in batches of `--batch` (one transaction each, as
`PointWriter` commits them). Two reader processes meanwhile list the runs and export
the latest run as CSV, over and over. The server is a throw-away cluster of the
distribution's PostgreSQL (fsync on), unless `--db postgresql://...` names one.
Last line: JSON {"benches": 8, "points_per_s_total": ..., "points_per_s_sqlite_one": ...}.
Run: python benchmarks/labdb.py [--benches 8] [--points 20000] [--batch 100]
"""

from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))   # tests.pgserver

from labctl.store import Store
from labctl.store.export import export_csv


def bench(location: str, name: str, n_points: int, batch: int, go, results) -> None:
    """One bench: a run with one DC step of `n_points`; puts (name, points/s)."""
    with Store.open(location) as store:
        run = store.create_run(f"{name} run", "", {"bench": f"{name}.toml"}, {"name": name})
        step = store.start_step(run, "dc_polarization", {}, 873.15)
        t = np.arange(n_points, dtype=float)
        go.wait()
        start = time.perf_counter()
        for first in range(0, n_points, batch):
            part = t[first:first + batch]
            store.add_dc(step, {"time_s": part, "voltage_V": np.full(len(part), 0.1),
                                "current_A": 1e-6 / (1 + part)}, temperature_K=873.15)
        elapsed = time.perf_counter() - start
        store.finish_step(step, "done")
        store.finish_run(run, "done")
        assert len(store.dc(step)) == n_points
    results.put((name, n_points / elapsed))


def reader(location: str, out: str, go, stop, results) -> None:
    """List the runs and export the latest, until `stop`; puts the number of rounds."""
    rounds = 0
    with Store.open(location, create=False) as store:
        go.wait()
        while not stop.is_set():
            runs = store.runs()
            if runs:
                export_csv(store, runs[-1].id, Path(out))
            rounds += 1
    results.put(("reader", rounds))


def lab(location: str, benches: int, n_points: int, batch: int, out: Path) -> dict:
    ctx = mp.get_context("spawn")
    go, stop, results = ctx.Barrier(benches + 3), ctx.Event(), ctx.Queue()
    Store.open(location).close()   # the schema, before anyone races for it
    writers = [ctx.Process(target=bench, args=(location, f"bench-{i + 1}", n_points, batch,
                                               go, results)) for i in range(benches)]
    readers = [ctx.Process(target=reader, args=(location, str(out / f"r{i}"), go, stop,
                                                results)) for i in range(2)]
    for p in writers + readers:
        p.start()
    go.wait()   # every process has opened its store
    start = time.perf_counter()
    rates = dict(results.get() for _ in writers)
    wall = time.perf_counter() - start
    stop.set()
    rounds = [results.get()[1] for _ in readers]
    for p in writers + readers:
        p.join()
    return {"per_bench": rates, "wall_s": wall, "reader_rounds": rounds,
            "total": benches * n_points / wall}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--benches", type=int, default=8)
    parser.add_argument("--points", type=int, default=20_000, help="points per bench")
    parser.add_argument("--batch", type=int, default=100, help="points per transaction")
    parser.add_argument("--db", help="a PostgreSQL URL (default: a throw-away server)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        server = None
        if args.db is None:
            from tests.pgserver import Server, binaries
            server = Server(binaries(), fsync=True)
            server.start()
            server.admin("CREATE DATABASE lab")
        try:
            result = lab(args.db or server.url("lab"), args.benches, args.points, args.batch,
                         tmp)
        finally:
            if server:
                server.remove()
        ctx = mp.get_context("spawn")
        go, results = ctx.Barrier(2), ctx.Queue()
        one = ctx.Process(target=bench, args=(str(tmp / "one.sqlite"), "sqlite-one",
                                               args.points, args.batch, go, results))
        one.start()
        go.wait()
        sqlite_one = results.get()[1]
        one.join()
    print(f"{args.benches} benches x {args.points} DC points in batches of {args.batch} into "
          f"one PostgreSQL database, 2 readers listing and exporting")
    for name, rate in sorted(result["per_bench"].items()):
        print(f"  {name}: {rate:10.0f} points/s")
    print(f"  total: {result['total']:10.0f} points/s over {result['wall_s']:.2f} s; "
          f"reader rounds {result['reader_rounds']}")
    print(f"one bench alone on SQLite (WAL, synchronous=FULL): {sqlite_one:10.0f} points/s")
    print(json.dumps({"benches": args.benches, "points_per_s_total": round(result["total"]),
                      "points_per_s_per_bench": {k: round(v) for k, v in
                                                 sorted(result["per_bench"].items())},
                      "reader_rounds": result["reader_rounds"],
                      "points_per_s_sqlite_one": round(sqlite_one)}))


if __name__ == "__main__":
    main()
