"""pO2 sweep: the sample's total conductivity at a list of oxygen partial pressures.

What is done: for each pO2 of `pO2_Pa` in turn (like the temperatures of a program; nest
the step in one for sigma(pO2, T)) the atmosphere is set and waited for exactly as the
`atmosphere` protocol does (its code: the target mixed at `total_flow_sccm` from the O2/N2
lines, or below `buffer_below_Pa` from the CO/CO2 lines at the plateau's temperature; the
wait ends when the oxygen sensor and |Z| at `reference_Hz` are steady, not after a fixed
time; `reference_Hz` 1 Hz by default, as the atmosphere's). Every target
is mixed and checked against the lines' limits before the first gas is sent. Then the
total resistance is read fast at one frequency: the mean real part of `readings`
impedances at `frequency_Hz` (default 1 MHz: above the blocking electrodes' arc, below the
bulk's apex, so Z' = the resistance of the ionic and electronic paths in parallel; the
analysis turns it into sigma_total with the sample's geometry). The pO2 and
the flows are stored as they are read (store table `gas_points`), the impedances as points.
Result: per pO2 the steady pO2 (sensor) with its uncertainty, the resistance with the
standard error of its mean, whether and when the atmosphere was steady, the flows. The
Brouwer fit sigma = sigma_ion + sigma_n0 pO2^-1/4 + sigma_p0 pO2^+1/4 is `labctl analyze`'s
(`labctl.analysis.brouwer`).
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, fields

import numpy as np

from labctl.preflight import AMPLITUDE, FREQUENCY
from labctl.protocol import CONDUCTIVITY_PO2, ProtocolSpec, StoredResult, impedance
from labctl.protocols import atmosphere
from labctl.protocols._gas_mix import ATM_PA
from labctl.protocols._params import param

KIND = "po2_sweep"


@dataclass(frozen=True)
class Params:
    pO2_Pa: tuple[float, ...] = param((2e4, 2e3, 200.0), low=atmosphere.LOWEST_PA,
                                      high=ATM_PA, doc="oxygen partial pressures, in order")
    total_flow_sccm: float = param(100.0, low=1.0, high=1e5, doc="total flow of each mix")
    buffer_below_Pa: float | None = param(None, low=atmosphere.LOWEST_PA, high=ATM_PA,
                                          doc="targets below: a CO/CO2 buffer (roles co, co2)")
    sensor_in_furnace: bool = param(False, doc="read the oxygen sensor at the plateau's "
                                               "temperature (no own heater)")
    reference_Hz: float = param(1.0, low=1e-3, high=1e8, doc="frequency of |Z| watched")
    frequency_Hz: float = param(1e6, low=1e-3, high=1e8, doc="frequency of the resistance read")
    amplitude_V: float = param(0.01, low=1e-4, high=1.0, doc="AC amplitude")
    readings: int = param(5, low=1, high=1000, doc="impedances averaged per pO2")
    pO2_tolerance: float = param(0.01, low=1e-5, high=1.0, doc="relative, on the steady pO2")
    z_tolerance: float = param(0.002, low=1e-5, high=1.0, doc="relative, on the steady |Z|")
    poll_s: float = param(10.0, low=0.1, high=3600.0, doc="reading interval while waiting")
    max_wait_s: float = param(4 * 3600.0, low=1.0, high=1e6, doc="per pO2: give up "
                                                                  "(warning) after")

    def problems(self) -> list[tuple[str, str]]:
        """The first target's problem as an atmosphere step (one line, not one per pO2)."""
        return [problem for target in self.pO2_Pa
                for problem in _atmosphere(self, target).problems()][:1]


@dataclass(frozen=True)
class Result(StoredResult):
    temperature_K: float | None                # the plateau's (None: outside a program)
    pO2_Pa: tuple[float, ...]                  # steady pO2 read by the sensor, per step
    pO2_std_Pa: tuple[float | None, ...]
    resistance_Ohm: tuple[float, ...]          # mean Z' at frequency_Hz
    resistance_std_Ohm: tuple[float, ...]      # standard error of that mean
    steady: tuple[bool, ...]
    waited_s: tuple[float, ...]
    o2_flow_sccm: tuple[float, ...]
    n2_flow_sccm: tuple[float, ...]
    co_flow_sccm: tuple[float, ...]
    co2_flow_sccm: tuple[float, ...]


def _atmosphere(params: Params, target_Pa: float) -> atmosphere.Params:
    """The atmosphere step for one target: the parameters both protocols share."""
    shared = {f.name: getattr(params, f.name) for f in fields(atmosphere.Params)
              if hasattr(params, f.name)}
    return atmosphere.Params(target_pO2_Pa=target_Pa, **shared)


def _resistance(points) -> tuple[float, float]:
    """Mean Z' and the standard error of the mean (0 for one reading)."""
    real = np.array([p.impedance_Ohm.real for p in points])
    std = float(np.std(real, ddof=1) / math.sqrt(real.size)) if real.size > 1 else 0.0
    return float(np.mean(real)), std


def run(ctx, params: Params) -> Result:
    """Each pO2 in turn: the atmosphere's wait, then the resistance read."""
    fra = ctx.instrument("fra")
    steps = [_atmosphere(params, target) for target in params.pO2_Pa]
    plans = [atmosphere.plan(ctx, step) for step in steps]    # all allowed before any is sent
    rows = []
    with ctx.measurement(KIND, asdict(params)) as m:
        for k, (step, wanted) in enumerate(zip(steps, plans)):
            ctx.progress(k / len(steps), None, f"pO2 {step.target_pO2_Pa:.3g} Pa "
                                               f"({k + 1} of {len(steps)})")
            gas = atmosphere.equilibrate(ctx, step, wanted, m)
            points = []
            try:
                for _ in range(params.readings):
                    ctx.checkpoint()
                    points.append(fra.measure(params.frequency_Hz, params.amplitude_V))
                    m.record(points[-1])
            finally:
                fra.safe_state()
            rows.append((gas.pO2_Pa, gas.pO2_std_Pa, *_resistance(points), gas.steady,
                         gas.waited_s, *(wanted.get(role, 0.0)
                                         for role in ("o2", "n2", "co", "co2"))))
        result = Result(ctx.temperature_K, *(tuple(column) for column in zip(*rows)))
        m.finish(result.to_dict())
    return result


SPEC = ProtocolSpec(
    KIND, "pO2 sweep", Params, Result, run,
    roles=atmosphere.ROLES,
    limits={"reference_Hz": FREQUENCY, "frequency_Hz": FREQUENCY, "amplitude_V": AMPLITUDE},
    streams=(impedance("monitor"), atmosphere.GAS_STREAM),
    provides=CONDUCTIVITY_PO2, order=6, doc=__doc__)
