"""Files that are not labctl stores are refused and left as they are by readers (`labctl
runs`, `export`); a writer also creates a store where nothing, or an empty file, is."""

from __future__ import annotations

import pytest

from labctl.cli import main
from labctl.errors import StoreError
from labctl.store import Store


def test_an_empty_file_is_refused_by_a_reader_and_left_empty(tmp_path):
    empty = tmp_path / "empty.sqlite"
    empty.write_bytes(b"")
    with pytest.raises(StoreError, match="an empty file, not a labctl store"):
        Store.open(empty, create=False)
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
