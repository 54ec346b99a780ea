"""Simulated Bronkhorst digital mass-flow controller speaking propar in ASCII framing.

Wire format (Bronkhorst 9.17.027, stated here on its own). ASCII: `:` + hex pairs + CR LF;
the first pair is the length (bytes that follow), the second the node address (0x80 =
whoever is on the cable), then the propar message. Binary: DLE STX, sequence number, node,
length of the message, the message, DLE ETX, each DLE (0x10) inside doubled; the reply
echoes the sequence number. Each message is answered in the framing it came in. Commands: 4 request parameters, 1
send parameters with acknowledgement, 2 send parameters (no reply), 0 status (the reply to
1 and to a request that fails: status, index). In requests and sends, parameters are
grouped by process: a process byte (bit 7: another process group follows) and per
parameter a byte with bit 7 "another parameter of this process follows", bits 5-6 the type
(0x00 byte, 0x20 16-bit, 0x40 32-bit / float, 0x60 string) and bits 0-4 the parameter;
requests add the process and parameter again (and a length for strings). Values are
big-endian; floats IEEE-754; strings a length byte and the characters. Status codes: 0
OK, 3 unknown process, 4 unknown parameter, 5 wrong type, 6 bad value, 13 read-only.

Parameters (process, parameter): identification 0/0, serial number 113/3, fluid name
1/17, capacity 1/13 (float, in the capacity unit 1/31), control mode 1/4 (0 bus set-point,
3 valve closed, 8 valve fully open; others accepted and treated as bus set-point),
fmeasure 33/0 and fsetpoint 33/3 (floats in capacity units). Options (the driver's, from
the bench): `gas` (default "N2"), `address` (default 3); in process also `capacity`
(default 100) and `capacity_unit` ("mln/min"), fixed in a real instrument's calibration.

Model: the flow steps to the set-point (the ~1 s response of the real valve is short
against the tube's exchange time) and feeds the world's furnace tube. `stick_valve()`
freezes the valve at its present flow (the fault a follow check must catch). Not modelled:
FLOW-BUS multi-node routing, the 16-bit measure/setpoint (1/0, 1/1),
setpoint slope, totaliser, alarms.
"""

from __future__ import annotations

import struct
from typing import Any

from labctl.simulators._mfc import MassFlowDevice
from labctl.simulators.world import SimWorld

DLE, STX, ETX, COLON = 0x10, 0x02, 0x03, ord(":")
BYTE, INT16, INT32, STRING = 0x00, 0x20, 0x40, 0x60
FLOAT = "float"   # travels as INT32
OK, NO_PROCESS, NO_PARAMETER, WRONG_TYPE, BAD_VALUE, READ_ONLY = 0, 3, 4, 5, 6, 13
VALVE_CLOSED, VALVE_OPEN = 3, 8


