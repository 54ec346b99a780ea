"""Atmosphere: set a gas mix, then wait until the gas and the sample have re-equilibrated.

What is done: mass-flow controllers feed the furnace tube, the oxygen line (role `o2`:
O2 or air) and the inert line (role `n2`: N2, Ar, He). Either both flows are given
(`o2_flow_sccm`, `n2_flow_sccm`) or a target oxygen partial pressure `target_pO2_Pa` at
`total_flow_sccm`, mixed from the two lines (the inert gas counted O2-free). With
`buffer_below_Pa`, two more lines (roles `co`, `co2`) mix a CO/CO2 buffer for targets
below it, its CO2/CO ratio set for the plateau's temperature (`labctl.buffer_gas`), the
O2 and N2 lines closed (and the CO line closed for an oxidizing mix: CO and O2 never flow
together). Every set-point is checked against its line's limits before any is sent, and
lines are closed before others open. Then every `poll_s` the oxygen sensor (role
`o2sensor`; `sensor_in_furnace`: read at the plateau's temperature, as a sensor beside
the sample without its own heater), the flows and |Z| of the sample at `reference_Hz`
(role `fra`) are read; pO2 and flows are stored as they come (store table `gas_points`). The tube is a mixing volume and the sample takes up oxygen by chemical
diffusion, so both ln pO2 and ln|Z| relax as exponentials late on: each is fitted with
y = y_ss + A exp(-t/tau) over the last half decade of time since the step (as the
transference number's wait does), and the wait ends when both are steady: the extrapolated
y_ss has settled (standard error and the estimates of earlier times within the tolerance),
and the latest readings agree with it (the sample is there, not only predictable). No
fixed time: it ends on the physics, or at `max_wait_s` with a warning. The gas keeps
flowing after the step (the next step measures in it). A line not following its set-point
or a pO2 out of the bench's range is left to the interlocks (`flow_not_followed`,
`pO2_out_of_range`: pause or abort; switched off, the wait goes on).
Result: the flows, the steady pO2 and |Z| with their uncertainties, the time waited (and
when each signal first was steady), pO2(t) with the O2 and N2 flows (the |Z| readings are
stored as impedance points). `equilibrate` is the whole step inside another protocol's
measurement (`po2_sweep`).
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from typing import Sequence

import numpy as np

from labctl.capabilities import (FlowController, GasReading, ImpedanceAnalyzer, OxygenReading,
                                 OxygenSensor)
from labctl.errors import ConfigError, NotFollowed, OxygenOutOfRange
from labctl.preflight import AMPLITUDE, FREQUENCY
from labctl.protocol import (DASHED, LINE, Figure, Finished, ProtocolSpec, Role, Series, Stream,
                             StoredResult, Summary, impedance)
from labctl.protocols import _gas_mix
from labctl.protocols._diffusion_tail import LATEST, tail_fit
from labctl.protocols._gas_mix import ATM_PA, BUFFER, OXIDIZING
from labctl.protocols._params import param
from labctl.protocols._tail import Convergence
from labctl.units import K_to_C

KIND = "atmosphere"
LOWEST_PA = 1e-30
ROLES = (Role("o2", FlowController), Role("n2", FlowController),
         Role("co", FlowController, when="buffer_below_Pa"),
         Role("co2", FlowController, when="buffer_below_Pa"),
         Role("o2sensor", OxygenSensor), Role("fra", ImpedanceAnalyzer))   # po2_sweep's too
GAS_STREAM = Stream("gas", (("time_s", "s"), ("pO2_Pa", "Pa"), ("o2_flow_sccm", "sccm"),
                                   ("n2_flow_sccm", "sccm"), ("co_flow_sccm", "sccm"),
                                   ("co2_flow_sccm", "sccm")), None)


@dataclass(frozen=True)
class Params:
    o2_flow_sccm: float | None = param(None, low=0.0, high=1e5, doc="flow of the oxygen line")
    n2_flow_sccm: float | None = param(None, low=0.0, high=1e5, doc="flow of the inert line")
    target_pO2_Pa: float | None = param(None, low=LOWEST_PA, high=ATM_PA,
                                        doc="pO2 to mix from the lines (instead of flows)")
    buffer_below_Pa: float | None = param(None, low=LOWEST_PA, high=ATM_PA,
                                          doc="targets below: a CO/CO2 buffer (roles co, co2)")
    sensor_in_furnace: bool = param(False, doc="read the oxygen sensor at the plateau's "
                                               "temperature (no own heater)")
    total_flow_sccm: float = param(200.0, low=1.0, high=1e5, doc="total flow of a target mix")
    reference_Hz: float = param(1.0, low=1e-3, high=1e8, doc="frequency of the sample's |Z| watched")
    amplitude_V: float = param(0.01, low=1e-4, high=1.0, doc="AC amplitude for |Z|")
    pO2_tolerance: float = param(0.01, low=1e-5, high=1.0, doc="relative, on the steady pO2")
    z_tolerance: float = param(0.002, low=1e-5, high=1.0, doc="relative, on the steady |Z|")
    poll_s: float = param(10.0, low=0.1, high=3600.0, doc="reading interval")
    max_wait_s: float = param(4 * 3600.0, low=1.0, high=1e6, doc="give up (warning) after")

    def problems(self) -> list[tuple[str, str]]:
        flows = (self.o2_flow_sccm is not None, self.n2_flow_sccm is not None)
        if self.target_pO2_Pa is None and not all(flows):
            return [("o2_flow_sccm", "give both o2_flow_sccm and n2_flow_sccm, "
                                     "or target_pO2_Pa")]
        if self.target_pO2_Pa is not None and any(flows):
            return [("target_pO2_Pa", "give either target_pO2_Pa or the flows, not both")]
        if self.target_pO2_Pa is None and self.o2_flow_sccm + self.n2_flow_sccm <= 0:
            return [("o2_flow_sccm", "the total flow must be > 0")]
        if (self.buffer_below_Pa is None and self.target_pO2_Pa is not None
                and self.target_pO2_Pa < 1e-3):
            return [("target_pO2_Pa", "below 1e-3 Pa an O2/N2 mix is not pure enough: "
                                      "give buffer_below_Pa and CO/CO2 lines")]
        return []


@dataclass(frozen=True)
class Result(StoredResult):
    o2_flow_sccm: float
    n2_flow_sccm: float
    steady: bool
    waited_s: float
    pO2_Pa: float                       # steady pO2 (extrapolated; last reading if unsteady)
    pO2_std_Pa: float | None
    magnitude_Ohm: float                # steady |Z| at reference_Hz
    magnitude_std_Ohm: float | None
    gas_steady_s: float | None = None    # since the step: when the pO2 first was steady ...
    sample_steady_s: float | None = None  # ... and |Z| (None: not within the wait)
    time_s: tuple[float, ...] = ()      # since the step, of each reading below
    pO2_series_Pa: tuple[float, ...] = ()
    o2_series_sccm: tuple[float | None, ...] = ()   # None: not following its set-point
    n2_series_sccm: tuple[float | None, ...] = ()
    co_flow_sccm: float = 0.0
    co2_flow_sccm: float = 0.0


class Settling:
    """Whether a relaxing signal y (a logarithm: tolerances are relative) is steady; feed
    it the whole record (t since the step, y) at each reading (`update`)."""

    def __init__(self, tolerance: float):
        self.tolerance = tolerance
        self.convergence = Convergence(tolerance)
        self.steady_y: float | None = None      # the latest extrapolated y_ss ...
        self.steady_std: float | None = None    # ... and its standard error
        self.steady_at_s: float | None = None   # when it first was steady (since the step)

    def update(self, t_s: np.ndarray, y: np.ndarray) -> bool:
        fit = tail_fit(t_s, y)
        if fit is None:
            return False
        self.steady_y, self.steady_std = fit.steady_A, fit.steady_std_A
        settled = self.convergence.update(t_s[-1], fit.steady_A, fit.steady_std_A)
        steady = settled and abs(float(np.mean(y[-LATEST:])) - fit.steady_A) < self.tolerance
        if steady and self.steady_at_s is None:
            self.steady_at_s = float(t_s[-1])
        return steady

    def value(self, y: np.ndarray) -> tuple[float, float | None]:
        """exp(y_ss) and its standard error; the last reading (no error) before a fit."""
        if self.steady_y is None:
            return float(math.exp(y[-1])), None
        value = math.exp(self.steady_y)
        return value, value * self.steady_std


def flows(params: Params, o2_gas: str, temperature_K: float | None) -> dict[str, float]:
    """Flow (sccm) per line role: as given, or mixed for the target pO2 (the other mix's
    lines closed)."""
    lines = OXIDIZING + (BUFFER if params.buffer_below_Pa is not None else ())
    if params.target_pO2_Pa is None:
        chosen = {"o2": params.o2_flow_sccm, "n2": params.n2_flow_sccm}
    elif params.buffer_below_Pa is not None and params.target_pO2_Pa < params.buffer_below_Pa:
        chosen = _gas_mix.buffer(params.target_pO2_Pa, params.total_flow_sccm, temperature_K)
    else:
        chosen = _gas_mix.oxidizing(params.target_pO2_Pa, params.total_flow_sccm, o2_gas)
    return {role: chosen.get(role, 0.0) for role in lines}


def plan(ctx, params: Params) -> dict[str, float]:
    """The flow per line role for `params`, each checked against its line's limits (nothing
    is sent)."""
    wanted = flows(params, ctx.instrument("o2").gas, ctx.temperature_K)
    for role, flow in wanted.items():
        ctx.instrument(role).check_flow(flow)
    return wanted


def _oxygen(sensor, temperature_K: float | None) -> OxygenReading | None:
    """The sensor's reading (at `temperature_K`; None: its own); None while it is out of
    the bench's range (the interlock `pO2_out_of_range` decides what the run does)."""
    try:
        return sensor.read(temperature_K)
    except OxygenOutOfRange:
        return None


