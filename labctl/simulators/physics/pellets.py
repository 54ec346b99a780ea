"""Several pellets in one furnace, and what a switch channel adds between pellet and
instrument.

A `Pellet` is a sample file at its own place in the furnace: its temperature follows the
thermocouple's plus a small `offset_K` with its own first-order `lag_s` (a pellet off the
hot zone's centre, on a thicker holder). It counts its own thermal cycles (with a
`contact` table, its `swing_K`, at its own temperature) and takes up oxygen from the tube on
its own (`oxygen`, kept by the world: its own chemical diffusion time). A `Lead` is one channel's path through relays and
cables: series resistance R, stray capacitance C across the pellet's terminals and lead
inductance L, so the instrument sees Z_meas = R + jwL + (Z || 1/(jwC)), which bends the
high-frequency end of a spectrum.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from labctl.simulators.physics.atmosphere import SampleOxygen
from labctl.simulators.physics.cycling import ThermalCycles
from labctl.simulators.physics.sample import SampleModel


@dataclass(frozen=True)
class Lead:
    """One channel's parasitics (SI): series R (relay contacts + wires), stray C, lead L."""

    series_R_Ohm: float = 0.0
    stray_C_F: float = 0.0
    lead_L_H: float = 0.0

    def __post_init__(self):
        if min(self.series_R_Ohm, self.stray_C_F, self.lead_L_H) < 0:
            raise ValueError(f"lead parasitics must be >= 0, got {self}")

    def measured(self, impedance_Ohm, frequency_Hz):
        """What an instrument measures through this lead of a pellet of `impedance_Ohm`."""
        jw = 2j * np.pi * np.asarray(frequency_Hz, dtype=float)
        z = np.asarray(impedance_Ohm, dtype=complex)
        with np.errstate(divide="ignore", invalid="ignore"):   # an open (inf) pellet
            shunted = np.where(np.isinf(z), 1 / (jw * self.stray_C_F),
                               z / (1 + jw * self.stray_C_F * z))
        return self.series_R_Ohm + jw * self.lead_L_H + shunted


@dataclass
class Pellet:
    """A sample file at its own position: temperature offset and thermal lag."""

    name: str
    sample: SampleModel
    offset_K: float = 0.0
    lag_s: float = 0.0
    _state: tuple[float, float] | None = field(default=None, repr=False)  # (time, T)
    cycles: ThermalCycles | None = field(default=None, repr=False)   # with `contact`
    oxygen: SampleOxygen | None = field(default=None, repr=False)    # the world's to keep

    def __post_init__(self):
        if self.lag_s < 0:
            raise ValueError(f"pellet {self.name}: lag_s must be >= 0, got {self.lag_s}")

    def temperature_K(self, time_s: float, thermocouple_K: float) -> float:
        """The pellet's temperature at `time_s`, the thermocouple reading `thermocouple_K`
        (held since the previous call: exact first-order step response)."""
        target = thermocouple_K + self.offset_K
        if self._state is None or self.lag_s == 0:
            self._state = (time_s, target)
            return target
        t0, T0 = self._state
        T = target + (T0 - target) * math.exp(-max(0.0, time_s - t0) / self.lag_s)
        self._state = (time_s, T)
        return T

    def observe(self, time_s: float, thermocouple_K: float) -> None:
        """Count a thermal cycle when its temperature has completed one (fed at every
        reading of the furnace, as the one-sample world's)."""
        T = self.temperature_K(time_s, thermocouple_K)
        if self.cycles is None:
            self.cycles = ThermalCycles(self.sample.contact.swing_K, T)
        self.cycles.observe(T)

    def impedance(self, frequency_Hz, time_s: float, thermocouple_K: float):
        """The pellet's own impedance now (no leads)."""
        return self.sample.impedance(frequency_Hz, self.temperature_K(time_s, thermocouple_K))
