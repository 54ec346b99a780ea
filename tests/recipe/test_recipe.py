"""Recipe files: the shipped example, positions, roles, limits, and every problem at once
with file, line and step.key."""

from __future__ import annotations

import pytest
from scipy.constants import zero_Celsius

from labctl.bench import load_bench, parse_bench
from labctl.configfile import ConfigProblems
from labctl.errors import ConfigError
from labctl.recipe import load_recipe, one_step_recipe, parse_recipe
from tests.benches import instrument

EXAMPLE = "examples/arrhenius.toml"
MINIMAL = """
[sample]
name = "pellet"
area_m2 = 1e-4

[program]
temperatures_C = [300, 400]
ramp_C_per_min = 10
"""


@pytest.fixture(scope="module")
def sim():
    return load_bench("sim")


def test_the_example_has_five_plateaus_with_eis_and_dc_and_one_stability_window(sim):
    recipe = load_recipe(EXAMPLE, sim)
    kinds = [s.kind for s in recipe.steps]
    plateaus = {s.position.group for s in recipe.steps if s.position.group}
    assert len(plateaus) >= 5
    for group in plateaus:
        at = [s.kind for s in recipe.steps if s.position.group == group]
        assert at[0] == "stabilize" and {"eis", "dc_polarization"} <= set(at)
    assert kinds.count("stability_window") == 1 and kinds[-1] == "cool_down"
    assert len({s.path for s in recipe.steps}) == len(recipe.steps)   # positions unique
    assert recipe.sample["area_m2"] == 1e-4 and recipe.text.startswith("# An Arrhenius")


def test_a_range_program_plateaus_at_and_positions(sim):
    text = MINIMAL.replace("temperatures_C = [300, 400]",
                           "start_C = 500\nstop_C = 300\nstep_C = -100") + """
[[program.body]]
protocol = "eis"
[[program.body]]
protocol = "eis"
at_C = [400]
[[steps]]
protocol = "stabilize"
target_K = 350.0
[[steps]]
protocol = "eis"
"""
    recipe = parse_recipe(text, sim)
    assert [(s.path, s.position.temperature_K) for s in recipe.steps] == [
        ("program[1]/stabilize", 500 + zero_Celsius), ("program[1]/eis", 500 + zero_Celsius),
        ("program[2]/stabilize", 400 + zero_Celsius), ("program[2]/eis", 400 + zero_Celsius),
        ("program[2]/eis#2", 400 + zero_Celsius),
        ("program[3]/stabilize", 300 + zero_Celsius), ("program[3]/eis", 300 + zero_Celsius),
        ("steps[1]/stabilize", 350.0), ("steps[2]/eis", 350.0), ("final/cool_down", None)]
    assert recipe.steps[1].position.roles == {"fra": "fra", "furnace": "furnace", "smu": "smu",
                                              "load": "smu"}   # the one source-meter
    assert recipe.steps[0].params.ramp_rate_K_per_s == pytest.approx(10 / 60)


def test_the_sample_geometry_fills_a_protocols_area(sim):
    recipe = parse_recipe(MINIMAL + '[[steps]]\nprotocol = "stability_window"\n', sim)
    assert recipe.steps[-2].params.area_m2 == 1e-4


def problems(text, bench):
    with pytest.raises(ConfigError) as info:
        parse_recipe(text, bench, source="r.toml")
    items = info.value.problems if isinstance(info.value, ConfigProblems) else [info.value]
    return {(p.line, p.field): p.reason for p in items}


