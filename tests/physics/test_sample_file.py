"""Sample files: the shipped ones load; every kind of bad input is a ConfigError naming where."""

import copy
import shutil
from pathlib import Path

import pytest
from hypothesis import given, strategies as st

from labctl.configfile import ConfigProblems
from labctl.errors import ConfigError
from labctl.simulators.physics.sample import SampleModel
from labctl.simulators.physics.sample_file import TABLES, shipped_sample
from tests.physics.conftest import default_tables

SHARED = Path(__file__).resolve().parents[2].parent / "shared"   # beside the project root
SHARED_EXAMPLE = SHARED / "samples" / "ysz-example.toml"


def test_shipped_samples_load():
    assert SampleModel.default().source.endswith("default.toml")
    ysz = SampleModel.from_toml(shipped_sample("ysz"))
    assert ysz.bulk.Ea_eV == 1.05 and ysz.grain_boundary.n == 0.90


def test_ysz_copy_matches_the_shared_example():
    """Skipped only without a shared folder; a missing or broken example there fails."""
    if not SHARED.is_dir():
        pytest.skip(f"no shared folder {SHARED} beside this checkout")
    shared = SampleModel.from_toml(SHARED_EXAMPLE)
    ours = SampleModel.from_toml(shipped_sample("ysz"))
    assert {**vars(shared), "source": ""} == {**vars(ours), "source": ""}


def _error(data) -> ConfigError:
    with pytest.raises(ConfigError) as info:
        SampleModel.from_dict(data, source="s.toml")
    assert info.value.file == "s.toml"
    return info.value


@pytest.mark.parametrize("table, key, value, reason", [
    ("bulk", "Ea_eV", None, "missing key"),
    ("bulk", "Ea_eV", "1.0", "must be a number"),
    ("bulk", "Ea_eV", True, "must be a number"),
    ("bulk", "Ea_eV", 12.0, "0..5 eV"),
    ("grain_boundary", "n", 1.2, "0 < n <= 1"),
    ("electrode", "Q", -1e-6, "> 0"),
    ("sample", "thickness_m", float("nan"), "> 0"),
    ("sample", "name", "", "non-empty string"),
    ("stability", "reduction_onset_V", 0.5, "< 0"),
    ("noise", "relative", 1.5, "relative < 1"),
    ("bulk", "Ea_ev", 1.0, "unknown key"),
])
def test_bad_values_name_the_table_and_key(table, key, value, reason):
    data = default_tables()
    data[table].pop(key, None)
    if value is not None:
        data[table][key] = value
    error = _error(data)
    assert error.field == f"{table}.{key}"
    assert reason in str(error) and f"[{table}.{key}]" in str(error)


def test_missing_unknown_and_malformed_tables():
    data = default_tables()
    del data["noise"]
    assert _error(data).field == "noise"
    assert _error({**default_tables(), "surface": {}}).field == "surface"
    assert _error({**default_tables(), "bulk": 3}).field == "bulk"
    assert _error([1, 2]).field is None


def test_syntax_error_carries_line_and_column(tmp_path):
    path = tmp_path / "broken.toml"
    path.write_text("[bulk]\nEa_eV = 1.0\nQ = = 2\n")
    with pytest.raises(ConfigError) as info:
        SampleModel.from_toml(path)
    assert (info.value.file, info.value.line, info.value.column) == (str(path), 3, 5)
    assert f"{path}:3:5" in str(info.value)


def test_unreadable_and_binary_files(tmp_path):
    with pytest.raises(ConfigError, match="cannot read"):
        SampleModel.from_toml(tmp_path / "absent.toml")
    binary = tmp_path / "binary.toml"
    binary.write_bytes(b"\xff\xfe\x00garbage")
    with pytest.raises(ConfigError, match="UTF-8"):
        SampleModel.from_toml(binary)


def test_file_errors_name_the_file_key_and_line(tmp_path):
    path = tmp_path / "mine.toml"
    shutil.copy(shipped_sample("default"), path)
    text = path.read_text().replace("Ea_eV = 0.80", "Ea_eV = -0.8")
    path.write_text(text)
    line = text.splitlines().index("Ea_eV = -0.8") + 1
    with pytest.raises(ConfigError) as info:
        SampleModel.from_toml(path)
    assert (info.value.file, info.value.field, info.value.line) == (str(path), "bulk.Ea_eV", line)


def test_all_problems_of_a_file_are_reported_together():
    data = default_tables()
    data["bulk"]["eps_r"] = 0.5
    del data["noise"]["relative"]
    with pytest.raises(ConfigProblems) as info:
        SampleModel.from_dict(data, source="s.toml")
    assert [p.field for p in info.value.problems] == ["bulk.eps_r", "noise.relative"]


# -- garbage never escapes as another exception -----------------------------------------------
scalars = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(), st.text(max_size=8),
                    st.binary(max_size=8))
garbage = st.recursive(scalars, lambda inner: st.one_of(
    st.lists(inner, max_size=4), st.dictionaries(st.text(max_size=8), inner, max_size=4)),
    max_leaves=12)
table_keys = [(t, f) for t, cls in TABLES.items() for f in cls.__dataclass_fields__]


@given(garbage)
def test_any_garbage_document_is_a_config_error(data):
    with pytest.raises(ConfigError):
        SampleModel.from_dict(data, source="g.toml")


@given(st.sampled_from(table_keys), garbage)
def test_any_garbage_value_is_a_config_error_or_a_valid_sample(where, value):
    data = copy.deepcopy(default_tables())
    data[where[0]][where[1]] = value
    try:
        SampleModel.from_dict(data, source="g.toml")
    except ConfigError as error:
        assert error.field == f"{where[0]}.{where[1]}"


@given(st.text(max_size=200))
def test_any_garbage_text_file_is_a_config_error(tmp_path_factory, text):
    path = tmp_path_factory.mktemp("g") / "g.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError):
        SampleModel.from_toml(path)
