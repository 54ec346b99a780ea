"""Recipes with [[samples]]: positions per sample, sample-specific values, and the bench's
channel map checked before anything is opened (unwired pellets, conflicts), each problem
with file, line and field."""

from __future__ import annotations

import pytest

from labctl.bench import load_bench
from labctl.recipe import parse_recipe
from tests.recipe.test_recipe import problems

HEAD = """
[sample]
name = "a furnace day"

[[samples]]
name = "A1"
pellet = "A"
thickness_m = 1e-3
area_m2 = 1e-4

[[samples]]
name = "C1"
pellet = "C"
thickness_m = 0.5e-3
area_m2 = 2e-4
at_C = [400]
eis = { start_Hz = 3e5 }
"""
PROGRAM = """
[program]
temperatures_C = [300, 400]
ramp_C_per_min = 10
stabilize = { reference_Hz = 1000.0 }

[[program.body]]
protocol = "eis"
start_Hz = 1e5

[[program.body]]
protocol = "dc_polarization"
samples = ["A1"]
voltage_V = 0.1
"""


@pytest.fixture(scope="module")
def multi():
    return load_bench("sim-multi")


def line_of(text, needle, nth=1):
    return [i for i, line in enumerate(text.splitlines(), 1) if needle in line][nth - 1]


def test_each_sample_gets_its_positions_geometry_and_own_values(multi):
    recipe = parse_recipe(HEAD + PROGRAM, multi)
    steps = {s.path: s for s in recipe.steps}
    assert list(steps) == [
        "program[1]/stabilize", "program[1]/A1/eis", "program[1]/A1/dc_polarization",
        "program[2]/stabilize", "program[2]/A1/eis", "program[2]/A1/dc_polarization",
        "program[2]/C1/eis", "final/cool_down"]
    assert steps["program[1]/stabilize"].position.samples == ("A1",)
    assert steps["program[2]/stabilize"].position.samples == ("A1", "C1")
    assert steps["program[2]/C1/eis"].position.sample == "C1"
    assert steps["program[2]/C1/eis"].params.start_Hz == 3e5          # its own value
    assert steps["program[2]/A1/eis"].params.start_Hz == 1e5
    assert recipe.sample == {"name": "a furnace day", "samples": [   # with the bench's
        {"name": "A1", "thickness_m": 1e-3, "area_m2": 1e-4, "pellet": "A",   # calibration
         "temperature_offset_K": multi.temperature_offsets_K["A"]},          # of each
        {"name": "C1", "thickness_m": 0.5e-3, "area_m2": 2e-4, "pellet": "C",  # position
         "temperature_offset_K": multi.temperature_offsets_K["C"]}]}


def test_a_pellet_the_channel_map_does_not_route_is_refused_at_its_line(multi):
    text = HEAD.replace('pellet = "C"', 'pellet = "E"') + PROGRAM
    found = problems(text, multi)
    key = (line_of(text, 'pellet = "E"'), "samples[2].pellet")
    assert "pellet 'E' is wired to no terminal of instrument 'fra'" in found[key]
    assert "program.body[1] (eis)" in found[key] or "stabilize" in found[key]


def test_a_step_joining_one_pellet_to_two_instruments_is_refused(multi):
    """The transference protocol needs the FRA and the SMU on the pellet at once: through
    the matrix that would short the two instruments together."""
    text = HEAD + PROGRAM + '\n[[program.body]]\nprotocol = "transference"\n'
    found = problems(text, multi)
    reasons = [r for (_, field), r in found.items() if field == "samples[1].pellet"]
    assert any("sample A on instruments fra and smu (they would be shorted together)" in r
               and "program.body[3] (transference)" in r for r in reasons)


@pytest.mark.parametrize("change, field, reason", [
    (('name = "C1"', 'name = "A1"'), "samples[2].name", "a second sample named 'A1'"),
    (('pellet = "C"', 'pellet = "A"'), "samples[2].pellet", "pellet 'A' is samples[1]'s too"),
    (("at_C = [400]", "at_C = [450]"), "samples[2].at_C",
     "450 degC is not a temperature of the program"),
    (("eis = { start_Hz = 3e5 }", "eis = { start_Hz = -1 }"), "samples[2].eis.start_Hz", ""),
    (('samples = ["A1"]', 'samples = ["Z9"]'), "program.body[2].samples",
     "must be a list of [[samples]] names (A1, C1)"),
    (("at_C = [400]", "at_C = [400]\ntemperature_offset_K = 2.0"),
     "samples[2].temperature_offset_K", "a pellet position's calibration, not the sample's"),
    (('name = "a furnace day"', 'name = "a furnace day"\ntemperature_offset_K = 2.0'),
     "sample.temperature_offset_K", "[positions.PELLET] temperature_offset_K in the bench"),
])
def test_sample_problems_name_their_table_and_key(multi, change, field, reason):
    text = (HEAD + PROGRAM).replace(*change)
    found = problems(text, multi)
    assert any(f == field and reason in r and line for (line, f), r in found.items()), found


def test_several_samples_need_a_bench_with_a_switch():
    found = problems(HEAD + PROGRAM, load_bench("sim"))
    assert any(f == "samples" and "need a switch with a channel map" in r
               for (_, f), r in found.items())


def test_a_problem_of_a_body_step_is_reported_once_not_per_sample(multi):
    text = HEAD + PROGRAM.replace("voltage_V = 0.1", "voltage_V = 0.1\nbogus = 1").replace(
        'samples = ["A1"]\n', "")
    found = problems(text, multi)
    assert [f for (_, f) in found] == ["program.body[2].bogus"]
