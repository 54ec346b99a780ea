"""Store.points_since: a reader following a running run gets every point exactly once."""

from __future__ import annotations

import numpy as np

from labctl.capabilities import CurrentReading, TemperatureReading
from labctl.store import Store
from tests.store.spectra import FREQUENCIES_HZ, SPECTRUM_OHM


def _impedance(store, step, rows):
    store.add_impedance(step, {"time_s": rows.astype(float), "frequency_Hz": FREQUENCIES_HZ[rows],
                               "impedance_Ohm": SPECTRUM_OHM[rows], "amplitude_V": 0.01})


def test_follows_a_running_run_from_another_connection(store, db):
    run = store.create_run("followed", "", {}, {})
    other = store.create_run("other", "", {}, {})   # its points must never show up
    eis = store.start_step(run, "eis", {}, 600.0)
    noise = store.start_step(other, "eis", {}, 600.0)
    with Store.open(db, create=False) as reader:
        first = reader.points_since(run)
        assert len(first) == 0
        _impedance(store, eis, np.arange(0, 20))
        _impedance(store, noise, np.arange(0, 36))
        store.add_temperature(other, [TemperatureReading(0.0, 1.0, 1.0, 0.0)])
        store.add_temperature(run, [TemperatureReading(i, 600.0 + i, 600.0, 5.0) for i in range(3)])
        second = reader.points_since(run, first.cursor)
        _impedance(store, eis, np.arange(20, 36))
        dc = store.start_step(run, "dc_polarization", {}, 600.0)
        store.add_dc(dc, [CurrentReading(100.0 + i, 0.5, 1e-6) for i in range(4)])
        third = reader.points_since(run, second.cursor)
        fourth = reader.points_since(run, third.cursor)

    assert list(second.impedance) == [eis] and not second.dc
    np.testing.assert_array_equal(second.impedance[eis]["impedance_Ohm"], SPECTRUM_OHM[:20])
    np.testing.assert_array_equal(second.temperature["temperature_K"], [600.0, 601.0, 602.0])
    np.testing.assert_array_equal(third.impedance[eis]["impedance_Ohm"], SPECTRUM_OHM[20:])
    assert len(third.temperature) == 0
    np.testing.assert_array_equal(third.dc[dc]["time_s"], 100.0 + np.arange(4))
    assert len(fourth) == 0 and fourth.cursor == third.cursor
    whole = store.points_since(run)
    assert whole.impedance[eis].tobytes() == store.impedance(eis).tobytes()
    assert len(whole) == 36 + 4 + 3
