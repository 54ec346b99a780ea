"""Simulated Keithley 7001 with a 7011 quad 1x10 card in slot 1 (relays: `_relays.py`).

Wire (Keithley 7001 Instruction Manual, ROUTe subsystem): `:ROUTe:CLOSe <list>`,
`:ROUTe:OPEN <list>|ALL`, `:ROUTe:CLOSe:STATe?` -> `(@1!1,1!11)` (`(@)` none), lists
`(@1!1,1!3:1!5)`, `*RST` opens all, `:SYSTem:ERRor?`; a bad list is -224.
"""

from __future__ import annotations

import re

from labctl.simulators._relays import RelayCard
from labctl.simulators.physics.pellets import Lead



class Keithley7001Simulator(RelayCard):
    idn = "KEITHLEY INSTRUMENTS INC.,MODEL 7001,1234567,B08  /A02"
    channels = tuple(f"1!{n}" for n in range(1, 41))
    item = re.compile(r"^1!(\d{1,2})(?::1!(\d{1,2}))?$")
    default_settle_s = 0.003      # 7011 relay actuation time: 3 ms
    # per channel: contacts and 0.5 m of cable (estimates)
    channel_lead = Lead(series_R_Ohm=0.5, stray_C_F=30e-12, lead_L_H=0.4e-6)

    def channel_name(self, number: int) -> str:
        return f"1!{number}"

    def __init__(self, world, options):
        super().__init__(world, options)
        self.command(":ROUTe:CLOSe", lambda *items: self.switch(self.parse(items), True))
        self.command(":ROUTe:OPEN", self._open)
        self.command(":ROUTe:CLOSe:STATe?", self._state)

    def _open(self, *items: str) -> None:
        everything = [i.upper() for i in items] == ["ALL"]
        self.switch(self.channels if everything else self.parse(items), False)

    def _state(self) -> str:
        return "(@" + ",".join(c for c in self.channels if c in self.closed) + ")"
