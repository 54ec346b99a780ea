"""Shared by the impedance-analyzer driver tests: a driver on a recording simulator of the
world's sample (in process, virtual clock) and the comparison with the sample physics."""

from __future__ import annotations

from typing import Any

import pytest

from labctl.clock import VirtualClock
from labctl.simulators.port import SimulatorPort
from labctl.simulators.world import SimWorld

T_K = 623.15


def make(driver_class: type, sim_class: type, temperature_K: float = T_K,
         limits: dict[str, float] | None = None, sim_options: dict[str, Any] | None = None,
         **options: Any) -> tuple[Any, Any, Any]:
    """(world, simulator, driver); the simulator keeps the lines it received after the
    driver opened in `.lines` (those of opening in `.opening`)."""

    class Recording(sim_class):
        def handle(self, line: str) -> str | None:
            self.lines.append(line)
            return super().handle(line)

    world = SimWorld.create(clock=VirtualClock(), seed=0, start_temperature_K=temperature_K)
    sim = Recording(world, sim_options)
    sim.lines = []
    driver = driver_class.open(SimulatorPort(sim), clock=world.clock, limits=limits,
                               options=options)
    sim.opening, sim.lines = sim.lines, []
    return world, sim, driver


def bench_fixture(driver_class: type, sim_class: type):
    """A pytest fixture `bench` -> (world, simulator, driver), closing the driver after."""

    @pytest.fixture
    def bench():
        world, sim, driver = make(driver_class, sim_class)
        yield world, sim, driver
        driver.close()
    return bench


def assert_matches_physics(world: SimWorld, frequencies, impedances, resolution: float) -> None:
    """Each Z within 6 sigma of the sample file's noise (+ the reply's resolution)."""
    noise = world.sample.noise.relative
    for f, z in zip(frequencies, impedances):
        truth = complex(world.sample.impedance(f, world.sample_temperature_K()))
        assert abs(z - truth) / abs(truth) < 6 * noise + resolution, (f, z, truth)
