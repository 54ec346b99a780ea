"""Fixture compensation: open/short (and load) standards measured per bench channel, and
what they do to a spectrum measured through that channel.

A *channel* is the path from an impedance analyzer to a pellet position: the analyzer's
bench name (`fra`) on a bench without a switch, `fra:A` where a switch joins it to
position A of its channel map. Its standards are measured with the pellet replaced by
fixtures (protocol `fixture_compensation`): the open gives the stray admittance across the
terminals, the short the series impedance of relays and leads. The compensated impedance
(open/short, the standard formula)

    Z_dut = (Z_m - Z_s) / (1 - (Z_m - Z_s) Y_o),   Y_o = 1 / (Z_o - Z_s)

and with a load of known Z_std measured as Z_l (open/short/load)

    Z_dut = Z_std (Z_o - Z_l)(Z_m - Z_s) / ((Z_l - Z_s)(Z_o - Z_m)).

The standards are interpolated onto the measured frequencies (linearly in f, exact for
lumped R, L, C); a frequency outside a standard's range is refused, never extrapolated.
A standard with method `instrument` is an analyzer's own correction (the E4980A's
`:CORR:OPEN` / `:CORR:SHOR`): its spectra come corrected and nothing is applied here.
Raw points stay in the store as measured; analysis applies what the step recorded
(`Used`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Iterable, Protocol, runtime_checkable

import numpy as np

from labctl.errors import LabctlError

OPEN, SHORT, LOAD = "open", "short", "load"
KINDS = (OPEN, SHORT, LOAD)
MEASURED, INSTRUMENT = "measured", "instrument"
MIN_POINTS = 2


class CompensationError(LabctlError):
    """A standard that cannot be used (malformed, or not covering the frequencies)."""


@runtime_checkable
class CorrectingAnalyzer(Protocol):
    """An impedance analyzer with its own open/short correction (E4980A)."""

    def correct(self, kind: str) -> None:
        """Measure the fixture in place as the `kind` correction and switch it on."""

    def corrections(self) -> dict[str, bool]:
        """Which corrections ('open', 'short') are on, read from the instrument."""

    def set_corrections(self, on: bool) -> None:
        """All corrections on or off."""


@dataclass(frozen=True)
class Standard:
    """One stored fixture measurement of a channel."""

    id: int
    bench_name: str
    channel: str
    kind: str
    method: str
    measured_utc: str
    frequency_Hz: np.ndarray = field(repr=False)
    impedance_Ohm: np.ndarray = field(repr=False)
    load_Ohm: float | None = None
    step_id: int | None = None

    def problem(self) -> str | None:
        """Why this standard cannot be used (None: it can)."""
        if self.kind not in KINDS:
            return f"kind {self.kind!r} is not one of {', '.join(KINDS)}"
        if self.method == INSTRUMENT:
            return None
        if self.method != MEASURED:
            return f"method {self.method!r} is not {MEASURED!r} or {INSTRUMENT!r}"
        return data_problem(self.frequency_Hz, self.impedance_Ohm, self.kind, self.load_Ohm)

    def at(self, frequency_Hz: np.ndarray) -> np.ndarray:
        """The standard at `frequency_Hz`, interpolated linearly in f: an open's admittance
        (S; so its jwC is exact, and 0 where it was beyond range), else its Z (Ohm).
        Outside its range: a `CompensationError` (never extrapolated)."""
        f = np.asarray(frequency_Hz, dtype=float)
        low, high = self.frequency_Hz[0], self.frequency_Hz[-1]
        outside = f[(f < low * (1 - 1e-9)) | (f > high * (1 + 1e-9))]
        if outside.size:
            raise CompensationError(
                f"{self.kind} standard {self.id} of channel {self.channel} covers "
                f"{low:g} .. {high:g} Hz, not {outside.min():g} .. {outside.max():g} Hz: "
                f"not extrapolated (measure the fixtures over the spectra's range)")
        values = 1 / self.impedance_Ohm if self.kind == OPEN else self.impedance_Ohm
        inner = np.clip(f, low, high)
        return np.interp(inner, self.frequency_Hz, values.real) \
            + 1j * np.interp(inner, self.frequency_Hz, values.imag)


def data_problem(frequency_Hz, impedance_Ohm, kind: str, load_Ohm: float | None) -> str | None:
    """Why these fixture data are no standard (None: they are)."""
    f, z = np.asarray(frequency_Hz, dtype=float), np.asarray(impedance_Ohm, dtype=complex)
    if f.shape != z.shape or f.ndim != 1:
        return f"{f.size} frequencies for {z.size} impedances"
    if f.size < MIN_POINTS:
        return f"{f.size} points; at least {MIN_POINTS} needed"
    beyond = np.isinf(z.real) & (z.imag == 0) if kind == OPEN else False   # Y = 0 there
    if not (np.all(np.isfinite(f)) and np.all(np.isfinite(z) | beyond) and np.all(f > 0)):
        return "non-finite or non-positive values"
    if np.any(np.diff(f) <= 0):
        return "frequencies not strictly ascending"
    if kind == OPEN and np.any(z == 0):
        return "an open measured as 0 Ohm"
    if kind == LOAD and not (load_Ohm is not None and np.isfinite(load_Ohm) and load_Ohm > 0):
        return f"a load standard needs its value load_Ohm > 0, got {load_Ohm!r}"
    return None


@dataclass(frozen=True)
class Used:
    """What a step measured through: its channel and the standards chosen (by id), or why
    none are applied (`note`)."""

    channel: str
    open: Standard | None = None
    short: Standard | None = None
    load: Standard | None = None
    note: str = ""

    @property
    def instrument(self) -> bool:
        return self.open is not None and self.open.method == INSTRUMENT

    @property
    def applies(self) -> bool:
        return self.open is not None and self.short is not None and not self.instrument

    def apply(self, frequency_Hz, impedance_Ohm) -> np.ndarray:
        """The compensated spectrum (the measured one when nothing applies)."""
        z_m = np.asarray(impedance_Ohm, dtype=complex)
        if not self.applies:
            return z_m
        y, z_s = self.open.at(frequency_Hz), self.short.at(frequency_Hz)   # y = 1/Z_o
        if self.load is None:
            d = z_m - z_s
            return d / (1 - d * y / (1 - z_s * y))           # Y_o = 1/(Z_o - Z_s)
        z_l = self.load.at(frequency_Hz)                     # the formula over Z_o / Z_o
        return self.load.load_Ohm * (1 - z_l * y) * (z_m - z_s) / ((z_l - z_s) * (1 - z_m * y))


def choose(channel: str, standards: Iterable[Standard], instrument_on: bool | None = None
           ) -> tuple[Used, list[str]]:
    """The newest valid standard of each kind of `channel` (newest first in `standards`),
    and warnings naming what was skipped or is missing (nothing for a channel without any
    standard: most benches measure uncompensated). `instrument_on`: whether the
    analyzer's own correction is on (None: it has none)."""
    newest: dict[str, Standard] = {}
    warnings = []
    for s in standards:
        if s.kind in newest:
            continue
        why = s.problem()
        if why:
            warnings.append(f"compensation: {s.kind} standard {s.id} of channel {channel} "
                            f"skipped: {why}")
        else:
            newest[s.kind] = s
    if not newest and not warnings:
        return Used(channel), warnings       # none ever measured: the spectrum as measured
    opened, shorted = newest.get(OPEN), newest.get(SHORT)
    if opened and shorted and (opened.method == INSTRUMENT) != (shorted.method == INSTRUMENT):
        return _none(channel, warnings, f"the newest open ({opened.method}) and short "
                                        f"({shorted.method}) standards differ in method")
    if opened is None or shorted is None:
        missing = " and ".join(k for k in (OPEN, SHORT) if k not in newest)
        return _none(channel, warnings, f"no valid {missing} standard")
    if opened.method == INSTRUMENT:
        if not instrument_on:
            return _none(channel, warnings, "the analyzer's own correction was measured "
                                            "but is off now")
        return Used(channel, opened, shorted, note="the analyzer's own correction"), warnings
    if instrument_on:
        return _none(channel, warnings, "the analyzer's own correction is on as well: "
                                        "switch it off (its fixture compensation step does) to use "
                                        f"standards {opened.id}, {shorted.id}")
    return Used(channel, opened, shorted, newest.get(LOAD)), warnings


