"""The shared simulated world: lazily advanced to the clock, seeded, thread-safe."""

import threading

import numpy as np
import pytest

from labctl.clock import VirtualClock
from labctl.errors import ConfigError
from labctl.simulators.physics.sample_file import shipped_sample
from labctl.simulators.world import SimWorld


def test_create_defaults_to_the_shipped_sample_at_ambient():
    world = SimWorld.create()
    assert world.sample.source.endswith("default.toml")
    assert world.sample_temperature_K() == world.loop.furnace.params.ambient_K
    assert isinstance(world.clock, VirtualClock)


def test_start_temperature_is_held_and_the_loop_follows_the_clock():
    clock = VirtualClock(start=100.0)
    world = SimWorld.create(clock=clock, sample_path=shipped_sample("ysz"),
                            start_temperature_K=673.15)
    assert world.sample.bulk.Ea_eV == 1.05
    clock.sleep(3600.0)
    assert abs(world.sample_temperature_K() - 673.15) < 1e-6
    with world.control() as loop:
        assert loop.time_s == 3700.0
        loop.set_rate(10 / 60)
        loop.set_target(773.15)
    clock.sleep(600.0)
    with world.control() as loop:
        assert loop.working_setpoint_K == pytest.approx(773.15)
        assert loop.pv_K > 770.0


def test_bad_sample_path_is_a_config_error(tmp_path):
    with pytest.raises(ConfigError):
        SimWorld.create(sample_path=tmp_path / "nope.toml")


def test_same_seed_same_noise():
    a, b, c = SimWorld.create(seed=3), SimWorld.create(seed=3), SimWorld.create(seed=4)
    values = [w.add_noise(np.ones(5)) for w in (a, b, c)]
    assert np.array_equal(values[0], values[1]) and not np.array_equal(values[0], values[2])


def test_concurrent_readers_see_the_same_deterministic_world():
    clock, reference_clock = VirtualClock(), VirtualClock()
    world, reference = SimWorld.create(clock=clock), SimWorld.create(clock=reference_clock)
    for w in (world, reference):
        with w.control() as loop:
            loop.set_target(700.0)
    errors = []

    def reader():
        try:
            for _ in range(200):
                world.sample_temperature_K()
                clock.sleep(1.0)
        except Exception as exc:          # noqa: BLE001 - reported below
            errors.append(exc)
    threads = [threading.Thread(target=reader) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    clock.advance_to(7200.0)
    reference_clock.advance_to(7200.0)
    assert not errors
    assert world.sample_temperature_K() == reference.sample_temperature_K()
