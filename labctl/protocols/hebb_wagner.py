"""Hebb-Wagner polarization: the electronic partial conductivities of a mixed conductor.

The cell: an ion-blocking electrode against a reversible one, which fixes the oxygen (or
metal) activity at its side. A rising voltage staircase E > 0 (`start_V` to `stop_V` in
`step_V`, the output on throughout) drives the blocking side's activity away from the reference's;
once the ions have stopped (blocking-electrode charging, chemical diffusion) only electrons
and holes carry the steady current (Hebb 1952, Wagner 1957)

    I(E) = (R T A / (F L_eff)) [sigma_n0 (1 - exp(-E F / R T)) + sigma_p0 (exp(E F / R T) - 1)]

with sigma_n0, sigma_p0 at the reference electrode's activity, A the blocking electrode's
area and L_eff the cell's effective length (the thickness of a planar cell). Each step is
held until its current is steady, not for a fixed time: the tail is fitted and the step
ends when the extrapolated I_ss has settled to `iss_relative_tolerance` (the DC
polarization's rule, `protocols._tail.SteadyRule`), or at `max_step_duration_s`, where the
step's I_ss is only a bound (its last readings' level) and it is left out of the fit
(warning). I(E) of the steady steps is then fitted (linear in sigma_n0, sigma_p0, weighted
by 1/I: relative residuals) giving both with their standard errors; with fewer than
MIN_STEADY_STEPS steady steps there is no fit (an error). T is the furnace's reading at the
start. The result also gives sigma_e(E) = sigma_n0 exp(-EF/RT) + sigma_p0 exp(EF/RT), the
electronic conductivity at the blocking side, whose activity is the reference's times
exp(z E F / R T) (z = 4 for oxygen: `log10_pO2_ratio`). The output is off when it returns
or fails.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from typing import Any, Mapping, Sequence

import numpy as np
from scipy.constants import R, physical_constants

from labctl.capabilities import SourceMeter, TemperatureController
from labctl.errors import LabctlError
from labctl.preflight import CURRENT_LIMIT, VOLTAGE
from labctl.protocol import (CROSSES, DASHED, ELECTRONIC_PARTS, LINE, POINTS, Figure, Finished,
                             ProtocolSpec, Role, Series, StoredResult, Summary, dc)
from labctl.protocols._params import param
from labctl.protocols._tail import SteadyRule, level, record_until_steady
from labctl.sampling import staircase
from labctl.units import K_to_C

KIND = "hebb_wagner"
FARADAY = physical_constants["Faraday constant"][0]
MIN_STEADY_STEPS = 3
NO_T_ION = 1.0      # SteadyRule's t_ion criterion does not apply: any t_ion passes
N_COLOUR, P_COLOUR = "#1f77b4", "#d62728"     # the electron and hole parts in the figure


@dataclass(frozen=True)
class Params:
    area_m2: float = param(low=1e-12, high=1.0, doc="blocking electrode area")
    L_eff_m: float = param(low=1e-9, high=1.0, doc="effective length (planar: thickness)")
    start_V: float = param(0.05, low=-5.0, high=5.0, doc="first step")
    stop_V: float = param(1.0, low=-5.0, high=5.0, doc="last step")
    step_V: float = param(0.05, low=1e-4, high=5.0, doc="staircase step")
    current_limit_A: float = param(1e-3, low=1e-9, high=1.0, doc="compliance")
    iss_relative_tolerance: float = param(0.01, low=1e-4, high=0.5,
                                          doc="a step is steady when I_ss is known to")
    max_step_duration_s: float = param(86400.0, low=1.0, high=1e7,
                                       doc="a step not steady by then is left out (warning)")
    first_interval_s: float = param(0.1, low=1e-3, high=100.0,
                                    doc="sampling interval just after each step")
    max_interval_s: float = param(60.0, low=1e-3, high=3600.0, doc="longest sampling interval")
    points_per_decade: int = param(20, low=2, high=200, doc="log-spaced sampling density")
    charge_number: int = param(4, low=1, high=8, doc="z of the reference species (O2: 4)")

    def problems(self) -> list[tuple[str, str]]:
        found = []
        if not 0 < self.start_V < self.stop_V:
            found.append(("start_V", "must be > 0 and < stop_V: each step's current must "
                          "fall to a positive I_ss for the tail fit"))
        if len(staircase(self.start_V, self.stop_V, self.step_V)) < MIN_STEADY_STEPS:
            found.append(("step_V", f"gives fewer than {MIN_STEADY_STEPS} steps"))
        if self.max_interval_s < self.first_interval_s:
            found.append(("max_interval_s", "must be >= first_interval_s"))
        return found


@dataclass(frozen=True)
class Result(StoredResult):
    T_K: float
    sigma_n0_S_per_m: float
    sigma_n0_std_S_per_m: float
    sigma_p0_S_per_m: float
    sigma_p0_std_S_per_m: float
    voltage_V: tuple[float, ...]            # per step
    Iss_A: tuple[float, ...]                # extrapolated; a bound when not steady
    Iss_std_A: tuple[float, ...]
    steady: tuple[bool, ...]                # whether the step reached steady state
    step_duration_s: tuple[float, ...]
    sigma_e_S_per_m: tuple[float, ...]      # at the blocking side, from the fit
    log10_pO2_ratio: tuple[float, ...]      # blocking side's activity over the reference's
    duration_s: float                       # all steps
    area_m2: float | None = None            # the cell constant's (None: stored before)
    L_eff_m: float | None = None


class NotEnoughSteadySteps(LabctlError):
    """Fewer than MIN_STEADY_STEPS steps of the staircase reached steady state."""


def run(ctx, params: Params) -> Result:
    """Staircase, each step until steady, then the fit of I(E); output off at the end."""
    smu, furnace = ctx.instrument("smu"), ctx.instrument("furnace")
    reading = furnace.read()
    ctx.record_temperature(reading)
    T = reading.temperature_K
    steps = []
    with ctx.measurement(KIND, asdict(params)) as m:
        smu.configure(current_limit_A=params.current_limit_A)
        start = ctx.clock.now()
        try:
            smu.set_voltage(params.start_V)
            smu.output(True)
            for V in staircase(params.start_V, params.stop_V, params.step_V):
                steps.append(_step(ctx, smu, m, V, params))
        finally:
            smu.output(False)
        voltages, iss, iss_std, steady, durations = (np.array(x) for x in zip(*steps))
        if steady.sum() < MIN_STEADY_STEPS:
            raise NotEnoughSteadySteps(
                f"Hebb-Wagner: only {int(steady.sum())} of {len(steady)} steps steady within "
                f"{params.max_step_duration_s:g} s (need {MIN_STEADY_STEPS}): no fit")
        (n0, p0), (n_std, p_std) = fit_iv(voltages[steady], iss[steady], T,
                                           params.area_m2, params.L_eff_m)
        x = voltages * FARADAY / (R * T)
        result = Result(
            T, n0, n_std, p0, p_std, *(tuple(map(float, a)) for a in (voltages, iss, iss_std)),
            tuple(map(bool, steady)), tuple(map(float, durations)),
            tuple(map(float, n0 * np.exp(-x) + p0 * np.exp(x))),
            tuple(map(float, params.charge_number * x / math.log(10))),
            ctx.clock.now() - start, params.area_m2, params.L_eff_m)
        m.finish(result.to_dict())
    return result


def _step(ctx, smu, m, V: float, params: Params) -> tuple[float, float, float, bool, float]:
    """Set V, record until steady: (V, I_ss, its std, steady, duration)."""
    smu.set_voltage(V)
    rule = SteadyRule(NO_T_ION, params.iss_relative_tolerance)
    relaxation = record_until_steady(
        ctx, smu, m, ctx.clock.now(), first_interval_s=params.first_interval_s,
        max_interval_s=params.max_interval_s, points_per_decade=params.points_per_decade,
        max_duration_s=params.max_step_duration_s, current_limit_A=params.current_limit_A,
        steady=rule.update)
    current = [r.current_A for r in relaxation.readings]
    if relaxation.stopped == "steady_state":
        fit = rule.estimate.fit
        return V, fit.steady_A, fit.steady_std_A, True, float(relaxation.t_s[-1])
    iss, iss_std = level(relaxation.t_s, current, rule.estimate)
    ctx.log("warning", f"Hebb-Wagner: {V:g} V not steady after {relaxation.t_s[-1]:g} s "
            f"({relaxation.stopped}): I_ss <= {iss:.4g} A, step left out of the fit")
    return V, iss, iss_std, False, float(relaxation.t_s[-1])


def terms(voltage_V, T_K: float, area_m2: float, L_eff_m: float) -> np.ndarray:
    """The two terms of the Hebb-Wagner law per unit conductivity (A/(S/m)), one row per
    voltage: I(E) = terms(E) @ (sigma_n0, sigma_p0)."""
    x = np.asarray(voltage_V, dtype=float) * FARADAY / (R * T_K)
    scale = R * T_K * area_m2 / (FARADAY * L_eff_m)
    return scale * np.column_stack([-np.expm1(-x), np.expm1(x)])


def draw_iv(finished: Sequence[Finished]) -> list[Series]:
    """Steady I(E) of each run of the staircase (unsteady steps as bounds), the fitted law
    and its sigma_n0 and sigma_p0 parts."""
    series = []
    for done in finished:
        r, t = done.result, K_to_C(done.result.T_K)
        v, i, steady = (np.array(a, dtype=float) for a in (r.voltage_V, r.Iss_A, r.steady))
        steady = steady.astype(bool)
        series.append(Series(f"{t:.0f} °C steady I", v[steady], i[steady], POINTS, r.T_K))
        if not steady.all():
            series.append(Series(f"{t:.0f} °C not steady (bound)", v[~steady], i[~steady],
                                 CROSSES, r.T_K))
        if r.area_m2 is None or not len(v):
            continue
        e = np.linspace(v.min(), v.max(), 100)
        n, p = (terms(e, r.T_K, r.area_m2, r.L_eff_m) * (r.sigma_n0_S_per_m,
                                                           r.sigma_p0_S_per_m)).T
        series += [Series(f"{t:.0f} °C fit", e, n + p, LINE, r.T_K),
                   Series("σ_n0 part", e, n, DASHED, colour=N_COLOUR),
                   Series("σ_p0 part", e, p, DASHED, colour=P_COLOUR)]
    return series


def draw_running(points: Mapping[str, Any], temperature_K: float | None) -> list[Series]:
    """While the staircase runs: the latest current of each step (still relaxing towards
    its I_ss)."""
    v, i = np.asarray(points["voltage_V"]), np.asarray(points["current_A"])
    last = np.flatnonzero(np.append(np.diff(v) != 0, True))    # each step's last reading
    return [Series("latest I of each step", v[last], i[last], CROSSES, temperature_K)]


def fit_iv(voltage_V, current_A, T_K: float, area_m2: float, L_eff_m: float
           ) -> tuple[tuple[float, float], tuple[float, float]]:
    """(sigma_n0, sigma_p0) and their standard errors from steady I(E): weighted linear
    least squares (weights 1/|I|) of I on the two terms of the Hebb-Wagner law."""
    basis = terms(voltage_V, T_K, area_m2, L_eff_m)
    i = np.asarray(current_A, dtype=float)
    w = 1 / np.abs(i)
    coef, ssr = np.linalg.lstsq(basis * w[:, None], i * w, rcond=None)[:2]
    dof = max(i.size - 2, 1)
    residual = float(ssr[0]) / dof if ssr.size else 0.0
    cov = np.linalg.inv((basis * w[:, None]).T @ (basis * w[:, None])) * residual
    return (float(coef[0]), float(coef[1])), tuple(float(s) for s in np.sqrt(np.diag(cov)))


SPEC = ProtocolSpec(
    KIND, "Hebb-Wagner polarization", Params, Result, run,
    roles=(Role("smu", SourceMeter), Role("furnace", TemperatureController)),
    limits={"start_V": VOLTAGE, "stop_V": VOLTAGE, "current_limit_A": CURRENT_LIMIT},
    streams=(dc("relaxation"),),
    summary=(Summary("sigma_n0_S_per_m", "sigma_n0", "S/m", std="sigma_n0_std_S_per_m"),
             Summary("sigma_p0_S_per_m", "sigma_p0", "S/m", std="sigma_p0_std_S_per_m")),
    figures=(Figure("Hebb-Wagner I(E)", ("E", "V"), ("I", "A"), draw_iv, log_y=True,
                    live=draw_running),),
    provides=ELECTRONIC_PARTS, order=25, doc=__doc__,
    form=("area_m2", "L_eff_m", "start_V", "stop_V", "step_V", "current_limit_A"))
