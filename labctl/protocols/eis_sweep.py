"""Impedance spectrum of a sample: swept sine over a frequency list, checked as it is taken.

What is measured: Z(f) at each frequency (log-spaced between `start_Hz` and `stop_Hz`, in
either direction, or an explicit list), at AC amplitude `amplitude_V` (rms) on a DC bias.
Each point is recorded as it arrives. Every spectrum is then checked:
- Kramers-Kronig (Lin-KK, `labctl.analysis.kk`): residuals above `kk_max_residual` of |Z|
  mean the sample changed or the system was not linear during the sweep;
- drift: a reference frequency (`reference_Hz`, default: the measured point with the
  smallest |phase|, the most resistive and so most temperature-sensitive one) is measured
  again at the end (relative |Z| change `reference_drift`), and the furnace temperature
  change during the sweep.
A failing spectrum is flagged and, up to `remeasure` times, measured again. An overload (the
signal beyond the analyzer's input ranges: a low-impedance cell) measures that frequency
again at half the amplitude, down to `min_amplitude_V`; the rest of the sweep keeps the
smaller amplitude (warning; each point stores its own).
With `adaptive_low_frequency`, the sweep ends early once the blocking-electrode spike is
established (phase steadily capacitive, |Z| rising as a power law of f): the slow
low-frequency points carry no more ionic information.
Result: R_ion (the Z' of the valley between the ionic arcs and the electrode spike), the
checks, and the frequency below which points were skipped.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np

from labctl.preflight import AMPLITUDE, BIAS, FREQUENCY
from labctl.protocol import SPECTRUM, Marks, ProtocolSpec, Role, StoredResult, Summary, impedance
from labctl.analysis.kk import MIN_POINTS, lin_kk
from labctl.capabilities import ImpedanceAnalyzer, ImpedancePoint
from labctl.errors import ConfigError
from labctl.protocols._backoff import backing_off
from labctl.protocols._params import param

KIND = "eis"


@dataclass(frozen=True)
class Params:
    start_Hz: float = param(1e6, low=1e-6, high=1e8, doc="first frequency of a log sweep")
    stop_Hz: float = param(0.1, low=1e-6, high=1e8, doc="last frequency of a log sweep")
    points_per_decade: int = param(10, low=1, high=100, doc="log sweep density")
    frequencies_Hz: tuple[float, ...] | None = param(
        None, low=1e-6, high=1e8, doc="explicit frequency list (replaces start/stop)")
    amplitude_V: float = param(0.01, low=1e-4, high=1.0, doc="AC amplitude (rms)")
    min_amplitude_V: float = param(0.001, low=1e-4, high=1.0,
                                   doc="an overload halves the amplitude down to this")
    bias_V: float = param(0.0, low=-10.0, high=10.0, doc="DC bias")
    repeats: int = param(1, low=1, high=1000, doc="spectra to measure")
    kk_max_residual: float = param(0.01, low=1e-5, high=1.0,
                                   doc="Lin-KK residual limit, relative to |Z|")
    reference_Hz: float | None = param(None, low=1e-6, high=1e8,
                                       doc="drift check frequency (default: the point "
                                           "of smallest |phase|)")
    max_reference_drift: float = param(0.01, low=1e-5, high=1.0,
                                       doc="limit of the relative |Z| change at the "
                                           "reference frequency, sweep to end")
    max_temperature_drift_K: float = param(1.0, low=0.0, high=100.0,
                                           doc="limit of the furnace temperature change")
    remeasure: int = param(0, low=0, high=10, doc="re-measurements of a failing spectrum")
    adaptive_low_frequency: bool = param(False, doc="stop once the electrode spike is clear")
    spike_phase_deg: float = param(-60.0, low=-90.0, high=-10.0,
                                   doc="spike: phase below this (capacitive)")
    spike_points: int = param(5, low=3, high=50,
                              doc="spike: consecutive points that must show it")

    def problems(self) -> list[tuple[str, str]]:
        if self.frequencies_Hz is None and self.start_Hz == self.stop_Hz:
            return [("stop_Hz", "must differ from start_Hz")]
        f = frequencies(self)
        if len(f) < MIN_POINTS:
            return [("points_per_decade" if self.frequencies_Hz is None else "frequencies_Hz",
                     f"gives {len(f)} frequencies; the spectrum's Kramers-Kronig check "
                     f"needs at least {MIN_POINTS}")]
        if self.adaptive_low_frequency and np.any(np.diff(f) >= 0):
            return [("adaptive_low_frequency", "needs frequencies in descending order")]
        return []


@dataclass(frozen=True)
class Result(StoredResult):
    """One spectrum's checks; `to_dict()` is what the measurement stores."""

    r_ion_Ohm: float
    kk_ok: bool
    kk_max_residual: float
    kk_n_rc: int
    kk_mu: float
    kk_residuals_real: tuple[float, ...] = field(repr=False)
    kk_residuals_imag: tuple[float, ...] = field(repr=False)
    drift_ok: bool
    reference_drift: float
    temperature_drift_K: float | None
    skipped_below_Hz: float | None
    repeat: int
    attempt: int

    @property
    def ok(self) -> bool:
        return self.kk_ok and self.drift_ok


