"""Fixtures of the driver tests."""

import pytest

from labctl.clock import VirtualClock
from labctl.simulators.world import SimWorld


@pytest.fixture
def world(request):
    """A simulated world (seed 0) on a virtual clock, the furnace at the test module's
    `T_K` if it sets one, else at ambient."""
    return SimWorld.create(clock=VirtualClock(), seed=0,
                           start_temperature_K=getattr(request.module, "T_K", None))
