"""DC polarization with ion-blocking electrodes (Wagner): ionic transference number.

What is measured: the current I(t) after a voltage step `voltage_V` (keep it inside the
stability window), sampled densely just after the step and sparser later (log-spaced).
Ions carry the initial current I_0 = V/R_ion + V/R_e; the blocking electrodes then charge
and only electrons flow: I_ss = V/R_e. So t_ion = 1 - I_ss/I_0.
I_0 is V/R_ion from the preceding impedance spectrum at this plateau when there is one
(the first samples are spoiled by electrode charging); else the first reading, a lower
bound of I_0 (the electrode has begun to charge), so t_ion is then a lower bound (warning).
The measurement stops at steady state, not after a fixed time (`protocols._tail.SteadyRule`):
the tail is fitted with the model that best predicts the readings that arrive after the fit
(power law of a CPE electrode's charging, exponential of chemical diffusion in a mixed
conductor, or their sum), and the polarization stops when t_ion is known to
`t_ion_tolerance` and I_ss (so sigma_e = I_ss L / (V A)) to `iss_relative_tolerance`, each
agreeing with the estimates from half to three quarters of a decade of time earlier. A fit
with a parameter at its bound, I_ss <= 0 or t_ion outside [0, 1] is no result. At
`max_duration_s` (warning) I_ss is reported as a bound: the level of the last readings
(`Iss_is_bound`), t_ion as a lower bound. The output is off when the protocol returns or fails.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, replace

from labctl.capabilities import SourceMeter
from labctl.preflight import CURRENT_LIMIT, VOLTAGE
from labctl.protocol import POLARIZATION, Marks, ProtocolSpec, Role, StoredResult, Summary, dc
from labctl.protocols import eis_sweep
from labctl.protocols._params import param
from labctl.protocols._tail import UNRESOLVED_READINGS, SteadyRule, level, record_until_steady

KIND = "dc_polarization"
I0_SHARE = 0.5      # of the current limit, at most, for I_0 of the step (see _step_voltage)


@dataclass(frozen=True)
class Params:
    voltage_V: float = param(0.1, low=-10.0, high=10.0, doc="voltage step")
    current_limit_A: float = param(1e-3, low=1e-9, high=1.0, doc="compliance")
    t_ion_tolerance: float = param(0.001, low=1e-6, high=0.5,
                                   doc="stop when the 1-sigma uncertainty of t_ion is below")
    iss_relative_tolerance: float = param(0.05, low=1e-4, high=0.5,
                                          doc="and that of I_ss relative to I_ss is below")
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
        if self.max_duration_s < self.first_interval_s:
            found.append(("max_duration_s", "must be >= first_interval_s (no reading)"))
        return found


@dataclass(frozen=True)
class Result(StoredResult):
    voltage_V: float
    I0_A: float
    Iss_A: float            # extrapolated; when Iss_is_bound, the last readings' level
    Iss_std_A: float
    Iss_is_bound: bool      # not steady: I_ss <= Iss_A, t_ion >= t_ion
    t_ion: float
    t_ion_std: float
    I0_source: str          # "eis" | "first_reading"
    stopped: str            # "steady_state" | "max_duration" | "below_resolution"
    duration_s: float
    model: str              # "power_law" | "exponential" | "sum" | "none" (no fit yet)
    model_params: dict[str, float]
    model_failed: str       # why the last fit was no result ("" when it was one)


def run(ctx, params: Params) -> Result:
    """Step, record I(t) until t_ion and I_ss are known to their tolerances, output off."""
    smu = ctx.instrument("smu")
    eis = eis_sweep.SPEC.result(ctx.previous(eis_sweep.KIND)) if params.i0_from_eis else None
    V = _step_voltage(ctx, params, eis)
    i0_eis = V / eis.r_ion_Ohm if eis else None
    rule = SteadyRule(params.t_ion_tolerance, params.iss_relative_tolerance, i0_eis)

    with ctx.measurement(KIND, asdict(params)) as m:
        smu.configure(current_limit_A=params.current_limit_A)
        smu.set_voltage(V)
        try:
            smu.output(True)
            step = ctx.clock.now()
            relaxation = record_until_steady(
                ctx, smu, m, step, first_interval_s=params.first_interval_s,
                max_interval_s=params.max_interval_s, points_per_decade=params.points_per_decade,
                max_duration_s=params.max_duration_s, current_limit_A=params.current_limit_A,
                steady=rule.update)
        finally:
            smu.output(False)
        if relaxation.clamped:
            ctx.log("warning", f"DC polarization: {relaxation.clamped} readings at the current "
                    f"limit ({params.current_limit_A:.3g} A) left out of the fit (I_0 = "
                    f"{'V/R_ion' if i0_eis else 'the first reading below it'})")
        current = [r.current_A for r in relaxation.readings]
        result = result_of(rule, V, relaxation.t_s, current, relaxation.stopped)
        floor = max(r.resolution_A for r in relaxation.readings[-UNRESOLVED_READINGS:])
        if abs(result.Iss_A) < floor or relaxation.stopped == "below_resolution":
            result = replace(result, Iss_A=floor, Iss_std_A=0.0, Iss_is_bound=True,
                             t_ion=1 - floor / result.I0_A, t_ion_std=0.0)
            ctx.log("warning", f"DC polarization: I_ss is below the resolution of "
                    f"{smu.name} on its range ({floor:.2g} A): I_ss <= {floor:.2g} A, "
                    f"t_ion >= {result.t_ion:.5f}")
        if i0_eis is None:
            why = "no impedance spectrum at this plateau" if params.i0_from_eis else \
                "i0_from_eis = false"
            ctx.log("warning", f"DC polarization: {why}, I_0 is the first reading (electrode "
                    "charging has begun): t_ion is a lower bound")
        elif result.Iss_is_bound:
            why = f"model failed: {result.model_failed}" if result.model_failed else \
                f"t_ion +- {params.t_ion_tolerance:g}, I_ss +- {params.iss_relative_tolerance:.0%}"
            ctx.log("warning", f"DC polarization not steady after {result.duration_s:g} s "
                    f"({why}): I_ss <= {result.Iss_A:.4g} A, t_ion >= {result.t_ion:.5f}")
        m.finish(result.to_dict())
    return result


def _step_voltage(ctx, params: Params, eis) -> float:
    """`voltage_V`, lowered where I_0 = V/R_ion (this plateau's spectrum) would exceed
    I0_SHARE of the current limit: a clamped start charges the electrodes at constant
    current instead of relaxing (warning; the Result holds the voltage stepped to)."""
    V = params.voltage_V
    if eis is None or abs(V) / eis.r_ion_Ohm <= I0_SHARE * params.current_limit_A:
        return V
    lowered = math.copysign(I0_SHARE * params.current_limit_A * eis.r_ion_Ohm, V)
    ctx.log("warning", f"DC polarization: I_0 = V/R_ion = {abs(V) / eis.r_ion_Ohm:.3g} A at "
            f"{V:g} V is above {I0_SHARE:.0%} of the current limit "
            f"({params.current_limit_A:.3g} A): stepped to {lowered:.3g} V instead")
    return lowered


def result_of(rule: SteadyRule, voltage_V: float, t_s, current_A, stopped: str,
              i0_source: str | None = None) -> Result:
    """The result of a record that `rule` has seen: its estimate when steady, else the
    level of the last readings as a bound on I_ss."""
    est = rule.estimate
    i0 = rule.i0_A if rule.i0_A is not None else float(current_A[0])
    source = i0_source or ("eis" if rule.i0_A is not None else "first_reading")
    model = (est.fit.model, est.fit.params, est.failed) if est else ("none", {}, "no fit yet")
    if stopped == "steady_state":
        iss, iss_std, bound = est.fit.steady_A, est.fit.steady_std_A, False
    else:
        (iss, iss_std), bound = level(t_s, current_A, est), True
    return Result(voltage_V, i0, iss, iss_std, bound, 1 - iss / i0, iss_std / abs(i0), source,
                  stopped, float(t_s[-1]), *model)


SPEC = ProtocolSpec(
    KIND, "DC polarization", Params, Result, run, roles=(Role("smu", SourceMeter),),
    limits={"voltage_V": VOLTAGE, "current_limit_A": CURRENT_LIMIT},
    streams=(dc("relaxation"),),
    summary=(Summary("t_ion", "t_ion", std="t_ion_std"), Summary("stopped", "stopped")),
    marks=Marks(steady_A=lambda r: r.Iss_A), provides=POLARIZATION,
    form=("voltage_V", "max_duration_s"), order=20, doc=__doc__)
