"""Recipe and bench files as a user may hand them over: wrong types, absurd nesting, things
that are not files, huge files, thousands of problems, a BOM, and values that are accepted
but probably not meant (warnings with a suggestion). Never a traceback, never a hang."""

from __future__ import annotations

import os
import re
import subprocess
import sys

import pytest

from labctl.bench import load_bench
from labctl.cli import main
from labctl.configfile import MAX_BYTES, MAX_SHOWN
from labctl.errors import ConfigError
from labctl.recipe import load_recipe, parse_recipe

VALID = """[sample]
name = "pellet"
thickness_m = 0.5e-3
area_m2 = 1e-4

[program]
temperatures_C = [300, 350]
ramp_C_per_min = 10

[[program.body]]
protocol = "eis"
"""


@pytest.fixture(scope="module")
def sim():
    return load_bench("sim")


def refused(tmp_path, capsys, text: str | bytes, *extra: str) -> str:
    """`labctl run` of a recipe with `text`: exit 1, one error line, no traceback, no
    database; returns the message."""
    recipe = tmp_path / "recipe.toml"
    recipe.write_bytes(text if isinstance(text, bytes) else text.encode())
    code = main(["run", str(recipe), "--bench", "sim", "--db", str(tmp_path / "db.sqlite"),
                 *extra])
    err = capsys.readouterr().err
    assert code == 1 and "Traceback" not in err and not (tmp_path / "db.sqlite").exists()
    assert err.startswith(f"labctl: error: {recipe}")
    return err


def test_at_C_given_as_a_string_is_a_problem_not_a_type_error(tmp_path, capsys):
    err = refused(tmp_path, capsys, VALID + 'at_C = "300"\n')
    assert ":12 [program.body[1].at_C]: must be a list of temperatures (degC), got '300'" in err


@pytest.mark.parametrize("nested", [
    "x = " + "[" * 3000 + "]" * 3000,
    "x = " + "{ y = " * 3000 + "1" + " }" * 3000,
    "[" + ".".join(["a"] * 5000) + "]\nx = 1",
    "at_C = " + "[" * 40 + "]" * 40,
], ids=["arrays", "inline tables", "dotted header", "a value"])
def test_deep_nesting_is_refused_cleanly(tmp_path, capsys, nested):
    err = refused(tmp_path, capsys, VALID + nested + "\n")
    assert "nested more than 32 deep" in err


def test_values_in_messages_are_shortened(tmp_path, capsys):
    err = refused(tmp_path, capsys, VALID + "at_C = " + "[" * 20 + "1" + "]" * 20 + "\n"
                  + f'\n[run]\nname = "{"n" * 100_000}"\n' .replace("name", "operator"))
    assert "[[[[...]]]]" in err and len(err) < 2000


def test_a_negative_seed_is_a_usage_error(tmp_path, capsys):
    (tmp_path / "recipe.toml").write_text(VALID)
    with pytest.raises(SystemExit) as info:
        main(["run", str(tmp_path / "recipe.toml"), "--bench", "sim", "--seed", "-5"])
    assert info.value.code == 2
    assert "argument --seed: must be an integer >= 0, got '-5'" in capsys.readouterr().err


@pytest.mark.parametrize("kind, make", [
    ("a FIFO (named pipe)", lambda p: os.mkfifo(p)),
    ("a directory", lambda p: p.mkdir()),
    ("a character device", lambda p: p.symlink_to(os.devnull)),
])
@pytest.mark.parametrize("what", ["recipe", "bench"])
def test_what_is_not_a_regular_file_is_refused_without_reading(tmp_path, sim, kind, make, what):
    path = tmp_path / "file.toml"
    make(path)
    with pytest.raises(ConfigError, match=re.escape(f"{what} file is {kind}, not a regular")):
        load_recipe(path, sim) if what == "recipe" else load_bench(path)


def test_a_file_larger_than_the_cap_is_refused_unread(tmp_path, sim):
    path = tmp_path / "huge.toml"
    path.write_text(VALID + "#" * (10 * MAX_BYTES) + "\n")
    with pytest.raises(ConfigError, match=r"recipe file is larger than 1 MB .*: not read"):
        load_recipe(path, sim)


def test_thousands_of_unknown_keys_list_the_first_fifty_and_count_the_rest(tmp_path, capsys):
    keys = "".join(f"k{i} = 1\n" for i in range(32_000))
    err = refused(tmp_path, capsys, VALID + keys)
    lines = err.splitlines()
    assert lines[0].endswith("32000 problems:")
    assert len(lines) == 1 + MAX_SHOWN + 1 and lines[-1] == "  ... and 31950 more"
    assert ":13 [program.body[1].k1]: unknown parameter" in lines[2]


