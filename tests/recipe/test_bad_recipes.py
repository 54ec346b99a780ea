"""Generated bad recipes (hypothesis): wrong types, units and ranges, unknown keys and
protocols, missing roles, bench limits exceeded, TOML syntax errors. Each ends `labctl run`
with exit 1 and one clear error naming the file and the key (syntax errors: the line), no
traceback, and no instrument opened."""

from __future__ import annotations

import copy
import re

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from labctl.cli import main
from tests.benches import bench, instrument

BASE = {
    "run": {"name": "fuzz", "operator": "hypothesis"},
    "sample": {"name": "pellet", "thickness_m": 5e-4, "area_m2": 1e-4},
    "roles": {"fra": "fra", "smu": "smu", "furnace": "furnace"},
    "program": {"temperatures_C": [300.0, 350.0], "ramp_C_per_min": 10.0,
                "stabilize": {"band_K": 0.5, "window_s": 300.0},
                "body": [{"protocol": "eis", "amplitude_V": 0.02, "start_Hz": 1e5},
                         {"protocol": "dc_polarization", "voltage_V": 0.5,
                          "max_duration_s": 600.0}]},
    "steps": [{"protocol": "stability_window", "max_voltage_V": 2.0, "min_voltage_V": -2.0}],
    "final": {"cool_down": True},
}
UNITS = re.compile(r"_(V|Hz|C|K|s|m|m2|A|C_per_min)$")
SIM_WITHOUT_SMU = bench(
    instrument("furnace", "eurotherm3216",
               limits={"max_temperature_C": 900.0, "max_ramp_C_per_min": 20.0}),
    instrument("fra", "solartron1260", limits={"amplitude_V": 0.5}))


def toml(data: dict) -> str:
    """TOML text of a recipe-shaped dict (tables, inline tables, arrays of tables)."""
    lines = []

    def table(name: str, body: dict, header: str) -> None:
        lines.append(header.format(name))
        subtables = []
        for key, value in body.items():
            if isinstance(value, list) and value and isinstance(value[0], dict):
                subtables.append((f"{name}.{key}", value))
            else:
                lines.append(f"{key} = {literal(value)}")
        for sub, entries in subtables:
            for entry in entries:
                table(sub, entry, "[[{}]]")

    for name, body in data.items():
        if isinstance(body, list):
            for entry in body:
                table(name, entry, "[[{}]]")
        else:
            table(name, body, "[{}]")
    return "\n".join(lines) + "\n"