def _flow(line) -> float | None:
    """The line's flow; None while it does not follow its set-point (the interlock
    `flow_not_followed` decides what the run does)."""
    try:
        return line.read().flow_sccm
    except NotFollowed:
        return None


def _gas_reading(time_s: float, pO2_Pa: float, lines: dict) -> GasReading:
    measured = {f"{role}_flow_sccm": _flow(line) for role, line in lines.items()}
    return GasReading(time_s, pO2_Pa, **{k: math.nan if v is None else v
                                         for k, v in measured.items()})


def run(ctx, params: Params) -> Result:
    """Set the flows, then poll until the oxygen sensor and |Z| are steady."""
    wanted = plan(ctx, params)                  # all allowed before any is sent
    with ctx.measurement(KIND, asdict(params)) as m:
        result = equilibrate(ctx, params, wanted, m)
        m.finish(result.to_dict())
    return result


def sensor_temperature_K(ctx, params: Params) -> float | None:
    """The temperature to read the oxygen sensor at (None: its own heater's)."""
    if not params.sensor_in_furnace:
        return None
    if ctx.temperature_K is None:
        raise ConfigError("sensor_in_furnace: the sensor is read at the plateau's temperature; "
                          "run the step in a temperature program", field="sensor_in_furnace")
    return ctx.temperature_K


