"""A simulated Ni, NiO | YSZ | air formation cell in the furnace, read by a DMM6500, with the
truth of its cell reaction."""

from __future__ import annotations

import math
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

from scipy.constants import bar, gas_constant

from labctl.bench import load_bench, open_bench
from labctl.context import InMemoryContext
from labctl.simulators.physics.galvanic import NI_NIO
from labctl.units import K_to_C
from tests.benches import FURNACE_LIMITS, bench, instrument
from tests.protocols.simbench import default_sample, write_sample

AIR_PA = 21228.0
CELL = {**NI_NIO, "reference_pO2_Pa": AIR_PA, "settling_s": 300.0, "noise_V": 20e-6}


def truth(cell: dict = CELL) -> tuple[float, float]:
    """(dS, dH) of the cell reaction with O2 at the reference pressure."""
    oxygen = cell["electrons"] / 4 * gas_constant * math.log(cell["reference_pO2_Pa"] / bar)
    return cell["dS_J_per_mol_K"] + oxygen, cell["dH_J_per_mol"]


@contextmanager
def emf_context(folder: Path, start_K: float, cell: dict = CELL, seed: int = 0
                ) -> Iterator[tuple[InMemoryContext, object]]:
    """(context with roles voltmeter and furnace, bench), the cell held at `start_K`."""
    write_sample(folder, {**default_sample(), "galvanic_cell": cell})
    bench_file = folder / "bench.toml"
    bench_file.write_text(bench(
        instrument("furnace", "eurotherm3216", options={"address": 1}, limits=FURNACE_LIMITS),
        instrument("voltmeter", "zirconia"),
        sample="sample.toml", seed=seed, start_temperature_C=K_to_C(start_K)))
    with open_bench(load_bench(bench_file)) as opened:
        yield InMemoryContext(opened.instruments, opened.clock, temperature_K=start_K), opened
