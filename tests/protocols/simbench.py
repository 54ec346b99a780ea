"""A simulated bench around a sample file a test writes, with the truth the test knows."""

from __future__ import annotations

import tomllib
from contextlib import contextmanager
from importlib import resources
from pathlib import Path
from typing import Iterator

from scipy.constants import zero_Celsius

from labctl.bench import load_bench, open_bench
from labctl.context import InMemoryContext

BENCH = """
[instruments.furnace]
driver = "eurotherm3216"
resource = "sim://furnace"
options = {{ address = 1 }}
limits = {{ max_temperature_C = 900.0, max_ramp_C_per_min = 20.0, safe_temperature_C = 25.0 }}

[instruments.fra]
driver = "solartron1260"
resource = "sim://fra"
limits = {{ amplitude_V = 0.5, bias_V = 2.0 }}

[instruments.smu]
driver = "keithley2450"
resource = "sim://smu"
limits = {{ voltage_V = 5.0, current_A = 0.01 }}

[instruments.lcr]
driver = "keysight_e4980a"
resource = "sim://lcr"
limits = {{ amplitude_V = 0.5, bias_V = 2.0 }}

[instruments.pstat]
driver = "emstat4"
resource = "sim://pstat"
limits = {{ voltage_V = 5.0, current_A = 0.01, amplitude_V = 0.05 }}

[simulation]
sample = "sample.toml"
seed = {seed}
start_temperature_C = {start_C}
"""


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
    bench_file.write_text(BENCH.format(seed=seed, start_C=start_K - zero_Celsius))
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
