"""Li+ transference number by the Bruce-Vincent-Evans method (Li | electrolyte | Li cell).

What is measured (Evans, Vincent & Bruce, Polymer 28 (1987) 2324): a small potential step
dV across a cell with reversible electrodes. The current starts at I_0 = dV / (R_b + R_0)
and, as the salt concentration gradient builds up, falls to I_ss = dV / (R_b / t+ + R_ss),
where R_0 and R_ss are the resistances of the electrode interfaces (passivation layer and
charge transfer) before the step and at steady state; they drift, so both are measured:
1. impedance spectrum before the step (`stop_Hz` up to `start_Hz`, AC `amplitude_V`, so the
   interface arc is measured just before the step): R_b and R_0 from a fit of bulk arc,
   interface arc and the onset of diffusion (`_cell_fit`);
2. the step: I(t) sampled densely first (`dense_readings` every `first_interval_s`), then
   log-spaced (`points_per_decade`, at most every `max_interval_s`), in segments that follow
   each other without a gap. I_0 is extrapolated to the step from the dense readings with
   I = I_0 + a t^1/2 + b t (the onset of salt diffusion), cross-checked against
   dV / (R_b + R_0) (warning beyond 10 %);
3. steady state (`_diffusion_tail`): once the slowest diffusion mode dominates, the tail
   I = I_ss + A exp(-t/tau) is fitted; the step ends when a decay has been resolved, I_ss/I_0
   has settled to `steady_tolerance` (the convergence test of the DC polarization) and the
   latest readings agree with the extrapolated I_ss (the interface has stopped drifting
   too), or at `max_duration_s` (warning);
4. impedance spectrum at steady state, on a DC bias dV (the source meter is switched off
   first), from `start_Hz` down (the interface arc first): R_ss;
5. t+ = I_ss (dV - I_0 R_0) / (I_0 (dV - I_ss R_ss)), with its first-order uncertainty from
   the standard errors of I_0, R_0, I_ss and R_ss (taken as independent);
6. with `relax`, the cell is held at 0 V until its current has died away (below
   `steady_tolerance` of I_ss): the salt gradient relaxes as slowly as it built up, and a
   next polarization (the next plateau) would otherwise start on its relaxation current.
The result also gives the naive I_ss / I_0, which is wrong when the interface resistance
drifts. The method assumes an ideal, dilute, fully dissociated electrolyte (otherwise the
value is the "limiting current fraction") and a linear response: a warning is logged when
dV exceeds 10 mV scaled with the thermal voltage (10 mV at 25 degC) [EVB87].
Roles: "fra" (ImpedanceAnalyzer) and "smu" (SourceMeter), possibly one instrument (EmStat4).
All points are recorded in one measurement of kind "transference": the first spectrum
(before `step_time_s`), I(t) (`step_time_s` .. + `duration_s`), the second spectrum, then
the readings of the relaxation. The source meter's output is off when the protocol returns or fails.
"""

from __future__ import annotations

import math
from contextlib import closing
from dataclasses import asdict, dataclass

import numpy as np
from scipy.constants import e, k

from labctl.preflight import AMPLITUDE, CURRENT_LIMIT, FREQUENCY, VOLTAGE
from labctl.protocol import (LI_TRANSFERENCE, Marks, ProtocolSpec, Role, StoredResult, Summary,
                             dc, impedance)
from labctl.capabilities import CurrentReading, ImpedanceAnalyzer, SourceMeter
from labctl.errors import LabctlError
from labctl.protocols import _cell_fit
from labctl.protocols._params import param
from labctl.protocols._diffusion_tail import SteadyState, tail_fit
from labctl.units import C_to_K, K_to_C

KIND = "transference"
LINEAR_LIMIT_V = 10e-3 / (k * C_to_K(25) / e)   # in units of kT/e: 10 mV at 25 degC
I0_MISMATCH = 0.10       # warn when measured and EIS I_0 differ by more than this fraction
BULK_DRIFT = 0.05        # warn when R_b changes by more than this fraction during the step
FIT_RESIDUAL = 0.02      # warn when a spectrum fit misses a point by more than this of |Z|
SKIP_DENSE = 5           # dense readings left out of the I_0 fit (interface arc charging)
LATEST_READINGS = 5      # averaged to decide that the cell has relaxed


