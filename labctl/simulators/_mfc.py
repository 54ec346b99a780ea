"""What the simulated mass-flow controllers share: one gas line into the world's furnace
tube, and the stuck-valve fault."""

from __future__ import annotations

from labctl.simulators.device import LineDevice
from labctl.simulators.world import SimWorld


class MassFlowDevice(LineDevice):
    """A text-protocol MFC feeding `gas` into the world's tube (its own feed line)."""

    link = "pty"
    sccm_per_unit = 1.0   # the flow unit of the wire in sccm

    def __init__(self, world: SimWorld, gas: str):
        super().__init__(world.clock)
        self.world, self.gas = world, gas
        self.line = f"{type(self).__name__}-{id(self):x}"
        self.stuck_flow: float | None = None
        world.set_feed(self.line, 0.0, gas)

    def valve_flow(self) -> float:
        """The flow the valve delivers in its present state, in wire units."""
        raise NotImplementedError

    def flow(self) -> float:
        """The flow now, in wire units (frozen once the valve is stuck)."""
        return self.valve_flow() if self.stuck_flow is None else self.stuck_flow

    def stick_valve(self) -> None:
        """The valve stops moving: the flow stays what it is now."""
        self.stuck_flow = self.flow()

    def feed_tube(self) -> None:
        """Tell the tube the present flow (after every change of the valve's state)."""
        self.world.set_feed(self.line, self.flow() * self.sccm_per_unit, self.gas)
