"""Fixture compensation standards in the store and what they do to a spectrum: the formula
against a lead of known parasitics, no extrapolation, malformed and missing standards
named, the newest valid standard chosen."""

from __future__ import annotations

import math

import numpy as np
import pytest

from labctl.capabilities import ImpedancePoint
from labctl.compensation import CompensationError, Used, choose, compensated
from labctl.simulators.physics.pellets import Lead
from labctl.store.store import Store

LEAD = Lead(series_R_Ohm=1.0, stray_C_F=30e-12, lead_L_H=0.8e-6)
GRID = np.geomspace(10.0, 1e6, 41)
# a pellet-like DUT: bulk R||C in series with an electrode capacitance
def dut(f):
    jw = 2j * np.pi * np.asarray(f)
    return 300.0 / (1 + jw * 300.0 * 20e-12) + 1 / (jw * 1e-6)


@pytest.fixture
def store(location):
    """A store on SQLite and on PostgreSQL (the schema's v6 rendered there)."""
    with Store.open(location) as s:
        yield s


def spectrum_step(store, f, z) -> object:
    """A run with one spectrum step of points (f, z)."""
    run_id = store.create_run("r", "", {"source": "bench-a.toml"}, {})
    step_id = store.start_step(run_id, "eis", {}, path="steps[0]")
    store.add_impedance(step_id, [ImpedancePoint(float(i), fi, complex(zi), 0.01)
                                  for i, (fi, zi) in enumerate(zip(f, z))])
    return store.steps(run_id)[0]


def standards(store, grid=GRID, channel="fra:A"):
    return {kind: store.add_standard("bench-a", channel, kind, grid,
                                     LEAD.measured(value, grid))
            for kind, value in (("open", math.inf), ("short", 0.0))}


def used(store, channel="fra:A"):
    chosen, warnings = choose(channel, store.standards("bench-a", channel))
    return chosen, warnings


def test_open_short_compensation_gives_the_dut_back_between_the_grid_points(store):
    standards(store)
    f = np.geomspace(20.0, 8e5, 37)                    # off the standards' grid
    step = spectrum_step(store, f, LEAD.measured(dut(f), f))
    chosen, warnings = used(store)
    assert warnings == []
    store.record_used(step.id, chosen)
    z, note = compensated(store, step, f, store.impedance(step.id)["impedance_Ohm"])
    assert note == ""
    # between grid points the open's 1/(R + jwL + 1/jwC) is linear in f to ~1e-5
    assert np.allclose(z, dut(f), rtol=1e-4)
    assert not np.allclose(LEAD.measured(dut(f), f), dut(f), rtol=1e-2)


def test_a_load_standard_is_used_with_its_value(store):
    standards(store)
    store.add_standard("bench-a", "fra:A", "load", GRID, LEAD.measured(100.0, GRID),
                       load_Ohm=100.0)
    chosen, _ = used(store)
    assert chosen.load is not None
    assert np.allclose(chosen.apply(GRID, LEAD.measured(dut(GRID), GRID)), dut(GRID), rtol=1e-6)


def test_frequencies_outside_the_standards_are_refused_not_extrapolated(store):
    standards(store)
    f = np.array([2e6, 1e5, 10.0])
    step = spectrum_step(store, f, LEAD.measured(dut(f), f))
    store.record_used(step.id, used(store)[0])
    with pytest.raises(CompensationError, match=r"step 1 \(steps\[0\]\): open standard \d+ of "
                       r"channel fra:A covers 10 \.\. 1e\+06 Hz, not 2e\+06 \.\. 2e\+06 Hz"):
        compensated(store, step, f, store.impedance(step.id)["impedance_Ohm"])


def test_a_missing_short_is_a_named_warning_and_the_spectrum_is_as_measured(store):
    store.add_standard("bench-a", "fra:A", "open", GRID, LEAD.measured(math.inf, GRID))
    chosen, warnings = used(store)
    assert warnings == [chosen.note]
    assert chosen.note.startswith("CompensationMissing: channel fra:A: no valid short standard")
    step = spectrum_step(store, GRID, dut(GRID))
    store.record_used(step.id, chosen)
    z, note = compensated(store, step, GRID, dut(GRID))
    assert "CompensationMissing" in note and np.array_equal(z, dut(GRID))


