"""Pellets in one furnace (temperature offset, thermal lag, each its own oxygen uptake and
thermal cycles) and a channel's parasitics, against closed forms."""

import math

import numpy as np
import pytest

from scipy.constants import atm

from labctl.clock import VirtualClock
from labctl.simulators.physics.atmosphere import MixingVolume, SampleOxygen
from labctl.simulators.physics.pellets import Lead, Pellet
from labctl.simulators.physics.sample import SampleModel
from labctl.simulators.world import SimWorld
from tests.physics.conftest import default_tables, sample_with


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


def test_each_pellet_takes_up_the_tubes_oxygen_by_its_own_chemical_diffusion():
    """Two 8YSZ pellets, one twice as thick (4x the diffusion time), after the tube is fed
    O2: each seen at the pO2 of its own slab solution, the thin one ahead."""
    T = 1073.15
    world = SimWorld.create(clock=VirtualClock(), start_temperature_K=T)
    tube, references = MixingVolume(x0=0.2095), {}
    for name, thickness_m in (("A", 1e-3), ("B", 2e-3)):
        sample = sample_with("8ysz-po2", sample__thickness_m=thickness_m)
        world.pellets[name] = Pellet(name, sample)
        world.route(name.lower(), name)
        references[name] = (SampleOxygen(tube.fractions(0.0), 0.0),
                            float(sample.chemical_diffusion_time_s(T)))
    world.set_feed("O2", 300.0, "O2")
    tube.set_feed("O2", 300.0, "O2", 0.0)
    world.clock.advance_to(60.0)
    seen = {}
    for name, (oxygen, tau) in references.items():
        oxygen.advance(60.0, tube, tau)
        sample, _ = world.sample_seen(name.lower())
        seen[name] = sample.pO2_Pa
        assert seen[name] == pytest.approx(oxygen.pO2_Pa(), rel=1e-6), name
        assert world.impedance_seen(name.lower(), 1e5) == pytest.approx(
            sample.impedance(1e5, T), rel=1e-9)
    assert world.pO2_Pa() > seen["A"] > seen["B"] > 0.2095 * atm


def test_each_pellet_counts_its_own_thermal_cycles():
    """100 -> 350 -> 100 degC: a cycle for the pellet whose contact swing is 50 K, none for
    the one whose swing is 300 K; the instruments see each after its own count."""
    world = SimWorld.create(clock=VirtualClock(), start_temperature_K=373.15)
    for name, swing_K in (("A", 50.0), ("B", 300.0)):
        contact = {"loss_per_cycle": 0.1, "swing_K": swing_K, "constriction_length_m": 50e-6}
        world.pellets[name] = Pellet(name, SampleModel.from_dict(
            {**default_tables(), "contact": contact}, source=name))
        world.route(name.lower(), name)
    for target_K in (623.15, 373.15):
        with world.control() as loop:
            loop.set_target(target_K)
        for _ in range(360):                    # 6 h, the temperature read each minute
            world.clock.sleep(60.0)
            world.sample_temperature_K()
    assert world.sample_seen("a")[0].thermal_cycles == 1
    assert world.sample_seen("b")[0].thermal_cycles == 0
