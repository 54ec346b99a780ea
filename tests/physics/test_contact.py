"""Electrodes that lose contact with each thermal cycle (`[contact]`): the cycle count, the
constricted resistances and electrode, and the simulated world cycling its sample."""

import numpy as np
import pytest

from labctl.errors import ConfigError
from labctl.simulators.physics.cycling import ThermalCycles
from labctl.simulators.physics.sample import SampleModel
from labctl.simulators.world import SimWorld
from tests.physics.conftest import default_tables
from tests.protocols.simbench import write_sample

CONTACT = {"loss_per_cycle": 0.1, "swing_K": 50.0, "constriction_length_m": 50e-6}


def contact_tables(**tables) -> dict:
    return {**default_tables(), "contact": CONTACT, **tables}


def test_a_cycle_is_a_rise_and_a_fall_by_the_swing_and_wiggles_do_not_count():
    cycles = ThermalCycles(50.0, start_K=300.0)
    heat_and_hold = [350.0, 600.0, 598.0, 603.0, 560.0, 601.0]   # overshoot, a 43 K dip
    assert [cycles.observe(T) for T in heat_and_hold] == [0] * 6
    assert cycles.observe(552.0) == 1          # 51 K below the highest: cooled by the swing
    assert cycles.observe(300.0) == 1          # the same cool-down
    assert cycles.observe(340.0) == 1          # a rise short of the swing ...
    assert cycles.observe(250.0) == 1          # ... and the fall after it: no cycle
    for T in (320.0, 700.0, 640.0):            # the low point moved to 250 K
        last = cycles.observe(T)
    assert last == 2
    with pytest.raises(ValueError):
        ThermalCycles(0.0, start_K=300.0)


def test_each_cycle_constricts_the_electrolyte_and_shrinks_the_electrode():
    """After N cycles phi = 0.9^N: R_b and R_gb times 1 + l/d (1/phi - 1) at every
    temperature (their activation energies stay), the blocking CPE's Q times phi (the
    spike's -Z'' far below the arcs grows as 1/phi), the electronic path untouched."""
    sample = SampleModel.from_dict(contact_tables(), source="test")
    d = sample.sample.thickness_m
    assert sample.contact_fraction == 1.0
    for T in (523.15, 623.15):
        fresh, cycled = sample.resistances(T), sample.at_cycles(3).resistances(T)
        grown = 1 + 50e-6 / d * (1 / 0.9 ** 3 - 1)
        for path in ("bulk", "grain_boundary"):
            assert cycled[path] == pytest.approx(fresh[path] * grown, rel=1e-12)
        assert cycled["electronic"] == fresh["electronic"]
    assert sample.at_cycles(3).contact_fraction == pytest.approx(0.729)
    electronic = {**default_tables()["electronic"], "sigma_ref_S_per_m": 1e-15}
    insulated = SampleModel.from_dict(contact_tables(electronic=electronic), source="test")
    f = np.array([1e-5])
    spike = -insulated.impedance(f, 623.15).imag
    assert -insulated.at_cycles(3).impedance(f, 623.15).imag == pytest.approx(spike / 0.729,
                                                                              rel=1e-3)
    plain = SampleModel.default()
    assert plain.at_cycles(3) is plain and plain.contact_fraction == 1.0


def test_contact_is_checked_and_only_for_blocking_electrodes():
    with pytest.raises(ConfigError, match="contact.loss_per_cycle"):
        SampleModel.from_dict(contact_tables(contact={**CONTACT, "loss_per_cycle": 1.0}),
                              source="test")
    li = default_tables("li-peo")
    with pytest.raises(ConfigError, match="contact"):
        SampleModel.from_dict({**li, "contact": CONTACT}, source="test")


def test_the_world_counts_the_furnaces_cycles_and_the_spectrum_shows_them(tmp_path):
    """Heat to 350 degC, cool to 100, heat to 350 again: the second spectrum's 1 kHz |Z| is
    the first's times the constriction of one cycle (the sample at the same temperature)."""
    world = SimWorld.create(sample_path=write_sample(tmp_path, contact_tables()),
                            start_temperature_K=373.15)

    def hold_at(target_K: float) -> complex:
        with world.control() as loop:
            loop.set_target(target_K)
        for _ in range(360):                    # 6 h, the temperature read each minute
            world.clock.sleep(60.0)
            world.sample_temperature_K()
        assert world.sample_temperature_K() == pytest.approx(target_K, abs=0.01)
        return world.sample.impedance(1e3, target_K)

    first = hold_at(623.15)
    assert world.cycles.count == 0
    hold_at(373.15)
    assert world.cycles.count == 1
    again = hold_at(623.15)
    d = world.sample.sample.thickness_m
    sample = world.sample
    assert sample.thermal_cycles == 1
    r_fresh = sample.at_cycles(0).resistances(623.15)
    assert abs(again) / abs(first) == pytest.approx(
        abs(sample.impedance(1e3, 623.15)) / abs(sample.at_cycles(0).impedance(1e3, 623.15)))
    grown = 1 + 50e-6 / d * (1 / 0.9 - 1)
    assert sample.resistances(623.15)["bulk"] == pytest.approx(r_fresh["bulk"] * grown)
    assert abs(again) > abs(first) * (1 + 0.5 * (grown - 1))
