"""Fixture compensation end to end: the protocol measures open and short fixtures through a
simulated switch channel, the runner keeps them as the channel's standards, a later
spectrum records them, and analysis reads it compensated (raw points kept as measured)."""

from __future__ import annotations

import math
import re

import numpy as np
import pytest

from labctl.analysis import dataset
from labctl.analysis.analysis import analyze
from labctl.bench import open_bench, parse_bench
from labctl.recipe import parse_recipe
from labctl.runner import Runner
from labctl.store.store import Store

from tests.benches import ANALYZER_LIMITS, instrument, routes
from tests.benches import bench as bench_file

TIMEOUT = 300
# GDC10 at 200 C: bulk R ~5 kOhm with its apex near 1.4 MHz, the end the parasitics bend
BENCH = bench_file(
    instrument("fra", "solartron1260", limits=ANALYZER_LIMITS),
    instrument("matrix", "keithley7001",
               options={"channels": routes({"1!1": ("A", "fra.hi"), "1!11": ("A", "fra.lo")})}),
    start_temperature_C=200.0, pellets={"A": {"sample": "gdc10"}})
SAMPLE = '[sample]\nname = "A"\nthickness_m = 1e-3\narea_m2 = 1e-4\n'
EIS = SAMPLE + """[[steps]]
protocol = "eis"
start_Hz = 1e6
stop_Hz = 0.1
amplitude_V = 0.05
"""
FIXTURE = SAMPLE + '[roles]\nswitch = "matrix"\n[[steps]]\nprotocol = "fixture_compensation"\nfixture = "{}"\n'


@pytest.fixture
def bench(tmp_path):
    path = tmp_path / "bench.toml"
    path.write_text(BENCH)
    with open_bench(parse_bench(BENCH, str(path))) as opened:
        yield opened


def run(bench, db, text: str) -> int:
    runner = Runner(parse_recipe(text, bench.config), bench, db)
    try:
        assert runner.start().result(TIMEOUT) == "done", runner.reason
        return runner.run_id
    finally:
        runner.close()


def measure_fixtures(bench, db, kinds=("open", "short")) -> None:
    world = bench.simulation.world
    for kind, z in (("open", math.inf), ("short", 0.0)):
        if kind in kinds:
            world.fixtures["A"] = z
            run(bench, db, FIXTURE.format(kind))
    world.fixtures.clear()


def spectrum_run(bench, db):
    """Connect pellet A to the FRA (as a multi-sample recipe will) and measure it."""
    matrix = bench["matrix"]
    matrix.connect(matrix.channels_for("A", "fra"))
    run_id = run(bench, db, EIS)
    with Store.open(db) as store:
        return dataset.from_store(store, run_id), store.steps(run_id), store.impedance(
            store.steps(run_id)[0].id), run_id


def bulk_arc(bench, data) -> tuple[float, float, float]:
    """The fitted bulk arc: (R error against the pellet's truth, C_eff, apex frequency)."""
    world = bench.simulation.world
    truth = world.pellets["A"].sample.resistances(world.sample_temperature_K())["bulk"]
    [arc] = [a for a in analyze(data).plateaus[0].arcs if a.label == "bulk"]
    return arc.R_Ohm / truth - 1, arc.C_eff_F, arc.apex_Hz


def test_with_compensation_bulk_R_is_within_1_percent_where_uncompensated_it_is_not(
        bench, tmp_path):
    db = tmp_path / "lab.sqlite"
    raw, _, _, _ = spectrum_run(bench, db)          # before any standard: as measured, silently
    assert not any("Compensation" in n for n in raw.notes)
    uncompensated, raw_C, raw_apex = bulk_arc(bench, raw)
    measure_fixtures(bench, db)
    data, steps, points, run_id = spectrum_run(bench, db)
    compensated, C, apex = bulk_arc(bench, data)
    pellet = bench.simulation.world.pellets["A"].sample
    print(f"\nbulk arc, uncompensated: R {uncompensated:+.2%}, C_eff {raw_C * 1e12:.1f} pF, "
          f"apex {raw_apex / 1e6:.3f} MHz; compensated: R {compensated:+.2%}, "
          f"C_eff {C * 1e12:.1f} pF, apex {apex / 1e6:.3f} MHz; "
          f"pellet's C_bulk {pellet.bulk_capacitance_F * 1e12:.1f} pF")
    assert abs(compensated) < 0.01 < abs(uncompensated)
    # the channel's stray C (30 pF, across the pellet) slows the bulk arc; compensated it is
    # the pellet's own again
    assert C == pytest.approx(pellet.bulk_capacitance_F, rel=0.05)
    assert raw_C > C + 10e-12 and raw_apex < 0.8 * apex
    assert data.notes == []
    with Store.open(db) as store:
        used = store.used(steps[0].id)
        assert (used.channel, used.open.kind, used.short.kind) == ("fra:A", "open", "short")
        assert store.run(used.open.step_id if used.open.step_id else 0).bench_name \
            == store.run(run_id).bench_name
    # the store keeps the raw points; the dataset's spectrum is another one
    plateau = data.plateaus[0]
    order = np.argsort(points["frequency_Hz"])[::-1]
    assert np.allclose(plateau.frequency_Hz, points["frequency_Hz"][order])
    top = abs(plateau.impedance_Ohm[0] - points["impedance_Ohm"][order][0])
    assert top > 0.01 * abs(points["impedance_Ohm"][order][0])


