"""Simulated Eurotherm 3216 furnace controller: a Modbus RTU slave on the furnace physics.

Manual: Eurotherm 3200 Series User Manual HA028651, ch. 15 (Modbus addresses, status word).
Served on a pseudo-terminal (a serial port). Framing: slave address, function code, data,
CRC-16 (poly 0xA001, low byte first). FC03 read holding registers, FC06 write one
register, FC16 write registers; exceptions 01 (function), 02 (address), 03 (value, also
for writes to read-only parameters), 04 (device failure, on `inject("error")`). Frames for
other slave addresses are ignored; broadcasts (address 0) are executed without a reply; a
frame with a bad CRC is dropped silently, as on the bus.

Registers: integer space with the display's decimal point implied (option `decimals`,
0..2: 25.0 degC reads 250 with 1 decimal, 25 with 0; output % always one decimal), and the
full-resolution float space 0x8000 + 2 x address (IEEE-754, big-endian word order; time
parameters there as int32 ms). Parameters map onto its `ControlLoop` on the world's furnace
(`SimWorld.controller_loop`), which is the firmware. A new set-point, a manual output or
the A-M switch claims the heater from another controller on the same furnace
(`SimWorld.claim`); in standby its output is off. Registers: PV.IN 1, TG.SP 2,
MAN.OP 3, WRK.OP 4 (writable in manual), WKG.SP 5, PB 6, Ti 8, Td 9, OP.HI 30, OP.LO 31,
SP.RAT 35 (per unit of register 531: 0 min, 1 h, 2 s), error PV - SP 39, status 75 (b4 manual, b5 sensor break, b13 ramp running), IM 199 (instrument
mode: 0 operating, 1 standby with the outputs off and the loop not controlling; 2,
configuration, is refused), A-M 273.
On a sensor break the PV reads 0x8000 (integer) / NaN (float).

Not modelled: loop-break detection (status b6; the driver watches for it itself), alarms
(b0-b3), the programmer (23, 1280+), SP1/SP2 selection and remote SP, autotune, EEPROM
wear, parity/baud mismatches (a pty has no line settings), inter-frame timing (frames are
delimited by their length, not by 3.5 character times of silence).
"""

from __future__ import annotations

import math
import struct
from dataclasses import dataclass, replace
from typing import Any, Callable


from labctl.simulators.device import SimulatedDevice
from labctl.simulators.physics.furnace import ControlLoop
from labctl.simulators.world import SimWorld
from labctl.units import C_to_K, K_to_C

FLOAT_SPACE = 0x8000
INVALID = 0x8000
SECONDS_PER_RAMP_UNIT = {0: 60.0, 1: 3600.0, 2: 1.0}
SCALES = {"pct": 10, "int": 1, "time": 1}  # "temp": 10 ** decimals


def crc16(data: bytes) -> bytes:
    """Modbus RTU CRC-16, low byte first."""
    crc = 0xFFFF
    for byte in data:
        crc ^= byte
        for _ in range(8):
            crc = (crc >> 1) ^ 0xA001 if crc & 1 else crc >> 1
    return struct.pack("<H", crc)


class ModbusError(Exception):
    def __init__(self, code: int):
        super().__init__(code)
        self.code = code


@dataclass(frozen=True)
class Param:
    kind: str                                            # "temp", "pct", "int" or "time"
    get: Callable[[ControlLoop], float]
    set: Callable[[ControlLoop, float], None] | None = None


def _celsius(kelvin: float) -> float:
    return K_to_C(kelvin)