def _none(channel: str, warnings: list[str], why: str) -> tuple[Used, list[str]]:
    note = f"CompensationMissing: channel {channel}: {why}; spectrum not compensated"
    return Used(channel, note=note), warnings + [note]


def channel_of(analyzer: str, switches: Iterable[Any]) -> str:
    """The channel bench instrument `analyzer` measures through now: `analyzer` alone if
    no switch maps it, else `analyzer:POSITION` of the position its closed channels
    (read back) join it to (`analyzer:` when none)."""
    for switch in switches:
        mine = {c: w.sample for c, w in switch.wires.items() if w.instrument == analyzer}
        if mine:
            closed = switch.closed()
            positions = sorted({mine[c] for c in closed if c in mine})
            return f"{analyzer}:{','.join(positions)}"
    return analyzer


def positions(analyzer: str, switch: Any) -> list[str]:
    """The pellet positions `switch`'s channel map joins to bench instrument `analyzer`."""
    return sorted({w.sample for w in switch.wires.values() if w.instrument == analyzer})


def for_measurement(store: Any, bench_name: str, analyzer_name: str,
                    instruments: dict[str, Any]) -> tuple[Used, list[str]]:
    """What a measurement by bench instrument `analyzer_name` goes through now: its
    channel (switch state read back) and the channel's newest valid standards in `store`,
    with warnings to log."""
    analyzer = instruments[analyzer_name]
    switches = [i for i in instruments.values() if isinstance(getattr(i, "wires", None), dict)]
    channel = channel_of(analyzer_name, switches)
    on, warnings = None, []
    if isinstance(analyzer, CorrectingAnalyzer):
        states = analyzer.corrections()
        on = any(states.values())
        if on and not all(states.values()):
            warnings.append(f"compensation: {analyzer_name}'s own correction is only partly on "
                            f"({', '.join(k for k, v in states.items() if v)})")
    used, found = choose(channel, store.standards(bench_name, channel), on)
    return used, warnings + found


def compensated(store: Any, step: Any, frequency_Hz, impedance_Ohm) -> tuple[np.ndarray, str]:
    """The spectrum of store step `step` as analysis uses it (its standards applied), and
    a note when none are applied although the step recorded a channel. A step without a
    record (measured before compensation existed, or by no 'fra') is as measured."""
    used = store.used(step.id)
    if used is None:
        return np.asarray(impedance_Ohm, dtype=complex), ""
    try:
        z = used.apply(np.asarray(frequency_Hz, dtype=float), impedance_Ohm)
    except CompensationError as exc:
        raise CompensationError(f"step {step.seq} ({step.path or step.kind}): {exc}") from None
    note = f"step {step.seq} ({step.path or step.kind}): {used.note}" if used.note \
        and not used.instrument else ""
    return z, note
