"""Preflight: every step checked against the ranges of the instrument that plays its role
(and the bench's limits) at validation, one message per problem with file, line and key,
naming the instrument and its range; the drivers refuse exactly the same values."""

from __future__ import annotations

import pytest
from scipy.constants import zero_Celsius

from labctl.bench import load_bench, open_bench, parse_bench
from labctl.configfile import ConfigProblems
from labctl.errors import ConfigError, RangeError
from labctl.recipe import check_setpoint, parse_recipe
from labctl.registry import load_driver
from tests.benches import bench, instrument

PROGRAM = """[sample]
name = "pellet"
thickness_m = 0.5e-3
area_m2 = 1e-4

[roles]
fra = "{fra}"

[program]
temperatures_C = [{temperatures}]
ramp_C_per_min = 10

[[program.body]]
protocol = "eis"
{body}
"""
BODY_LINE = 15


@pytest.fixture(scope="module")
def full():
    return load_bench("sim-full")


def problems(text, bench):
    with pytest.raises(ConfigError) as info:
        parse_recipe(text, bench, source="r.toml")
    return info.value.problems if isinstance(info.value, ConfigProblems) else [info.value]


def only_problem(text, bench):
    found = problems(text, bench)
    assert len(found) == 1, [str(p) for p in found]
    return found[0]


@pytest.mark.parametrize("fra, body, field, expected", [
    ("fra", "start_Hz = 5e7", "start_Hz", "'fra' (solartron1260) can do: 5e-05 .. 3.2e+07 Hz"),
    ("fra", "stop_Hz = 1e-6", "stop_Hz", "1e-06 Hz is outside what 'fra' (solartron1260)"),
    ("fra", "stop_Hz = 3e-5", "stop_Hz", "5 integration cycles within 100000 s"),
    ("lcr", "stop_Hz = 0.1", "stop_Hz", "0.1 Hz is outside what 'lcr' (keysight_e4980a) can "
                                        "do: 20 .. 2e+06 Hz"),
    ("lcr", "start_Hz = 1e7\nstop_Hz = 100", "start_Hz", "1e+07 Hz is outside what 'lcr'"),
    ("fra", "frequencies_Hz = [1e3, 1e4, 5e7, 6e7]", "frequencies_Hz",
     "5e+07, 6e+07 Hz is outside"),
    ("fra", "start_Hz = 1e5\nstop_Hz = 1e4\npoints_per_decade = 2", "points_per_decade",
     "gives 3 frequencies; the spectrum's Kramers-Kronig check needs at least 4"),
    ("pstat", "amplitude_V = 0.04", "start_Hz", "1e+06 Hz is outside what 'pstat' (emstat4) "
                                                "can do: 1e-05 .. 200000 Hz"),
])
def test_eis_frequencies_outside_the_analyzer_are_one_message_naming_it(full, fra, body, field,
                                                                         expected):
    problem = only_problem(PROGRAM.format(fra=fra, temperatures="300", body=body), full)
    assert problem.field == f"program.body[1].{field}"
    lines = [i for i, line in enumerate(body.splitlines()) if line.startswith(field)]
    assert problem.line == (BODY_LINE + lines[0] if lines else BODY_LINE - 2)  # default: header
    assert expected in problem.reason
    assert "integration_s" not in problem.reason


@pytest.mark.parametrize("temperature", [-50, 0, 24])
def test_a_heating_only_furnace_reaches_nothing_below_ambient(full, temperature):
    problem = only_problem(PROGRAM.format(fra="fra", temperatures=temperature, body=""), full)
    assert (problem.line, problem.field) == (10, "program.temperatures_C")
    assert problem.reason == (f"{temperature:g} degC is outside what 'furnace' (eurotherm3216) "
                              "can reach: 25 .. 900 degC (heating only: nothing below ambient; "
                              "limit max_temperature_C = 900 of the bench)")


def test_each_unreachable_temperature_is_its_own_problem_and_reachable_ones_pass(full):
    found = problems(PROGRAM.format(fra="fra", temperatures="-50, 0, 25, 300", body=""), full)
    assert [p.reason.split(" is ")[0] for p in found] == ["-50 degC", "0 degC"]
    assert parse_recipe(PROGRAM.format(fra="fra", temperatures="25, 900", body=""), full)


def test_a_cryostat_controller_may_go_below_ambient(full):
    text = PROGRAM.format(fra='fra"\nfurnace = "stage', temperatures="-50", body="")
    recipe = parse_recipe(text, full)
    assert recipe.steps[0].position.roles["furnace"] == "stage"
    assert recipe.steps[0].params.target_K == pytest.approx(-50 + zero_Celsius)


def test_a_standalone_set_point_below_ambient_names_the_step(full):
    text = '[sample]\nname = "p"\n[[steps]]\nprotocol = "stabilize"\ntarget_K = 250.0\n'
    problem = only_problem(text, full)
    assert (problem.line, problem.field) == (5, "steps[1].target_K")
    assert problem.reason.startswith("-23.15 degC is outside what 'furnace' (eurotherm3216)")


