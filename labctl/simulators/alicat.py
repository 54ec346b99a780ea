"""Simulated Alicat mass-flow controller speaking its ASCII serial protocol.

Wire format (Alicat Serial Communications Primer, stated here on its own): CR-terminated
lines, each starting with the unit ID letter; a line for another unit gets no answer.
`A` polls, `AS<value>` sets the set-point, `AG<n>` selects gas n, `AHC` holds the valve
closed, `AC` cancels the hold, each answered by a data frame
`A +014.70 +025.00 +010.00 +010.00 +010.00 N2 [HLD]` (unit, pressure psia, temperature
degC, volumetric flow, mass flow, set-point, gas, status codes); `AVE` answers the
firmware; anything else `?`. Options: `unit_id` ("A"), `gas` ("N2"), `full_scale_sccm`
(100).

Model: the flow steps to the set-point and feeds the world's furnace tube; volumetric =
mass flow (gas at the standard conditions of the unit); a set-point above full scale or
below 0 is refused (`?`); `stick_valve()` freezes the valve. Not modelled: pressure
control, totaliser, gas mixes (COMPOSER), register access (`$$R`/`$$W`), streaming mode.
"""

from __future__ import annotations

from typing import Any

from labctl.simulators._mfc import MassFlowDevice
from labctl.simulators.world import SimWorld

GASES = ["Air", "Ar", "CH4", "CO", "CO2", "C2H6", "H2", "He", "N2", "N2O", "Ne", "O2"]
PRESSURE_PSIA, TEMPERATURE_C = 14.70, 25.00


class AlicatSimulator(MassFlowDevice):
    """An Alicat MFC on one gas line of the world's furnace tube."""

    in_terminator = b"\r"
    out_terminator = b"\r"

    def __init__(self, world: SimWorld, options: dict[str, Any]):
        gas = str(options.get("gas", "N2"))
        if gas not in GASES:
            raise ValueError(f"gas {gas!r} is not one of {', '.join(GASES)}")
        self.unit_id = str(options.get("unit_id", "A"))
        self.full_scale = float(options.get("full_scale_sccm", 100.0))
        self.setpoint, self.held = 0.0, False
        super().__init__(world, gas)

    def valve_flow(self) -> float:
        return 0.0 if self.held else self.setpoint

    def handle(self, line: str) -> str | None:
        if not line.startswith(self.unit_id):
            return None
        command = line[len(self.unit_id):].strip()
        if command == "VE":
            return f"{self.unit_id}   10v05.0-R24 Jun 08 2023,10:15:23"
        if not self._apply(command):
            return "?"
        self.feed_tube()
        return self._frame()

    def _apply(self, command: str) -> bool:
        """Carry out a command that answers with a data frame; False if unknown or bad."""
        try:
            if command == "":
                return True
            if command == "HC":
                self.held = True
            elif command == "C":
                self.held = False
            elif command.startswith("G"):
                self.gas = GASES[int(command[1:])]
            elif command.startswith("S"):
                value = float(command[1:])
                if not 0.0 <= value <= self.full_scale:
                    return False
                self.setpoint = value
            else:
                return False
        except (ValueError, IndexError):
            return False
        return True

    def _frame(self) -> str:
        flow = self.flow()
        values = [PRESSURE_PSIA, TEMPERATURE_C, flow, flow, self.setpoint]
        status = " HLD" if self.held else ""
        return f"{self.unit_id} " + " ".join(f"{v:+07.2f}" for v in values) + f" {self.gas}{status}"
