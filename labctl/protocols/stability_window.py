"""Electrochemical stability window by a linear voltage sweep (a staircase on an SMU, the
native linear sweep on a potentiostat).

What is measured: I(V) while the cell voltage is swept from open circuit (0 V) toward each
side at `scan_rate_V_per_s`, in steps of `step_V`, with the source-measure unit. A
direction ends at `max_voltage_V` / `min_voltage_V`, at the compliance, or once the
current density (baseline subtracted) exceeds `threshold_A_per_m2` (area: `area_m2`).
The whole curve is recorded. The baseline (capacitive charging and electronic leakage, a
line a + b V fitted to the readings between 10 % and 50 % of the voltage reached so far,
where decomposition is still negligible) is subtracted; the onset is the voltage where
the faradaic current density reaches the threshold.
Between the two directions the cell rests `rest_s` at 0 V. The output is off at the end.
Result: onset_high_V / onset_low_V (None if that side was not reached) and why each
direction stopped ("threshold", "compliance", "voltage_limit").
"""

from __future__ import annotations

import warnings
from contextlib import closing
from dataclasses import asdict, dataclass

import numpy as np

from labctl.preflight import CURRENT_LIMIT, VOLTAGE
from labctl.protocol import WINDOW, ProtocolSpec, Role, StoredResult, Summary, dc
from labctl.capabilities import CurrentReading, SourceMeter
from labctl.protocols._params import param

KIND = "stability_window"
DIRECTIONS = ("both", "anodic", "cathodic")
MAX_HONEST_RATE_V_PER_S = 1e-4


@dataclass(frozen=True)
class Params:
    area_m2: float = param(low=1e-9, high=1.0, doc="electrode area (current density)")
    scan_rate_V_per_s: float = param(1e-4, low=1e-7, high=10.0,
                                     doc="sweep rate (above 0.1 mV/s onsets shift up: warning)")
    step_V: float = param(0.005, low=1e-5, high=0.5, doc="staircase step")
    max_voltage_V: float = param(5.0, low=0.0, high=200.0, doc="anodic end")
    min_voltage_V: float = param(-5.0, low=-200.0, high=0.0, doc="cathodic end")
    current_limit_A: float = param(1e-3, low=1e-9, high=1.0, doc="compliance")
    threshold_A_per_m2: float = param(1e-2, low=1e-9, high=1e5,
                                      doc="onset: faradaic current density")
    direction: str = param("both", choices=DIRECTIONS, doc="which side(s), anodic first")
    rest_s: float = param(600.0, low=0.0, high=1e6,
                          doc="at 0 V between the two directions (electrode discharge)")


@dataclass(frozen=True)
class Result(StoredResult):
    onset_low_V: float | None
    onset_high_V: float | None
    stopped_low: str | None       # "threshold" | "compliance" | "voltage_limit"
    stopped_high: str | None
    threshold_A_per_m2: float
    scan_rate_V_per_s: float


def run(ctx, params: Params) -> Result:
    """Sweep anodic then cathodic (as `direction` says) from 0 V, output off at the end."""
    smu = ctx.instrument("smu")
    sides = {"both": (1, -1), "anodic": (1,), "cathodic": (-1,)}[params.direction]
    found: dict[int, tuple[float | None, str]] = {}
    if params.scan_rate_V_per_s > MAX_HONEST_RATE_V_PER_S:
        ctx.log("warning", f"scan rate {params.scan_rate_V_per_s * 1e3:g} mV/s: onsets of slow "
                "decomposition are overestimated above 0.1 mV/s (Asakura 2019: >100 mV at "
                "0.1 mV/s vs 10 uV/s)")
    with ctx.measurement(KIND, asdict(params)) as m:
        smu.configure(current_limit_A=params.current_limit_A)
        smu.set_voltage(0.0)
        try:
            smu.output(True)
            for n, sign in enumerate(sides):
                if n:
                    smu.set_voltage(0.0)
                    _rest(ctx, smu, params.rest_s)
                found[sign] = _sweep(ctx, smu, m, sign, params)
        finally:
            smu.output(False)
        (high, why_high), (low, why_low) = found.get(1, (None, None)), found.get(-1, (None, None))
        result = Result(low, high, why_low, why_high, params.threshold_A_per_m2,
                        params.scan_rate_V_per_s)
        m.finish(result.to_dict())
    return result


