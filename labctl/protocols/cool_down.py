"""Cool down: the furnace goes to its safe set-point at the program's ramp rate (heater
output secured) and cools unattended. A recipe with a temperature program ends with it
(`[final] cool_down = true`, the default); nothing is measured.
"""

from __future__ import annotations

from dataclasses import dataclass

from labctl.capabilities import TemperatureController
from labctl.preflight import RAMP
from labctl.protocol import FINAL, ProtocolSpec, Role, StoredResult
from labctl.protocols._params import param

KIND = "cool_down"


@dataclass(frozen=True)
class Params:
    ramp_rate_K_per_s: float = param(10.0 / 60.0, low=0.0, high=10.0,
                                     doc="set-point ramp rate (0 = step)")


@dataclass(frozen=True)
class Result(StoredResult):
    """Nothing is measured."""


def run(ctx, params: Params) -> None:
    furnace = ctx.instrument("furnace")
    furnace.set_ramp_rate(params.ramp_rate_K_per_s)
    furnace.safe_state()


SPEC = ProtocolSpec(KIND, "Cool down", Params, Result, run,
                    roles=(Role("furnace", TemperatureController),),
                    limits={"ramp_rate_K_per_s": RAMP}, stage=FINAL, order=200, doc=__doc__)
