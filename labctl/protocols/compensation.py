"""Fixture compensation: the open, short or load standard of each channel, measured with
the pellet replaced by that fixture (labctl/compensation.py).

Fit the fixture in every pellet position first (an open: the holder's electrodes apart,
nothing between them; a short: a metal disc in the pellet's place; a load: a resistor of
`load_Ohm`), then run this step with `fixture` naming it; one run for each fixture (in the
simulation: the bench's `fixture` key). Where a switch joins the analyzer to several
positions (role `switch`, to be named in the recipe's [roles] where the bench has several
switches), each position is one channel: it is connected and measured in turn
(`position`: only that one). Each channel's fixture spectrum (log sweep `start_Hz` to
`stop_Hz`, `points_per_decade`, or the list `frequencies_Hz`, at `amplitude_V` rms) is
stored as the step's points and, once the step is done, as the channel's standard of that
kind, with the bench; every later spectrum through the channel is compensated with the
newest open and short (and load) of the channel in analysis, its raw points kept as
measured.

An analyzer with its own correction (the E4980A's `:CORR:OPEN` / `:CORR:SHOR`) on a single
channel (no switch) uses it for open and short (`instrument_correction`): its spectra come
corrected and the standard stored says so. Through a switch one instrument correction
cannot serve several channels: it is switched off and the channels are measured.
Spectra must lie inside the standards' frequency range (nothing is extrapolated). An open
fixture's |Z| rises as 1/f until the analyzer reports it out of range (a status code, after
|Z| rose): from there on, the sweep stops and the standard takes the open's admittance as 0
at the remaining frequencies (`beyond_range_Hz`, with a warning): below what the analyzer
resolves, it changes no spectrum the analyzer can measure.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

from labctl.capabilities import ImpedanceAnalyzer, Switch
from labctl.compensation import (INSTRUMENT, KINDS, LOAD, MEASURED, MIN_POINTS, OPEN,
                                 CorrectingAnalyzer, channel_of, positions)
from labctl.errors import InstrumentError
from labctl.preflight import AMPLITUDE, FREQUENCY
from labctl.protocol import COMPENSATION, ProtocolSpec, Role, StoredResult, impedance
from labctl.protocols._params import param
from labctl.protocols.eis_sweep import frequencies, optional_instrument

KIND = "fixture_compensation"


@dataclass(frozen=True)
class Params:
    fixture: str = param("open", choices=KINDS, doc="the fixture fitted in the pellet's place")
    load_Ohm: float | None = param(None, low=1e-6, high=1e12,
                                   doc="the load standard's resistance (fixture load)")
    position: str | None = param(None, doc="only this pellet position of the switch "
                                           "(default: every one joined to the analyzer)")
    start_Hz: float = param(1e6, low=1e-6, high=1e8, doc="first frequency of the log sweep")
    stop_Hz: float = param(0.1, low=1e-6, high=1e8, doc="last frequency of the log sweep")
    points_per_decade: int = param(10, low=1, high=100, doc="log sweep density")
    frequencies_Hz: tuple[float, ...] | None = param(
        None, low=1e-6, high=1e8, doc="explicit frequency list (replaces start/stop), e.g. "
                                      "the spectra's")
    amplitude_V: float = param(0.05, low=1e-4, high=1.0, doc="AC amplitude (rms)")
    instrument_correction: bool = param(True, doc="use the analyzer's own open/short "
                                                  "correction where it has one (no switch)")

    def problems(self) -> list[tuple[str, str]]:
        if self.fixture == LOAD and self.load_Ohm is None:
            return [("load_Ohm", "required for the load fixture")]
        if self.frequencies_Hz is None and self.start_Hz == self.stop_Hz:
            return [("stop_Hz", "must differ from start_Hz")]
        return []


@dataclass(frozen=True)
class Result(StoredResult):
    """One channel's fixture measurement: what the store keeps as its standard."""

    fixture: str
    channel: str
    method: str                  # 'measured' or 'instrument' (the analyzer's correction)
    load_Ohm: float | None
    points: int
    beyond_range_Hz: tuple[float, ...] = ()   # an open beyond the analyzer's range (Y = 0)


def run(ctx, params: Params) -> Result:
    """Measure the fitted fixture on every channel; returns the last channel's result."""
    fra = ctx.instrument("fra")
    switch = optional_instrument(ctx, "switch")
    places = [params.position] if params.position else \
        (positions(fra.name, switch) if switch else []) or [None]
    own = (params.instrument_correction and switch is None and params.fixture != LOAD
           and isinstance(fra, CorrectingAnalyzer))
    if isinstance(fra, CorrectingAnalyzer) and not own:
        fra.set_corrections(False)
        ctx.log("info", f"{fra.name}: its own correction switched off; channels measured")
    result = None
    for k, place in enumerate(places):
        if place is not None:
            switch.connect(switch.channels_for(place, fra.name))
        channel = channel_of(fra.name, [switch] if switch else [])
        with ctx.measurement(KIND, {**asdict(params), "channel": channel}) as m:
            if own:
                fra.correct(params.fixture)
                points, beyond = 0, ()
            else:
                points, beyond = _sweep(ctx, fra, m, params, (k, len(places)))
            result = Result(params.fixture, channel, INSTRUMENT if own else MEASURED,
                            params.load_Ohm, points, beyond)
            m.finish(result.to_dict())
        ctx.log("info", f"{params.fixture} standard of channel {channel}: "
                        f"{'the analyzer correction' if own else f'{points} points'}")
    return result


def _sweep(ctx, fra, m, params: Params, place: tuple[int, int]) -> tuple[int, tuple]:
    """Measure the fixture over the grid, each point recorded: (points, frequencies where
    the open is beyond the analyzer's range)."""
    grid = frequencies(params)
    magnitudes = []
    for i, f in enumerate(grid):
        ctx.checkpoint()
        try:
            point = fra.measure(f, params.amplitude_V)
        except InstrumentError as exc:
            if not _open_beyond_range(params.fixture, grid, exc, magnitudes):
                raise
            ctx.log("warning", f"{params.fixture} fixture beyond {fra.name}'s range from "
                               f"{f:g} Hz ({exc.reason}): its admittance taken as 0 there")
            return len(magnitudes), tuple(float(x) for x in grid[i:])
        m.record(point)
        magnitudes.append(abs(point.impedance_Ohm))
        done = (place[0] + (i + 1) / grid.size) / place[1]
        ctx.progress(done, None, f"{params.fixture} fixture: {i + 1} of {grid.size}")
    return int(grid.size), ()


def _open_beyond_range(fixture: str, grid, exc: InstrumentError, magnitudes: list[float]
                       ) -> bool:
    """An open whose |Z| rose along a falling sweep until the analyzer reported it out of
    range (a status, not a link fault): its admittance is below what it resolves."""
    return (fixture == OPEN and grid[-1] < grid[0] and exc.code is not None
            and len(magnitudes) >= MIN_POINTS and magnitudes[-1] > magnitudes[-2])


SPEC = ProtocolSpec(
    KIND, "Fixture compensation", Params, Result, run,
    roles=(Role("fra", ImpedanceAnalyzer), Role("switch", Switch, when="position")),
    limits={"start_Hz": FREQUENCY, "stop_Hz": FREQUENCY, "frequencies_Hz": FREQUENCY,
            "amplitude_V": AMPLITUDE},
    streams=(impedance("spectrum"),), provides=COMPENSATION, order=5, doc=__doc__)
