"""Alicat mass-flow controllers (MC, MCS, MCR series) over their ASCII serial protocol.

Document: Alicat "Serial Communications Primer" (Alicat Scientific, documents.alicat.com)
and the MC-series operating manual, ch. "RS-232 / RS-485 communication". 19200-8-N-1,
CR-terminated lines, each command prefixed by the unit ID (A..Z). Commands used:
  `A`        poll: `A +014.70 +025.00 +010.01 +010.00 +010.00 N2` = unit, pressure (psia),
             temperature (degC), volumetric flow, mass flow, set-point, gas, then status
             codes (HLD valves held, MOV/VOV/POV/TOV over range, OPL, LCK, ...)
  `AS12.5`   set-point in the flow unit of the order (replies with a data frame)
  `AG11`     select gas by its number (Air 0, Ar 1, CO2 4, H2 6, He 7, N2 8, O2 11)
  `AHC`      hold the valve closed (frame shows HLD); `AC` cancel the hold
  `AVE`      firmware version
An unknown command answers `?`. The flow unit (SCCM at Alicat's standard conditions,
25 degC unless ordered otherwise) and full scale are fixed at the order: the bench gives
`full_scale_sccm`.

The `alicat` package on PyPI (numat/alicat) is asyncio-only with its own serial/TCP
clients; a synchronous driver over labctl's transports (lock, timeouts, reconnect,
simulators on ptys) would have to run an event loop per call, so this driver speaks the
documented protocol itself; it is five commands.
"""

from __future__ import annotations

from typing import Any, Mapping

from labctl.capabilities import FlowReading
from labctl.clock import Clock
from labctl.drivers._flow import DEFAULT_FOLLOW_S, FlowControllerBase, check_positive
from labctl.errors import ConfigError, InstrumentError, ReplyError
from labctl.setting import parse_float
from labctl.transport import LinkSettings, Transport

GAS_NUMBERS = {"AIR": 0, "AR": 1, "CH4": 2, "CO": 3, "CO2": 4, "C2H6": 5, "H2": 6, "HE": 7,
               "N2": 8, "N2O": 9, "NE": 10, "O2": 11}
HOLD = "HLD"


class Alicat(FlowControllerBase):
    """An Alicat mass-flow controller, implementing `FlowController`."""

    link = LinkSettings(read_termination="\r", write_termination="\r", timeout_s=0.5,
                        baudrate=19200)

    def __init__(self, transport: Transport, *, name: str = "mfc",
                 limits: Mapping[str, float] | None = None, clock: Clock | None = None,
                 gas: str | None = None, unit_id: str = "A", full_scale_sccm: float = 0.0,
                 follow_window_s: float = DEFAULT_FOLLOW_S):
        super().__init__(transport, name=name, limits=limits, clock=clock, gas=gas,
                         follow_window_s=follow_window_s)
        if not (isinstance(unit_id, str) and len(unit_id) == 1 and unit_id.isupper()):
            raise ConfigError(f"{name}: unit_id must be one letter A..Z, got {unit_id!r}")
        if gas and gas.upper() not in GAS_NUMBERS:
            raise ConfigError(f"{name}: gas {gas!r} is not one of {', '.join(GAS_NUMBERS)}")
        self.unit_id = unit_id
        self.full_scale_sccm = check_positive(name, "full_scale_sccm", full_scale_sccm)

    def command(self, text: str) -> str:
        """Send `text` to this unit; a `?` reply is an `InstrumentError`."""
        reply = self.query(self.unit_id + text).strip()
        if reply == "?":
            raise InstrumentError(f"command {self.unit_id + text!r} refused (?)",
                                  instrument=self.name)
        return reply

    def frame(self, text: str = "") -> dict[str, Any]:
        """The data frame a command answers with, parsed."""
        reply = self.command(text)
        fields = reply.split()
        if len(fields) < 7 or fields[0] != self.unit_id:
            raise ReplyError(f"expected a data frame of unit {self.unit_id}, got {reply!r}",
                             instrument=self.name)
        try:
            numbers = [parse_float(f) for f in fields[1:6]]
        except ReplyError as exc:
            raise ReplyError(f"{exc} in data frame {reply!r}", instrument=self.name) from None
        return {"pressure_psia": numbers[0], "temperature_C": numbers[1],
                "volumetric_flow": numbers[2], "mass_flow": numbers[3], "setpoint": numbers[4],
                "gas": fields[6], "status": set(fields[7:])}

    def identify(self) -> str:
        return f"Alicat unit {self.unit_id} firmware {self.command('VE').removeprefix(self.unit_id).strip()}"

    def _read(self) -> FlowReading:
        f = self.frame()
        closed = HOLD in f["status"]
        return FlowReading(self.clock.now(), f["mass_flow"], 0.0 if closed else f["setpoint"],
                           f["gas"], closed)

    def _write_setpoint(self, flow_sccm: float) -> None:
        self.frame("C")                                   # release a held valve
        echo = self.frame(f"S{flow_sccm:.3f}")["setpoint"]
        if abs(echo - flow_sccm) > 1e-3 * self.full_scale_sccm:
            raise InstrumentError(f"set-point {flow_sccm:g} sccm reads back as {echo:g}",
                                  instrument=self.name)

    def _close_valve(self) -> None:
        if HOLD not in self.frame("HC")["status"]:
            raise InstrumentError("valve hold (HC) not confirmed by the data frame",
                                  instrument=self.name)

    def _instrument_gas(self) -> str:
        """Selects the bench's gas (G<number>), then reports the frame's."""
        text = f"G{GAS_NUMBERS[self.gas.upper()]}" if self.gas else ""
        return self.frame(text)["gas"]
