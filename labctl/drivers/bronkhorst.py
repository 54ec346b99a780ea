"""Bronkhorst digital mass-flow controllers (EL-FLOW, EL-FLOW Prestige, IQ+FLOW, ...) over
the propar protocol on their RS-232 / USB port.

Documents: Bronkhorst 9.17.027 "RS232 interface with FLOW-BUS/propar protocol" (message
layout, ASCII framing, status codes) and 9.17.023 "Operating instructions digital
instruments" (parameters by FlowDDE number). Messages are built and parsed by Bronkhorst's
own `bronkhorst-propar` library (`propar._propar_builder`: request / send-parameter
messages with process and parameter chaining; `propar.database`: DDE number -> process,
parameter, type). Its `propar.master` is not used: it runs two daemon threads per port
that never end, times out on the wall clock and keeps one master per port name; here the
messages travel over labctl's transport (lock, timeouts, reconnect, simulators on ptys).

ASCII framing (9.17.027 section 3): `:` + hex(length) + hex(node) + hex(message) + CR LF,
length counting the node and message bytes; the instrument answers in kind. Node 0x80
addresses the instrument on the cable, whatever its FLOW-BUS address. 38400-8-N-1.

Parameters used (DDE: process/parameter, type):
  1 identification string (0/0, string), 25 fluid name (1/17, string),
  21 capacity 100 % (1/13, float), 129 capacity unit (1/31, string),
  205 fmeasure (33/0, float, capacity units), 206 fsetpoint (33/3, float),
  12 control mode (1/4, byte): 0 bus/RS-232 set-point, 3 valve closed (and others).
Writes ask for an acknowledgement (command 1); a status other than 0 is an
`InstrumentError` naming it (e.g. PP_STATUS_PARM_VALUE).
"""

from __future__ import annotations

import struct
from typing import Any, Mapping

import propar

from labctl.capabilities import FlowReading
from labctl.clock import Clock
from labctl.drivers._flow import DEFAULT_FOLLOW_S, FlowControllerBase
from labctl.errors import ConfigError, InstrumentError, ReplyError
from labctl.transport import LinkSettings, Transport

LOCAL_NODE = 0x80
MODE_BUS, MODE_VALVE_CLOSED = 0, 3
# capacity units (DDE 129) in sccm; "normal" (0 degC, 1 atm) as sccm's usual reference
UNITS_SCCM = {"mln/min": 1.0, "mls/min": 1.0, "sccm": 1.0, "ml/min": 1.0,
              "ln/min": 1e3, "ls/min": 1e3, "slm": 1e3, "l/min": 1e3}
_DB = propar.database()
_SIZES = {propar.PP_TYPE_INT8: 1, propar.PP_TYPE_INT16: 2, propar.PP_TYPE_SINT16: 2,
          propar.PP_TYPE_BSINT16: 2, propar.PP_TYPE_INT32: 4, propar.PP_TYPE_FLOAT: 4,
          propar.PP_TYPE_STRING: 0}


def parameter(dde: int, data: Any = None) -> dict[str, Any]:
    """The propar parameter object of FlowDDE number `dde` (with `data` to write)."""
    p = _DB.get_parameter(dde)
    p.update(proc_index=p["proc_nr"], parm_index=p["parm_nr"],
             parm_size=_SIZES[p["parm_type"]], node=LOCAL_NODE)
    if data is not None:
        p["data"] = data
    return p


def typed(requested: dict[str, Any], raw: Any) -> Any:
    """A received raw value as the requested parameter's type (floats travel as int32)."""
    kind = requested["parm_type"]
    if kind == propar.PP_TYPE_FLOAT:
        return struct.unpack(">f", int(raw).to_bytes(4, "big"))[0]
    if kind == propar.PP_TYPE_STRING:
        return raw.decode("latin-1") if isinstance(raw, bytes) else str(raw)
    return int(raw)


