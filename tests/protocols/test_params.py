"""Protocol parameters: every problem of a recipe table is reported, each naming its key."""

import importlib

import pytest

from labctl.configfile import ConfigProblems
from labctl.errors import ConfigError
from labctl.protocols import _params

MODULES = ("eis_sweep", "dc_polarization", "stability_window", "stabilize")


@pytest.mark.parametrize("name", MODULES)
def test_every_protocol_declares_documented_params_with_its_kind(name):
    module = importlib.import_module(f"labctl.protocols.{name}")
    assert isinstance(module.KIND, str)
    for described in _params.describe(module.Params):
        assert described.doc, f"{name}.{described.name} has no doc"


def test_defaults_build_and_lists_become_tuples():
    from labctl.protocols.eis_sweep import Params
    p = _params.build(Params, {"frequencies_Hz": [1e3, 100, 10, 1], "repeats": 2})
    assert p.frequencies_Hz == (1e3, 100.0, 10.0, 1.0) and p.repeats == 2 \
        and p.amplitude_V == 0.01


def test_problems_lists_every_problem_with_its_key():
    from labctl.protocols.eis_sweep import Params
    found = dict(_params.problems(Params, {
        "amplitude_V": 5.0, "repeats": 1.5, "adaptive_low_frequency": "yes",
        "frequencies_Hz": [10, "a"], "colour": "red", "bias_V": float("nan")}))
    assert set(found) == {"amplitude_V", "repeats", "adaptive_low_frequency",
                          "frequencies_Hz", "colour", "bias_V"}
    assert "outside [0.0001, 1]" in found["amplitude_V"]
    assert "an integer" in found["repeats"]
    assert "true or false" in found["adaptive_low_frequency"]
    assert "unknown parameter" in found["colour"] and "amplitude_V" in found["colour"]


def test_ranges_apply_to_each_list_element_and_none_is_allowed_when_declared():
    from labctl.protocols.eis_sweep import Params
    assert _params.problems(Params, {"frequencies_Hz": None}) == []
    assert [k for k, _ in _params.problems(Params, {"frequencies_Hz": [10, -1]})] \
        == ["frequencies_Hz"]
    assert _params.problems(Params, {"amplitude_V": None}) == [("amplitude_V",
                                                                 "must not be empty")]


def test_ints_are_numbers_but_booleans_are_not():
    from labctl.protocols.dc_polarization import Params
    assert _params.build(Params, {"voltage_V": 1}).voltage_V == 1
    assert [k for k, _ in _params.problems(Params, {"voltage_V": True})] == ["voltage_V"]


def test_required_choices_and_cross_field_problems():
    from labctl.protocols.stability_window import Params as Window
    from labctl.protocols.stabilize import Params as Stabilize
    assert _params.problems(Window, {}) == [("area_m2", "required")]
    found = dict(_params.problems(Window, {"area_m2": 1e-4, "direction": "up"}))
    assert "'both'" in found["direction"]
    assert _params.problems(Stabilize, {"target_K": 600, "window_s": 10, "poll_s": 10}) \
        == [("window_s", "must span at least two polls (>= 2 * poll_s)")]


def test_build_raises_config_errors_naming_the_fields():
    from labctl.protocols.dc_polarization import Params
    with pytest.raises(ConfigError) as one:
        _params.build(Params, {"voltage_V": 0})
    assert one.value.field == "voltage_V"
    with pytest.raises(ConfigProblems) as many:
        _params.build(Params, {"voltage_V": 20, "nplc": 1})
    assert sorted(p.field for p in many.value.problems) == ["nplc", "voltage_V"]