def literal(value) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
    if isinstance(value, float):
        return {"nan": "nan", "inf": "inf", "-inf": "-inf"}.get(repr(value), repr(value))
    if isinstance(value, list):
        return "[" + ", ".join(literal(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{ " + ", ".join(f"{k} = {literal(v)}" for k, v in value.items()) + " }"
    return repr(value)


def leaves(data: dict, path=()):
    """(container path, key, value) of every scalar or number-list setting."""
    for key, value in data.items():
        here = path + (key,)
        if isinstance(value, dict):
            yield from leaves(value, here)
        elif isinstance(value, list) and value and isinstance(value[0], dict):
            for i, entry in enumerate(value):
                yield from leaves(entry, here + (i,))
        else:
            yield path, key, value


LEAVES = list(leaves(BASE))


def table_of(data: dict, path: tuple) -> dict:
    for part in path:
        data = data[part]
    return data


def field(path: tuple, key: str) -> str:
    """The `step.key` an error names: ('program', 'body', 0) -> 'program.body[1].key'."""
    parts = []
    for part in path:
        if isinstance(part, int):
            parts[-1] += f"[{part + 1}]"
        else:
            parts.append(part)
    return ".".join(parts + [key])


@st.composite
def wrong_type(draw):
    path, key, value = draw(st.sampled_from(LEAVES))
    if isinstance(value, str):
        bad = draw(st.sampled_from([3, 2.5, [1.0], {"x": 1}]))
    elif isinstance(value, bool):
        bad = draw(st.sampled_from(["yes", 1, [True]]))
    else:
        bad = draw(st.sampled_from(["ten", True, {"value": 1}] + ([] if isinstance(value, list)
                                                                 else [[1.0, 2.0]])))
    data = copy.deepcopy(BASE)
    table_of(data, path)[key] = bad
    return data, field(path, key), None


@st.composite
def wrong_unit(draw):
    path, key, value = draw(st.sampled_from(
        [leaf for leaf in LEAVES if UNITS.search(leaf[1]) and leaf[0] != ("sample",)]))
    unit = draw(st.sampled_from(["mV", "kHz", "F", "min", "mm", "cm2", "mA", "K_per_h"]))
    renamed = UNITS.sub("_" + unit, key)
    data = copy.deepcopy(BASE)
    table = table_of(data, path)
    table[renamed] = table.pop(key)
    return data, field(path, renamed), None


@st.composite
def out_of_range(draw):
    path, key, value = draw(st.sampled_from(
        [leaf for leaf in LEAVES if isinstance(leaf[2], (float, list)) and leaf[1] != "name"]))
    bad = draw(st.sampled_from([-1e9, float("nan"), float("inf"), -float("inf")]))
    data = copy.deepcopy(BASE)
    table_of(data, path)[key] = [bad] if isinstance(value, list) else bad
    return data, key, None


@st.composite
def unknown_key(draw):
    tables = [("run",), ("roles",), ("program",), ("program", "stabilize"), ("final",),
              ("program", "body", 0), ("program", "body", 1), ("steps", 0)]
    path = draw(st.sampled_from(tables))
    key = "zz_" + draw(st.text("abcdefghijklmnopqrstuvwxyz_", min_size=1, max_size=12))
    data = copy.deepcopy(BASE)
    table_of(data, path)[key] = draw(st.sampled_from([1, "x", 2.5, True]))
    return data, field(path, key), None


@st.composite
def unknown_protocol(draw):
    path = draw(st.sampled_from([("program", "body", 0), ("program", "body", 1), ("steps", 0)]))
    name = draw(st.text("abcdefghijklmnopqrstuvwxyz_", min_size=1, max_size=16).filter(
        lambda n: n not in ("eis", "dc_polarization", "stability_window", "stabilize",
                            "transference")))
    data = copy.deepcopy(BASE)
    table_of(data, path)["protocol"] = name
    return data, field(path, "protocol"), None


@st.composite
def unknown_table(draw):
    name = "zz" + draw(st.text("abcdefghijklmnopqrstuvwxyz", min_size=1, max_size=10))
    data = copy.deepcopy(BASE)
    data[name] = {"x": 1}
    return data, name, None


@st.composite
def missing_role(draw):
    data = copy.deepcopy(BASE)
    if draw(st.booleans()):
        del data["roles"]["smu"]
    return data, "roles.smu", SIM_WITHOUT_SMU


@st.composite
def limit_exceeded(draw):
    choice = draw(st.sampled_from([
        (("program", "body", 0), "amplitude_V", st.floats(0.51, 1.0)),
        (("program", "body", 1), "voltage_V", st.floats(5.01, 10.0)),
        (("steps", 0), "max_voltage_V", st.floats(5.01, 200.0)),
        (("program",), "ramp_C_per_min", st.floats(20.01, 1000.0)),
        (("program",), "temperatures_C", st.lists(st.floats(900.5, 2500.0), min_size=1,
                                                  max_size=3))]))
    path, key, values = choice
    data = copy.deepcopy(BASE)
    table_of(data, path)[key] = draw(values)
    return data, field(path, key), None


@st.composite
def syntax_error(draw):
    lines = toml(BASE).splitlines()
    i = draw(st.integers(0, len(lines) - 1))
    line = lines[i]
    if line.startswith("["):
        lines[i] = line.rstrip("]")                   # unclosed header
    else:
        key, _, value = line.partition(" = ")
        lines[i] = draw(st.sampled_from([key, f'{key} = "{value}', f"{key} = = {value}"]))
    return "\n".join(lines) + "\n", f":{i + 1}:", None


BAD = st.one_of(wrong_type(), wrong_unit(), out_of_range(), unknown_key(), unknown_protocol(),
                unknown_table(), missing_role(), limit_exceeded(), syntax_error())


@pytest.fixture(scope="module")
def folder(tmp_path_factory):
    return tmp_path_factory.mktemp("bad")


@settings(max_examples=250, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(BAD)
def test_a_bad_recipe_is_one_clear_error_naming_file_and_key(folder, monkeypatch, capsys, bad):
    data, expected, bench_text = bad
    recipe = folder / "recipe.toml"
    recipe.write_text(data if isinstance(data, str) else toml(data))
    bench = "sim"
    if bench_text:
        (folder / "bench.toml").write_text(bench_text)
        bench = str(folder / "bench.toml")

    def no_instrument(*args, **kwargs):
        raise AssertionError("an instrument was opened for an invalid recipe")
    monkeypatch.setattr("labctl.bench.open_bench", no_instrument)
    code = main(["run", str(recipe), "--bench", bench, "--db", str(folder / "never.sqlite")])
    out, err = capsys.readouterr()
    assert code == 1 and out == ""
    assert err.startswith(f"labctl: error: {recipe}") and "Traceback" not in err
    assert expected in err, err
    assert not (folder / "never.sqlite").exists()


def test_the_base_of_the_generated_recipes_is_valid(tmp_path):
    from labctl.bench import load_bench
    from labctl.recipe import parse_recipe

    recipe = parse_recipe(toml(BASE), load_bench("sim"))
    assert len(recipe.steps) == 2 * 3 + 2
