"""A mixed conductor between ion-blocking electrodes: the stoichiometry polarization relaxes
the current by chemical diffusion (Wagner series), the CPE electrode by a power law."""

import numpy as np
import pytest

from labctl.errors import ConfigError
from labctl.simulators.physics.sample import SampleModel
from tests.physics.conftest import default_tables

T_K = 623.15


def mixed(Q: float = 1e-9) -> SampleModel:
    data = default_tables("mixed-conductor")
    data["electrode"]["Q"] = Q
    return SampleModel.from_dict(data, source="test")


def test_the_current_relaxes_as_the_wagner_diffusion_series():
    """Small electrode capacitance: I = V/R_e + (V/R_el) sum 8/(m pi)^2 exp(-m^2 t/tau)."""
    sample = mixed()
    tau = sample.chemical_diffusion_time_s(T_K)
    r = sample.resistances(T_K)
    t = np.array([0.05, 0.3, 1.0, 3.0]) * tau
    m = np.arange(1, 400, 2)[:, None]
    series = np.sum(8 / (m * np.pi) ** 2 * np.exp(-m ** 2 * t / tau), axis=0)
    expected = 0.1 / r["electronic"] + 0.1 / (r["bulk"] + r["grain_boundary"]) * series
    assert tau == pytest.approx(0.5e-3 ** 2 / (np.pi ** 2 * 2.5e-10))
    assert sample.step_current(0.1, t, T_K) == pytest.approx(expected, rel=1e-4)


def test_the_high_frequency_spectrum_is_that_of_the_ionic_paths():
    """Z_chem falls as f^-1/2 (Warburg-like): well above 1/tau it is negligible."""
    with_diffusion = mixed(Q=1e-6)
    data = default_tables("mixed-conductor")
    del data["chemical_diffusion"]
    without = SampleModel.from_dict(data, source="test")
    f = np.geomspace(1e4, 1e6, 9)
    assert with_diffusion.impedance(f, T_K) == pytest.approx(without.impedance(f, T_K),
                                                             rel=5e-3)


@pytest.mark.parametrize("change, message", [
    (lambda d: d["chemical_diffusion"].pop("source"), "chemical_diffusion.source"),
    (lambda d: d["electrode"].update(kind="non-blocking"), "chemical_diffusion"),
])
def test_bad_chemical_diffusion_tables_are_named(change, message):
    data = default_tables("mixed-conductor")
    change(data)
    with pytest.raises(ConfigError, match=message):
        SampleModel.from_dict(data, source="s.toml")