@dataclass(frozen=True)
class Params:
    voltage_V: float = param(0.01, low=-0.5, high=0.5, doc="potential step dV")
    current_limit_A: float = param(1e-3, low=1e-9, high=1.0, doc="compliance")
    amplitude_V: float = param(0.005, low=1e-4, high=0.1, doc="EIS AC amplitude (rms)")
    start_Hz: float = param(1e6, low=1e-3, high=1e8,
                            doc="highest EIS frequency (capped at the analyzer's maximum)")
    stop_Hz: float = param(0.1, low=1e-4, high=1e6, doc="lowest EIS frequency")
    eis_points_per_decade: int = param(10, low=2, high=100, doc="EIS density")
    first_interval_s: float = param(0.02, low=1e-3, high=10.0,
                                    doc="sampling interval just after the step")
    dense_readings: int = param(100, low=20, high=10000, doc="readings at first_interval_s")
    points_per_decade: int = param(20, low=4, high=200, doc="log-spaced sampling density")
    max_interval_s: float = param(600.0, low=1e-3, high=3600.0,
                                  doc="longest sampling interval")
    steady_tolerance: float = param(0.002, low=1e-5, high=0.1,
                                    doc="steady when I_ss/I_0 has settled to this")
    max_duration_s: float = param(3 * 86400.0, low=1.0, high=1e7,
                                  doc="stop (warning) after; also of the relaxation")
    relax: bool = param(True, doc="afterwards hold 0 V until the cell has relaxed")

    def problems(self) -> list[tuple[str, str]]:
        found = []
        if self.voltage_V == 0:
            found.append(("voltage_V", "must not be 0"))
        if self.stop_Hz >= self.start_Hz:
            found.append(("stop_Hz", "must be below start_Hz"))
        if self.max_interval_s < self.first_interval_s:
            found.append(("max_interval_s", "must be >= first_interval_s"))
        return found


@dataclass(frozen=True)
class Result(StoredResult):
    t_plus: float
    t_plus_std: float
    I0_A: float
    I0_std_A: float
    Iss_A: float
    Iss_std_A: float
    R0_Ohm: float
    R0_std_Ohm: float
    Rss_Ohm: float
    Rss_std_Ohm: float
    Rb_Ohm: float            # bulk resistance before the step
    Rb_after_Ohm: float      # and at steady state
    voltage_V: float
    t_plus_naive: float      # I_ss / I_0, uncorrected for the interfaces
    I0_eis_A: float          # dV / (R_b + R_0), the cross-check of I_0
    step_time_s: float       # clock time of the step
    stopped: str             # "steady_state" | "max_duration"
    duration_s: float        # of the polarization
    relaxed_s: float         # held at 0 V afterwards until the current had died away


def bruce_vincent(voltage_V: float, i0: float, r0: float, iss: float, rss: float,
                  stds: tuple[float, float, float, float] = (0.0, 0.0, 0.0, 0.0)
                  ) -> tuple[float, float]:
    """t+ = I_ss (dV - I_0 R_0) / (I_0 (dV - I_ss R_ss)) and its first-order standard
    error from the standard errors `stds` of (I_0, R_0, I_ss, R_ss)."""
    num, den = voltage_V - i0 * r0, voltage_V - iss * rss
    t = iss * num / (i0 * den)
    gradient = t * np.array([-(1 / i0 + r0 / num), -i0 / num, 1 / iss + rss / den, iss / den])
    return float(t), float(np.sqrt(np.sum((gradient * np.asarray(stds)) ** 2)))


