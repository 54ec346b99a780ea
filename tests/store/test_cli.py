"""`labctl runs`, `labctl runs show ID`, `labctl export ID` and the database path rules."""

from __future__ import annotations

import pytest

from labctl.cli import main
from labctl.store import db_path


def test_runs_lists_runs(filled, db, capsys):
    assert main(["runs", "--db", str(db)]) == 0
    header, row = capsys.readouterr().out.splitlines()
    assert header.split() == ["id", "name", "bench", "host", "status", "started", "(UTC)",
                              "steps", "points"]
    assert row.split()[:4] == ["1", "YSZ", "8", "mol%"] and row.split()[6] == "done"
    assert row.split()[-2:] == ["2", "41"]


def test_runs_show(filled, db, capsys):
    assert main(["runs", "show", "1", "--db", str(db)]) == 0
    out = capsys.readouterr().out
    for expected in ("run 1: YSZ 8 mol%  [done]", "operator  ada", "bench     smu",
                     "temperature log: 3 readings", "2    -         dc_polarization  done    600     5",
                     "drift 0.3 %", "kind = 'eis'"):
        assert expected in out


def test_runs_show_names_the_bench_file_and_its_instruments(store, db, capsys):
    """The snapshot's version and bench-file keys were listed as instruments
    ('bench, fra, furnace, labctl, ...')."""
    run = store.create_run("r", "", {"labctl": "0.1.0", "bench": "multi.toml",
                                     "fra": {"driver": "Solartron1260"},
                                     "matrix": {"driver": "Keithley7001"}}, {})
    store.finish_run(run, "done")
    assert main(["runs", "show", str(run), "--db", str(db)]) == 0
    assert "bench     multi.toml: fra, matrix\n" in capsys.readouterr().out


def test_runs_show_lists_each_steps_result_and_temperature_in_celsius(store, db, capsys):
    run = store.create_run("r", "", {}, {})
    for kind, temperature_K, result in [
            ("eis", 623.15, {"r_ion_Ohm": 12345.6, "kk_ok": True, "kk_mu": 0.2}),
            ("dc_polarization", 625.65, {"t_ion": 0.98712, "t_ion_std": 0.00031}),
            ("stability_window", None, {"onset_low_V": None, "onset_high_V": 4.25}),
            ("transference", 333.15, {"t_plus": 0.43, "t_plus_std": 0.02})]:
        step = store.start_step(run, kind, {}, temperature_K, path=f"steps[1]/{kind}")
        store.finish_step(step, "done", result)
    store.finish_run(run, "done")
    assert main(["runs", "show", str(run), "--db", str(db)]) == 0
    out = capsys.readouterr().out.splitlines()
    rows = out[out.index("steps:") + 2:out.index("steps:") + 6]
    assert [row.split("  ")[0] for row in rows] == ["1", "2", "3", "4"]
    shown = [" ".join(row.split()[3:-1]) for row in rows]
    assert shown == ["done 350 0 R_ion = 1.235e+04 Ohm, KK ok = True",
                     "done 352.5 0 t_ion = 0.9871 ± 0.00031",
                     "done - 0 onset low = none, onset high = 4.25 V",
                     "done 60 0 t+ = 0.43 ± 0.02"]
    assert "T (°C)" in out[out.index("steps:") + 1]


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


def test_export_includes_superseded_spectra_only_when_asked(store, db, tmp_path, capsys):
    from tests.store.test_export import spectra_of_a_resumed_run
    run = spectra_of_a_resumed_run(store)
    for flags, steps in (([], ["002", "003", "004"]),
                         (["--include-superseded"], ["001", "002", "003", "004"])):
        out = tmp_path / "-".join(["out", *flags])
        assert main(["export", str(run), "--format", "z", "--out", str(out), "--db", str(db),
                     *flags]) == 0
        printed = capsys.readouterr().out.split()
        assert [p.split("-step")[1][:3] for p in printed] == steps
        assert sorted(p.name for p in out.iterdir()) == sorted(p.split("/")[-1] for p in printed)
