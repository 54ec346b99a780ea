"""The example bench files users copy are valid, and the simulated one opens."""

from pathlib import Path

import pytest

from labctl.bench import load_bench, open_bench

EXAMPLE_DIR = Path(__file__).parents[2] / "examples"
EXAMPLES = sorted(EXAMPLE_DIR.glob("bench-*.toml"))


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.name)
def test_example_bench_is_valid(path):
    config = load_bench(path)
    assert config.instruments


def test_simulated_example_opens_and_measures(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # the sample path is relative to the bench file, not here
    with open_bench(load_bench(EXAMPLE_DIR / "bench-simulated.toml")) as bench:
        assert bench.simulation.world.sample.source.endswith("ysz.toml")
        assert bench.simulation.world.sample_temperature_K() == pytest.approx(573.15, abs=0.5)
        point = bench["pstat"].measure(1e3, 0.01)
        expected = bench.simulation.world.sample.impedance(1e3, 573.15)
        assert abs(point.impedance_Ohm - expected) / abs(expected) < 0.02
