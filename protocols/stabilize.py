"""Stability-gated thermal wait: ramp to a set-point, then wait until the sample is stable.

What is done: the furnace ramps to `target_K` at `ramp_rate_K_per_s`; then the protocol
polls the controller every `poll_s` until, over the last `window_s`, every reading lies
within `band_K` of the target and |dT/dt| (a line fitted over the window) is below
`max_rate_K_per_s`. Optionally the sample itself is the thermometer: |Z| at
`reference_Hz` is measured each poll and must stop drifting (|d ln|Z|/dt| below
`max_z_drift_per_s` over the window), because the sample lags the thermocouple. No fixed
soak: it ends when the criteria hold, or at `max_wait_s` with a warning.
Result: target, whether it became stable, the time waited and the final temperature.
"""

from __future__ import annotations

from dataclasses import dataclass

from protocols._params import param

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
    max_z_drift_per_s: float = param(0.002 / 60.0, low=1e-8, high=1.0,
                                     doc="allowed |d ln|Z| / dt|")

    def problems(self) -> list[tuple[str, str]]:
        if self.window_s < 2 * self.poll_s:
            return [("window_s", "must span at least two polls (>= 2 * poll_s)")]
        return []
