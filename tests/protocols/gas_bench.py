"""The built-in `sim-gas` bench around a sample file a test writes (e.g. a larger electronic
conductivity, so that |Z| follows the atmosphere visibly)."""

from __future__ import annotations

import tomllib
from contextlib import contextmanager
from importlib import resources
from pathlib import Path
from typing import Iterator

from labctl.bench import load_bench, open_bench
from labctl.context import InMemoryContext
from tests.protocols.simbench import write_sample

BENCHES = resources.files("labctl.simulators").joinpath("benches")
SAMPLES = resources.files("labctl.simulators").joinpath("samples")


def shipped_sample(name: str) -> dict:
    return tomllib.loads(SAMPLES.joinpath(f"{name}.toml").read_text())


@contextmanager
def gas_context(folder: Path, sample: dict, interlocks: str = ""
                ) -> Iterator[tuple[InMemoryContext, object]]:
    """(context with the bench's instruments as roles, bench): sim-gas with `sample`;
    `interlocks` is appended to the bench file (e.g. a changed [instruments.X] table)."""
    write_sample(folder, sample)
    text = BENCHES.joinpath("sim-gas.toml").read_text()
    assert 'sample = "8ysz-po2"' in text
    bench_file = folder / "bench.toml"
    bench_file.write_text(text.replace('sample = "8ysz-po2"', 'sample = "sample.toml"')
                          + interlocks)
    with open_bench(load_bench(bench_file)) as bench:
        yield InMemoryContext(bench.instruments, bench.clock), bench
