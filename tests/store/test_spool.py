"""A bench that loses its PostgreSQL server mid-run measures on into its local spool and
replays it in order once the server is back: nothing lost, nothing twice, also when the
replay is cut short by killing the process."""

from __future__ import annotations

import shutil
import signal
import socket
import sys
from pathlib import Path

import numpy as np
import pytest

from labctl.capabilities import TemperatureReading
from labctl.errors import StoreError
from labctl.store import Store
from labctl.store.spool import Spool
from tests.processes import Child
from tests.store.spectra import FREQUENCIES_HZ, SPECTRUM_OHM

REPLAY = Path(__file__).with_name("replay_proc.py")


def add_dc(store, step, first, last) -> int:
    t = np.arange(first, last, dtype=float)
    return store.add_dc(step, {"time_s": t, "voltage_V": 0.1, "current_A": 1e-6 * t})


def replayed(pg_url) -> int:
    with Store.open(pg_url, create=False) as reader:
        return reader._conn.execute("SELECT count(*) FROM replayed").fetchone()[0]


def test_a_run_goes_on_through_a_server_stop_and_nothing_is_lost_or_doubled(
        pg_server, pg_url, tmp_path):
    spool = tmp_path / "spool.sqlite"
    with Store.open(pg_url, spool=spool) as bench:
        bench.retry_s = 0.0            # look for the server at every write
        run = bench.create_run("through a stop", "", {"bench": "bench-a.toml"}, {})
        first = bench.start_step(run, "dc_polarization", {}, 600.0)
        assert add_dc(bench, first, 0, 10) == 10
        pg_server.stop()
        try:
            assert add_dc(bench, first, 10, 25) == 15          # committed to the spool
            bench.log_event(run, "warning", "measured offline")
            bench.finish_step(first, "done", {"t_ion": 0.98})
            second = bench.start_step(run, "eis", {}, 600.0, sample="B")
            assert bench.add_impedance(second, {
                "time_s": np.arange(36.0), "frequency_Hz": FREQUENCIES_HZ,
                "impedance_Ohm": SPECTRUM_OHM, "amplitude_V": 0.01}) == 36
            assert bench.pending_requests(run) == []
            assert [m for _, m, _ in Spool(spool).calls()] == [
                "_insert_points", "_log_event", "_finish_step", "_start_sample_step",
                "_insert_points"]
        finally:
            pg_server.start()
        bench.add_temperature(run, [TemperatureReading(99.0, 873.0, 873.15, 20.0)])
        bench.finish_run(run, "done")
    assert Spool(spool).calls() == []
    with Store.open(pg_url, create=False) as reader:
        np.testing.assert_array_equal(reader.dc(first)["time_s"], np.arange(25.0))
        np.testing.assert_array_equal(reader.impedance(second)["impedance_Ohm"], SPECTRUM_OHM)
        steps = reader.steps(run)
        assert [(s.id, s.seq, s.status) for s in steps] == [(first, 1, "done"),
                                                            (second, 2, "done")]
        assert steps[0].result == {"t_ion": 0.98}
        assert [s.sample for s in steps] == [None, "B"]
        assert "measured offline" in [e.message for e in reader.events(run)]
        assert reader.run(run).status == "done" and len(reader.temperature_log(run)) == 1
    assert replayed(pg_url) == 5


def test_a_spool_written_before_steps_named_their_sample_replays_as_written(
        pg_server, pg_url, tmp_path):
    """A bench offline across an upgrade: its spooled step start has the old arguments
    (no sample); read positionally by the new method, its time went into `sample`."""
    spool = tmp_path / "spool.sqlite"
    run, step = spool_offline(pg_server, pg_url, spool, 1)
    with Store.open(pg_url, spool=spool) as bench:
        seq = bench._conn.execute("SELECT max(seq) + 1 FROM steps WHERE run_id = %s",
                                  (run,)).fetchone()[0]
    Spool(spool).append("_start_step", [run, "eis", "{}", 600.0, "program[1]/eis",
                                        "2026-11-30T08:00:00.000+00:00", step + 100, seq])
    with Store.open(pg_url, spool=spool) as bench:
        (old,) = [s for s in bench.steps(run) if s.id == step + 100]
    assert Spool(spool).calls() == []
    assert (old.kind, old.path, old.sample) == ("eis", "program[1]/eis", None)
    assert old.started_utc.startswith("2026-11-30T08:00:00")


