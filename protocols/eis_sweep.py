"""Impedance spectrum of a sample: swept sine over a frequency list, checked as it is taken.

What is measured: Z(f) at each frequency (log-spaced between `start_Hz` and `stop_Hz`, in
either direction, or an explicit list), at AC amplitude `amplitude_V` (rms) on a DC bias.
Each point is recorded as it arrives. Every spectrum is then checked:
- Kramers-Kronig (Lin-KK, `labctl.analysis.kk`): residuals above `kk_max_residual` of |Z|
  mean the sample changed or the system was not linear during the sweep;
- drift: the first frequency is measured again at the end (relative |Z| change
  `reference_drift`), and the furnace temperature change during the sweep.
A failing spectrum is flagged and, up to `remeasure` times, measured again.
With `adaptive_low_frequency`, the sweep ends early once the blocking-electrode spike is
established (phase steadily capacitive, |Z| rising as a power law of f): the slow
low-frequency points carry no more ionic information.
Result: R_ion (the Z' of the valley between the ionic arcs and the electrode spike), the
checks, and the frequency below which points were skipped.
"""

from __future__ import annotations

from dataclasses import dataclass

from protocols._params import param

KIND = "eis"


@dataclass(frozen=True)
class Params:
    start_Hz: float = param(1e6, low=1e-6, high=1e8, doc="first frequency of a log sweep")
    stop_Hz: float = param(0.1, low=1e-6, high=1e8, doc="last frequency of a log sweep")
    points_per_decade: int = param(10, low=1, high=100, doc="log sweep density")
    frequencies_Hz: tuple[float, ...] | None = param(
        None, low=1e-6, high=1e8, doc="explicit frequency list (replaces start/stop)")
    amplitude_V: float = param(0.01, low=1e-4, high=1.0, doc="AC amplitude (rms)")
    bias_V: float = param(0.0, low=-10.0, high=10.0, doc="DC bias")
    repeats: int = param(1, low=1, high=1000, doc="spectra to measure")
    kk_max_residual: float = param(0.01, low=1e-5, high=1.0,
                                   doc="Lin-KK residual limit, relative to |Z|")
    max_reference_drift: float = param(0.01, low=1e-5, high=1.0,
                                       doc="limit of the relative |Z| change at the "
                                           "first frequency, start to end")
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
        return []
