"""A runner stand-in: writes DC points at full speed into a store until stdin closes or
LIMIT points are written, then finishes the run.

Prints `run_id step_id`, then the total of acknowledged points after every `add_dc` call
returns. Usage: python writer_proc.py DB BATCH LIMIT
"""

from __future__ import annotations

import sys
import threading

import numpy as np

from labctl.store import Store


def main(db: str, batch: int, limit: int) -> None:
    stop = threading.Event()
    threading.Thread(target=lambda: (sys.stdin.read(), stop.set()), daemon=True).start()
    with Store.open(db) as store:
        run = store.create_run("writer", "", {}, {})
        step = store.start_step(run, "dc_polarization", {}, 300.0)
        print(run, step, flush=True)
        total = 0
        while not stop.is_set() and total < limit:
            t = np.arange(total, total + batch, dtype=float)
            total += store.add_dc(step, {"time_s": t, "voltage_V": 0.1, "current_A": t})
            print(total, flush=True)
        store.finish_run(run, "done")


if __name__ == "__main__":
    main(sys.argv[1], int(sys.argv[2]), int(sys.argv[3]))
