"""A run with several pellets in the store, written with the store API from the simulated
pellets' physics (shipped sample files, each pellet its own geometry): what the multi-sample
analysis, export and GUI tests read."""

from __future__ import annotations

import copy
import tomllib

import numpy as np

from labctl.simulators.physics.sample import SampleModel
from labctl.simulators.physics.sample_file import shipped_sample
from labctl.store import Store
from labctl.units import C_to_K

# pellet name -> (sample file, thickness_m, area_m2): geometries unlike the files' own
PELLETS = {"A": ("default", 1.3e-3, 0.8e-4), "B": ("mixed-conductor", 0.6e-3, 1.5e-4),
           "C": ("ysz", 2.0e-3, 0.5e-4)}
TEMPERATURES_C = (260.0, 300.0, 340.0)
F_HZ = np.logspace(6, -1, 36)
VOLTAGE_V = 0.3


def pellet(name: str) -> SampleModel:
    """Pellet `name`'s truth: its sample file with the pellet's geometry."""
    file, thickness_m, area_m2 = PELLETS[name]
    data = copy.deepcopy(tomllib.loads(shipped_sample(file).read_text()))
    data["sample"].update(name=name, thickness_m=thickness_m, area_m2=area_m2)
    return SampleModel.from_dict(data, source=f"pellet {name} ({file})")


def write_run(db, pellets=tuple(PELLETS), temperatures_C=TEMPERATURES_C, seed: int = 0,
              failed=(), offsets_K=None, calibrated_K=None) -> int:
    """Per plateau and pellet an impedance spectrum and a DC polarization (spectra of the
    pellets in `failed` end 'failed'); the run's id. A pellet of `offsets_K` sits that far
    from the thermocouple (stored temperatures: the thermocouple's), one of `calibrated_K`
    has that calibrated offset in its sample table."""
    rng = np.random.default_rng(seed)
    truths = {name: pellet(name) for name in pellets}
    offsets_K, calibrated_K = offsets_K or {}, calibrated_K or {}
    samples = [{"name": n, "thickness_m": m.sample.thickness_m, "area_m2": m.sample.area_m2,
                **({"temperature_offset_K": calibrated_K[n]} if n in calibrated_K else {})}
               for n, m in truths.items()]
    with Store.open(db) as store:
        run = store.create_run("furnace day", "", {}, {"name": "furnace day",
                                                       "samples": samples})
        for k, celsius in enumerate(temperatures_C, start=1):
            T = C_to_K(celsius)
            for name, truth in truths.items():
                at = T + offsets_K.get(name, 0.0)
                _spectrum(store, run, f"program[{k}]/eis", name, truth, T, at, rng,
                          "failed" if name in failed else "done")
                _polarization(store, run, f"program[{k}]/dc_polarization", name, truth, T, at)
        store.finish_run(run, "done")
    return run


def _spectrum(store, run, path, name, truth, T, at, rng, status) -> None:
    """Measured at thermocouple temperature T, the pellet at `at`."""
    z = truth.add_noise(truth.impedance(F_HZ, at), rng, F_HZ)
    step = store.start_step(run, "eis", {}, T, path=path, sample=name)
    store.add_impedance(step, {"time_s": np.arange(F_HZ.size, dtype=float),
                               "frequency_Hz": F_HZ, "impedance_Ohm": z,
                               "amplitude_V": 0.02}, temperature_K=T)
    r = truth.resistances(at)
    store.finish_step(step, status, {"r_ion_Ohm": float(r["bulk"] + r["grain_boundary"])})


def _polarization(store, run, path, name, truth, T, at) -> None:
    t = np.geomspace(0.1, 3600.0, 60)
    i = truth.step_current(VOLTAGE_V, t, at)
    iss = VOLTAGE_V / truth.resistances(at)["electronic"]
    step = store.start_step(run, "dc_polarization", {"voltage_V": VOLTAGE_V}, T, path=path,
                            sample=name)
    store.add_dc(step, {"time_s": t, "voltage_V": np.full(t.size, VOLTAGE_V),
                        "current_A": i}, temperature_K=T)
    store.finish_step(step, "done", {
        "voltage_V": VOLTAGE_V, "I0_A": float(i[0]), "Iss_A": iss, "Iss_std_A": 0.0,
        "Iss_is_bound": False, "t_ion": 1 - iss / float(i[0]), "t_ion_std": 0.0,
        "I0_source": "first_reading", "stopped": "steady_state", "duration_s": 3600.0,
        "model": "none", "model_params": {}, "model_failed": ""})
