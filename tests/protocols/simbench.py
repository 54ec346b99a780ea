"""A simulated bench around a sample file a test writes, with the truth the test knows."""

from __future__ import annotations

import tomllib
from contextlib import contextmanager
from importlib import resources
from pathlib import Path
from typing import Iterator

from labctl.bench import load_bench, open_bench
from labctl.context import InMemoryContext
from labctl.units import K_to_C
from tests.benches import (ANALYZER_LIMITS, FURNACE_LIMITS, SMU_LIMITS, bench,
                           instrument)

def bench_toml(seed: int, start_K: float) -> str:
    """Furnace, Solartron, Keithley, Keysight and EmStat4 around `sample.toml`."""
    return bench(instrument("furnace", "eurotherm3216", options={"address": 1},
                            limits=FURNACE_LIMITS),
                 instrument("fra", "solartron1260", limits=ANALYZER_LIMITS),
                 instrument("smu", "keithley2450", limits=SMU_LIMITS),
                 instrument("lcr", "keysight_e4980a", limits=ANALYZER_LIMITS),
                 instrument("pstat", "emstat4", limits={**SMU_LIMITS, "amplitude_V": 0.05}),
                 sample="sample.toml", seed=seed, start_temperature_C=K_to_C(start_K))


def default_sample() -> dict:
    text = resources.files("labctl.simulators").joinpath("samples/default.toml").read_text()
    return tomllib.loads(text)


def write_sample(folder: Path, data: dict) -> Path:
    lines = []
    for table, values in data.items():
        lines.append(f"[{table}]")
        lines += [f'{key} = "{value}"' if isinstance(value, str) else f"{key} = {float(value)!r}"
                  for key, value in values.items()]
    path = folder / "sample.toml"
    path.write_text("\n".join(lines) + "\n")
    return path


@contextmanager
def sim_context(folder: Path, sample: dict | None = None, start_K: float = 623.15,
                seed: int = 0, roles: dict[str, str] | None = None
                ) -> Iterator[tuple[InMemoryContext, object]]:
    """(context with roles fra/smu/furnace, bench) with the sample held at `start_K`;
    `roles` maps a role to another bench instrument (e.g. {"smu": "pstat"})."""
    write_sample(folder, sample or default_sample())
    bench_file = folder / "bench.toml"
    bench_file.write_text(bench_toml(seed, start_K))
    with open_bench(load_bench(bench_file)) as bench:
        instruments = {**bench.instruments,
                       **{role: bench.instruments[name] for role, name in (roles or {}).items()}}
        yield InMemoryContext(instruments, bench.clock, temperature_K=start_K), bench


SMUS = ("smu", "pstat")              # every bench instrument that can play the role
FRAS = ("fra", "lcr", "pstat")


def output_on(bench, name: str) -> bool:
    """Whether the simulated instrument `name` drives the cell (output / cell on)."""
    device = bench.simulation.devices[name]
    return device.cell.on if name == "pstat" else bool(device.output)


def sample_with_t_ion(t_ion: float, T_K: float = 623.15) -> dict:
    """The default sample with an electronic path giving ionic transference `t_ion` at T_K."""
    from labctl.simulators.physics.sample import SampleModel

    data = default_sample()
    r = SampleModel.from_dict(data).resistances(T_K)
    r_e = (r["bulk"] + r["grain_boundary"]) * t_ion / (1 - t_ion)
    geometry = data["sample"]
    data["electronic"] = {"sigma_ref_S_per_m": geometry["thickness_m"] / (r_e * geometry["area_m2"]),
                          "T_ref_K": T_K, "Ea_eV": 1.2}
    return data
