"""What the impedance-analyzer drivers share (Solartron 1260, Keysight E4980A).

`ImpedanceAnalyzerDriver` implements the `labctl.capabilities.ImpedanceAnalyzer` parts that
do not depend on the instrument: checking a point (frequency, AC amplitude and DC bias inside
the instrument's `ranges` and the bench's `amplitude_V` / `bias_V` limits) before anything is
sent, and `sweep`, one `measure` per frequency. Subclasses declare the settings `frequency`,
`amplitude` and `bias` as `Setting`s (a `Property` that also enforces a bench limit on every
set) and implement `measure`. `polar_deg` converts a (|Z|, degrees) reading at the wire.
"""

from __future__ import annotations

import cmath
import math
from typing import Any, ClassVar, Iterable, Iterator

from labctl.capabilities import ImpedancePoint
from labctl.instrument import Instrument, Property


def polar_deg(magnitude: float, phase_deg: float) -> complex:
    """|Z| and phase in degrees -> complex Z."""
    return cmath.rect(magnitude, math.radians(phase_deg))


class Setting(Property):
    """A `Property` whose value must stay within the instrument's range `span` (a field of
    its `ranges`) and the bench limit `limit` (if given). `check` may also be the name of
    a method of the instrument (`check(value, name)`), for what a span cannot say."""

    def __init__(self, get: str | None, set: str, *, span: str | None = None,
                 limit: str | None = None, check: Any = None, **kwargs: Any):
        super().__init__(get, set, **kwargs)
        self.span, self.limit, self.check_by = span, limit, check   # checked here, not by Property

    def validate(self, instrument: Instrument, value: Any) -> Any:
        """The checked value; `RangeError` / `SafetyLimitError` before anything is sent."""
        check = getattr(instrument, self.check_by) if isinstance(self.check_by, str) \
            else self.check_by
        if self.span is not None:
            value = instrument.ranges.get(self.span).check(value, f"{instrument.name}.{self.name}")
        if check is not None:
            value = check(value, f"{instrument.name}.{self.name}")
        if self.limit is not None:
            instrument.limits.check_max(self.limit, value, self.name)
        return value

    def __set__(self, instrument: Instrument, value: Any) -> None:
        super().__set__(instrument, self.validate(instrument, value))


class ImpedanceAnalyzerDriver(Instrument):
    """Base of impedance-analyzer drivers: point checks and the capability's `sweep`."""

    frequency: ClassVar[Setting]
    amplitude: ClassVar[Setting]
    bias: ClassVar[Setting]
    limit_keys = {"amplitude_V": "max AC amplitude (V rms)", "bias_V": "max |DC bias| (V)"}

    @property
    def frequency_range_Hz(self) -> tuple[float, float]:
        span = self.ranges.frequency_Hz
        return span.low, span.high

    def check_point(self, frequency_Hz: float, amplitude_V: float,
                    bias_V: float) -> tuple[float, float, float]:
        """The point as checked floats (see `Setting.validate`)."""
        cls = type(self)
        return (cls.frequency.validate(self, frequency_Hz),
                cls.amplitude.validate(self, amplitude_V), cls.bias.validate(self, bias_V))

    def measure(self, frequency_Hz: float, amplitude_V: float,
                bias_V: float = 0.0) -> ImpedancePoint:
        raise NotImplementedError

    def sweep(self, frequencies_Hz: Iterable[float], amplitude_V: float,
              bias_V: float = 0.0) -> Iterator[ImpedancePoint]:
        """Measure each frequency in order, yielding each point as it completes. Every
        point is checked first, so a bad frequency is refused before anything is measured."""
        frequencies = [self.check_point(f, amplitude_V, bias_V)[0] for f in frequencies_Hz]
        return (self.measure(f, amplitude_V, bias_V) for f in frequencies)