def test_a_utf8_bom_is_accepted_in_recipes_and_benches(tmp_path, sim):
    recipe, bench = tmp_path / "r.toml", tmp_path / "b.toml"
    recipe.write_bytes(b"\xef\xbb\xbf" + VALID.encode())
    bench.write_bytes(b"\xef\xbb\xbf" + b'[instruments.fra]\ndriver = "solartron1260"\n'
                      b'resource = "sim://fra"\n')
    assert load_recipe(recipe, sim).sample["name"] == "pellet"
    assert list(load_bench(bench).instruments) == ["fra"]
    assert parse_recipe("\ufeff" + VALID, sim).sample["name"] == "pellet"   # text as given
    recipe.write_bytes(b"\xef\xbb\xbf" + VALID.replace('name = "pellet"\n', "").encode())
    with pytest.raises(ConfigError) as info:      # and lines are found from the first on
        load_recipe(recipe, sim)
    assert (info.value.line, info.value.field) == (1, "sample.name")


BAD_EVERYWHERE = """[zeta]
x = 1
[alpha]
y = 2
[sample]
name = "p"
area_m2 = -1
colour = [1]
[program]
temperatures_C = [300]
ramp_C_per_min = 0
[[program.body]]
protocol = "eis"
wobble = 1
amplitude_V = 9.0
[roles]
fra = 3
[omega]
"""


def test_problems_come_in_file_order_the_same_on_every_run(tmp_path):
    recipe = tmp_path / "r.toml"
    recipe.write_text(BAD_EVERYWHERE)
    outputs = set()
    for seed in ("1", "2", "3"):
        result = subprocess.run(
            [sys.executable, "-m", "labctl.cli", "run", str(recipe), "--bench", "sim"],
            capture_output=True, text=True, env={**os.environ, "PYTHONHASHSEED": seed})
        outputs.add(result.stderr)
    (err,) = outputs
    lines = [int(line.split(":")[1].split()[0]) for line in err.splitlines()[1:]]
    assert lines == sorted(lines) and len(lines) >= 8


@pytest.mark.parametrize("sample, key, suggestion", [
    ("thickness_mm = 0.5\narea_m2 = 1e-4", "thickness_mm", "write thickness_m = 0.0005"),
    ("thickness_m = 5e-4\narea_cm2 = 1.0", "area_cm2", "write area_m2 = 0.0001"),
    ("thickness_m = 0.5\narea_m2 = 1e-4", "thickness_m", "did you mean thickness_m = 0.0005 "
                                                         "(0.5 mm)"),
    ("thickness_m = 5e-4\narea_m2 = 1.0", "area_m2", "area_m2 = 0.0001 (1 cm²) or "
                                                     "area_m2 = 1e-06 (1 mm²)"),
])
def test_geometry_in_other_units_or_implausible_is_a_warning_with_a_suggestion(sim, sample,
                                                                              key, suggestion):
    text = VALID.replace("thickness_m = 0.5e-3\narea_m2 = 1e-4", sample)
    (warning,) = parse_recipe(text, sim, source="r.toml").warnings
    assert warning.field == f"sample.{key}" and warning.line in (3, 4)
    assert suggestion in warning.reason


def test_a_repeated_temperature_is_a_warning(sim):
    text = VALID.replace("[300, 350]", "[300, 350, 300]")
    (warning,) = parse_recipe(text, sim, source="r.toml").warnings
    assert (warning.line, warning.field) == (7, "program.temperatures_C")
    assert warning.reason.startswith("300 degC is given 2 times")


def test_a_clean_recipe_has_no_warnings(sim):
    assert parse_recipe(VALID, sim).warnings == ()


def test_labctl_run_prints_the_warnings_before_it_runs(tmp_path, capsys):
    recipe = tmp_path / "r.toml"
    recipe.write_text('[sample]\nname = "p"\nthickness_mm = 0.5\n[[steps]]\nprotocol = "eis"\n'
                      "start_Hz = 1e5\nstop_Hz = 1e4\npoints_per_decade = 4\n")
    code = main(["run", str(recipe), "--bench", "sim", "--db", str(tmp_path / "db.sqlite")])
    err = capsys.readouterr().err
    assert code == 0
    assert f"labctl: warning: {recipe}:3 [sample.thickness_mm]: not read" in err
