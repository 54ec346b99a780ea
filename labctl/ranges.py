"""What an instrument can do, declared once per driver: the span of every quantity it sets.

A driver declares `RANGES` from its manual; its own checks (`Span.check`, before anything
is sent) and recipe validation (`Instrument.bench_ranges`, before anything is opened) read
the same spans, so the two never disagree. Spans are in SI units; temperatures (K) are
shown to people in degC.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Sequence


from labctl.errors import RangeError
from labctl.units import K_to_C


def in_units(values: float | Sequence[float], unit: str, sep: str = ", ") -> str:
    """Values as people read them (`300 degC` for 573.15 K; `20 .. 2e+06 Hz`)."""
    values = values if isinstance(values, Sequence) else [values]
    if unit == "K":
        return sep.join(f"{K_to_C(v):g}" for v in values) + " degC"
    return (sep.join(f"{v:g}" for v in values) + f" {unit}").rstrip()


@dataclass(frozen=True)
class Span:
    """`low <= value <= high` in `unit`; `note` says what sets a bound (an option, the
    physics of the instrument)."""

    low: float
    high: float
    unit: str = ""
    note: str = ""

    def __contains__(self, value: float) -> bool:
        return self.low <= value <= self.high

    def __str__(self) -> str:
        return in_units((self.low, self.high), self.unit, " .. ") + \
            (f" ({self.note})" if self.note else "")

    def check(self, value: Any, name: str) -> float:
        """`value` as float; `RangeError` naming `name` and the span if outside."""
        v = float(value)
        if v not in self:
            raise RangeError(f"{name} = {in_units(v, self.unit)} is outside the instrument's "
                             f"range {self}")
        return v

    def narrowed(self, low: float | None = None, high: float | None = None,
                 note: str = "") -> "Span":
        """This span limited further (by a bench limit or an option), with a note why."""
        low = self.low if low is None else max(self.low, low)
        high = self.high if high is None else min(self.high, high)
        return Span(low, high, self.unit, "; ".join(n for n in (self.note, note) if n))


@dataclass(frozen=True)
class Ranges:
    """The spans an instrument can set (None: it does not set that quantity)."""

    frequency_Hz: Span | None = None      # impedance measurement frequency
    amplitude_V: Span | None = None       # AC amplitude, V rms
    bias_V: Span | None = None            # DC bias of an impedance measurement
    voltage_V: Span | None = None         # DC source voltage
    current_A: Span | None = None         # current limit (compliance)
    temperature_K: Span | None = None     # set-points the controller can reach

    def get(self, quantity: str) -> Span | None:
        return getattr(self, quantity)
