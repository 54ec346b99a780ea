"""The run browser: runs from the store, replot one, follow a running one, export it."""

from __future__ import annotations

import numpy as np

from labctl.capabilities import CurrentReading, TemperatureReading
from labctl.gui.browser import RunBrowser
from labctl.store import Store

F_HZ = np.logspace(5, 0, 11)
Z = 1e4 / (1 + 2j * np.pi * F_HZ * 1e4 * 1e-8)


def test_lists_opens_follows_and_exports_runs(qtbot, tmp_path):
    db = tmp_path / "lab.sqlite"
    with Store.open(db) as store:
        old = store.create_run("old run", "", {}, {"name": "pellet A"})
        store.finish_run(old, "failed")
        run = store.create_run("series", "", {}, {"name": "pellet B", "thickness_m": 1e-3,
                                                  "area_m2": 1e-4})
        eis = store.start_step(run, "eis", {}, 573.15)
        store.add_impedance(eis, {"time_s": np.arange(11.0), "frequency_Hz": F_HZ,
                                  "impedance_Ohm": Z, "amplitude_V": 0.02})
        store.add_temperature(run, [TemperatureReading(i, 573.0, 573.15, 30.0) for i in range(5)])
        browser = RunBrowser(db)
        qtbot.addWidget(browser)
        try:
            rows = [[browser.table.item(r, c).text() for c in (0, 2, 3)]
                    for r in range(browser.table.rowCount())]
            assert rows == [[str(run), "running", "pellet B"], [str(old), "failed", "pellet A"]]
            browser.table.selectRow(0)
            browser.open_selected()
            assert browser.opened == run and browser.follow_timer.isActive()
            assert len(browser.plots.nyquist.spectra[eis][0]) == 11
            assert len(browser.plots.temperature.temperature) == 5
            dc = store.start_step(run, "dc_polarization", {}, 573.15)
            store.add_dc(dc, [CurrentReading(20.0 + i, 0.5, 1e-6) for i in range(7)])
            store.finish_run(run, "done")
            browser._follow()                        # what the follow timer does
            assert len(browser.plots.current.curves_by_key[dc]) == 7
            assert not browser.follow_timer.isActive()
            csv = browser.export(run, "csv", tmp_path / "csv")
            z = browser.export(run, "z", tmp_path / "z")
            assert sorted(p.suffix for p in csv) == [".csv"] * 3
            assert [p.suffix for p in z] == [".z"]
            assert "ZPLOT2 ASCII" in z[0].read_text()
        finally:
            browser.close_store()
