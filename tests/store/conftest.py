"""Fixtures for store tests: a fresh database, one holding a small synthetic run, and
writer processes."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from labctl.capabilities import CurrentReading, TemperatureReading
from labctl.store import Store
from tests.processes import stop
from tests.store.spectra import FREQUENCIES_HZ, SPECTRUM_OHM

WRITER = Path(__file__).with_name("writer_proc.py")


@pytest.fixture
def db(tmp_path):
    return tmp_path / "lab.sqlite"


@pytest.fixture
def store(db):
    with Store.open(db) as s:
        yield s


@pytest.fixture
def lab_store(location):
    """A new store, once per backend."""
    with Store.open(location) as s:
        yield s


@pytest.fixture
def filled(store):
    """A finished run: an EIS step, a DC step, a temperature log and two events."""
    return fill(store)


def fill(store: Store) -> tuple[Store, int, int, int]:
    """Record the run of `filled` in `store`: the store and the run, EIS and DC step ids."""
    run = store.create_run("YSZ 8 mol%", "[[steps]]\nkind = 'eis'\n",
                           {"smu": {"idn": "KEITHLEY,2450,1,1.7"}},
                           {"name": "ysz-1", "thickness_m": 1.2e-3, "area_m2": 7.9e-5},
                           operator="ada")
    eis = store.start_step(run, "eis", {"amplitude_V": 0.02}, temperature_K=873.15)
    store.add_impedance(eis, {"time_s": np.arange(36.0), "frequency_Hz": FREQUENCIES_HZ,
                              "impedance_Ohm": SPECTRUM_OHM, "amplitude_V": 0.02},
                        temperature_K=873.15)
    store.finish_step(eis, "done")
    dc = store.start_step(run, "dc_polarization", {"voltage_V": 0.1}, temperature_K=873.15)
    store.add_dc(dc, [CurrentReading(40.0 + i, 0.1, 1e-6 / (1 + i)) for i in range(5)],
                 temperature_K=[873.0, 873.1, 873.2, 873.1, 873.0])
    store.log_event(run, "warning", "drift 0.3 %", step_id=dc)
    store.finish_step(dc, "done")
    store.add_temperature(run, [TemperatureReading(i, 873.15, 873.15, 20.0) for i in range(3)])
    store.log_event(run, "info", "done")
    store.finish_run(run, "done")
    return store, run, eis, dc


@pytest.fixture
def start_writer():
    """Start writer processes; each is stopped after the test whatever happened."""
    started = []

    def start(db: Path, batch: int, limit: int) -> tuple[subprocess.Popen, int, int]:
        proc = subprocess.Popen([sys.executable, str(WRITER), str(db), str(batch), str(limit)],
                                stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        started.append(proc)
        run, step = map(int, proc.stdout.readline().split())
        return proc, run, step

    yield start
    for proc in started:
        stop(proc)
