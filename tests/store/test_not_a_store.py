"""Files that are not labctl stores are refused and left as they are; only a path where
nothing exists yet becomes a new store."""

from __future__ import annotations

import pytest

from labctl.cli import main
from labctl.errors import StoreError
from labctl.store import Store


@pytest.mark.parametrize("create", [True, False])
def test_an_empty_file_is_refused_and_left_empty(tmp_path, create):
    empty = tmp_path / "empty.sqlite"
    empty.write_bytes(b"")
    with pytest.raises(StoreError, match="an empty file, not a labctl store"):
        Store.open(empty, create=create)
    assert empty.read_bytes() == b""


def test_runs_on_an_empty_file_is_one_error(tmp_path, capsys):
    empty = tmp_path / "notes.txt"
    empty.write_bytes(b"")
    assert main(["runs", "--db", str(empty)]) == 1
    assert "not a labctl store" in capsys.readouterr().err
    assert empty.stat().st_size == 0


def test_a_new_path_becomes_a_store(tmp_path):
    with Store.open(tmp_path / "new" / "lab.sqlite") as store:
        assert store.runs() == []