def equilibrate(ctx, params: Params, wanted: dict[str, float], m) -> Result:
    """Inside measurement `m`: set the `plan`ned flows (lines going to zero first: CO
    never meets the O2 line's flow), poll until steady, the Result."""
    sensor, fra = ctx.instrument("o2sensor"), ctx.instrument("fra")
    sensor_K = sensor_temperature_K(ctx, params)
    lines = {role: ctx.instrument(role) for role in wanted}
    for role in sorted(wanted, key=lambda r: wanted[r] > 0):
        lines[role].set_flow(wanted[role])
    start = ctx.clock.now()
    gas, sample = Settling(params.pO2_tolerance), Settling(params.z_tolerance)
    t, ln_p, ln_z, readings = [], [], [], []
    steady, now = False, "no plausible pO2 reading"
    try:
        while True:
            ctx.checkpoint()
            oxygen = _oxygen(sensor, sensor_K)
            if oxygen is not None:
                reading = _gas_reading(oxygen.time_s, oxygen.pO2_Pa, lines)
                m.record(reading)
                readings.append(reading)
                point = fra.measure(params.reference_Hz, params.amplitude_V)
                m.record(point)
                t.append(oxygen.time_s - start)
                ln_p.append(math.log(oxygen.pO2_Pa))
                ln_z.append(math.log(abs(point.impedance_Ohm)))
                times = np.array(t)
                steady = gas.update(times, np.array(ln_p)) & \
                    sample.update(times, np.array(ln_z))
                now = f"pO2 = {oxygen.pO2_Pa:.4g} Pa, |Z| = {math.exp(ln_z[-1]):.4g} Ohm"
            waited = ctx.clock.now() - start
            if steady or waited >= params.max_wait_s:
                break
            ctx.progress(min(1.0, waited / params.max_wait_s), None, now)
            ctx.clock.sleep(min(params.poll_s, params.max_wait_s - waited))
    finally:
        fra.safe_state()
    if not ln_p:
        sensor.read(sensor_K)      # raises its OxygenOutOfRange: nothing to report
    pO2, pO2_std = gas.value(np.array(ln_p))
    z, z_std = sample.value(np.array(ln_z))
    if not steady:
        ctx.log("warning", f"atmosphere not steady after {params.max_wait_s:g} s: {now}")
    series = {role: tuple(None if math.isnan(f) else f
                          for f in (getattr(r, f"{role}_flow_sccm") for r in readings))
              for role in OXIDIZING}
    return Result(wanted["o2"], wanted["n2"], steady, waited, pO2, pO2_std, z, z_std,
                  gas.steady_at_s, sample.steady_at_s, tuple(t),
                  tuple(float(np.exp(v)) for v in ln_p), series["o2"], series["n2"],
                  wanted.get("co", 0.0), wanted.get("co2", 0.0))


