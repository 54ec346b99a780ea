"""A bench's pellet positions: each position's temperature calibration, validated with
file, line and field like the rest of the bench file."""

from __future__ import annotations

import pytest

from labctl.bench import parse_bench
from labctl.configfile import ConfigProblems
from labctl.errors import ConfigError
from labctl.simulators import builtin_benches

MULTI = builtin_benches()["sim-multi"].read_text()


def problems(text):
    with pytest.raises(ConfigError) as info:
        parse_bench(text, "holder.toml")
    items = info.value.problems if isinstance(info.value, ConfigProblems) else [info.value]
    return {(p.line, p.field): p.reason for p in items}


def line_of(text, needle):
    return next(i for i, line in enumerate(text.splitlines(), 1) if needle in line)


def test_each_calibrated_position_gives_its_offset():
    config = parse_bench(MULTI, "holder.toml")
    assert config.temperature_offsets_K == {"A": -1.9, "B": 1.6, "C": -3.1, "D": 0.9}
    uncalibrated = MULTI.replace("[positions.D]\ntemperature_offset_K = 0.9\n", "")
    assert "D" not in parse_bench(uncalibrated, "holder.toml").temperature_offsets_K


@pytest.mark.parametrize("change, field, reason", [
    (("[positions.D]", "[positions.E]"), "positions.E",
     "no switch's channel map names pellet 'E' (names: A, B, C, D)"),
    (("temperature_offset_K = 0.9", "temperature_offset_K = 60.0"),
     "positions.D.temperature_offset_K", "required, a number of kelvin within +-50"),
    (("temperature_offset_K = 0.9", "temperature_offset_K = \"1 K\""),
     "positions.D.temperature_offset_K", "got '1 K'"),
    (("temperature_offset_K = 0.9", "temperature_offset_C = 0.9"),
     "positions.D.temperature_offset_C", "unknown key (expected temperature_offset_K)"),
])
def test_a_bad_position_names_file_line_and_field(change, field, reason):
    text = MULTI.replace(*change)
    found = problems(text)
    assert any(f == field and reason in r and line == line_of(text, change[1])
               for (line, f), r in found.items()), found


def test_positions_need_a_switch_that_names_them():
    text = MULTI.split("[instruments.matrix]")[0] + "[positions.A]\ntemperature_offset_K = 1.0\n"
    assert problems(text) == {(line_of(text, "[positions.A]"), "positions.A"):
                              "no switch's channel map names pellet 'A' (names: none)"}


def test_labctl_sim_writes_the_holders_calibration_into_the_bench_it_serves(tmp_path):
    from labctl.bench import load_bench
    from labctl.simulators.bench import SimBench

    config = load_bench("sim-multi")
    simulation = SimBench.from_config(config)
    served = {name: f"TCPIP::127.0.0.1::{5025 + i}::SOCKET"
              for i, name in enumerate(simulation.devices)}
    simulation.write_bench(tmp_path / "served.toml", served, config)
    assert load_bench(tmp_path / "served.toml").temperature_offsets_K == \
        config.temperature_offsets_K == {"A": -1.9, "B": 1.6, "C": -3.1, "D": 0.9}
