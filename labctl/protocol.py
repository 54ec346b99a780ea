"""What a protocol declares about itself: one `ProtocolSpec` per protocol module, named
`SPEC` and registered as an entry point of the group `labctl.protocols` (`labctl.registry`).

Everything outside the protocol file reads the declaration: recipe validation (roles,
capabilities, which parameter is held against which bench limit), `labctl protocols`, the
run view, `labctl runs show` and the GUI's event log (summary values), the live plots
(streams, marks, figures), the GUI forms (generated from `Params`), the analysis dataset and the
demo (what a result provides).
So adding a protocol is one file; see docs/adding-a-protocol.md.
"""

from __future__ import annotations

import dataclasses
import typing
from dataclasses import dataclass, field
from typing import Any, Callable, Mapping, Sequence

if typing.TYPE_CHECKING:
    from labctl.preflight import Quantity

# what an analysis takes from a finished measurement (`ProtocolSpec.provides`)
SPECTRUM, POLARIZATION, WINDOW, LI_TRANSFERENCE, CELL_EMF, ELECTRONIC_PARTS = \
    "spectrum", "polarization", "window", "li_transference", "cell_emf", "electronic_parts"
# a channel's fixture standard (labctl.compensation), kept with the bench by the runner
COMPENSATION = "compensation"
CONDUCTIVITY_PO2 = "conductivity_pO2"    # total resistance against pO2 (Brouwer analysis)
EMF_TRANSFERENCE = "emf_transference"
# when a recipe runs a protocol besides its [[steps]] and [[program.body]] (`stage`)
PLATEAU, FINAL = "plateau", "final"


@dataclass(frozen=True)
class Role:
    """An instrument a protocol uses: the recipe's role name and the capability its
    instrument must have; with `when`, only if that parameter is set (not None)."""

    name: str
    capability: type
    when: str | None = None


@dataclass(frozen=True)
class Stream:
    """Data a protocol records: the store table (points stored as they arrive), its
    columns with their units, and the live plot that draws them (None: not drawn)."""

    table: str
    columns: tuple[tuple[str, str], ...]
    plot: str | None


IMPEDANCE_COLUMNS = (("time_s", "s"), ("frequency_Hz", "Hz"), ("impedance_Ohm", "Ohm"),
                     ("amplitude_V", "V"), ("bias_V", "V"))
DC_COLUMNS = (("time_s", "s"), ("voltage_V", "V"), ("current_A", "A"))


def impedance(plot: str | None) -> Stream:
    """Impedance points (`ImpedancePoint`), drawn in `plot`: 'spectrum' (Nyquist and Bode)
    or 'monitor' (|Z| under T(t))."""
    return Stream("impedance", IMPEDANCE_COLUMNS, plot)


def dc(plot: str | None) -> Stream:
    """DC readings (`CurrentReading`), drawn in `plot`: 'relaxation' (I(t)) or 'sweep' (I(V))."""
    return Stream("dc", DC_COLUMNS, plot)


@dataclass(frozen=True)
class Summary:
    """A key result shown by `labctl run`, `labctl runs show` and the GUI's event log, with
    the result key `std` of its ± uncertainty, if it has one."""

    key: str
    label: str
    unit: str = ""
    std: str | None = None


@dataclass(frozen=True)
class Marks:
    """What the live plots mark when a measurement finishes, read off its typed Result:
    `resistance` (Ohm) goes to the Arrhenius plot and marks the Nyquist arc, `steady_A`
    marks the steady current on I(t); None: nothing."""

    resistance: Callable[[Any], float | None] | None = None
    steady_A: Callable[[Any], float | None] | None = None


# how a `Series` is drawn
POINTS, CROSSES, LINE, DASHED = "points", "crosses", "line", "dashed"


@dataclass(frozen=True)
class Series:
    """One curve of a `Figure`: x and y in the figure's units, drawn as `style`, in
    `colour` or else by `temperature_K` (a plateau's colour in every plot)."""

    name: str
    x: Sequence[float]
    y: Sequence[float]
    style: str = POINTS
    temperature_K: float | None = None
    colour: str | None = None


@dataclass(frozen=True)
class Finished:
    """A finished measurement as a `Figure` draws it: its typed Result and the temperature
    of its plateau (None: not at one)."""

    result: Any
    temperature_K: float | None


@dataclass(frozen=True)
class Figure:
    """A plot of a protocol's results, redrawn when one of its measurements finishes (live
    and in the run browser): `draw(finished)` gives the series from all of the run's
    finished measurements of the protocol, in order. Axes are (label, unit); a unit is
    shown with an SI prefix ('s': a time axis in s, min or h), None for a label that
    names its own unit; `log_y` for a logarithmic y axis. `live(points, temperature_K)`,
    if given, adds series drawn from a running measurement's streamed points (its stream's
    columns by name, numpy arrays; of store table `live_from` only, for a protocol with
    several streams) until it finishes."""

    title: str
    x: tuple[str, str | None]
    y: tuple[str, str | None]
    draw: Callable[[Sequence[Finished]], list[Series]]
    log_y: bool = False
    live: Callable[[Mapping[str, Any], float | None], list[Series]] | None = None
    live_from: str | None = None          # the store table of the points `live` reads


class StoredResult:
    """Mixin of a protocol's frozen-dataclass Result: `to_dict()` is what the store holds,
    `from_dict()` reads it back (fields a run stored before they existed are their
    default, else None; lists become tuples)."""

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, stored: Mapping[str, Any]) -> Any:
        values = {}
        for f in dataclasses.fields(cls):
            value = stored.get(f.name, None if f.default is dataclasses.MISSING else f.default)
            values[f.name] = tuple(value) if isinstance(value, list) else value
        return cls(**values)


@dataclass(frozen=True)
class ProtocolSpec:
    """One protocol, declared. `run(ctx, params)` does it; `Params` is a frozen dataclass
    of `protocols._params.param` fields; `limits` maps a parameter to the instrument
    quantity (`labctl.preflight`) whose bench limit and range it must respect."""

    kind: str
    title: str                                   # "Impedance spectrum"
    Params: type
    Result: type
    run: Callable[[Any, Any], Any]
    roles: tuple[Role, ...]
    limits: Mapping[str, "Quantity"] = field(default_factory=dict)
    streams: tuple[Stream, ...] = ()
    summary: tuple[Summary, ...] = ()
    marks: Marks = Marks()
    provides: str | None = None                  # SPECTRUM, POLARIZATION, ... (analysis)
    counted: str | None = None                   # the run view counts these ("spectra")
    figures: tuple[Figure, ...] = ()             # plots of its results (GUI)
    form: tuple[str, ...] = ()                   # parameters of its short GUI form
    stage: str | None = None                     # PLATEAU, FINAL: run by the program
    order: int = 100                             # among a plateau's steps, in listings
    doc: str = ""                                # the module docstring

    def needs(self, values: Mapping[str, Any]) -> tuple[str, ...]:
        """The roles a step with these parameter values uses."""
        return tuple(r.name for r in self.roles if r.when is None or values.get(r.when) is not None)

    def plot(self, table: str) -> str | None:
        """The live plot that draws this protocol's points of store `table` (None: none)."""
        return next((s.plot for s in self.streams if s.table == table), None)

    def result(self, stored: Mapping[str, Any] | None) -> Any:
        """The typed Result of a stored result dict (None for none)."""
        return None if not stored else self.Result.from_dict(stored)
