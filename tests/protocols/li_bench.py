"""A simulated bench around a Li | polymer | Li cell (the shipped li-peo sample, changed as
a test needs), with roles for either instrument pair."""

from __future__ import annotations

import tomllib
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

from labctl.bench import load_bench, open_bench
from labctl.context import InMemoryContext
from labctl.simulators.physics.sample_file import shipped_sample
from labctl.units import K_to_C
from tests.benches import ANALYZER_LIMITS, SMU_LIMITS, bench, instrument
from tests.protocols.simbench import write_sample

def bench_toml(seed: int, start_K: float) -> str:
    """Solartron + Keithley and an EmStat4 around `sample.toml`."""
    return bench(instrument("fra", "solartron1260", limits=ANALYZER_LIMITS),
                 instrument("smu", "keithley2450", limits=SMU_LIMITS),
                 instrument("pstat", "emstat4",
                            limits={**SMU_LIMITS, "voltage_V": 3.0, "amplitude_V": 0.05}),
                 sample="sample.toml", seed=seed, start_temperature_C=K_to_C(start_K))


PAIRS = {"keithley+solartron": {"fra": "fra", "smu": "smu"},
         "emstat4": {"fra": "pstat", "smu": "pstat"}}


def li_sample(**changes: float) -> dict:
    """The shipped Li sample as tables, with `table__key=value` changes."""
    data = tomllib.loads(shipped_sample("li-peo").read_text())
    for key, value in changes.items():
        table, name = key.split("__")
        data[table][name] = value
    return data


@contextmanager
def li_context(folder: Path, sample: dict, start_K: float, pair: str = "keithley+solartron",
               seed: int = 0) -> Iterator[tuple[InMemoryContext, object]]:
    """(context with roles fra/smu of `pair`, bench), the cell held at `start_K`."""
    write_sample(folder, sample)
    bench_file = folder / "bench.toml"
    bench_file.write_text(bench_toml(seed, start_K))
    with open_bench(load_bench(bench_file)) as bench:
        roles = {role: bench[name] for role, name in PAIRS[pair].items()}
        yield InMemoryContext(roles, bench.clock, temperature_K=start_K), bench