def run(ctx, params: Params) -> Result:
    """Spectrum, step until steady, spectrum at steady state; t+ from the four inputs."""
    fra, smu = ctx.instrument("fra"), ctx.instrument("smu")
    dV = params.voltage_V
    _warn_if_nonlinear(ctx, dV)
    freqs = _frequencies(fra, params)
    with ctx.measurement(KIND, asdict(params)) as m:
        before = _spectrum(ctx, fra, m, freqs[::-1], params.amplitude_V, 0.0, "before the step")
        smu.configure(current_limit_A=params.current_limit_A)
        smu.set_voltage(dV)
        try:
            smu.output(True)
            step = ctx.clock.now()
            readings, fit, stopped = _polarize(ctx, smu, m, step, params)
        finally:
            smu.output(False)
        after = _spectrum(ctx, fra, m, freqs, params.amplitude_V, dV, "at steady state")
        relaxed = _relax(ctx, smu, m, params, abs(fit.steady_A)) if params.relax else 0.0
        t = np.array([r.time_s for r in readings]) - step
        i0, i0_std = _initial_current(t[:params.dense_readings],
                                      np.array([r.current_A for r in readings[:params.dense_readings]]))
        i_ss, i_ss_std = fit.steady_A, fit.steady_std_A
        t_plus, t_plus_std = bruce_vincent(
            dV, i0, before.interface_Ohm, i_ss, after.interface_Ohm,
            (i0_std, before.interface_std_Ohm, i_ss_std, after.interface_std_Ohm))
        i0_eis = dV / (before.bulk_Ohm + before.interface_Ohm)
        result = Result(
            t_plus, t_plus_std, i0, i0_std, i_ss, i_ss_std, before.interface_Ohm,
            before.interface_std_Ohm, after.interface_Ohm, after.interface_std_Ohm,
            before.bulk_Ohm, after.bulk_Ohm, dV, i_ss / i0, i0_eis, step, stopped,
            float(t[-1]), relaxed)
        _cross_check(ctx, result, params)
        m.finish(result.to_dict())
    return result


def _warn_if_nonlinear(ctx, voltage_V: float) -> None:
    T = ctx.temperature_K or C_to_K(25)
    limit = LINEAR_LIMIT_V * k * T / e
    if abs(voltage_V) > limit:
        ctx.log("warning", f"transference: dV = {voltage_V * 1e3:g} mV is beyond the linear "
                f"regime of the Bruce-Vincent analysis (<= {limit * 1e3:.1f} mV at "
                f"{K_to_C(T):.0f} degC): t+ is biased")


def _frequencies(fra, params: Params) -> np.ndarray:
    high = min(params.start_Hz, fra.frequency_range_Hz[1])
    decades = math.log10(high / params.stop_Hz)
    freqs = np.logspace(math.log10(high), math.log10(params.stop_Hz),
                        max(2, round(decades * params.eis_points_per_decade) + 1))
    return np.clip(freqs, params.stop_Hz, high)     # no rounding beyond the analyzer


def _spectrum(ctx, fra, m, freqs: np.ndarray, amplitude_V: float, bias_V: float,
              label: str) -> _cell_fit.CellFit:
    """Sweep, recording every point; the fit of bulk and interface resistances."""
    f, z = [], []
    try:
        for point in fra.sweep(freqs, amplitude_V, bias_V):
            m.record(point)
            f.append(point.frequency_Hz)
            z.append(point.impedance_Ohm)
            ctx.progress(0.0, None, f"spectrum {label}: {point.frequency_Hz:.4g} Hz")
            ctx.checkpoint()
    finally:
        fra.safe_state()
    fit = _cell_fit.fit(f, z)
    if fit.max_residual > FIT_RESIDUAL:
        ctx.log("warning", f"transference: the spectrum {label} departs from the cell model "
                f"by up to {fit.max_residual:.1%} of |Z|: R_b and R_i are uncertain")
    return fit


def _segments(params: Params, elapsed_s: float):
    """(duration, interval) of the next recording segment: the dense one first, then
    segments each as long as the time elapsed, at a log spacing of `points_per_decade`."""
    if elapsed_s == 0.0:
        return params.dense_readings * params.first_interval_s, params.first_interval_s
    interval = min(max(elapsed_s * math.log(10) / params.points_per_decade,
                       params.first_interval_s), params.max_interval_s)
    return max(elapsed_s, interval), interval


def _record(ctx, smu, m, start_s: float, params: Params, done) -> tuple[list, str]:
    """Record the current in back-to-back segments from `start_s` (dense first, then
    log-spaced) until `done(t, |I|)` holds ("done") or for `max_duration_s`."""
    readings: list[CurrentReading] = []
    elapsed = 0.0
    while True:
        duration, interval = _segments(params, elapsed)
        with closing(iter(smu.record(duration, interval))) as stream:
            for reading in stream:
                m.record(reading)
                readings.append(reading)
                ctx.checkpoint()
                t = np.array([r.time_s for r in readings]) - start_s
                current = np.abs([r.current_A for r in readings])
                ctx.progress(min(1.0, t[-1] / params.max_duration_s), None,
                             f"I = {reading.current_A:.4g} A")
                if done(t, current):
                    return readings, "done"
                if t[-1] >= params.max_duration_s:
                    return readings, "max_duration"
        elapsed = readings[-1].time_s - start_s