def _step_name(index: int, done: Finished) -> str:
    return f"step {index + 1}" + ("" if done.temperature_K is None
                                  else f" at {K_to_C(done.temperature_K):.0f} °C")


def draw_pO2(finished: Sequence[Finished]) -> list[Series]:
    """pO2(t) of each atmosphere step, its steady value dashed."""
    series = []
    for index, done in enumerate(finished):
        r, name = done.result, _step_name(index, done)
        series.append(Series(f"pO2, {name}", r.time_s, r.pO2_series_Pa, LINE, done.temperature_K))
        if r.time_s:
            series.append(Series(f"steady pO2, {name}", (0.0, r.time_s[-1]), (r.pO2_Pa,) * 2,
                                 DASHED, done.temperature_K))
    return series


def draw_running_pO2(points, temperature_K: float | None) -> list[Series]:
    """While the atmosphere settles: pO2(t) as it is read (its stored gas points)."""
    t = np.asarray(points["time_s"], dtype=float)
    where = "" if temperature_K is None else f" at {K_to_C(temperature_K):.0f} °C"
    return [Series(f"pO2, settling{where}", t - t[0], points["pO2_Pa"], LINE, temperature_K)]


def draw_flows(finished: Sequence[Finished]) -> list[Series]:
    """The flows of both lines read during each atmosphere step (a gap: not following)."""
    def flow(values) -> list[float]:
        return [math.nan if v is None else v for v in values]
    return [Series(f"{line} line, {_step_name(index, done)}", done.result.time_s, flow(values),
                   style, colour=colour)
            for index, done in enumerate(finished)
            for line, values, style, colour in (
                ("O2", done.result.o2_series_sccm, LINE, "#d62728"),
                ("inert", done.result.n2_series_sccm, DASHED, "#1f77b4"))]


SPEC = ProtocolSpec(
    KIND, "Atmosphere", Params, Result, run,
    roles=ROLES,
    limits={"reference_Hz": FREQUENCY, "amplitude_V": AMPLITUDE},
    streams=(impedance("monitor"), GAS_STREAM),
    summary=(Summary("pO2_Pa", "pO2", "Pa", std="pO2_std_Pa"),
             Summary("magnitude_Ohm", "|Z|", "Ohm", std="magnitude_std_Ohm"),
             Summary("steady", "steady"), Summary("waited_s", "waited", "s")),
    form=("target_pO2_Pa", "total_flow_sccm", "o2_flow_sccm", "n2_flow_sccm", "reference_Hz"),
    figures=(Figure("pO2(t)", ("t since step", "s"), ("pO2 / Pa", None), draw_pO2, log_y=True,
                    live=draw_running_pO2, live_from=GAS_STREAM.table),
             Figure("Gas flows", ("t since step", "s"), ("flow / sccm", None), draw_flows)),
    order=5, doc=__doc__)