def test_malformed_data_are_not_stored(store):
    with pytest.raises(CompensationError, match="short standard of channel fra:A on bench "
                                                "bench-a: 3 frequencies for 2 impedances"):
        store.add_standard("bench-a", "fra:A", "short", [1.0, 2.0, 3.0], [1.0, 1.0])
    with pytest.raises(CompensationError, match="non-finite"):
        store.add_standard("bench-a", "fra:A", "short", [1.0, 2.0], [1.0, math.nan])
    assert store.standards("bench-a") == []


def test_the_newest_valid_standard_is_chosen_a_malformed_newer_one_named_and_skipped(store):
    older = standards(store)
    newer = standards(store)
    chosen, warnings = used(store)
    assert (chosen.open.id, chosen.short.id) == (newer["open"], newer["short"])
    store._conn.execute("UPDATE compensations SET frequency_Hz_json = '[1, 1]' WHERE id = ?",
                        (newer["short"],))
    chosen, warnings = used(store)
    assert (chosen.open.id, chosen.short.id) == (newer["open"], older["short"])
    assert warnings == [f"compensation: short standard {newer['short']} of channel fra:A "
                        "skipped: 2 frequencies for 41 impedances"]


def test_a_step_whose_standard_was_spoilt_since_is_an_error_naming_it(store):
    ids = standards(store)
    step = spectrum_step(store, GRID, dut(GRID))
    store.record_used(step.id, used(store)[0])
    store._conn.execute("UPDATE compensations SET z_real_Ohm_json = 'oops' WHERE id = ?",
                        (ids["open"],))
    with pytest.raises(CompensationError, match=f"standard {ids['open']} of channel fra:A: "
                                                "stored data unreadable"):
        compensated(store, step, GRID, dut(GRID))


def test_standards_are_per_channel_and_bench(store):
    standards(store, channel="fra:B")
    chosen, warnings = used(store)           # fra:A has none: measured uncompensated, silently
    assert not chosen.applies and chosen.note == "" and warnings == []
    assert [s.channel for s in store.standards("bench-a")] == ["fra:B", "fra:B"]
    assert store.standards("bench-b") == []


def test_an_open_beyond_the_analyzers_range_has_zero_admittance_there(store):
    f = np.geomspace(1e6, 1.0, 13)
    z_open = LEAD.measured(math.inf, f)
    z_open[-3:] = math.inf                            # not resolved below 10 Hz
    store.add_standard("bench-a", "fra:A", "open", f, z_open)
    store.add_standard("bench-a", "fra:A", "short", f, LEAD.measured(0.0, f))
    chosen, _ = used(store)
    assert chosen.open.at(np.array([1.0]))[0] == 0
    assert chosen.apply(f, LEAD.measured(dut(f), f))[:9] == pytest.approx(dut(f)[:9], rel=1e-6)


def test_compensation_writes_are_spooled_while_the_server_is_gone(pg_server, pg_url, tmp_path):
    with Store.open(pg_url, spool=tmp_path / "spool.sqlite") as bench:
        bench.retry_s = 0.0
        step = spectrum_step(bench, GRID, dut(GRID))
        pg_server.stop()
        try:
            ids = standards(bench)
            assert ids == {"open": None, "short": None}          # in the spool
            bench.record_used(step.id, Used("fra:A", note="CompensationMissing: channel fra:A"))
        finally:
            pg_server.start()
        bench.finish_step(step.id, "done")
    with Store.open(pg_url, create=False) as reader:
        assert [s.kind for s in reader.standards("bench-a", "fra:A")] == ["short", "open"]
        assert reader.used(step.id).note.startswith("CompensationMissing: channel fra:A")


def test_measured_standards_are_not_applied_over_an_analyzers_own_correction(store):
    ids = standards(store)
    chosen, warnings = choose("fra:A", store.standards("bench-a", "fra:A"), instrument_on=True)
    assert not chosen.applies
    assert warnings == [chosen.note] and chosen.note == (
        "CompensationMissing: channel fra:A: the analyzer's own correction is on as well: "
        f"switch it off (its fixture compensation step does) to use standards {ids['open']}, "
        f"{ids['short']}; spectrum not compensated")
    store.add_standard("bench-a", "fra:A", "open", [], [], method="instrument")
    chosen, _ = choose("fra:A", store.standards("bench-a", "fra:A"), instrument_on=True)
    assert "the newest open (instrument) and short (measured) standards differ" in chosen.note