def test_every_problem_is_reported_with_line_and_step_key(sim):
    text = MINIMAL.replace("ramp_C_per_min = 10", "ramp_C_per_min = 50\nstabilize = { band_K = 'x' }") \
        + """
[[program.body]]
protocol = "eis"
amplitude_V = 0.9
[[program.body]]
protocol = "dc_polarization"
voltage_V = 7.0
wobble = 1
at_C = [333]
[[steps]]
protocol = "teleport"
[roles]
smu = "furnace"
"""
    found = problems(text, sim)
    assert found[(8, "program.ramp_C_per_min")] == \
        "50 exceeds the limit max_ramp_C_per_min = 20 of 'furnace'"
    assert found[(9, "program.stabilize.band_K")] == "must be a number, got 'x'"
    assert found[(13, "program.body[1].amplitude_V")] == \
        "0.9 exceeds the limit amplitude_V = 0.5 of 'fra'"
    assert found[(17, "program.body[2].wobble")].startswith("unknown parameter")
    assert found[(18, "program.body[2].at_C")] == "333 degC is not a temperature of the program"
    assert found[(20, "steps[1].protocol")].startswith("required, one of")
    assert found[(22, "roles.smu")] == "instrument 'furnace' (eurotherm3216) cannot play role 'smu'"
    assert len(found) == 7


@pytest.mark.parametrize("text, field, reason", [
    ("", "steps", "a recipe needs a [program] or at least one [[steps]] table"),
    (MINIMAL.replace("[300, 400]", "[300, 1000]"), "program.temperatures_C",
     "1000 exceeds the limit max_temperature_C = 900 of 'furnace'"),
    (MINIMAL.replace('name = "pellet"', ""), "sample.name", "required, a non-empty string"),
    (MINIMAL + "[final]\ncool_down = 1\n", "final.cool_down", "must be true or false"),
    (MINIMAL + "[colour]\n", "colour", "unknown table (expected one of final, program, roles, "
                                       "run, sample, samples, steps)"),
    ('[sample]\nname = "p"\n[[steps]]\nprotocol = "stability_window"\n', "steps[1].area_m2",
     "required (or set area_m2 in [sample])"),
])
def test_single_problems(sim, text, field, reason):
    found = problems(text, sim)
    assert reason in [r for (_, f), r in found.items() if f == field]


def test_a_missing_role_names_the_steps_that_need_it():
    bench = load_bench("sim-full")   # two temperature controllers: furnace and stage
    recipe = parse_recipe(MINIMAL + '[[steps]]\nprotocol = "dc_polarization"\n', bench)
    assert recipe.steps[-1].position.roles == {"fra": "fra", "furnace": "furnace", "smu": "smu",
                                               "o2": "o2", "n2": "n2", "o2sensor": "o2sensor",
                                               "voltmeter": "o2sensor"}
    two = parse_bench("".join(instrument(n, "solartron1260") for n in ("left", "right")),
                      source="two.toml")
    found = problems('[sample]\nname = "p"\n[[steps]]\nprotocol = "eis"\n', two)
    assert found == {(None, "roles.fra"): "needed by steps[1]: bench two.toml has 2 instrument(s) "
                                          "for it (left, right); name one here"}


def test_one_step_recipe_is_validated_like_a_file(sim):
    recipe = one_step_recipe("eis", {"amplitude_V": 0.02}, sim)
    (step,) = recipe.steps
    assert (step.path, step.params.amplitude_V) == ("steps[1]/eis", 0.02)
    assert step.position.roles == {"fra": "fra", "furnace": "furnace", "smu": "smu", "load": "smu"}
    with pytest.raises(ConfigError, match=r"<one-off eis> \[steps\[1\].amplitude_V\]: 0.9 exceeds"):
        one_step_recipe("eis", {"amplitude_V": 0.9}, sim)


def test_stabilizing_on_the_impedance_needs_an_analyzer():
    furnace_only = parse_bench(instrument("oven", "eurotherm3216"), source="oven.toml")
    text = MINIMAL.replace("ramp_C_per_min = 10", "ramp_C_per_min = 10\n"
                           "stabilize = { reference_Hz = 1e3 }")
    assert problems(text, furnace_only) == {(None, "roles.fra"): (
        "needed by program.stabilize: bench oven.toml has no instrument(s) for it; name one here")}
    assert parse_recipe(MINIMAL, furnace_only).steps[0].position.roles == {"furnace": "oven"}
