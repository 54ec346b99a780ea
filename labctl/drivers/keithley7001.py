"""Keithley 7001 / 7002 switch system with a 7011 quad 1x10 multiplexer card, implementing
`Switch` (see `labctl/drivers/_switch.py` for the channel map and its rules).

SCPI (Keithley Model 7001 Instruction Manual, 7001-901-01, section 4 "ROUTe subsystem"):
channels are `<slot>!<channel>`, the 7011's 40 channels being four banks of ten
(1-10, 11-20, 21-30, 31-40), each bank a 1x10 multiplexer on its own common;
`:ROUT:CLOS (@1!1,1!11)`, `:ROUT:OPEN (@1!1)`, `:ROUT:OPEN ALL`, `:ROUT:CLOS:STAT?` (the
closed channels as a channel list, `(@)` for none; ranges `1!1:1!4` are read too),
`:SYST:ERR?`. The 7001 executes commands in order, each after its relays settle, so a
read-back reflects the switching before it. Safe state: all open, confirmed.
Checked against public drivers and scripts (2026-12): the same command forms, and a
`:ROUT:CLOS:STAT?` reply read as `(@<list>)`. The read-back is the state the 7001 drove
the relays to, not a measurement of the contacts: a welded contact reads as commanded
(the simulator reports contacts, as a card with relay verification would).
"""

from __future__ import annotations

import re

from labctl.drivers._switch import SwitchMatrix
from labctl.errors import ReplyError
from labctl.transport import LinkSettings

CHANNEL = re.compile(r"^(\d)!(\d{1,2})$")


class Keithley7001(SwitchMatrix):
    """Keithley 7001/7002 mainframe, 7011 quad 1x10 card in `slot` (1 or 2)."""

    link = LinkSettings(read_termination="\n", write_termination="\n", timeout_s=2.0)
    models = (r"KEITHLEY INSTRUMENTS INC\.,MODEL 700[12],",)
    CLOSE = ":ROUT:CLOS {}"
    OPEN = ":ROUT:OPEN {}"
    OPEN_ALL = ":ROUT:OPEN ALL"

    @classmethod
    def card_channels(cls, slot: int) -> tuple[str, ...]:
        return tuple(f"{slot}!{n}" for n in range(1, 41))

    def closed(self) -> frozenset[str]:
        reply = self.query(":ROUT:CLOS:STAT?").strip()
        if not (reply.startswith("(@") and reply.endswith(")")):
            raise ReplyError(f"{self.name}: expected a channel list (@...), got {reply!r}")
        found: set[str] = set()
        for item in filter(None, reply[2:-1].split(",")):
            first, _, last = item.partition(":")
            ends = [CHANNEL.match(x) for x in (first, last or first)]
            if not all(ends) or ends[0][1] != ends[1][1]:
                raise ReplyError(f"{self.name}: bad channel {item!r} in {reply!r}")
            slot = ends[0][1]
            found.update(f"{slot}!{n}" for n in range(int(ends[0][2]), int(ends[1][2]) + 1))
        return frozenset(found)
