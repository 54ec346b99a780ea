"""`labctl runs`, `labctl runs show ID`, `labctl export ID` and the database path rules."""

from __future__ import annotations

import pytest

from labctl.cli import main
from labctl.store import db_path


def test_runs_lists_runs(filled, db, capsys):
    assert main(["runs", "--db", str(db)]) == 0
    header, row = capsys.readouterr().out.splitlines()
    assert header.split() == ["id", "name", "status", "started", "(UTC)", "steps", "points"]
    assert row.split()[:5] == ["1", "YSZ", "8", "mol%", "done"]
    assert row.split()[-2:] == ["2", "41"]


def test_runs_show(filled, db, capsys):
    assert main(["runs", "show", "1", "--db", str(db)]) == 0
    out = capsys.readouterr().out
    for expected in ("run 1: YSZ 8 mol%  [done]", "operator  ada", "bench     smu",
                     "temperature log: 3 readings", "2    dc_polarization  done    873.15  5",
                     "drift 0.3 %", "kind = 'eis'"):
        assert expected in out


def test_runs_show_unknown_id_is_a_clear_error(filled, db, capsys):
    assert main(["runs", "--db", str(db), "show", "7"]) == 1
    assert "no run with id 7" in capsys.readouterr().err


def test_missing_database_is_an_error_and_not_created(tmp_path, capsys):
    missing = tmp_path / "none.sqlite"
    assert main(["runs", "--db", str(missing)]) == 1
    assert "no such database" in capsys.readouterr().err and not missing.exists()


@pytest.mark.parametrize("fmt, suffixes", [("csv", [".csv"] * 3), ("z", [".z"])])
def test_export(filled, db, tmp_path, capsys, fmt, suffixes):
    out = tmp_path / "export"
    assert main(["export", "1", "--format", fmt, "--out", str(out), "--db", str(db)]) == 0
    printed = capsys.readouterr().out.split()
    assert [p[-len(s):] for p, s in zip(printed, suffixes)] == suffixes
    assert sorted(str(p) for p in out.iterdir()) == sorted(printed)


def test_db_env_variable(filled, db, monkeypatch, capsys):
    monkeypatch.setenv("LABCTL_DB", str(db))
    assert main(["runs"]) == 0
    assert "YSZ 8 mol%" in capsys.readouterr().out


def test_db_path_precedence(monkeypatch, tmp_path):
    monkeypatch.delenv("LABCTL_DB", raising=False)
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg"))
    assert db_path() == tmp_path / "xdg" / "labctl" / "labctl.sqlite"
    monkeypatch.delenv("XDG_DATA_HOME")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert db_path() == tmp_path / "home" / ".local" / "share" / "labctl" / "labctl.sqlite"
    monkeypatch.setenv("LABCTL_DB", "~/lab.sqlite")
    assert db_path() == tmp_path / "home" / "lab.sqlite"
    assert db_path("/data/x.sqlite").as_posix() == "/data/x.sqlite"
