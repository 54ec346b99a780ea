"""Physics behind the simulated instruments: the sample (`sample`), the furnace and its
controller firmware (`furnace`), and the numerical inverse Laplace transform (`laplace`)."""

from labctl.simulators.physics.furnace import ControlLoop, Furnace, FurnaceParams, PIDGains
from labctl.simulators.physics.sample import SampleModel

__all__ = ["ControlLoop", "Furnace", "FurnaceParams", "PIDGains", "SampleModel"]
