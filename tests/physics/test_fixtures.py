"""Simulated fixtures in a pellet's place (bench key `fixture`): what an instrument then
measures through the channel's lead, and bad values named in the bench file."""

from __future__ import annotations

import math

import numpy as np
import pytest

from labctl.bench import open_bench, parse_bench
from labctl.errors import ConfigError
from labctl.simulators.physics.pellets import Lead

BENCH = """
[instruments.fra]
driver = "solartron1260"
resource = "sim://fra"

[simulation]
fixture = 1000.0

[simulation.pellets.A]
sample = "ysz"
fixture = "short"

[simulation.pellets.B]
sample = "ysz"
fixture = "open"
"""


def test_the_bench_fits_fixtures_and_the_lead_shows_through_them():
    with open_bench(parse_bench(BENCH, "bench.toml")) as bench:
        world = bench.simulation.world
        assert world.fixtures == {None: 1000.0, "A": 0.0, "B": math.inf}
        lead = Lead(series_R_Ohm=1.0, stray_C_F=30e-12, lead_L_H=0.8e-6)
        f = np.array([1e3, 1e6])
        jw = 2j * np.pi * f
        world.route("fra", "A", lead)
        assert np.allclose(world.impedance_seen("fra", f), 1.0 + jw * 0.8e-6)
        world.route("fra", "B", lead)
        assert np.allclose(world.impedance_seen("fra", f), 1.0 + jw * 0.8e-6 + 1 / (jw * 30e-12))


@pytest.mark.parametrize("old, new, field", [
    ('fixture = "short"', 'fixture = "closed"', "simulation.pellets"),
    ("fixture = 1000.0", "fixture = -5.0", "simulation.fixture")])
def test_a_bad_fixture_is_named(old, new, field):
    with pytest.raises(ConfigError, match=field.replace(".", r"\.")):
        parse_bench(BENCH.replace(old, new), "bench.toml")