class BronkhorstSimulator(MassFlowDevice):
    """A Bronkhorst MFC on one gas line of the world's furnace tube."""

    in_terminator = b"\n"
    out_terminator = b"\r\n"

    def __init__(self, world: SimWorld, options: dict[str, Any]):
        self.capacity = float(options.get("capacity", 100.0))
        self.unit = str(options.get("capacity_unit", "mln/min"))
        self.sccm_per_unit = 1000.0 if self.unit.lower().startswith(("ln", "ls", "sl")) else 1.0
        self.node = int(options.get("address", 3))
        self.mode, self.setpoint = VALVE_CLOSED, 0.0
        super().__init__(world, str(options.get("gas", "N2")))
        # (process, parameter) -> (type, getter, setter or None)
        self.params = {
            (0, 0): (STRING, lambda: "F-201CV-100-AGD-33-V", None),
            (113, 3): (STRING, lambda: "M21212345A", None),
            (1, 17): (STRING, lambda: self.gas, None),
            (1, 13): (FLOAT, lambda: self.capacity, None),
            (1, 31): (STRING, lambda: self.unit, None),
            (1, 4): (BYTE, lambda: self.mode, self._set_mode),
            (33, 0): (FLOAT, self.flow, None),
            (33, 3): (FLOAT, lambda: self.setpoint, self._set_setpoint),
        }

    # -- the instrument -----------------------------------------------------------------
    def valve_flow(self) -> float:
        return {VALVE_CLOSED: 0.0, VALVE_OPEN: self.capacity * 1.3}.get(self.mode, self.setpoint)

    def _set_mode(self, value: int) -> int:
        if not 0 <= value <= 22:
            return BAD_VALUE
        self.mode = value
        self.feed_tube()
        return OK

    def _set_setpoint(self, value: float) -> int:
        if not 0.0 <= value <= self.capacity:
            return BAD_VALUE
        self.setpoint = value
        self.feed_tube()
        return OK

    # -- framing ------------------------------------------------------------------------
    def receive(self, data: bytes) -> None:
        """ASCII messages (from `:`) as lines, binary ones (DLE STX ... DLE ETX) as frames;
        each is answered in the framing it came in, as the instrument does."""
        self._inbuf += data
        while self._inbuf:
            if self._inbuf[0] not in (DLE, COLON):
                del self._inbuf[:1]                 # between messages: noise, ignored
            elif self._inbuf[0] == COLON:
                end = self._inbuf.find(b"\n")
                if end < 0:
                    return
                line = bytes(self._inbuf[:end]).decode("ascii", errors="replace").strip()
                del self._inbuf[:end + 1]
                if (reply := self.handle(line)) is not None:
                    self.reply(reply)
            elif (frame := self._take_binary()) is None:
                return
            elif len(frame) >= 3 and frame[2] == len(frame) - 3:
                message = self._answer(frame[1], frame[3:])
                if message is not None:
                    body = bytes([frame[0], self.node, len(message), *message])
                    self.respond(bytes([DLE, STX]) + body.replace(b"\x10", b"\x10\x10")
                                 + bytes([DLE, ETX]))

    def _take_binary(self) -> bytes | None:
        """The next binary frame (seq, node, len, message) unescaped; b"" for bytes that
        start no frame (dropped); None while the frame is incomplete."""
        buf, out, i = self._inbuf, bytearray(), 2
        if len(buf) >= 2 and buf[1] != STX:
            del buf[:1]
            return b""
        while i + 1 < len(buf):
            if buf[i] != DLE:
                out.append(buf[i])
                i += 1
            elif buf[i + 1] in (DLE, ETX):
                if buf[i + 1] == ETX:
                    del buf[:i + 2]
                    return bytes(out)
                out.append(DLE)
                i += 2
            else:                                   # a lone DLE: not a frame
                del buf[:i]
                return b""
        return None

    def handle(self, line: str) -> str | None:
        """One ASCII message: `:` + hex(length) + hex(node) + hex(message)."""
        try:
            if not line.startswith(":"):
                return None
            data = bytes.fromhex(line[1:])
        except ValueError:
            return None           # not a message: the instrument ignores it
        if len(data) < 3 or data[0] != len(data) - 1:
            return None
        message = self._answer(data[1], data[2:])
        return None if message is None else \
            ":" + bytes([len(message) + 1, self.node, *message]).hex().upper()

    def _answer(self, node: int, message: bytes) -> list[int] | None:
        """The reply message to a message for `node` (None: not ours, or no reply)."""
        if node not in (0x80, self.node):
            return None
        command, body = message[0], message[1:]
        if self.take_fault("error"):
            return [0, BAD_VALUE, 0]
        if command == 4:
            return self._request(body)
        if command in (1, 2):
            status, index = self._send(body)
            return [0, status, index] if command == 1 else None
        return [0, 2, 0]   # unknown command

    def _request(self, body: bytes) -> list[int]:
        """Answer a request (command 4) with a send-parameter message (command 2)."""
        groups: list[tuple[int, list[tuple[int, int, int, int]]]] = []  # (proc index, params)
        pos = 0
        try:
            more_procs = True
            while more_procs:
                proc_byte = body[pos]
                more_procs, pos, group = bool(proc_byte & 0x80), pos + 1, []
                while True:
                    parm_byte, proc, parm = body[pos], body[pos + 1] & 0x7F, body[pos + 2] & 0x1F
                    pos += 3 + (1 if parm_byte & 0x60 == STRING else 0)
                    group.append((proc, parm, parm_byte & 0x60, parm_byte & 0x1F))
                    if not parm_byte & 0x80:
                        break
                groups.append((proc_byte & 0x7F, group))
        except IndexError:
            return [0, BAD_VALUE, pos]
        out = [2]
        for g, (proc_index, group) in enumerate(groups):
            out.append(proc_index | (0x80 if g < len(groups) - 1 else 0))
            for i, (proc, parm, kind, parm_index) in enumerate(group):
                known = self.params.get((proc, parm))
                if known is None:
                    return [0, NO_PROCESS if all(p != proc for p, _ in self.params)
                            else NO_PARAMETER, 0]
                if self._wire_type(known[0]) != kind:
                    return [0, WRONG_TYPE, 0]
                out.append(parm_index | kind | (0x80 if i < len(group) - 1 else 0))
                out += self._encode(known[0], known[1]())
        return out

    def _send(self, body: bytes) -> tuple[int, int]:
        """Apply a send-parameter message; (status, index of the failing byte)."""
        pos, proc = 0, 0
        parm_chained = False
        try:
            while pos < len(body):
                if not parm_chained:
                    proc, pos = body[pos] & 0x7F, pos + 1
                parm_byte, pos = body[pos], pos + 1
                parm_chained, kind = bool(parm_byte & 0x80), parm_byte & 0x60
                value, pos = self._decode(kind, body, pos)
                known = self.params.get((proc, parm_byte & 0x1F))
                if known is None:
                    return NO_PARAMETER, pos
                if self._wire_type(known[0]) != kind:
                    return WRONG_TYPE, pos
                if known[2] is None:
                    return READ_ONLY, pos
                if known[0] == FLOAT:
                    value = struct.unpack(">f", value.to_bytes(4, "big"))[0]
                status = known[2](value)
                if status != OK:
                    return status, pos
        except IndexError:
            return BAD_VALUE, pos
        return OK, pos

    @staticmethod
    def _wire_type(kind: int | str) -> int:
        return INT32 if kind == FLOAT else kind

    @staticmethod
    def _encode(kind: int | str, value: Any) -> list[int]:
        if kind == FLOAT:
            return list(struct.pack(">f", value))
        if kind == STRING:
            text = str(value).encode("latin-1")
            return [len(text), *text]
        return list(int(value).to_bytes({BYTE: 1, INT16: 2, INT32: 4}[kind], "big"))

    @staticmethod
    def _decode(kind: int, body: bytes, pos: int) -> tuple[Any, int]:
        if kind == STRING:
            n = body[pos]
            end = body.index(0, pos + 1) if n == 0 else pos + 1 + n
            if end > len(body):
                raise IndexError(pos)
            return body[pos + 1:end].decode("latin-1"), end + (n == 0)
        size = {BYTE: 1, INT16: 2, INT32: 4}[kind]
        if pos + size > len(body):
            raise IndexError(pos)
        return int.from_bytes(body[pos:pos + size], "big"), pos + size
