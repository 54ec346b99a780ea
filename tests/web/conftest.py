"""A database with a finished two-plateau run (spectra at each, a polarization at the
last) on the simulated bench."""

from __future__ import annotations

import pytest

from labctl.bench import load_bench, open_bench
from labctl.recipe import parse_recipe
from labctl.runner import Runner

RECIPE = """
[sample]
name = "YSZ-web"
thickness_m = 1e-3
area_m2 = 5e-5
[program]
temperatures_C = [350, 400]
ramp_C_per_min = 10
[[program.body]]
protocol = "eis"
start_Hz = 1e6
stop_Hz = 1
points_per_decade = 5
[[program.body]]
protocol = "dc_polarization"
at_C = [400]
"""


@pytest.fixture(scope="module")
def db(tmp_path_factory):
    path = tmp_path_factory.mktemp("web") / "lab.sqlite"
    config = load_bench("sim")
    with open_bench(config) as bench, \
            Runner(parse_recipe(RECIPE, config), bench, path) as runner:
        assert runner.start().result(120) == "done"
    return path