class Bronkhorst(FlowControllerBase):
    """A Bronkhorst digital MFC, implementing `FlowController`; capacity from the instrument."""

    link = LinkSettings(read_termination="\r\n", write_termination="\r\n", timeout_s=0.5,
                        baudrate=38400)
    models = (r"^[A-Z]",)   # the identification string: model code, e.g. "F-201CV..."

    def __init__(self, transport: Transport, *, name: str = "mfc",
                 limits: Mapping[str, float] | None = None, clock: Clock | None = None,
                 gas: str | None = None, address: int = LOCAL_NODE,
                 follow_window_s: float = DEFAULT_FOLLOW_S):
        super().__init__(transport, name=name, limits=limits, clock=clock, gas=gas,
                         follow_window_s=follow_window_s)
        if not 1 <= int(address) <= 0x80:
            raise ConfigError(f"{name}: propar node address {address} is outside 1..128")
        self.address = int(address)
        self._seq = 0
        self._capacity: tuple[float, float] | None = None

    # -- propar messages ------------------------------------------------------------------
    def _exchange(self, message: dict[str, Any]) -> list[int]:
        """Send one propar message in ASCII framing; the reply's message bytes."""
        body = bytes([message["len"] + 1, self.address, *message["data"]])
        reply = self.query(":" + body.hex().upper())
        try:
            if not reply.startswith(":"):
                raise ValueError("no ':' start")
            data = bytes.fromhex(reply[1:])
        except ValueError as exc:
            raise ReplyError(f"not a propar ASCII message ({exc}): {reply!r}",
                             instrument=self.name) from None
        if len(data) < 3 or data[0] != len(data) - 1:
            raise ReplyError(f"propar length byte does not match the message: {reply!r}",
                             instrument=self.name)
        if self.address != LOCAL_NODE and data[1] != self.address:
            raise ReplyError(f"reply from node {data[1]}, asked node {self.address}",
                             instrument=self.name)
        return list(data[2:])

    def _message(self, data: dict[str, Any]) -> dict[str, Any]:
        self._seq = (self._seq + 1) % 256
        return {"seq": self._seq, "node": self.address, **data}

    def read_parameters(self, *ddes: int) -> list[Any]:
        """The values of FlowDDE parameters `ddes`, in one chained request."""
        wanted = [parameter(d) for d in ddes]
        builder = propar._propar_builder()
        request = builder.build_pp_request_parameter_message(self._message({}), wanted)
        data = self._exchange(request)
        self._raise_status(data, "read")
        got = builder.read_pp_send_parameter_message({"len": len(data), "data": data})
        if len(got) != len(wanted) or any(g["status"] != propar.PP_STATUS_OK for g in got):
            raise ReplyError(f"propar reply does not carry the {len(wanted)} parameters asked "
                             f"for: {bytes(data).hex()}", instrument=self.name)
        for asked, g in zip(wanted, got):
            if (g["proc_nr"], g["parm_nr"]) != (asked["proc_nr"], asked["parm_nr"]):
                raise ReplyError(f"propar reply carries process {g['proc_nr']} parameter "
                                 f"{g['parm_nr']}, asked {asked['proc_nr']}/{asked['parm_nr']}",
                                 instrument=self.name)
        return [typed(asked, g["data"]) for asked, g in zip(wanted, got)]

    def write_parameters(self, **values: Any) -> None:
        """Write FlowDDE parameters (`dde_12=3`), acknowledged."""
        params = [parameter(int(key.removeprefix("dde_")), v) for key, v in values.items()]
        message = propar._propar_builder().build_pp_send_parameter_message(
            self._message({}), params, propar.PP_COMMAND_SEND_PARM_WITH_ACK)
        data = self._exchange(message)
        self._raise_status(data, "write")
        if data[0] != propar.PP_COMMAND_STATUS:
            raise ReplyError(f"expected a status reply to a write, got {bytes(data).hex()}",
                             instrument=self.name)

    def _raise_status(self, data: list[int], what: str) -> None:
        """A status message with a status other than OK, or an error message, raises."""
        if len(data) == 1:   # error message: 9.17.027 "error codes"
            raise InstrumentError(f"propar {what} refused: error {data[0]}", instrument=self.name)
        if data[0] == propar.PP_COMMAND_STATUS and data[1] != propar.PP_STATUS_OK:
            status = propar.pp_status_codes.get(data[1], f"status {data[1]}")
            raise InstrumentError(f"propar {what} refused: {status}", instrument=self.name,
                                  code=data[1])

    # -- instrument logic -----------------------------------------------------------------
    def identify(self) -> str:
        ident, serial = self.read_parameters(1, 92)
        return f"Bronkhorst {ident.strip()} serial {serial.strip()}"

    @property
    def full_scale_sccm(self) -> float:
        """Capacity 100 % (DDE 21) in sccm."""
        return self._units()[0] * self._units()[1]

    def _units(self) -> tuple[float, float]:
        """(capacity 100 %, sccm per capacity unit), read once per connection."""
        if self._capacity is None:
            capacity, unit = self.read_parameters(21, 129)
            factor = UNITS_SCCM.get(unit.strip().lower())
            if factor is None:
                raise InstrumentError(f"capacity unit {unit.strip()!r} is no gas flow unit "
                                      f"labctl knows ({', '.join(UNITS_SCCM)})",
                                      instrument=self.name)
            self._capacity = (capacity, factor)
        return self._capacity

    def _read(self) -> FlowReading:
        scale = self._units()[1]
        measure, setpoint, mode = self.read_parameters(205, 206, 12)
        closed = mode == MODE_VALVE_CLOSED
        return FlowReading(self.clock.now(), measure * scale, 0.0 if closed else setpoint * scale,
                           self.gas, closed)

    def _write_setpoint(self, flow_sccm: float) -> None:
        self.write_parameters(dde_12=MODE_BUS, dde_206=flow_sccm / self._units()[1])

    def _close_valve(self) -> None:
        self.write_parameters(dde_206=0.0, dde_12=MODE_VALVE_CLOSED)

    def _instrument_gas(self) -> str:
        return self.read_parameters(25)[0]


    def close(self) -> None:
        self._capacity = None
        super().close()
