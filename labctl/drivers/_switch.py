"""What every relay matrix / multiplexer driver shares: the bench's channel map, the rule of
which channels may close together, break-before-make switching confirmed by read-back.

The channel map (bench option `channels`) names, for each channel the bench may close, the
pellet it reaches and the instrument terminal on its common line::

    [instruments.matrix.options.channels]
    "1!1" = { sample = "A", terminal = "fra.hi" }    # <bench instrument>.<terminal>
    "1!11" = { sample = "A", terminal = "fra.lo" }

Channels may close together only if no terminal is used twice (two pellets in parallel on
one input) and each pellet and each instrument are joined one to one: a pellet on two
instruments would short the instruments together through its electrode. A channel not in
the map is never closed. Everything is checked before a byte is sent.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, ClassVar

from labctl.capabilities import SwitchState
from labctl.clock import Clock
from labctl.errors import ConfigError, InstrumentError, SafetyLimitError
from labctl.instrument import Instrument, raise_scpi_errors
from labctl.transport import Transport


@dataclass(frozen=True)
class Wire:
    """Where one channel leads: a pellet and an instrument terminal (`fra.hi`)."""

    sample: str
    terminal: str

    @property
    def instrument(self) -> str:
        return self.terminal.partition(".")[0]


def parse_channel_map(owner: str, table: Any, known: Iterable[str]) -> dict[str, Wire]:
    """The bench option `channels` -> {channel: Wire}; ConfigError naming the field."""
    field = f"{owner}.options.channels"
    if not isinstance(table, Mapping) or not table:
        raise ConfigError(f"must be a table of channel = {{ sample, terminal }}, got {table!r}",
                          field=field)
    known, wires = set(known), {}
    for channel, entry in table.items():
        if channel not in known:
            raise ConfigError(f"no channel {channel!r} on this card (channels "
                              f"{min(known)} .. {max(known)})", field=f"{field}.{channel}")
        if not (isinstance(entry, Mapping) and set(entry) == {"sample", "terminal"}
                and all(isinstance(v, str) and v for v in entry.values())):
            raise ConfigError(f"must be {{ sample = \"...\", terminal = \"instrument.terminal\" }}"
                              f", got {entry!r}", field=f"{field}.{channel}")
        wires[channel] = Wire(entry["sample"], entry["terminal"])
    return wires


def conflicts(wires: Mapping[str, Wire], channels: Iterable[str]) -> list[str]:
    """Why `channels` must not be closed together (empty: they may)."""
    problems, terminal_of, instrument_of, sample_of = [], {}, {}, {}
    for channel in sorted(channels):
        wire = wires.get(channel)
        if wire is None:
            problems.append(f"channel {channel} is not in the bench's channel map")
            continue
        for seen, key, value, what in (
                (terminal_of, wire.terminal, channel, "terminal {key} on channels {old} and {new}"),
                (instrument_of, wire.sample, wire.instrument,
                 "sample {key} on instruments {old} and {new} (they would be shorted together)"),
                (sample_of, wire.instrument, wire.sample,
                 "instrument {key} on samples {old} and {new} (in parallel)")):
            old = seen.setdefault(key, value)
            if old != value:
                problems.append(what.format(key=key, old=old, new=value))
    return problems


class SwitchMatrix(Instrument):
    """A SCPI switch: subclasses give the card's channel names and the channel-list format,
    the commands to close, open and open all, and the read-back of closed channels."""

    CLOSE: ClassVar[str] = ""        # templates taking a channel list
    OPEN: ClassVar[str] = ""
    OPEN_ALL: ClassVar[str] = ""
    ERROR_QUERY: ClassVar[str] = ":SYST:ERR?"

    def __init__(self, transport: Transport, *, name: str = "matrix",
                 limits: Mapping[str, float] | None = None, clock: Clock | None = None,
                 slot: int = 1, channels: Mapping[str, Any] | None = None):
        super().__init__(transport, name=name, limits=limits, clock=clock)
        self.card = self.card_channels(slot)
        self.wires = parse_channel_map(name, channels, self.card)

    @classmethod
    def bench_problems(cls, options: Mapping[str, Any],
                       instruments: set[str]) -> list[tuple[str, str]]:
        """The channel map's problems, and terminals on instruments the bench lacks."""
        slot = options.get("slot", 1)
        try:
            wires = parse_channel_map("", options.get("channels"), cls.card_channels(slot))
        except ConfigError as exc:
            return [(exc.field.partition(".options.")[2], exc.reason)]
        return [(f"channels.{channel}", f"terminal {wire.terminal!r}: no instrument "
                 f"{wire.instrument!r} on this bench")
                for channel, wire in wires.items() if wire.instrument not in instruments]

    # -- what a subclass says about its wire ----------------------------------------------
    @classmethod
    def card_channels(cls, slot: int) -> tuple[str, ...]:
        """Every channel of the card in `slot`, in order."""
        raise NotImplementedError

    def channel_list(self, channels: Iterable[str]) -> str:
        return "(@" + ",".join(sorted(channels, key=self.card.index)) + ")"

    def _close(self, channels: frozenset[str]) -> None:
        self.write(self.CLOSE.format(self.channel_list(channels)))

    def _open(self, channels: frozenset[str]) -> None:
        self.write(self.OPEN.format(self.channel_list(channels)))

    def closed(self) -> frozenset[str]:
        """The closed channels, read back from the instrument."""
        raise NotImplementedError

    def check_errors(self) -> None:
        raise_scpi_errors(self, self.ERROR_QUERY)

    def read(self) -> SwitchState:
        """The closed channels, read back, with where each leads ('?' for a channel the
        map lacks: closed by someone else)."""
        unknown = Wire("?", "?")
        return SwitchState(tuple((c, self.wires.get(c, unknown).sample,
                                  self.wires.get(c, unknown).terminal)
                                 for c in sorted(self.closed(), key=self.card.index)))

    # -- the Switch capability --------------------------------------------------------------
    def channels_for(self, sample: str, instrument: str) -> frozenset[str]:
        """The channels joining `sample` to bench instrument `instrument` (all its terminals)."""
        found = frozenset(c for c, w in self.wires.items()
                          if w.sample == sample and w.instrument == instrument)
        if not found:
            raise ConfigError(f"{self.name}: no channel joins sample {sample!r} to "
                              f"instrument {instrument!r}", field=f"{self.name}.options.channels")
        return found

    def check_connect(self, channels: Iterable[str]) -> frozenset[str]:
        """The channels if they may close together, else SafetyLimitError; nothing is sent."""
        target = frozenset(channels)
        problems = conflicts(self.wires, target)
        if problems:
            raise SafetyLimitError(f"{self.name}: refused to close {self.channel_list(target)}: "
                                   + "; ".join(problems))
        return target

    def connect(self, channels: Iterable[str]) -> None:
        """Exactly `channels` closed, break-before-make: channels to leave are opened and
        confirmed open by read-back before any new one closes; then the whole state is
        confirmed. A relay that did not follow is an InstrumentError naming it."""
        target = self.check_connect(channels)
        current = self.closed()
        if current - target:
            self._open(current - target)
            self.check_errors()
            self.confirm(current & target)
        if target - current:
            self._close(target - current)
            self.check_errors()
        self.confirm(target)

    def confirm(self, channels: Iterable[str]) -> None:
        """Read back and raise InstrumentError unless exactly `channels` are closed (the
        check before every measurement)."""
        expected, actual = frozenset(channels), self.closed()
        if actual != expected:
            parts = [f"{self.channel_list(actual - expected)} still closed"] * bool(actual - expected) \
                + [f"{self.channel_list(expected - actual)} not closed"] * bool(expected - actual)
            raise InstrumentError(f"relay stuck: {' and '.join(parts)} (expected "
                                  f"{self.channel_list(expected)} closed)", instrument=self.name)

    def safe_state(self) -> None:
        """All channels open, confirmed by read-back."""
        self.write(self.OPEN_ALL)
        self.confirm(())
