"""DC polarization with ion-blocking electrodes (Wagner): ionic transference number.

What is measured: the current I(t) after a voltage step `voltage_V` (keep it inside the
stability window), sampled densely just after the step and sparser later (log-spaced).
Ions carry the initial current I_0 = V/R_ion + V/R_e; the blocking electrodes then charge
and only electrons flow: I_ss = V/R_e. So t_ion = 1 - I_ss/I_0.
I_0 is V/R_ion from the preceding impedance spectrum at this plateau when there is one
(the first samples are spoiled by electrode charging); else the first reading, a lower
bound of I_0 (the electrode has begun to charge), so t_ion is then a lower bound (warning).
The measurement stops at steady state, not after a fixed time: the tail is fitted with
I(t) = I_ss + A t^-a (a CPE electrode's power-law charging, `protocols._tail`), and the
polarization stops when the uncertainty of t_ion falls below `t_ion_tolerance` and every
estimate from half to three quarters of a decade of time earlier agrees within it (early
on the tail is not yet a pure power law and the fit is biased), or at `max_duration_s`
(with a warning). The output is off when the protocol returns or fails.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

import numpy as np

from labctl.errors import LabctlError
from protocols._params import param
from protocols._tail import Convergence, TailFit, record_until_steady

KIND = "dc_polarization"
SPAN = 10 ** 0.25


@dataclass(frozen=True)
class Params:
    voltage_V: float = param(0.1, low=-10.0, high=10.0, doc="voltage step")
    current_limit_A: float = param(1e-3, low=1e-9, high=1.0, doc="compliance")
    t_ion_tolerance: float = param(0.001, low=1e-6, high=0.5,
                                   doc="stop when the 1-sigma uncertainty of t_ion is below")
    max_duration_s: float = param(86400.0, low=1.0, high=1e7, doc="stop (warning) after")
    first_interval_s: float = param(0.1, low=1e-3, high=100.0,
                                    doc="sampling interval just after the step")
    max_interval_s: float = param(60.0, low=1e-3, high=3600.0,
                                  doc="longest sampling interval (late, sparse)")
    points_per_decade: int = param(20, low=2, high=200, doc="log-spaced sampling density")
    i0_from_eis: bool = param(True, doc="I_0 = V/R_ion from this plateau's spectrum")

    def problems(self) -> list[tuple[str, str]]:
        found = []
        if self.voltage_V == 0:
            found.append(("voltage_V", "must not be 0"))
        if self.max_interval_s < self.first_interval_s:
            found.append(("max_interval_s", "must be >= first_interval_s"))
        return found


@dataclass(frozen=True)
class Result:
    voltage_V: float
    I0_A: float
    Iss_A: float
    t_ion: float
    t_ion_std: float
    I0_source: str          # "eis" | "first_reading"
    stopped: str            # "steady_state" | "max_duration"
    duration_s: float
    tail_exponent: float

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def run(ctx, params: Params) -> Result:
    """Step, record I(t) until t_ion is known to `t_ion_tolerance`, output off."""
    smu = ctx.instrument("smu")
    eis = ctx.previous("eis") if params.i0_from_eis else None
    i0_eis = params.voltage_V / eis["r_ion_Ohm"] if eis else None
    V = params.voltage_V

    def t_ion(fit: TailFit, current: np.ndarray) -> tuple[float, float, float]:
        i0 = i0_eis if i0_eis is not None else float(current[0])
        return 1 - fit.steady_A / i0, fit.steady_std_A / abs(i0), i0

    # the power-law tail becomes asymptotic slowly (the next term of the CPE response falls
    # off only as t^-n more): every estimate from 10^0.5 to 10^0.75 times earlier must agree
    convergence = Convergence(params.t_ion_tolerance, span=SPAN)

    def steady(fit: TailFit, t: np.ndarray, current: np.ndarray) -> bool:
        value, std, _ = t_ion(fit, current)
        return convergence.update(t[-1], value, std)

    with ctx.measurement(KIND, asdict(params)) as m:
        smu.configure(current_limit_A=params.current_limit_A)
        smu.set_voltage(V)
        try:
            smu.output(True)
            step = ctx.clock.now()
            relaxation = record_until_steady(
                ctx, smu, m, step, first_interval_s=params.first_interval_s,
                max_interval_s=params.max_interval_s, points_per_decade=params.points_per_decade,
                max_duration_s=params.max_duration_s, steady=steady)
        finally:
            smu.output(False)
        fit = relaxation.fit
        if fit is None:
            raise LabctlError(f"DC polarization: max_duration_s = {params.max_duration_s:g} s "
                              "leaves too few readings for a tail fit")
        value, std, i0 = t_ion(fit, np.array([r.current_A for r in relaxation.readings]))
        if i0_eis is None:
            why = "no impedance spectrum at this plateau" if params.i0_from_eis else \
                "i0_from_eis = false"
            ctx.log("warning", f"DC polarization: {why}, I_0 is the first reading (electrode "
                    "charging has begun): t_ion is a lower bound")
        if relaxation.stopped == "max_duration":
            ctx.log("warning", f"DC polarization not steady after {params.max_duration_s:g} s: "
                    f"t_ion = {value:.5f} +- {std:.2g} (tolerance {params.t_ion_tolerance:g})")
        result = Result(V, i0, fit.steady_A, value, std,
                        "eis" if i0_eis is not None else "first_reading", relaxation.stopped,
                        float(relaxation.t_s[-1]), fit.exponent)
        m.finish(result.to_dict())
    return result


