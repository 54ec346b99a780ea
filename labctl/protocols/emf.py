"""Open-circuit EMF of a galvanic cell at the plateau's temperature, read until steady.

What is done: a high-impedance voltmeter reads the cell's EMF every `poll_s`, the furnace
its temperature. Drift criterion: a straight line fitted to the readings of the last
`window_s` must have a slope |dE/dt| below `max_drift_V_per_s` (default 1.5e-7 V/s,
9 uV/min), with readings spanning the whole window; then the EMF is taken as steady. No fixed hold: it ends
when the criterion holds, or at `max_wait_s` with a warning. Choose the window long enough
for the meter's noise: the slope's standard error (noise / (sqrt(N) * window / sqrt(12)))
must be well below the allowed drift.
Result: the EMF (the fitted line at the last reading) with its standard error, the mean
furnace temperature over the window with its spread, the final drift, the time waited, and
dG = -nFE for the cell reaction of `electrons` electrons. dS and dH across the run's
plateaus: `labctl.analysis.cell_thermodynamics` (`labctl analyze RUN`; with
`reference_pO2_Pa`, an O2 reference electrode's pO2, also the standard values at 1 bar).
The readings are stored as DC readings at zero current (open circuit).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any, Mapping, Sequence

import numpy as np

from labctl.analysis.cell_thermodynamics import FARADAY, cell_thermodynamics
from labctl.capabilities import CurrentReading, TemperatureController, Voltmeter
from labctl.protocol import (CELL_EMF, CROSSES, LINE, POINTS, Figure, Finished, ProtocolSpec, Role,
                             Series, StoredResult, Summary, dc)
from labctl.protocols import stabilize
from labctl.protocols._params import param
from labctl.units import K_to_C

KIND = "emf"


@dataclass(frozen=True)
class DriftParams:
    """The drift criterion's parameters (`read_until_steady`), shared by EMF protocols."""
    max_drift_V_per_s: float = param(1.5e-7, low=1e-9, high=1.0,
                                     doc="allowed |dE/dt| over the window")
    window_s: float = param(600.0, low=1.0, high=86400.0, doc="drift fitted over this span")
    poll_s: float = param(10.0, low=0.1, high=3600.0, doc="reading interval")
    max_wait_s: float = param(6 * 3600.0, low=1.0, high=1e6, doc="give up (warning) after")

    problems = stabilize.Params.problems    # the window must span at least two polls


@dataclass(frozen=True)
class Params(DriftParams):
    electrons: float = param(2.0, low=1e-3, high=100.0, doc="electrons n of the cell reaction")
    reference_pO2_Pa: float | None = param(None, low=1e-30, high=1e8,
                                           doc="O2 reference electrode's pO2 (standard values)")


@dataclass(frozen=True)
class Result(StoredResult):
    emf_V: float
    emf_std_V: float
    temperature_K: float
    temperature_std_K: float
    steady: bool
    drift_V_per_s: float
    waited_s: float
    electrons: float
    dG_J_per_mol: float
    dG_std_J_per_mol: float
    reference_pO2_Pa: float | None = None


def run(ctx, params: Params) -> Result:
    """Read EMF and temperature every `poll_s` until the EMF is steady (or `max_wait_s`)."""
    meter, furnace = ctx.instrument("voltmeter"), ctx.instrument("furnace")
    with ctx.measurement(KIND, asdict(params)) as m:
        read = read_until_steady(ctx, meter, furnace, m, params)
        temps = read.temperature_K[read.window]
        nF = params.electrons * FARADAY
        result = Result(read.level_V, read.level_std_V, float(temps.mean()), float(temps.std()),
                        read.steady, read.drift_V_per_s, read.waited_s, params.electrons,
                        -nF * read.level_V, nF * read.level_std_V, params.reference_pO2_Pa)
        m.finish(result.to_dict())
    return result


@dataclass(frozen=True)
class SteadyEmf:
    """The readings of `read_until_steady` and the drift criterion's verdict at the last."""
    time_s: np.ndarray
    emf_V: np.ndarray
    temperature_K: np.ndarray
    each: list                  # what `each()` returned at every reading
    steady: bool
    drift_V_per_s: float
    level_V: float              # the fitted line at the last reading
    level_std_V: float
    waited_s: float
    window: np.ndarray          # readings of the last `window_s`


