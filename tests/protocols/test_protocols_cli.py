"""`labctl protocols [NAME]`: every parameter with type, unit, default ('required'), range
and description."""

from __future__ import annotations

from labctl.cli import main
from labctl.registry import protocols
from labctl.protocols import _params
from labctl.protocols.stability_window import Params as Window


def test_describe_says_required_and_gives_units_ranges_and_defaults_as_a_recipe_writes_them():
    described = {d.name: d for d in _params.describe(Window)}
    area = described["area_m2"]
    assert (area.type, area.unit, area.default, area.range) == \
        ("a number", "m²", "required", "[1e-09, 1]")
    assert (described["threshold_A_per_m2"].unit, described["scan_rate_V_per_s"].unit) == \
        ("A/m²", "V/s")
    assert described["direction"].default == '"both"'
    assert described["direction"].range == '"both" | "anodic" | "cathodic"'
    assert described["rest_s"].default == "600" and described["rest_s"].unit == "s"


def test_units_follow_the_name_suffix():
    assert [_params.unit(n) for n in ("start_Hz", "max_z_drift_per_s", "spike_phase_deg",
                                      "ramp_rate_K_per_s", "L_eff_m", "area_m2",
                                      "target_pO2_Pa", "t_ion_tolerance", "relax")] == \
        ["Hz", "1/s", "°", "K/s", "m", "m²", "Pa", "", ""]


def test_labctl_protocols_lists_every_protocol_and_parameter(capsys):
    assert main(["protocols"]) == 0
    out = capsys.readouterr().out
    assert "MISSING" not in out and "object at" not in out
    for name in protocols():
        assert f"\n{name}: " in f"\n{out}"
    row = next(line for line in out.splitlines() if line.startswith("target_K "))
    assert row.split()[:6] == ["target_K", "a", "number", "K", "required", "[1,"]


def test_labctl_protocols_name_shows_one_protocol_with_its_full_description(capsys):
    assert main(["protocols", "eis"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("eis: Impedance spectrum") and "Kramers-Kronig" in out
    assert "instruments (roles): fra" in out and "stabilize:" not in out
    row = next(line for line in out.splitlines() if line.startswith("amplitude_V "))
    assert row.split() == ["amplitude_V", "a", "number", "V", "0.01", "[0.0001,", "1]", "AC",
                           "amplitude", "(rms)"]
    assert main(["protocols", "impedance"]) == 1
    assert "no protocol 'impedance'; the protocols: atmosphere, cool_down, dc_polarization," in \
        capsys.readouterr().err
