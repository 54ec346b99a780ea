"""Stability-gated thermal wait: ramp to a set-point, then wait until the sample is stable.

What is done: the furnace ramps to `target_K` at `ramp_rate_K_per_s`; then the protocol
polls the controller every `poll_s` until, over the last `window_s`, every reading lies
within `band_K` of the target and |dT/dt| (a line fitted over the window) is below
`max_rate_K_per_s`. Optionally the sample itself is the thermometer: |Z| at
`reference_Hz` is measured each poll and must stop drifting (|d ln|Z|/dt| below
`max_z_drift_per_s` over the window), because the sample lags the thermocouple; with
several pellets in the furnace (`ctx.samples`) each pellet's |Z| is its own thermometer,
routed to the analyzer in turn and stored as its own monitor, and all must be stable. No
fixed soak: it ends when the criteria hold, or at `max_wait_s` with a warning.
Result: target, whether it became stable, the time waited and the final temperature.
"""

from __future__ import annotations

from contextlib import ExitStack
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np

from labctl.capabilities import ImpedanceAnalyzer, TemperatureController
from labctl.preflight import AMPLITUDE, FREQUENCY, RAMP, TEMPERATURE
from labctl.protocol import PLATEAU, ProtocolSpec, Role, StoredResult, Summary, impedance
from labctl.protocols._backoff import backing_off
from labctl.protocols._params import param
from labctl.units import K_to_C

KIND = "stabilize"


@dataclass(frozen=True)
class Params:
    target_K: float = param(low=1.0, high=3000.0, doc="set-point")
    ramp_rate_K_per_s: float = param(10.0 / 60.0, low=0.0, high=10.0,
                                     doc="set-point ramp rate (0 = step)")
    band_K: float = param(0.5, low=1e-3, high=50.0, doc="allowed |T - target|")
    max_rate_K_per_s: float = param(0.1 / 60.0, low=1e-6, high=1.0, doc="allowed |dT/dt|")
    window_s: float = param(300.0, low=1.0, high=86400.0, doc="criteria must hold this long")
    poll_s: float = param(10.0, low=0.1, high=3600.0, doc="reading interval")
    max_wait_s: float = param(4 * 3600.0, low=1.0, high=1e6, doc="give up (warning) after")
    reference_Hz: float | None = param(None, low=1e-3, high=1e8,
                                       doc="|Z| at this frequency must stop drifting")
    amplitude_V: float = param(0.01, low=1e-4, high=1.0, doc="AC amplitude for |Z|")
    min_amplitude_V: float = param(0.001, low=1e-4, high=1.0,
                                   doc="an overload halves the amplitude down to this")
    max_z_drift_per_s: float = param(0.002 / 60.0, low=1e-8, high=1.0,
                                     doc="allowed |d ln|Z| / dt|")

    def problems(self) -> list[tuple[str, str]]:
        if self.window_s < 2 * self.poll_s:
            return [("window_s", "must span at least two polls (>= 2 * poll_s)")]
        return []


@dataclass(frozen=True)
class Result(StoredResult):
    target_K: float
    stable: bool
    waited_s: float
    final_temperature_K: float
    final_rate_K_per_s: float
    final_z_drift_per_s: float | None


