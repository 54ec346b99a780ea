"""An impedance analyzer's overload (a low-impedance cell: the current beyond its input
ranges) met by halving the AC amplitude, as an operator would."""

from __future__ import annotations

from typing import Iterator

from labctl.capabilities import ImpedancePoint
from labctl.errors import Overload


def backing_off(ctx, fra, freqs, amplitude_V: float, bias_V: float,
                min_amplitude_V: float) -> Iterator[ImpedancePoint]:
    """`fra.sweep(freqs, ...)`, where an `Overload` measures its frequency again at half the
    amplitude (and the rest of the sweep with it), unless that is below `min_amplitude_V`."""
    remaining = list(freqs)
    while remaining:
        try:
            for point in fra.sweep(remaining, amplitude_V, bias_V):
                remaining.pop(0)
                yield point
        except Overload as exc:
            if amplitude_V / 2 < min_amplitude_V:
                raise
            amplitude_V /= 2
            ctx.log("warning", f"{exc} at {remaining[0]:.4g} Hz: amplitude halved to "
                    f"{amplitude_V:.3g} V rms from there on")