def read_until_steady(ctx, meter, furnace, m, params, each=lambda: None) -> SteadyEmf:
    """EMF and furnace temperature every `params.poll_s` (each EMF stored in `m` as a DC
    reading at zero current; `each()` called too) until `drift_criterion` holds or
    `params.max_wait_s` has passed (then a warning)."""
    start = ctx.clock.now()
    t, emf, temperature, extra = [], [], [], []
    while True:
        ctx.checkpoint()
        volts = meter.read_emf_V()
        extra.append(each())
        reading = furnace.read()
        ctx.record_temperature(reading)
        m.record(CurrentReading(reading.time_s, volts, 0.0))
        t.append(reading.time_s)
        emf.append(volts)
        temperature.append(reading.temperature_K)
        steady, drift, level, level_std = drift_criterion(np.array(t), np.array(emf), params)
        waited = ctx.clock.now() - start
        if steady or waited >= params.max_wait_s:
            break
        ctx.progress(min(1.0, waited / params.max_wait_s), None,
                     f"E = {volts * 1e3:.3f} mV, dE/dt = {drift * 6e7:.1f} uV/min "
                     f"at {K_to_C(reading.temperature_K):.1f} °C")
        ctx.clock.sleep(min(params.poll_s, params.max_wait_s - waited))
    t_s = np.array(t)
    window = t_s >= t_s[-1] - params.window_s
    if not steady:
        ctx.log("warning", f"EMF not steady after {params.max_wait_s:g} s: "
                f"dE/dt = {drift * 6e7:.3g} uV/min at "
                f"{K_to_C(np.array(temperature)[window].mean()):.1f} °C")
    return SteadyEmf(t_s, np.array(emf), np.array(temperature), extra, steady, drift, level,
                     level_std, waited, window)


def drift_criterion(t: np.ndarray, emf: np.ndarray, params: Params
                    ) -> tuple[bool, float, float, float]:
    """(steady, |dE/dt|, E at the last reading, its standard error) from a line fitted over
    the last `window_s`: steady when the readings span the window and |dE/dt| is below
    `max_drift_V_per_s`."""
    window = t >= t[-1] - params.window_s
    if window.sum() < 3:
        return False, float("inf"), float(emf[-1]), float("inf")
    x = t[window] - t[-1]
    (slope, level), cov = np.polyfit(x, emf[window], 1, cov=True)
    drift = abs(float(slope))
    steady = t[-1] - t[0] >= params.window_s and drift <= params.max_drift_V_per_s
    return steady, drift, float(level), float(np.sqrt(cov[1, 1]))


def draw_emf(finished: Sequence[Finished]) -> list[Series]:
    """E(T) of the steady readings (unsteady ones apart) and the weighted line through the
    steady ones that gives dS (`cell_thermodynamics`), once there are two temperatures."""
    results = [f.result for f in finished]
    steady = [r for r in results if r.steady]
    series = [Series(name, [K_to_C(r.temperature_K) for r in chosen],
                     [r.emf_V for r in chosen], style, colour=colour)
              for name, chosen, style, colour in (
                  ("steady EMF", steady, POINTS, "#1f77b4"),
                  ("not steady", [r for r in results if not r.steady], CROSSES, "#d62728"))
              if chosen]
    try:
        fit = cell_thermodynamics([r.temperature_K for r in steady], [r.emf_V for r in steady],
                                  [r.emf_std_V for r in steady], steady[0].electrons)
    except (ValueError, IndexError):      # fewer than two temperatures
        return series
    t = np.array([min(r.temperature_K for r in steady), max(r.temperature_K for r in steady)])
    e = fit.dE_dT_V_per_K * (t - fit.dG_temperature_K) - fit.dG_J_per_mol / (
        fit.electrons * FARADAY)
    return series + [Series(f"fit: ΔS = {fit.dS_J_per_mol_K:.2f} ± "
                            f"{fit.dS_std_J_per_mol_K:.2g} J/(mol K)", K_to_C(t), e, LINE,
                            colour="k")]


def draw_running(points: Mapping[str, Any], temperature_K: float | None) -> list[Series]:
    """While a plateau's EMF is read: its latest reading, at the plateau's temperature."""
    if temperature_K is None:
        return []
    return [Series("latest reading (not steady yet)", [K_to_C(temperature_K)],
                   [float(np.ravel(points["voltage_V"])[-1])], CROSSES, colour="#7f7f7f")]


SPEC = ProtocolSpec(
    KIND, "Cell EMF", Params, Result, run,
    roles=(Role("voltmeter", Voltmeter), Role("furnace", TemperatureController)),
    streams=(dc(None),), provides=CELL_EMF,
    summary=(Summary("emf_V", "E", "V", std="emf_std_V"),
             Summary("temperature_K", "T", "K", std="temperature_std_K"),
             Summary("steady", "steady"), Summary("waited_s", "waited", "s")),
    form=("electrons", "reference_pO2_Pa", "max_drift_V_per_s", "window_s"),
    figures=(Figure("EMF E(T)", ("T / °C", None), ("E", "V"), draw_emf, live=draw_running),),
    order=40, doc=__doc__)