def test_only_an_open_standard_is_a_named_warning_and_the_spectrum_stays_raw(bench, tmp_path):
    db = tmp_path / "lab.sqlite"
    measure_fixtures(bench, db, kinds=("open",))
    data, steps, points, run_id = spectrum_run(bench, db)
    [note] = data.notes
    assert "CompensationMissing: channel fra:A: no valid short standard" in note
    order = np.argsort(points["frequency_Hz"])[::-1]
    assert np.array_equal(data.plateaus[0].impedance_Ohm, points["impedance_Ohm"][order])
    with Store.open(db) as store:
        warnings = [e.message for e in store.events(run_id) if e.level == "warning"]
    assert any("no valid short standard" in w for w in warnings)


LCR_BENCH = bench_file(instrument("lcr", "keysight_e4980a", limits=ANALYZER_LIMITS),
                       start_temperature_C=300.0)
LCR_EIS = EIS.replace("stop_Hz = 0.1", "stop_Hz = 100.0")
LCR_FIXTURE = SAMPLE + '[[steps]]\nprotocol = "fixture_compensation"\nstop_Hz = 20.0\nfixture = "{}"\n'


def test_the_e4980a_uses_its_own_correction_and_a_spectrum_records_it(tmp_path):
    db = tmp_path / "lab.sqlite"
    with open_bench(parse_bench(LCR_BENCH, str(tmp_path / "bench.toml"))) as bench:
        world = bench.simulation.world
        for kind, z in (("open", math.inf), ("short", 0.0)):
            world.fixtures[None] = z
            run(bench, db, LCR_FIXTURE.format(kind))
        world.fixtures.clear()
        assert bench["lcr"].corrections() == {"open": True, "short": True}
        corrected = run(bench, db, LCR_EIS)
        bench["lcr"].set_corrections(False)
        off = run(bench, db, LCR_EIS)
    with Store.open(db) as store:
        assert [(s.kind, s.method, s.frequency_Hz.size) for s in store.standards("bench")] == [
            ("short", "instrument", 0), ("open", "instrument", 0)]
        step = store.steps(corrected)[0]
        used = store.used(step.id)
        assert used.instrument and not used.applies and used.channel == "lcr"
        data = dataset.from_store(store, corrected)
        points = store.impedance(step.id)
        assert data.notes == []
        assert np.array_equal(np.sort(data.plateaus[0].impedance_Ohm),
                              np.sort(points["impedance_Ohm"]))
        [note] = dataset.from_store(store, off).notes
        assert "CompensationMissing: channel lcr: the analyzer's own correction was " \
               "measured but is off now" in note


MUX_BENCH = bench_file(
    instrument("lcr", "keysight_e4980a", limits=ANALYZER_LIMITS),
    instrument("mux", "keysight34980a", options={"channels": routes({
        "1001": ("A", "lcr.hi"), "1011": ("A", "lcr.lo"),
        "1002": ("B", "lcr.hi"), "1012": ("B", "lcr.lo")})}),
    start_temperature_C=200.0,
    pellets={"A": {"sample": "gdc10", "fixture": "open"}, "B": {"sample": "ysz", "fixture": "open"}})


def test_through_a_switch_each_position_is_a_channel_and_the_e4980a_correction_is_off(
        tmp_path):
    db = tmp_path / "lab.sqlite"
    with open_bench(parse_bench(MUX_BENCH, str(tmp_path / "bench.toml"))) as bench:
        bench["lcr"].correct("short")                  # left on by someone before
        run_id = run(bench, db, FIXTURE.replace('"matrix"', '"mux"').format("open")
                     + "stop_Hz = 20.0\npoints_per_decade = 2\n")
        assert bench["lcr"].corrections() == {"open": False, "short": False}
    with Store.open(db) as store:
        found = {s.channel: s for s in store.standards("bench")}
        messages = [e.message for e in store.events(run_id)]
    assert set(found) == {"lcr:A", "lcr:B"}
    assert {(s.kind, s.method) for s in found.values()} == {("open", "measured")}
    assert "lcr: its own correction switched off; channels measured" in messages
    # 20 pF across the open: beyond the E4980A's 1e8 Ohm at 20 Hz, admittance 0 there
    assert np.isinf(found["lcr:A"].impedance_Ohm[0]) and found["lcr:A"].frequency_Hz[0] == 20.0
    assert sum(bool(re.match(r"open fixture beyond lcr's range from [\d.]+ Hz \(overload", m))
               for m in messages) == 2