def test_over_the_bench_limit_and_the_range_is_one_message_the_limit(full):
    problem = only_problem(PROGRAM.format(fra="fra", temperatures="1500", body=""), full)
    assert problem.reason == "1500 exceeds the limit max_temperature_C = 900 of 'furnace'"


LR_BENCH = bench(instrument("furnace", "eurotherm3216"),
                 instrument("pstat", "emstat4", options={"model": "LR"}))


@pytest.mark.parametrize("step, field, expected", [
    ("protocol = 'stability_window'\nmax_voltage_V = 4.0\nmin_voltage_V = -3.0", "max_voltage_V",
     "4 V is outside what 'pstat' (emstat4) can do: -3 .. 3 V (EmStat4 LR)"),
    ("protocol = 'stability_window'\nmin_voltage_V = -4.0\nmax_voltage_V = 3.0", "min_voltage_V",
     "-4 V is outside"),
    ("protocol = 'dc_polarization'\ncurrent_limit_A = 0.05", "current_limit_A",
     "0.05 A is outside what 'pstat' (emstat4) can do: 0 .. 0.01 A (EmStat4 LR)"),
    ("protocol = 'eis'\nstart_Hz = 1e5\namplitude_V = 0.95", "amplitude_V",
     "0.95 V is outside what 'pstat' (emstat4) can do: 0 .. 0.9 V"),
])
def test_source_ranges_follow_the_bench_options_of_the_instrument(step, field, expected):
    bench = parse_bench(LR_BENCH)
    text = f'[sample]\nname = "p"\narea_m2 = 1e-4\n[[steps]]\n{step}\n'
    problem = only_problem(text, bench)
    assert problem.field == f"steps[1].{field}" and expected in problem.reason


def test_a_potentiostats_dc_bias_respects_its_potential_limit(full):
    problem = only_problem(PROGRAM.format(fra="pstat", temperatures="300",
                                          body="start_Hz = 1e5\namplitude_V = 0.04\n"
                                               "bias_V = -4.0"), full)
    assert (problem.field, problem.reason) == ("program.body[1].bias_V",
                                               "-4 exceeds the limit voltage_V = 3 of 'pstat'")


def test_symmetric_bench_limits_refuse_a_negative_voltage_too():
    text = '[sample]\nname = "p"\narea_m2 = 1e-4\n[[steps]]\nprotocol = "stability_window"\n' \
           'min_voltage_V = -50.0\n'
    problem = only_problem(text, load_bench("sim"))
    assert problem.reason == "-50 exceeds the limit voltage_V = 5 of 'smu'"


def test_transference_caps_its_start_frequency_itself(full):
    text = '[sample]\nname = "p"\n[roles]\nfra = "lcr"\n[[steps]]\nprotocol = "transference"\n' \
           'start_Hz = 1e7\nstop_Hz = 100.0\n'
    assert parse_recipe(text, full).steps[0].params.start_Hz == 1e7


def test_the_bench_panel_set_point_is_checked_like_a_recipe():
    bench = load_bench("sim")
    with pytest.raises(ConfigError, match=r"-50 degC is outside what 'furnace' .*heating only"):
        check_setpoint(bench, -50 + zero_Celsius, 10 / 60)
    with pytest.raises(ConfigError, match="exceeds the limit max_ramp_C_per_min = 20"):
        check_setpoint(bench, 300 + zero_Celsius, 1.0)
    check_setpoint(bench, 300 + zero_Celsius, 10 / 60)


@pytest.mark.parametrize("driver, options, quantity", [
    ("solartron1260", "", "frequency_Hz"),
    ("solartron1260", "integration_cycles = 2", "frequency_Hz"),
    ("keysight_e4980a", "", "frequency_Hz"),
    ("emstat4", 'model = "LR"', "voltage_V"),
    ("eurotherm3216", "", "temperature_K"),
])
def test_validation_and_the_driver_refuse_the_same_values(driver, options, quantity):
    """At each end of the span validation accepts, the driver's own check (no I/O)
    accepts; just outside it refuses: the two read one declaration."""
    config = parse_bench(f'[instruments.x]\ndriver = "{driver}"\nresource = "sim://x"\n'
                         f"options = {{ {options} }}\n")
    span = load_driver(driver).bench_ranges(config.instruments["x"].options).get(quantity)
    with open_bench(config) as bench:
        instrument = bench["x"]
        check = {"frequency_Hz": lambda f: instrument.check_point(f, 0.0, 0.0),
                 "voltage_V": lambda v: instrument.set_voltage(v),
                 "temperature_K": lambda t: instrument.check_setpoint(t)}[quantity]
        for inside in (span.low, span.high):
            check(inside)
        for outside in (span.low - 1e-3 * max(abs(span.low), 1e-3), span.high * 1.001):
            with pytest.raises(RangeError):
                check(outside)