def run(ctx, params: Params) -> Result:
    """Ramp to the target, then poll until the sample is stable (or `max_wait_s`)."""
    furnace = ctx.instrument("furnace")
    fra = ctx.instrument("fra") if params.reference_Hz is not None else None
    with ctx.measurement(KIND, asdict(params)) as m, ExitStack() as monitors:
        furnace.set_ramp_rate(params.ramp_rate_K_per_s)
        furnace.set_setpoint(params.target_K)
        start = ctx.clock.now()
        t, temperature = [], []
        ln_z = {sample: [] for sample in (ctx.samples or (None,))} if fra is not None else {}
        monitor = {sample: m if sample is None else monitors.enter_context(
            ctx.measurement(KIND, asdict(params), sample=sample)) for sample in ln_z}
        amplitude = dict.fromkeys(ln_z, params.amplitude_V)   # each pellet's, once halved
        try:
            while True:
                ctx.checkpoint()
                reading = furnace.read()
                ctx.record_temperature(reading)
                t.append(reading.time_s)
                temperature.append(reading.temperature_K)
                for sample, series in ln_z.items():
                    if sample is not None:
                        ctx.route(sample, "fra")
                    point = next(backing_off(ctx, fra, [params.reference_Hz],
                                             amplitude[sample], 0.0, params.min_amplitude_V))
                    amplitude[sample] = point.amplitude_V
                    monitor[sample].record(point)
                    series.append(np.log(abs(point.impedance_Ohm)))
                stable, rate, z_drift = _criteria(np.array(t), np.array(temperature),
                                                  [np.array(z) for z in ln_z.values()], params)
                waited = ctx.clock.now() - start
                if stable or waited >= params.max_wait_s:
                    break
                ctx.progress(min(1.0, waited / params.max_wait_s),
                             _time_left(reading, np.array(t), np.array(temperature), params),
                             f"T = {K_to_C(reading.temperature_K):.1f} °C "
                             f"(target {K_to_C(params.target_K):.0f} °C)")
                ctx.clock.sleep(min(params.poll_s, params.max_wait_s - waited))
        finally:
            if fra is not None:
                fra.safe_state()
        if not stable:
            ctx.log("warning", f"not stable at {K_to_C(params.target_K):g} °C after "
                    f"{params.max_wait_s:g} s: T = {K_to_C(temperature[-1]):.2f} °C, "
                    f"dT/dt = {rate:.3g} K/s" + (
                        "" if z_drift is None else f", d ln|Z|/dt = {z_drift:.3g} /s"))
        result = Result(params.target_K, stable, waited, temperature[-1], rate, z_drift)
        m.finish(result.to_dict())
    return result


def _time_left(reading: Any, t: np.ndarray, temperature: np.ndarray, params: Params) -> float:
    """The rest of the ramp plus what the window still needs since the temperature last
    entered the band (a lower bound while the sample still settles)."""
    rate = params.ramp_rate_K_per_s
    ramp = abs(params.target_K - reading.setpoint_K) / rate if rate > 0 else 0.0
    outside = np.flatnonzero(np.abs(temperature - params.target_K) > params.band_K)
    entered = t[0] if not outside.size else t[min(outside[-1] + 1, t.size - 1)]
    return ramp + max(0.0, params.window_s - (t[-1] - entered))


def _criteria(t: np.ndarray, temperature: np.ndarray, ln_z: list[np.ndarray], params: Params
              ) -> tuple[bool, float, float | None]:
    """(stable, |dT/dt|, the largest |d ln|Z|/dt| of the pellets or None) over the last
    `window_s`: stable when the readings span the window, all lie within the band and the
    slopes are small."""
    window = t >= t[-1] - params.window_s
    if window.sum() < 2:
        return False, float("inf"), None
    rate = abs(float(np.polyfit(t[window], temperature[window], 1)[0]))
    z_drift = max((abs(float(np.polyfit(t[window], z[window], 1)[0])) for z in ln_z),
                  default=None)
    stable = (t[-1] - t[0] >= params.window_s
              and bool(np.all(np.abs(temperature[window] - params.target_K) <= params.band_K))
              and rate <= params.max_rate_K_per_s
              and (z_drift is None or z_drift <= params.max_z_drift_per_s))
    return stable, rate, z_drift


SPEC = ProtocolSpec(
    KIND, "Stabilize", Params, Result, run,
    roles=(Role("furnace", TemperatureController),
           Role("fra", ImpedanceAnalyzer, when="reference_Hz")),   # stable on |Z| too
    limits={"target_K": TEMPERATURE, "ramp_rate_K_per_s": RAMP, "reference_Hz": FREQUENCY,
            "amplitude_V": AMPLITUDE},
    streams=(impedance("monitor"),),
    summary=(Summary("stable", "stable"), Summary("waited_s", "waited", "s")),
    stage=PLATEAU, order=0, doc=__doc__)
