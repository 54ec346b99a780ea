"""The imperfections a sample file may switch on (leads, analyzer accuracy, a temperature-
dependent electrode exponent): each against its physics; all off in the default sample."""

import math

import numpy as np
import pytest

from labctl.errors import ConfigError
from labctl.simulators.physics.sample import SampleModel
from tests.physics.conftest import default_tables

T_K = 623.15


def with_tables(**tables: dict) -> SampleModel:
    data = default_tables()
    data.update(tables)
    return SampleModel.from_dict(data, source="test")


def test_the_default_sample_has_none_of_them():
    sample = SampleModel.default()
    assert sample.leads is None and sample.accuracy is None and sample.electrode_exponent is None
    assert sample.aging is None and sample.mains is None and sample.contact is None


def test_leads_add_their_resistance_and_an_inductive_tail():
    """Z = Z_sample + R + j omega L; above the bulk arc the inductance turns Z'' positive
    where omega L exceeds the sample's capacitive reactance."""
    plain = SampleModel.default()
    leaded = with_tables(leads={"series_resistance_Ohm": 0.7, "inductance_H": 2e-6})
    f = np.logspace(-1, 8, 91)
    np.testing.assert_allclose(leaded.impedance(f, T_K) - plain.impedance(f, T_K),
                               0.7 + 2j * np.pi * f * 2e-6, rtol=1e-9, atol=1e-9)
    z = leaded.impedance(f, T_K)
    assert z.imag[-1] > 0 > z.imag[0]
    # the crossing: omega L = 1 / (omega C_b) to within the grid once the bulk arc is passed
    dense = np.logspace(6, 8, 801)
    crossing = dense[np.argmax(leaded.impedance(dense, T_K).imag > 0)]
    resonance = 1 / (2 * np.pi * math.sqrt(2e-6 * plain.bulk_capacitance_F))
    assert crossing == pytest.approx(resonance, rel=0.02)


def test_accuracy_chart_error_grows_with_impedance_and_frequency():
    """1-sigma spread of |Z| readings follows noise.relative (1 + |Z|/Z_s) + omega C_s |Z|."""
    sample = with_tables(accuracy={"impedance_scale_Ohm": 1e6, "stray_capacitance_F": 1e-13})
    rel = sample.noise.relative
    for z0, f in ((1e3, 10.0), (1e7, 10.0), (1e5, 1e6)):
        expected = rel * (1 + z0 / 1e6) + 2 * np.pi * f * 1e-13 * z0
        readings = sample.add_noise(np.full(20000, complex(z0, 0)),
                                    np.random.default_rng(3), f)
        assert np.std(readings.real / z0 - 1) == pytest.approx(expected, rel=0.05)
    low = sample.relative_error(1e3, 10.0)
    assert low == pytest.approx(rel, rel=0.01)
    assert sample.relative_error(1e3) == rel      # no frequency: not an impedance reading


def test_electrode_exponent_follows_temperature_in_the_spike():
    """d log(-Z'') / d log f of the blocking spike (far below the arcs) is -n(T)
    (electronic leakage switched off: it would short the spike)."""
    electronic = {**default_tables()["electronic"], "sigma_ref_S_per_m": 1e-15}
    sample = with_tables(electrode_exponent={"dn_per_K": 5e-4, "T_ref_K": 623.15},
                         electronic=electronic)
    f = np.array([1e-4, 2e-4])
    for T in (523.15, 623.15, 723.15):
        n = sample.electrode.n + 5e-4 * (T - 623.15)
        assert sample.electrode_n(T) == pytest.approx(n)
        z = -sample.impedance(f, T).imag
        slope = np.log(z[1] / z[0]) / np.log(2)
        assert slope == pytest.approx(-n, abs=0.01)
    assert sample.electrode_n(5000.0) == 1.0            # kept physical


def test_imperfection_tables_are_validated():
    with pytest.raises(ConfigError, match="leads.inductance_H"):
        with_tables(leads={"series_resistance_Ohm": 0.1, "inductance_H": -1e-6})
    with pytest.raises(ConfigError, match="electrode_exponent.dn_per_K"):
        with_tables(electrode_exponent={"dn_per_K": 0.1, "T_ref_K": 600.0})


def test_aging_drifts_the_electrolyte_on_the_world_clock(tmp_path):
    """R_b and R_gb grow as 1 + fraction (1 - exp(-age / time_s)); the simulated world serves
    the sample at its clock's age, so a reading at one frequency drifts during a run."""
    from labctl.simulators.world import SimWorld
    from tests.protocols.simbench import write_sample

    data = {**default_tables(), "aging": {"fraction": 0.3, "time_s": 3600.0}}
    sample = SampleModel.from_dict(data, source="test")
    fresh, aged = sample.resistances(T_K), sample.at_age(3600.0).resistances(T_K)
    grown = 1 + 0.3 * (1 - math.exp(-1))
    for path in ("bulk", "grain_boundary"):
        assert aged[path] == pytest.approx(fresh[path] * grown, rel=1e-12)
    assert aged["electronic"] == fresh["electronic"]
    world = SimWorld.create(sample_path=write_sample(tmp_path, data))
    before = world.sample.impedance(1e3, T_K)
    world.clock.sleep(7200.0)
    assert abs(world.sample.impedance(1e3, T_K)) > abs(before) * 1.2


def test_mains_pickup_makes_outliers_at_its_harmonics_only():
    """With 10 integration cycles the other harmonics fall on the sinc's zeros at 50 and
    100 Hz: a reading there is off by exactly pickup |Z| / excitation / k; between the
    harmonics the correlation rejects the pickup to under a tenth of that."""
    mains = {"frequency_Hz": 50.0, "pickup_current_A": 1e-9, "excitation_V": 0.02,
             "integration_cycles": 10.0}
    sample = with_tables(mains=mains, noise={"relative": 0.0})
    z0 = complex(1e6, -1e6)
    size = 1e-9 * abs(z0) / 0.02

    def errors(f):
        return np.abs(sample.add_noise(np.full(50, z0), np.random.default_rng(4), f) / z0 - 1)
    for f, k in ((50.0, 1), (100.0, 2)):
        assert errors(f) == pytest.approx(np.full(50, size / k), rel=1e-9)
    assert np.std(np.angle(sample.add_noise(np.full(50, z0), np.random.default_rng(4), 50.0)
                           - z0)) > 1                  # at a random phase
    for f in (35.0, 75.0, 1e3):
        assert errors(f).max() < 0.15 * size
    assert sample.add_noise(z0, np.random.default_rng(4)) == z0     # no frequency: no pickup
