"""Pellets in one furnace (temperature offset, thermal lag) and a channel's parasitics,
against closed forms."""

import math

import numpy as np
import pytest

from labctl.simulators.physics.pellets import Lead, Pellet
from labctl.simulators.physics.sample import SampleModel


def test_a_lead_adds_series_r_and_l_and_shunts_the_pellet_with_its_stray_c():
    lead = Lead(series_R_Ohm=2.0, stray_C_F=10e-12, lead_L_H=1e-6)
    f = np.array([1.0, 1e3, 1e6])
    z = np.full(3, 1000.0 + 0j)
    w = 2 * math.pi * f
    expected = 2.0 + 1j * w * 1e-6 + 1 / (1 / 1000.0 + 1j * w * 10e-12)
    assert lead.measured(z, f) == pytest.approx(expected, rel=1e-12)
    assert lead.measured(z, 1.0) == pytest.approx(1002.0, rel=1e-6)  # low f: only R adds
    assert Lead().measured(z, f) == pytest.approx(z)


def test_parasitics_bend_the_high_frequency_end_of_a_spectrum():
    sample = SampleModel.default()
    f = np.logspace(0, 7, 8)
    z = sample.impedance(f, 973.15)
    measured = Lead(series_R_Ohm=1.0, stray_C_F=50e-12, lead_L_H=2e-6).measured(z, f)
    assert abs(measured[0] - z[0]) / abs(z[0]) < 1e-3
    assert abs(measured[-1] - z[-1]) / abs(z[-1]) > 0.05


def test_negative_parasitics_are_refused():
    with pytest.raises(ValueError, match=">= 0"):
        Lead(stray_C_F=-1e-12)


def test_a_pellet_follows_the_thermocouple_plus_its_offset_with_its_lag():
    pellet = Pellet("A", SampleModel.default(), offset_K=-3.0, lag_s=60.0)
    assert pellet.temperature_K(0.0, 973.15) == pytest.approx(970.15)
    # a 10 K step of the thermocouple: 1 - 1/e of it after one lag
    assert pellet.temperature_K(60.0, 983.15) == pytest.approx(970.15 + 10 * (1 - math.exp(-1)))
    assert pellet.temperature_K(1e4, 983.15) == pytest.approx(980.15)


def test_a_pellet_measures_its_own_sample_at_its_own_temperature():
    sample = SampleModel.default()
    pellet = Pellet("A", sample, offset_K=5.0)
    assert pellet.impedance(1e3, 0.0, 973.15) == pytest.approx(sample.impedance(1e3, 978.15))
