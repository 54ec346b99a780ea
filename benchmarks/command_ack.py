"""Time from a client's command to the run process's acknowledgement, both ways a client
can ask: over the channel (Unix socket: `Ack` once the runner took the command) and through
the store (`labctl pause RUN`: handled at the run's next checkpoint).

A run process on the built-in simulated bench, its clock paced (`--speed`); alternating
pause/resume. Run: python benchmarks/command_ack.py [--repeat N] [--speed X]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path

from labctl.channel import RunClient
from labctl.runprocess import spawn, wait_gone
from labctl.store import Store

RECIPE = """
[sample]
name = "pellet"
thickness_m = 0.5e-3
area_m2 = 1e-4
[program]
temperatures_C = [25]
ramp_C_per_min = 10.0
stabilize = { band_K = 5.0, window_s = 30.0, poll_s = 10.0 }
[[program.body]]
protocol = "dc_polarization"
voltage_V = 0.5
t_ion_tolerance = 1e-6
iss_relative_tolerance = 1e-4
max_duration_s = 86400.0
"""


def stats(label: str, seconds: list[float]) -> None:
    ms = sorted(s * 1000 for s in seconds)
    print(f"{label:34s} median {statistics.median(ms):8.2f} ms   max {ms[-1]:8.2f} ms   "
          f"(n = {len(ms)})")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=20)
    parser.add_argument("--speed", type=float, default=100.0)
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="labctl-ack-"))
    (folder / "r.toml").write_text(RECIPE)
    db = folder / "lab.sqlite"
    process = spawn({"recipe": str(folder / "r.toml"), "bench": "sim", "db": str(db),
                     "speed": args.speed}, wait_for_client=False)
    run_id = process.until("run")
    process.close()
    channel, store_s = [], []
    with RunClient(process.pid) as client:
        for i in range(args.repeat):
            ack, _, seconds = client.command("pause" if i % 2 == 0 else "resume")
            assert ack.ok, ack.message
            channel.append(seconds)
        if args.repeat % 2:                # left paused
            client.command("resume")
        with Store.open(db) as store:
            for i in range(args.repeat):
                asked = store.request(run_id, "pause" if i % 2 == 0 else "resume")
                while (handled := store.requests(run_id)[-1]).handled_utc is None:
                    time.sleep(0.001)
                store_s.append((datetime.fromisoformat(handled.handled_utc)
                                - datetime.fromisoformat(asked.requested_utc)).total_seconds())
        client.command("abort")
    wait_gone(process.pid)
    print(f"run process {process.pid}, bench clock paced at {args.speed:g}x; {sys.platform}")
    stats("channel: command -> Ack", channel)
    stats("store request -> handled", store_s)


if __name__ == "__main__":
    main()