def frequencies(params: Params) -> np.ndarray:
    """The sweep's frequencies in measurement order."""
    if params.frequencies_Hz is not None:
        return np.array(params.frequencies_Hz, dtype=float)
    decades = abs(math.log10(params.stop_Hz / params.start_Hz))
    grid = np.logspace(math.log10(params.start_Hz), math.log10(params.stop_Hz),
                       max(2, round(decades * params.points_per_decade) + 1))
    grid[[0, -1]] = params.start_Hz, params.stop_Hz     # exact ends (10**log10(f) != f)
    return grid


def sweep_time_left(points: list[ImpedancePoint], remaining_Hz: np.ndarray) -> float | None:
    """Estimated time for the frequencies still to measure. A point takes the longer of a
    fixed time and an overhead plus some periods of integration; the fixed time is read off
    the points so far, the overhead and periods off those that took longer (until there are
    two such points: one period, no overhead, so early estimates are low)."""
    if len(points) < 3:
        return None
    f = np.array([p.frequency_Hz for p in points[1:]])
    dt = np.diff([p.time_s for p in points])
    fixed = float(np.median(dt))
    slow = dt > 1.2 * fixed
    overhead, periods = 0.0, 1.0
    if slow.sum() >= 2:
        (overhead, periods), *_ = np.linalg.lstsq(
            np.column_stack([np.ones(slow.sum()), 1.0 / f[slow]]), dt[slow], rcond=None)
    return float(np.sum(np.maximum(fixed, max(overhead, 0.0) + max(periods, 1.0) / remaining_Hz)))


def run(ctx, params: Params) -> Result:
    """Measure `repeats` spectra (each re-measured up to `remeasure` times while it fails
    its checks); returns the last spectrum's result."""
    fra = ctx.instrument("fra")
    furnace = optional_instrument(ctx, "furnace")
    result = None
    for repeat in range(params.repeats):
        for attempt in range(params.remeasure + 1):
            result = _spectrum(ctx, fra, furnace, params, repeat, attempt)
            if result.ok:
                break
            ctx.log("warning", f"spectrum {repeat} (attempt {attempt}) flagged: "
                    + _flags(result, params))
    return result


def optional_instrument(ctx, role: str) -> Any:
    """The instrument of `role`, or None if the bench/recipe has none."""
    try:
        return ctx.instrument(role)
    except ConfigError:
        return None


def _spectrum(ctx, fra, furnace, params: Params, repeat: int, attempt: int) -> Result:
    freqs = frequencies(params)
    amplitude, bias = params.amplitude_V, params.bias_V
    with ctx.measurement(KIND, {**asdict(params), "repeat": repeat, "attempt": attempt}) as m:
        start_T = _temperature(ctx, furnace)
        points: list[ImpedancePoint] = []
        skipped_below = None
        try:
            reference = None if params.reference_Hz is None else \
                fra.measure(params.reference_Hz, amplitude, bias)
            for point in backing_off(ctx, fra, freqs, amplitude, bias, params.min_amplitude_V):
                m.record(point)
                points.append(point)
                ctx.progress(len(points) / len(freqs),
                             sweep_time_left(points, freqs[len(points):]),
                             f"{point.frequency_Hz:.4g} Hz")
                ctx.checkpoint()
                if params.adaptive_low_frequency and len(points) < len(freqs) \
                        and spike_established(points, params):
                    skipped_below = point.frequency_Hz
                    ctx.log("info", f"electrode spike established: points below "
                            f"{skipped_below:.4g} Hz skipped")
                    break
            f = np.array([p.frequency_Hz for p in points])
            z = np.array([p.impedance_Ohm for p in points])
            drift = _reference_drift(fra, points, reference, params)
        finally:
            fra.safe_state()
        end_T = _temperature(ctx, furnace)
        kk = lin_kk(f, z, max_residual=params.kk_max_residual)
        temperature_drift = None if start_T is None else end_T - start_T
        result = Result(
            r_ion_Ohm=ionic_resistance(z), kk_ok=kk.ok, kk_max_residual=kk.max_residual,
            kk_n_rc=kk.n_rc, kk_mu=kk.mu, kk_residuals_real=tuple(kk.residuals_real.tolist()),
            kk_residuals_imag=tuple(kk.residuals_imag.tolist()),
            drift_ok=drift <= params.max_reference_drift and (
                temperature_drift is None
                or abs(temperature_drift) <= params.max_temperature_drift_K),
            reference_drift=drift, temperature_drift_K=temperature_drift,
            skipped_below_Hz=skipped_below, repeat=repeat, attempt=attempt)
        m.finish(result.to_dict())
    return result