def spool_offline(pg_server, pg_url, spool: Path, points: int) -> tuple[int, int]:
    """A run whose server stops after its first step started; `points` DC points, one
    per write, go to the spool. The run and step ids."""
    with Store.open(pg_url, spool=spool) as bench:
        bench.retry_s = float("inf")   # the server stays gone for this process
        run = bench.create_run("spooled", "", {}, {})
        step = bench.start_step(run, "dc_polarization", {}, 600.0)
        pg_server.stop()
        try:
            for i in range(points):
                add_dc(bench, step, i, i + 1)
        finally:
            pg_server.start()
    return run, step


def test_a_replay_killed_midway_is_finished_by_the_next_open_exactly_once(
        pg_server, pg_url, tmp_path):
    spool = tmp_path / "spool.sqlite"
    _, step = spool_offline(pg_server, pg_url, spool, 300)
    assert len(Spool(spool).calls()) == 300
    with Child([sys.executable, str(REPLAY), pg_url, str(spool)]) as replay:
        replay.read_until("replayed spooled write")
        replay.signal(signal.SIGKILL)
        replay.wait()
    assert "replayed all" not in replay.output
    cut_at = replayed(pg_url)
    assert 0 < cut_at < 300                       # killed in the middle of the replay
    with Store.open(pg_url, spool=spool) as bench:
        np.testing.assert_array_equal(bench.dc(step)["time_s"], np.arange(300.0))
    assert Spool(spool).calls() == [] and replayed(pg_url) == 300


def test_calls_applied_but_still_in_the_spool_are_not_applied_again(pg_server, pg_url,
                                                                    tmp_path):
    """As if killed after the server committed a call but before the spool forgot it."""
    spool = tmp_path / "spool.sqlite"
    _, step = spool_offline(pg_server, pg_url, spool, 5)
    before = tmp_path / "before-replay.sqlite"
    shutil.copy(spool, before)
    Store.open(pg_url, spool=spool).close()
    shutil.copy(before, spool)
    Path(f"{spool}-wal").unlink(missing_ok=True)
    with Store.open(pg_url, spool=spool) as bench:
        np.testing.assert_array_equal(bench.dc(step)["time_s"], np.arange(5.0))
    assert Spool(spool).calls() == []


def test_a_step_cannot_start_offline_in_a_run_this_process_did_not_number(pg_server, pg_url,
                                                                         tmp_path):
    with Store.open(pg_url) as other:
        run = other.create_run("started elsewhere", "", {}, {})
    with Store.open(pg_url, spool=tmp_path / "spool.sqlite") as bench:
        pg_server.stop()
        try:
            with pytest.raises(StoreError, match="cannot number a new step of run"):
                bench.start_step(run, "eis", {}, 600.0)
        finally:
            pg_server.start()


def test_the_spool_of_a_bench_that_died_is_replayed_into_its_interrupted_run(
        pg_server, pg_url, tmp_path):
    """The bench process died before the replay; another process marked its run
    interrupted; the next bench process's open still applies what it measured."""
    spool = tmp_path / "spool.sqlite"
    run, step = spool_offline(pg_server, pg_url, spool, 3)
    with Store.open(pg_url, spool=tmp_path / "another-bench.sqlite") as other:
        other._conn.execute("UPDATE runs SET owner = ? WHERE id = ?",
                            (f"{socket.gethostname()} boot-before 1", run))
        assert other.mark_interrupted() == [run]
    with Store.open(pg_url, spool=spool) as bench:
        np.testing.assert_array_equal(bench.dc(step)["time_s"], np.arange(3.0))
        assert bench.run(run).status == "interrupted"
    assert Spool(spool).calls() == []