def _polarize(ctx, smu, m, step_s: float, params: Params):
    """I(t) after the step until steady: (readings, tail fit, how it stopped)."""
    steady = SteadyState(params.steady_tolerance,
                         min_tau_s=params.dense_readings * params.first_interval_s)

    def done(t: np.ndarray, current: np.ndarray) -> bool:
        fit = tail_fit(t, current) if t.size > params.dense_readings else None
        return fit is not None and steady.update(fit, t, current)

    readings, stopped = _record(ctx, smu, m, step_s, params, done)
    t = np.array([r.time_s for r in readings]) - step_s
    fit = tail_fit(t, np.abs([r.current_A for r in readings]))
    if stopped == "done":
        return readings, fit, "steady_state"
    return readings, _final_fit(ctx, fit, t, params), "max_duration"


def _relax(ctx, smu, m, params: Params, reference_A: float) -> float:
    """Hold 0 V until the current has fallen below `steady_tolerance` of `reference_A` (the
    salt gradient is gone); returns the time it took."""
    def done(t: np.ndarray, current: np.ndarray) -> bool:
        latest = current[-LATEST_READINGS:]
        return latest.size == LATEST_READINGS \
            and float(np.mean(latest)) < params.steady_tolerance * reference_A

    smu.set_voltage(0.0)
    start = ctx.clock.now()
    try:
        smu.output(True)
        readings, stopped = _record(ctx, smu, m, start, params, done)
    finally:
        smu.output(False)
    if stopped != "done":
        ctx.log("warning", f"transference: the cell has not relaxed after "
                f"{params.max_duration_s:g} s at 0 V")
    return readings[-1].time_s - start


def _final_fit(ctx, fit, t, params: Params):
    if fit is None:
        raise LabctlError(f"transference: max_duration_s = {params.max_duration_s:g} s leaves "
                          "too few readings for a tail fit")
    ctx.log("warning", f"transference: not steady after {params.max_duration_s:g} s; I_ss "
            f"= {fit.steady_A:.4g} A extrapolated")
    return fit


def _initial_current(t: np.ndarray, current: np.ndarray) -> tuple[float, float]:
    """I_0 and its standard error: I = I_0 + a t^1/2 + b t fitted to the dense readings
    after the first SKIP_DENSE (the interface arc is charging then)."""
    t, i = t[SKIP_DENSE:], np.abs(current[SKIP_DENSE:])
    x = np.column_stack([np.ones_like(t), np.sqrt(t), t])
    coef, ssr, *_ = np.linalg.lstsq(x, i, rcond=None)
    variance = float(ssr[0]) / (t.size - 3) if ssr.size else 0.0
    cov = np.linalg.inv(x.T @ x) * variance
    return float(coef[0]), float(np.sqrt(cov[0, 0]))


def _cross_check(ctx, r: Result, params: Params) -> None:
    if abs(r.I0_A / r.I0_eis_A - 1) > I0_MISMATCH:
        ctx.log("warning", f"transference: measured I_0 = {r.I0_A:.4g} A differs from "
                f"dV/(R_b + R_0) = {r.I0_eis_A:.4g} A by more than {I0_MISMATCH:.0%}")
    if abs(r.Rb_after_Ohm / r.Rb_Ohm - 1) > BULK_DRIFT:
        ctx.log("warning", f"transference: R_b drifted from {r.Rb_Ohm:.4g} to "
                f"{r.Rb_after_Ohm:.4g} Ohm during the step (temperature? the cell?)")
    if r.stopped == "max_duration":
        ctx.log("warning", f"transference: t+ = {r.t_plus:.3f} from a current that was not "
                f"steady after {params.max_duration_s:g} s")


SPEC = ProtocolSpec(
    KIND, "Li+ transference number", Params, Result, run,
    roles=(Role("fra", ImpedanceAnalyzer), Role("smu", SourceMeter)),
    # start_Hz is not held against the analyzer's range: run() caps it there itself
    limits={"voltage_V": VOLTAGE, "current_limit_A": CURRENT_LIMIT, "amplitude_V": AMPLITUDE,
            "stop_Hz": FREQUENCY},
    streams=(impedance("spectrum"), dc("relaxation")),
    summary=(Summary("t_plus", "t+", std="t_plus_std"),),
    marks=Marks(steady_A=lambda r: r.Iss_A), provides=LI_TRANSFERENCE, order=40, doc=__doc__)
