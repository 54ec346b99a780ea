"""`labctl demo`: run a complete simulated experiment and write its results and plots."""

from __future__ import annotations

import argparse
from pathlib import Path


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("demo", help="run a complete simulated experiment")
    parser.add_argument("--out", default="demo-output", help="output folder (default: %(default)s)")
    parser.add_argument("--db", help="database (default: OUT/labctl-demo.sqlite)")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    import time

    from rich.console import Console
    from rich.table import Table

    from labctl import demo
    from labctl.shutdown import StopSignals

    console = Console()
    out = Path(args.out)
    db = Path(args.db) if args.db else out / "labctl-demo.sqlite"
    started = time.monotonic()
    with StopSignals() as stop, console.status("starting the simulated bench") as status:
        def progress(message: str) -> None:
            console.log(message)
            status.update(message)

        run_id, results = demo.run(out, db, progress=progress, checkpoint=stop.check)
    table = Table(title=f"Run {run_id}: results (estimates vs the simulated sample's truth)")
    for column in ("T / C", "R_ion / Ohm", "sigma / (S/m)", "true sigma", "t_ion", "true t_ion"):
        table.add_column(column, justify="right")
    for r in results:
        table.add_row(f"{r.temperature_K - 273.15:.0f}", f"{r.r_ion_Ohm:.4g}",
                      f"{r.sigma_S_per_m:.4g}", f"{r.true_sigma_S_per_m:.4g}",
                      f"{r.t_ion:.4f}", f"{r.true_t_ion:.4f}")
    console.print(table)
    console.print(f"Activation energy of the total conductivity: "
                  f"{demo.activation_energy_eV(results):.3f} eV (simulated sample: "
                  f"{demo.activation_energy_eV(results, 'true_sigma_S_per_m'):.3f} eV)")
    console.print(f"Database: {db}   (labctl runs --db {db})")
    console.print(f"Spectra, CSV and plots: {out}/   ({time.monotonic() - started:.1f} s)")
    return 0
