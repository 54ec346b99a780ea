"""What the impedance-analyzer drivers share (Solartron 1260, Keysight E4980A).

`ImpedanceAnalyzerDriver` implements the `labctl.capabilities.ImpedanceAnalyzer` parts that
do not depend on the instrument: checking a point (frequency, AC amplitude and DC bias inside
the instrument's `ranges` and the bench's `amplitude_V` / `bias_V` limits) before anything is
sent, and `sweep`, one `measure` per frequency. Subclasses declare the `Setting`s
`frequency_Hz`, `amplitude_V` and `bias_V` (with their spans and limits) and implement
`measure`. `polar_deg` converts a (|Z|, degrees) reading at the wire.
"""

from __future__ import annotations

import cmath
import math
from typing import ClassVar, Iterable, Iterator

from labctl.capabilities import ImpedancePoint
from labctl.instrument import Instrument
from labctl.setting import Setting


def polar_deg(magnitude: float, phase_deg: float) -> complex:
    """|Z| and phase in degrees -> complex Z."""
    return cmath.rect(magnitude, math.radians(phase_deg))


class ImpedanceAnalyzerDriver(Instrument):
    """Base of impedance-analyzer drivers: point checks and the capability's `sweep`."""

    frequency_Hz: ClassVar[Setting]
    amplitude_V: ClassVar[Setting]
    bias_V: ClassVar[Setting]
    limit_keys = {"amplitude_V": "max AC amplitude (V rms)", "bias_V": "max |DC bias| (V)"}

    @property
    def frequency_range_Hz(self) -> tuple[float, float]:
        span = self.ranges.frequency_Hz
        return span.low, span.high

    def check_point(self, frequency_Hz: float, amplitude_V: float,
                    bias_V: float) -> tuple[float, float, float]:
        """The point as checked floats (see `Setting.validate`)."""
        cls = type(self)
        return (cls.frequency_Hz.validate(self, frequency_Hz),
                cls.amplitude_V.validate(self, amplitude_V), cls.bias_V.validate(self, bias_V))

    def measure(self, frequency_Hz: float, amplitude_V: float,
                bias_V: float = 0.0) -> ImpedancePoint:
        raise NotImplementedError

    def sweep(self, frequencies_Hz: Iterable[float], amplitude_V: float,
              bias_V: float = 0.0) -> Iterator[ImpedancePoint]:
        """Measure each frequency in order, yielding each point as it completes. Every
        point is checked first, so a bad frequency is refused before anything is measured."""
        frequencies = [self.check_point(f, amplitude_V, bias_V)[0] for f in frequencies_Hz]
        return (self.measure(f, amplitude_V, bias_V) for f in frequencies)