def _rest(ctx, smu, duration_s: float, poll_s: float = 10.0) -> None:
    """Hold 0 V for `duration_s` (recorded, so that an instrument that holds a voltage only
    while it measures holds it too), checkpoint between readings."""
    if duration_s <= 0:
        return
    with closing(iter(smu.record(duration_s, min(poll_s, duration_s)))) as readings:
        for _ in readings:
            ctx.checkpoint()


def _sweep(ctx, smu, m, sign: int, params: Params) -> tuple[float | None, str]:
    """One direction: a sweep from 0 V (`SourceMeter.linear_sweep`, one reading a step)
    until threshold, compliance or the voltage limit; (onset, why it stopped)."""
    end_V = params.max_voltage_V if sign > 0 else params.min_voltage_V
    steps = int(np.floor(abs(end_V) / params.step_V + 1e-9))
    dwell = params.step_V / params.scan_rate_V_per_s
    readings: list[CurrentReading] = []
    sweep = smu.linear_sweep(0.0, sign * steps * params.step_V, params.step_V,
                             params.scan_rate_V_per_s)
    with closing(iter(sweep)) as stream, warnings.catch_warnings():
        warnings.simplefilter("ignore")       # compliance is a stop reason here
        for k, reading in enumerate(stream):
            m.record(reading)
            readings.append(reading)
            ctx.progress(k / max(steps, 1), (steps - k) * dwell, f"{reading.voltage_V:+.3f} V")
            v = np.array([r.voltage_V for r in readings])
            j = faradaic_density(v, np.array([r.current_A for r in readings]), params.area_m2)
            if abs(reading.current_A) >= 0.999 * params.current_limit_A:
                return onset(v, j, sign, params.threshold_A_per_m2), "compliance"
            if sign * j[-1] >= params.threshold_A_per_m2:
                _warn_if_unresolved(ctx, smu, readings[-2:], params)
                return onset(v, j, sign, params.threshold_A_per_m2), "threshold"
            ctx.checkpoint()
    return None, "voltage_limit"


def _warn_if_unresolved(ctx, smu, around: list[CurrentReading], params: Params) -> None:
    """Warn when the onset's threshold current is below the resolution of the readings
    around it: the onset is then where the instrument starts to see a current."""
    threshold_A = params.threshold_A_per_m2 * params.area_m2
    resolution = max(r.resolution_A for r in around)
    if threshold_A < resolution:
        ctx.log("warning", f"stability window: the threshold current {threshold_A:.2g} A is "
                f"below the resolution of {smu.name} on its range ({resolution:.2g} A): the "
                "onset is an upper bound of |V|")


def faradaic_density(v: np.ndarray, i: np.ndarray, area_m2: float) -> np.ndarray:
    """(I - baseline) / area, the baseline a line fitted where |V| is 10-50 % of the
    largest |V| so far (zero while there are fewer than 3 such readings)."""
    reach = np.abs(v).max()
    window = (np.abs(v) >= 0.1 * reach) & (np.abs(v) <= 0.5 * reach)
    baseline = np.polyval(np.polyfit(v[window], i[window], 1), v) if window.sum() >= 3 \
        else np.zeros_like(i)
    return (i - baseline) / area_m2


def onset(v: np.ndarray, j: np.ndarray, sign: int, threshold: float) -> float | None:
    """Voltage where sign*j first reaches `threshold`, interpolated linearly between the
    readings around the crossing (for a Tafel current and 20 mV steps: within ~1 mV)."""
    above = np.nonzero(sign * j >= threshold)[0]
    if not above.size or above[0] == 0:
        return None
    k = above[0]
    lo, hi = sign * j[k - 1], sign * j[k]
    return float(v[k - 1] + (v[k] - v[k - 1]) * (threshold - lo) / (hi - lo))


SPEC = ProtocolSpec(
    KIND, "Stability window", Params, Result, run, roles=(Role("smu", SourceMeter),),
    limits={"max_voltage_V": VOLTAGE, "min_voltage_V": VOLTAGE,
            "current_limit_A": CURRENT_LIMIT},
    streams=(dc("sweep"),),
    summary=(Summary("onset_low_V", "onset low", "V"), Summary("onset_high_V", "onset high", "V")),
    provides=WINDOW, order=30, doc=__doc__)
