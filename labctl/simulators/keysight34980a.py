"""Simulated Keysight 34980A with a 34921A 40-channel multiplexer in slot 1 (relays:
`_relays.py`).

Wire (34980A Programmer's Reference, ROUTe / DIAGnostic): `ROUTe:CLOSe (@1001,1003:1005)`,
`ROUTe:OPEN (@...)`, `ROUTe:OPEN:ALL`, `ROUTe:CLOSe? (@...)` -> `1,0,...` per channel,
`DIAGnostic:RELay:CYCLes? (@...)` -> each relay's closures, `*RST` opens all,
`SYSTem:ERRor?`; a bad list is -224.
"""

from __future__ import annotations

import re

from labctl.simulators._relays import RelayCard
from labctl.simulators.physics.pellets import Lead



class Keysight34980ASimulator(RelayCard):
    idn = "Agilent Technologies,34980A,MY44001234,2.51-2.43-2.07-1.05"
    channels = tuple(f"1{n:03d}" for n in range(1, 41))
    item = re.compile(r"^1(\d{3})(?::1(\d{3}))?$")
    default_settle_s = 0.0005     # 34921A armature relay: 0.5 ms
    # per channel: contacts and 0.5 m of cable (estimates)
    channel_lead = Lead(series_R_Ohm=0.25, stray_C_F=20e-12, lead_L_H=0.3e-6)

    def channel_name(self, number: int) -> str:
        return f"1{number:03d}"

    def __init__(self, world, options):
        super().__init__(world, options)
        self.command(":ROUTe:CLOSe", lambda *items: self.switch(self.parse(items), True))
        self.command(":ROUTe:OPEN", lambda *items: self.switch(self.parse(items), False))
        self.command(":ROUTe:OPEN:ALL", lambda *slot: self.switch(self.channels, False))
        self.command(":ROUTe:CLOSe?", lambda *items: ",".join(
            str(int(c in self.closed)) for c in self.parse(items)))
        self.command(":DIAGnostic:RELay:CYCLes?", lambda *items: ",".join(
            str(self.cycles[c]) for c in self.parse(items)))