class Eurotherm3216Simulator(SimulatedDevice):
    """Modbus RTU slave (option `address`, default 1) driving `self.loop`."""

    link = "pty"

    def __init__(self, world: SimWorld, options: dict[str, Any]):
        super().__init__(world.clock)
        self.world, self.loop = world, world.controller_loop()
        self.address = int(options.get("address", 1))
        self.decimals = int(options.get("decimals", 1))
        self.baudrate = int(options.get("baudrate", 9600))
        self.setpoint_range_C = (0.0, 1200.0)
        self.ramp_unit = 0
        self._rx = bytearray()
        g = lambda loop: loop.gains  # noqa: E731
        self.params: dict[int, Param] = {
            1: Param("temp", lambda loop: _celsius(loop.pv_K)),
            2: Param("temp", lambda loop: _celsius(loop.target_K), self._set_target),
            3: Param("pct", lambda loop: loop.manual_output_pct, self._set_manual_output),
            4: Param("pct", lambda loop: loop.output_pct, self._set_working_output),
            5: Param("temp", lambda loop: _celsius(loop.working_setpoint_K)),
            6: Param("temp", lambda loop: 100.0 / g(loop).proportional_pct_per_K, self._set_band),
            8: Param("time", lambda loop: g(loop).integral_time_s,
                     lambda loop, v: self._set_gain(loop, integral_time_s=v)),
            9: Param("time", lambda loop: g(loop).derivative_time_s,
                     lambda loop, v: self._set_gain(loop, derivative_time_s=v)),
            30: Param("pct", lambda loop: loop.output_limits_pct[1],
                      lambda loop, v: self._set_output_limits(loop, loop.output_limits_pct[0], v)),
            31: Param("pct", lambda loop: loop.output_limits_pct[0],
                      lambda loop, v: self._set_output_limits(loop, v, loop.output_limits_pct[1])),
            35: Param("temp", lambda loop: loop.rate_K_per_s * SECONDS_PER_RAMP_UNIT[self.ramp_unit],
                      self._set_rate),
            39: Param("temp", lambda loop: loop.pv_K - loop.working_setpoint_K),
            75: Param("int", self._status),
            199: Param("int", lambda loop: int(loop.standby), self._set_instrument_mode),
            273: Param("int", lambda loop: int(loop.manual), self._set_auto_manual),
            531: Param("int", lambda loop: self.ramp_unit, self._set_ramp_unit),
        }

    # -- framing ---------------------------------------------------------------------------
    def receive(self, data: bytes) -> None:
        self._rx += data
        while (frame := self._take_frame()) is not None:
            self._serve(frame)

    def _take_frame(self) -> bytes | None:
        """The next complete request frame; a frame with a bad CRC empties the buffer."""
        buf = self._rx
        if len(buf) < 4 or (buf[1] == 16 and len(buf) < 7):
            return None
        n = 9 + buf[6] if buf[1] == 16 else 8 if buf[1] in (3, 6) else len(buf)
        if len(buf) < n:
            return None
        frame = bytes(buf[:n])
        del buf[:n]
        if crc16(frame[:-2]) != frame[-2:]:
            buf.clear()
            return None
        return frame

    def _serve(self, frame: bytes) -> None:
        address, function, body = frame[0], frame[1], frame[2:-2]
        if address not in (0, self.address):
            return
        with self.world.control():
            try:
                if self.take_fault("error"):
                    raise ModbusError(4)
                reply = self._execute(self.loop, function, body)
            except ModbusError as exc:
                reply = bytes([function | 0x80, exc.code])
        if address == 0:
            return
        message = bytes([address]) + reply
        message += crc16(message)
        self.respond(message, delay=0.002 + len(message) * 11 / self.baudrate)

    def _execute(self, loop: ControlLoop, function: int, body: bytes) -> bytes:
        if function == 3:
            start, count = struct.unpack(">HH", body)
            if not 1 <= count <= 125:
                raise ModbusError(3)
            words = self._read_words(loop, start, count)
            return bytes([3, 2 * count]) + struct.pack(f">{count}H", *words)
        if function == 6:
            start, value = struct.unpack(">HH", body)
            self._write_words(loop, start, [value])
            return bytes([6]) + body
        if function == 16:
            start, count, nbytes = struct.unpack(">HHB", body[:5])
            if not 1 <= count <= 123 or nbytes != 2 * count:
                raise ModbusError(3)
            self._write_words(loop, start, list(struct.unpack(f">{count}H", body[5:])))
            return bytes([16]) + body[:4]
        raise ModbusError(1)

    # -- register spaces ---------------------------------------------------------------------
    def _param(self, address: int) -> Param:
        if address not in self.params:
            raise ModbusError(2)
        return self.params[address]

    def _scale(self, kind: str) -> int:
        return 10 ** self.decimals if kind == "temp" else SCALES[kind]

    def _float_span(self, start: int, count: int) -> range:
        offset = start - FLOAT_SPACE
        if offset % 2 or count % 2:
            raise ModbusError(2)
        return range(offset // 2, (offset + count) // 2)

    def _read_words(self, loop: ControlLoop, start: int, count: int) -> list[int]:
        if start < FLOAT_SPACE:
            words = []
            for address in range(start, start + count):
                param = self._param(address)
                value = param.get(loop) * self._scale(param.kind)
                words.append(INVALID if not math.isfinite(value) or abs(value) > 32767
                             else round(value) & 0xFFFF)
            return words
        words = []
        for address in self._float_span(start, count):
            param = self._param(address)
            value = param.get(loop)
            raw = struct.pack(">i", round(value * 1000)) if param.kind == "time" \
                else struct.pack(">f", value)
            words += struct.unpack(">HH", raw)
        return words

    def _write_words(self, loop: ControlLoop, start: int, words: list[int]) -> None:
        if start < FLOAT_SPACE:
            for address, word in zip(range(start, start + len(words)), words):
                param = self._writable(address)
                signed = word - 0x10000 if word & 0x8000 and param.kind != "int" else word
                param.set(loop, signed / self._scale(param.kind))
            return
        pairs = [struct.pack(">HH", *words[i:i + 2]) for i in range(0, len(words), 2)]
        for address, raw in zip(self._float_span(start, len(words)), pairs):
            param = self._writable(address)
            value = struct.unpack(">i", raw)[0] / 1000 if param.kind == "time" \
                else struct.unpack(">f", raw)[0]
            if not math.isfinite(value):
                raise ModbusError(3)
            param.set(loop, value)

    def _writable(self, address: int) -> Param:
        param = self._param(address)
        if param.set is None:
            raise ModbusError(3)
        return param

    # -- parameters ----------------------------------------------------------------------------
    def _status(self, loop: ControlLoop) -> int:
        return (loop.manual << 4) | (loop.sensor_break << 5) | (loop.ramp_running << 13)

    def _set_target(self, loop: ControlLoop, celsius: float) -> None:
        low, high = self.setpoint_range_C
        if not low <= celsius <= high:
            raise ModbusError(3)
        self.world.claim(loop)
        loop.set_target(C_to_K(celsius))

    def _set_manual_output(self, loop: ControlLoop, percent: float) -> None:
        if not 0 <= percent <= 100:
            raise ModbusError(3)
        self.world.claim(loop)
        loop.manual_output_pct = percent

    def _set_working_output(self, loop: ControlLoop, percent: float) -> None:
        if not loop.manual:
            raise ModbusError(3)
        self._set_manual_output(loop, percent)

    def _set_gain(self, loop: ControlLoop, **gain: float) -> None:
        if any(v < 0 for v in gain.values()):
            raise ModbusError(3)
        loop.gains = replace(loop.gains, **gain)

    def _set_band(self, loop: ControlLoop, band: float) -> None:
        if band <= 0:
            raise ModbusError(3)
        self._set_gain(loop, proportional_pct_per_K=100.0 / band)

    def _set_output_limits(self, loop: ControlLoop, low: float, high: float) -> None:
        try:
            loop.set_output_limits(low, high)
        except ValueError:
            raise ModbusError(3) from None

    def _set_rate(self, loop: ControlLoop, rate: float) -> None:
        if rate < 0:
            raise ModbusError(3)
        loop.set_rate(rate / SECONDS_PER_RAMP_UNIT[self.ramp_unit])

    def _set_auto_manual(self, loop: ControlLoop, value: float) -> None:
        if value in (0, 1):
            self.world.claim(loop)
        if value == 1:
            loop.set_manual(loop.output_pct)
        elif value == 0:
            loop.set_auto()
        else:
            raise ModbusError(3)

    def _set_instrument_mode(self, loop: ControlLoop, value: float) -> None:
        if value not in (0, 1):
            raise ModbusError(3)
        loop.standby = value == 1

    def _set_ramp_unit(self, loop: ControlLoop, value: float) -> None:
        if value not in SECONDS_PER_RAMP_UNIT:
            raise ModbusError(3)
        rate = loop.rate_K_per_s * SECONDS_PER_RAMP_UNIT[self.ramp_unit]
        self.ramp_unit = int(value)
        loop.set_rate(rate / SECONDS_PER_RAMP_UNIT[self.ramp_unit])
