"""Sample files the analysis tests generate: parameters the analysis code has never seen."""

from __future__ import annotations

import tomllib

import numpy as np

from labctl.simulators.physics.sample import SampleModel
from labctl.simulators.physics.sample_file import shipped_sample

DEFAULT_CIRCUIT_TRUTH = ("R1", "R2")   # names of bulk and grain-boundary R in the default circuit


def random_sample(seed: int) -> SampleModel:
    return SampleModel.from_dict(random_tables(seed), source=f"random sample {seed}")


def random_tables(seed: int) -> dict:
    """A pellet with random geometry, activation energies, capacitances and exponents,
    drawn so that between 275 and 450 C the bulk and grain-boundary arcs stay resolved
    within 1 MHz .. 0.1 Hz (apexes more than 1.5 decades apart)."""
    rng = np.random.default_rng(seed)
    data = tomllib.loads(shipped_sample("default").read_text())
    data["sample"].update(name=f"random sample {seed}", thickness_m=rng.uniform(0.3e-3, 2e-3),
                          area_m2=rng.uniform(0.3e-4, 2e-4))
    data["bulk"].update(Ea_eV=rng.uniform(0.5, 1.1), eps_r=rng.uniform(20, 80),
                        sigma_ref_S_per_m=10 ** rng.uniform(-4.3, -3.7))
    data["grain_boundary"].update(Ea_eV=data["bulk"]["Ea_eV"] + rng.uniform(0.05, 0.2),
                                  sigma_ref_S_per_m=10 ** rng.uniform(-4.0, -3.6),
                                  Q=10 ** rng.uniform(-8.3, -7.7), n=rng.uniform(0.8, 0.95))
    data["electrode"].update(Q=10 ** rng.uniform(-6.3, -5.7), n=rng.uniform(0.75, 0.95))
    data["electronic"].update(sigma_ref_S_per_m=10 ** rng.uniform(-8, -6.5),
                              Ea_eV=rng.uniform(1.0, 1.6))
    data["stability"].update(reduction_onset_V=rng.uniform(-2.0, -0.6),
                             oxidation_onset_V=rng.uniform(1.2, 2.8))
    return data


def spectrum(sample: SampleModel, T_K: float, seed: int = 0,
             frequencies_Hz=np.logspace(6, -1, 36)) -> tuple[np.ndarray, np.ndarray]:
    """A noisy spectrum of `sample` at T_K, as the simulated analyzer would measure it."""
    z = sample.add_noise(sample.impedance(frequencies_Hz, T_K), np.random.default_rng(seed),
                         frequencies_Hz)
    return frequencies_Hz, z
