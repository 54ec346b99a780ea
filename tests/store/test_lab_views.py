"""Lab views: `labctl runs --bench --since --sample --status` on either backend."""

from __future__ import annotations

import json
import socket

import pytest

from labctl.cli import main
from labctl.store import Store
from tests.store.conftest import fill


@pytest.fixture
def lab(location):
    """Three runs of two benches, one of them older, as `labctl runs` sees them."""
    with Store.open(location) as store:
        a = store.create_run("a1", "", {"bench": "benches/bench-a.toml"}, {"name": "LLZO-7"})
        store.finish_run(a, "done")
        b = store.create_run("b1", "", {"bench": "benches/bench-b.toml"}, {"name": "ysz-2"})
        store.finish_run(b, "failed")
        store.create_run("a2", "", {"bench": "benches/bench-a.toml"}, {"name": "llzo-8"})
        store._conn.execute("UPDATE runs SET started_utc = '2026-01-05T10:00:00.000+00:00' "
                            "WHERE id = ?", (a,))
    return location


def listed(capsys, location, *options) -> list[str]:
    assert main(["runs", "--db", str(location), *options]) == 0
    return [line.split()[1] for line in capsys.readouterr().out.splitlines()[1:]]


@pytest.mark.parametrize("options, names", [
    ((), ["a1", "b1", "a2"]),
    (("--bench", "bench-a"), ["a1", "a2"]),
    (("--bench", socket.gethostname()), ["a1", "b1", "a2"]),
    (("--since", "2026-02-01"), ["b1", "a2"]),
    (("--since", "2026-01-05T11:00+01:00"), ["a1", "b1", "a2"]),
    (("--sample", "llzo"), ["a1", "a2"]),
    (("--status", "running"), ["a2"]),
    (("--bench", "bench-a", "--status", "done", "--sample", "LLZO-7"), ["a1"]),
    (("--bench", "bench-c"), []),
])
def test_runs_filters(lab, capsys, options, names):
    assert listed(capsys, lab, *options) == names


def test_runs_shows_each_runs_bench_and_host(lab, capsys):
    assert main(["runs", "--db", str(lab), "--status", "failed"]) == 0
    _, row = capsys.readouterr().out.splitlines()
    assert row.split()[1:4] == ["b1", "bench-b", socket.gethostname()]


@pytest.mark.parametrize("option, value, message", [
    ("--since", "last tuesday", "not an ISO 8601 date or time: 'last tuesday'"),
    ("--status", "finished", "'finished' is not one of running, done, failed, aborted"),
])
def test_a_bad_filter_is_a_usage_error_naming_the_option(tmp_path, capsys, option, value,
                                                         message):
    with pytest.raises(SystemExit):
        main(["runs", "--db", str(tmp_path / "x.sqlite"), option, value])
    assert f"{option}: {message}" in capsys.readouterr().err


def test_export_and_analyze_give_the_same_on_both_backends(tmp_path, pg_url, capsys):
    outputs = []
    for location in (tmp_path / "lab.sqlite", pg_url):
        with Store.open(location) as store:
            run = fill(store)[1]
        out = tmp_path / f"out{len(outputs)}"
        assert main(["analyze", str(run), "--db", str(location), "--json",
                     "--out", str(out / "report")]) == 0
        analysis = json.loads(capsys.readouterr().out)
        assert analysis.pop("source") == f"{location} run {run}"
        assert all(fit.pop("fit_s") > 0 for fit in analysis["fits"])   # the time it took
        assert main(["export", str(run), "--db", str(location), "--out", str(out)]) == 0
        assert len(capsys.readouterr().out.split()) == 3
        csv = {p.name: [line for line in p.read_text().splitlines() if line[:1] != "#"]
               for p in sorted(out.glob("*.csv"))}
        outputs.append((analysis, csv))
    assert len(outputs[0][1]) == 3 and outputs[0] == outputs[1]


def test_two_benches_in_two_processes_are_listed_by_a_third(pg_url, start_writer):
    """Each writer process is one bench PC's labctl, writing while the other does."""
    import subprocess
    import sys

    writers = [start_writer(pg_url, batch=10, limit=50) for _ in range(2)]
    for proc, _, _ in writers:
        assert proc.stdout.read().split()[-1] == "50"   # all acknowledged, then it ended
        assert proc.wait() == 0
    listed = subprocess.run([sys.executable, "-m", "labctl.cli", "runs", "--db", pg_url],
                            capture_output=True, text=True, timeout=120, check=True)
    rows = [line.split() for line in listed.stdout.splitlines()[1:]]
    assert sorted(int(r[0]) for r in rows) == sorted(run for _, run, _ in writers)
    assert all(r[4] == "done" and r[-1] == "50" for r in rows)
