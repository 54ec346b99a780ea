"""`labctl demo`: run the example recipe on the simulated bench; results, exports, plots."""

from __future__ import annotations

import argparse
from pathlib import Path


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("demo", help="run a complete simulated experiment")
    parser.add_argument("--out", default="demo-output", help="output folder (default: %(default)s)")
    parser.add_argument("--db", help="database (default: OUT/labctl-demo.sqlite)")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from rich.console import Console
    from rich.table import Table

    from labctl import demo
    from labctl.outputs import output_folder
    from labctl.units import K_to_C

    console = Console()
    out = output_folder(args.out, "demo output folder")
    console.print(f"labctl demo: {demo.EXAMPLE} on the built-in simulated bench 'sim'")
    outcome, results, db = demo.run(out, Path(args.db) if args.db else None, console=console)
    if results:
        table = Table(title=f"Run {outcome.run_id}: protocol results vs the simulated "
                            "sample's truth")
        for column in ("T / C", "R_ion / Ohm", "sigma / (S/m)", "true sigma", "t_ion",
                       "true t_ion"):
            table.add_column(column, justify="right")
        for r in results:
            table.add_row(f"{K_to_C(r.temperature_K):.0f}", f"{r.r_ion_Ohm:.4g}",
                          f"{r.sigma_S_per_m:.4g}", f"{r.true_sigma_S_per_m:.4g}",
                          f"{r.t_ion:.4f}", f"{r.true_t_ion:.4f}")
        console.print(table)
    if len(results) >= 2:
        console.print(f"Activation energy of the total conductivity: "
                      f"{demo.activation_energy_eV(results):.3f} eV (simulated sample: "
                      f"{demo.activation_energy_eV(results, 'true_sigma_S_per_m'):.3f} eV)")
    console.print(f"Database: {db}   (labctl runs show {outcome.run_id} --db {db})")
    if outcome.status == "done":
        console.print(f"Spectra (.z), CSV and plots: {out}/")
        console.print(f"Analysis report (labctl analyze {outcome.run_id}: circuit fits, "
                      f"Arrhenius, t_ion, stability window): {out / 'analysis' / 'index.html'}")
    return outcome.exit_code
