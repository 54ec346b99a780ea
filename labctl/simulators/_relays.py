"""The relays of a simulated switch card: state, settle time, contact wear, stuck relays.

Options (bench `sim` table or the simulator's options): `settle_s` (actuation + bounce of
one switching operation; queries after it are answered once the relays settle), `stuck`
({channel = "open" | "closed"}: a welded or dead relay that ignores commands). The
read-back reports the contacts as they are (as a card with relay verification does), so a
stuck relay shows up in it. `cycles` counts each relay's closures (wear).

The card is wired as the bench's channel map (option `channels`) says: after each switching
it tells the world which pellet each instrument reaches (`SimWorld.route`), through the
channels' parasitics (`channel_lead` per channel in the path: R and L add, C is the path's).
An instrument reaches a pellet when all its mapped terminals are closed onto that one pellet.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable
from typing import Any

from labctl.simulators.physics.pellets import Lead
from labctl.simulators.scpi import ScpiDevice, ScpiError
from labctl.simulators.world import SimWorld


class RelayCard(ScpiDevice):
    """A SCPI switch holding one card of `channels`; subclasses register the commands."""

    link = "tcp"
    channels: tuple[str, ...] = ()
    item: re.Pattern[str]         # one list item, a channel or a range: groups first, last
    default_settle_s = 0.005
    channel_lead = Lead()

    def channel_name(self, number: int) -> str:
        raise NotImplementedError

    def __init__(self, world: SimWorld, options: dict[str, Any]):
        super().__init__(world.clock)
        self.world = world
        self.wires = {channel: (entry["sample"], entry["terminal"].partition(".")[0])
                      for channel, entry in dict(options.get("channels", {})).items()}
        self.settle_s = float(options.get("settle_s", self.default_settle_s))
        self.cycles: Counter[str] = Counter()
        self.closed: set[str] = set()
        self.settled_at = world.clock.now()
        self.stuck: dict[str, bool] = {}
        for channel, state in dict(options.get("stuck", {})).items():
            self.stick(channel, state == "closed")

    def stick(self, channel: str, closed: bool) -> None:
        """Weld (`closed`) or kill a relay: it keeps that state whatever is commanded."""
        if channel not in self.channels:
            raise ValueError(f"no channel {channel!r}")
        self.stuck[channel] = closed
        (self.closed.add if closed else self.closed.discard)(channel)

    def parse(self, items: Iterable[str]) -> list[str]:
        """A channel list `(@a,b,c:d)` (split at its commas by the SCPI parser) -> channels
        of this card; anything else is -224."""
        text = ",".join(items).replace(" ", "")
        if not (text.startswith("(@") and text.endswith(")")):
            raise ScpiError(-224, "Illegal parameter value")
        found = []
        for item in text[2:-1].split(","):
            match = self.item.match(item)
            if not match:
                raise ScpiError(-224, "Illegal parameter value")
            first, last = int(match[1]), int(match[2] or match[1])
            found += [self.channel_name(n) for n in range(first, last + 1)]
        if not found or any(c not in self.channels for c in found):
            raise ScpiError(-224, "Illegal parameter value")
        return found

    def switch(self, channels: Iterable[str], close: bool) -> None:
        """Operate relays (stuck ones do not move); the card is busy for `settle_s`."""
        for channel in channels:
            state = self.stuck.get(channel, close)
            if state and channel not in self.closed:
                self.cycles[channel] += 1
            (self.closed.add if state else self.closed.discard)(channel)
        self.settled_at = self.clock.now() + self.settle_s
        self.publish_routes()

    def publish_routes(self) -> None:
        """Tell the world which pellet each wired instrument reaches now."""
        for instrument in {i for _, i in self.wires.values()}:
            mine = {c: s for c, (s, i) in self.wires.items() if i == instrument}
            closed = [c for c in mine if c in self.closed]
            samples = {mine[c] for c in closed}
            complete = len(samples) == 1 and \
                {c for c in mine if mine[c] in samples} <= set(closed)
            lead = self.channel_lead
            self.world.route(instrument, samples.pop() if complete else None,
                             Lead(lead.series_R_Ohm * len(closed), lead.stray_C_F,
                                  lead.lead_L_H * len(closed)))

    def reset(self) -> None:
        self.switch(self.channels, close=False)

    def handle(self, line: str) -> str | None:
        """Replies wait until the relays switched before them have settled."""
        reply = super().handle(line)
        if reply is not None:
            self.reply(reply, delay=max(0.0, self.settled_at - self.clock.now()))
        return None