def _reference_drift(fra, points: list[ImpedancePoint], reference: ImpedancePoint | None,
                     params: Params) -> float:
    """|Z| at the reference frequency now, relative to its value before (measured before
    the sweep, or the sweep's point of smallest |phase|), minus 1; at the amplitude it was
    measured with."""
    if reference is None:
        reference = min(points, key=lambda p: abs(np.angle(p.impedance_Ohm)))
    after = fra.measure(reference.frequency_Hz, reference.amplitude_V, params.bias_V)
    return float(abs(abs(after.impedance_Ohm) / abs(reference.impedance_Ohm) - 1))


def _temperature(ctx, furnace) -> float | None:
    if furnace is None:
        return None
    reading = furnace.read()
    ctx.record_temperature(reading)
    return reading.temperature_K


def _flags(result: Result, params: Params) -> str:
    flags = []
    if not result.kk_ok:
        flags.append(f"Lin-KK residual {result.kk_max_residual:.3g} > {params.kk_max_residual:g}")
    if not result.drift_ok:
        flags.append(f"drift {result.reference_drift:.3g} of |Z| at the reference frequency, "
                     f"temperature change {result.temperature_drift_K} K")
    return "; ".join(flags)


def ionic_resistance(z: np.ndarray) -> float:
    """R_ion: Z' at the valley of -Z'' between the ionic arcs and the electrode spike, the
    lowest-frequency local minimum of -Z'' (points in descending frequency); the last point
    if there is none. It is the resistance the step current of a DC polarization starts at
    (ionic and electronic paths in parallel). Slightly low (~1-2 %) where the grain-boundary
    arc and the spike overlap."""
    minus_imag = -z.imag
    valleys = [i for i in range(1, len(z) - 1)
               if minus_imag[i] <= minus_imag[i - 1] and minus_imag[i] < minus_imag[i + 1]]
    return float(z.real[valleys[-1] if valleys else -1])


def spike_established(points: list[ImpedancePoint], params: Params) -> bool:
    """The blocking-electrode spike is established over the last `spike_points` points:
    they lie below the ionic arcs' valley, every phase is below `spike_phase_deg`, and |Z|
    rises as a power law of 1/f (ln|Z| linear in ln f, slope between -1 and -0.5)."""
    k = params.spike_points
    z = np.array([p.impedance_Ohm for p in points])
    if len(points) < k + 3:
        return False
    minus_imag = -z.imag
    valleys = [i for i in range(1, len(z) - k)
               if minus_imag[i] <= minus_imag[i - 1] and minus_imag[i] < minus_imag[i + 1]]
    tail = z[-k:]
    if not valleys or np.any(np.degrees(np.angle(tail)) >= params.spike_phase_deg):
        return False
    ln_f = np.log([p.frequency_Hz for p in points[-k:]])
    slope, intercept = np.polyfit(ln_f, np.log(np.abs(tail)), 1)
    scatter = np.max(np.abs(np.log(np.abs(tail)) - (slope * ln_f + intercept)))
    return bool(-1.0 <= slope <= -0.5 and scatter < 0.05)


SPEC = ProtocolSpec(
    KIND, "Impedance spectrum", Params, Result, run, roles=(Role("fra", ImpedanceAnalyzer),),
    limits={"start_Hz": FREQUENCY, "stop_Hz": FREQUENCY, "frequencies_Hz": FREQUENCY,
            "reference_Hz": FREQUENCY, "amplitude_V": AMPLITUDE, "bias_V": BIAS},
    streams=(impedance("spectrum"),),
    summary=(Summary("r_ion_Ohm", "R_ion", "Ohm"), Summary("kk_ok", "KK ok")),
    marks=Marks(resistance=lambda r: r.r_ion_Ohm), provides=SPECTRUM, counted="spectra",
    form=("start_Hz", "stop_Hz", "points_per_decade", "amplitude_V"), order=10, doc=__doc__)
