"""A bench limit bounds a magnitude: a negative value beyond it is refused like a positive one."""

import pytest

from labctl.bench import load_bench
from labctl.errors import ConfigError
from labctl.recipe import parse_recipe

RECIPE = """[sample]
name = "pellet"
[[steps]]
protocol = "stability_window"
area_m2 = 1e-4
max_voltage_V = 2.0
min_voltage_V = {low}
"""


def test_a_negative_voltage_beyond_the_smus_limit_is_refused_at_validation():
    bench = load_bench("sim")
    assert bench.instruments["smu"].limits["voltage_V"] == 5.0
    parse_recipe(RECIPE.format(low=-5.0), bench)
    with pytest.raises(ConfigError) as refused:
        parse_recipe(RECIPE.format(low=-50.0), bench, source="r.toml")
    assert str(refused.value) == ("r.toml:7 [steps[1].min_voltage_V]: -50 exceeds the limit "
                                  "voltage_V = 5 of 'smu'")
