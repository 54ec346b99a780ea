"""Keysight 34980A switch/measure unit with a 34921A 40-channel armature multiplexer,
implementing `Switch` (see `labctl/drivers/_switch.py` for the channel map and its rules).

SCPI (Keysight 34980A Programmer's Reference, "ROUTe subsystem" and "DIAGnostic
subsystem"): channels are `<slot><3-digit channel>` (`1001` .. `1040` in slot 1);
`ROUT:CLOS (@1001,1021)`, `ROUT:OPEN (@1001)`, `ROUT:OPEN:ALL`, `ROUT:CLOS? (@1001:1040)`
(one `1`/`0` per channel, comma separated), `DIAG:REL:CYCL? (@...)` (each relay's cycle
count, the contact wear), `SYST:ERR?`. Commands execute in order, each after its relays
settle. Safe state: all open, confirmed.
Checked against public drivers, test harnesses and scripts (2026-12): the same forms of
`ROUT:CLOS?` (one 1/0 per queried channel) and `DIAG:REL:CYCL?`. As on the 7001, the
read-back is the state the relays were driven to, not the contacts (the cycle count only
says the drive changed): a welded contact reads as commanded on the real instrument.
"""

from __future__ import annotations

from collections.abc import Iterable

from labctl.drivers._switch import SwitchMatrix
from labctl.errors import ReplyError
from labctl.transport import LinkSettings


class Keysight34980A(SwitchMatrix):
    """Keysight 34980A mainframe, 34921A multiplexer in `slot` (1..8)."""

    link = LinkSettings(read_termination="\n", write_termination="\n", timeout_s=2.0)
    models = (r"(Agilent|Keysight) Technologies,34980A,",)
    CLOSE = "ROUT:CLOS {}"
    OPEN = "ROUT:OPEN {}"
    OPEN_ALL = "ROUT:OPEN:ALL"
    ERROR_QUERY = "SYST:ERR?"

    @classmethod
    def card_channels(cls, slot: int) -> tuple[str, ...]:
        return tuple(f"{slot}{n:03d}" for n in range(1, 41))

    def _per_channel(self, query: str, channels: tuple[str, ...]) -> list[int]:
        reply = self.query(f"{query} {self.channel_list(channels)}")
        try:
            values = [int(v) for v in reply.strip().split(",")]
        except ValueError:
            raise ReplyError(f"{self.name}: expected integers, got {reply!r}") from None
        if len(values) != len(channels):
            raise ReplyError(f"{self.name}: {len(channels)} values expected, got {reply!r}")
        return values

    def closed(self) -> frozenset[str]:
        states = self._per_channel("ROUT:CLOS?", self.card)
        if set(states) - {0, 1}:
            raise ReplyError(f"{self.name}: relay states must be 0/1, got {states}")
        return frozenset(c for c, s in zip(self.card, states) if s)

    def relay_cycles(self, channels: Iterable[str]) -> dict[str, int]:
        """Each relay's cycle count (contact wear; 34921A relays are rated ~1e8 cycles dry)."""
        ordered = tuple(sorted(channels, key=self.card.index))
        return dict(zip(ordered, self._per_channel("DIAG:REL:CYCL?", ordered)))
