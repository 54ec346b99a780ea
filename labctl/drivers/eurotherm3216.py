"""Eurotherm 3216 (3200 series: 3216/3208/3204) furnace controller over Modbus RTU.

Manual: Eurotherm 3200 Series User Manual HA028651, ch. 15 "Digital communications"
(register addresses, status word 75 bit map). Interface: RS-232/RS-485 Modbus RTU through
minimalmodbus (CRC, framing); FC03 read, FC16 write; 9600-8-N-1, address 1 by default
(bench `options`: `address`, `baudrate`, `parity`, `timeout_s`).

Every temperature travels in the full-resolution IEEE float space (register
0x8000 + 2 x address, two words, big-endian), so the display's decimal-point setting can
never scale a set-point by 10: no integer scaling anywhere. Set-points are read back after
writing. Ramps run in the controller (SP.RAT, register 35, per ramp unit of register 531),
never as a stream of set-points: TG.SP lives in EEPROM (about 10^5 writes).

Register 199 is the instrument mode (0 operating, 1 standby: control outputs off, 2
configuration; 3200-family OEM manual, e.g. Super Systems 3L series p.43), not auto/manual
(that is A-M, 273). The driver never writes it; in standby the furnace is not controlling,
so `read` raises and `set_setpoint` refuses (a program would wait for a temperature the
controller does not pursue); `safe_state` still works (outputs are off already).
Status bit 13 means "timer or ramp running" (HA028651 status word): a running timer sets it
too, so `ramp_running` compares the working set-point with the target instead.

Other models: 2416/2404 use the same addresses (PV also at 1); on the 3500 the loop-1 PV
is at 289 and the output at 85.
"""

from __future__ import annotations

import struct
from contextlib import contextmanager
from typing import Any, Iterator, Mapping

import minimalmodbus

from labctl.drivers._temperature import AMBIENT_C, ControllerBase
from labctl.capabilities import TemperatureReading
from labctl.clock import Clock
from labctl.errors import (CommunicationError, ConfigError, InstrumentConnectionError,
                           InstrumentError, InstrumentTimeout, ReplyError,
                           SensorBreak)
from labctl.ranges import Ranges, Span
from labctl.setting import Register, Setting, in_range, one_of
from labctl.transport import (LinkSettings, SerialTransport, Transport, serial_link_errors,
                              serial_port_name)
from labctl.units import C_to_K, K_to_C

FLOAT_SPACE = 0x8000
PV, TARGET_SP, MANUAL_OP, WORKING_OP, WORKING_SP = 1, 2, 3, 4, 5
SP_RATE, STATUS, INSTRUMENT_MODE, AUTO_MANUAL, RAMP_UNITS = 35, 75, 199, 273, 531
MODES = {0: "operating", 1: "standby (control outputs off)", 2: "configuration"}
SECONDS_PER_RAMP_UNIT = {0: 60.0, 1: 3600.0, 2: 1.0}  # register 531: per min / hour / s
STATUS_BITS = {4: "manual", 5: "sensor break", 6: "loop break", 13: "timer or ramp running"}
# a furnace: heating only; a type K thermocouple reads up to 1372 degC
RANGES = Ranges(temperature_K=Span(C_to_K(AMBIENT_C), C_to_K(1372.0), "K",
                                   "heating only: nothing below ambient"))


class Eurotherm3216(ControllerBase):
    """Eurotherm 3200-series controller, loop 1, implementing `TemperatureController`."""

    link = LinkSettings(timeout_s=0.5, baudrate=9600, bytesize=8, parity="N", stopbits=1)
    RANGES = RANGES

    # temperatures are written by `set_setpoint`, which checks the limits and reads back
    process_value_K = Setting(wire=Register(PV, celsius=True), unit="K", snapshot=False,
                              doc="PV.IN, thermocouple temperature")
    target_setpoint_K = Setting(wire=Register(TARGET_SP, celsius=True), unit="K",
                                doc="TG.SP (write: set_setpoint)")
    working_setpoint_K = Setting(wire=Register(WORKING_SP, celsius=True), unit="K",
                                 snapshot=False, doc="WKG.SP, the ramping set-point")
    working_output_percent = Setting(wire=Register(WORKING_OP), unit="%", snapshot=False,
                                     doc="WRK.OP, heater output %")
    manual_output_percent = Setting(wire=Register(MANUAL_OP, writable=True), unit="%",
                                    check=in_range(0, 100, "%"), doc="MAN.OP, output in manual")
    auto_manual = Setting(wire=Register(AUTO_MANUAL, integer=True, writable=True),
                          check=one_of(0, 1), doc="A-M: 0 automatic, 1 manual")
    status_word = Setting(wire=Register(STATUS, integer=True), snapshot=False,
                          doc="StAt bit map (STATUS_BITS)")
    ramp_units = Setting(wire=Register(RAMP_UNITS, integer=True),
                         doc="SP.RAT units: 0 /min, 1 /h, 2 /s")
    instrument_mode = Setting(wire=Register(INSTRUMENT_MODE, integer=True), doc="IM: MODES")

    def __init__(self, transport: Transport, *, name: str = "furnace",
                 limits: Mapping[str, float] | None = None, clock: Clock | None = None,
                 address: int = 1, heater_check_s: float = 600.0):
        super().__init__(transport, name=name, limits=limits, clock=clock,
                         heater_check_s=heater_check_s)
        if not isinstance(transport, SerialTransport):
            raise ConfigError(f"{name}: Modbus RTU needs a serial port, not {transport.description}")
        if not 1 <= int(address) <= 247:
            raise ConfigError(f"{name}: Modbus address {address} is outside 1..247")
        self.address = int(address)
        self._bus: minimalmodbus.Instrument | None = None

    @classmethod
    def open(cls, resource: Any, **kwargs: Any) -> "Eurotherm3216":
        """A serial device path, pyserial URL, `ASRL...::INSTR` (opened with pyserial, not
        VISA: Modbus frames are binary) or a serial-like port object."""
        if isinstance(resource, str):
            resource = serial_port_name(resource)
        return super().open(resource, **kwargs)

    # -- Modbus access ----------------------------------------------------------------------
    @contextmanager
    def _modbus(self) -> Iterator[minimalmodbus.Instrument]:
        """The minimalmodbus client (opened on first use), holding the link for the whole
        transaction (threads take turns); its errors as labctl errors."""
        with self.transport.lock:
            where = f"Modbus address {self.address}"
            try:
                if self._bus is None:
                    self.transport.open()
                    self._bus = minimalmodbus.Instrument(self.transport.serial, self.address)
                yield self._bus
            except minimalmodbus.NoResponseError as exc:
                self.transport.discard_late_reply()  # RTU frames do not name their register
                raise InstrumentTimeout(f"{where}: no reply", instrument=self.name) from exc
            except minimalmodbus.InvalidResponseError as exc:
                self.transport.discard_late_reply()  # RTU frames do not name their register
                raise ReplyError(f"{where}: invalid reply ({exc})", instrument=self.name) from exc
            except minimalmodbus.SlaveReportedException as exc:
                raise InstrumentError(f"{where}: {exc}", instrument=self.name) from exc
            except minimalmodbus.ModbusException as exc:
                raise CommunicationError(f"{where}: {exc}", instrument=self.name) from exc
            except serial_link_errors() as exc:
                self._bus = None
                self.transport.close()
                raise InstrumentConnectionError(f"{where}: {exc}", instrument=self.name) from exc

    def read_float(self, address: int) -> float:
        with self._modbus() as bus:
            return bus.read_float(FLOAT_SPACE + 2 * address)

    def write_float(self, address: int, value: float) -> None:
        with self._modbus() as bus:
            bus.write_float(FLOAT_SPACE + 2 * address, float(value))

    def read_integer(self, address: int) -> int:
        with self._modbus() as bus:
            return bus.read_register(address)

    def write_integer(self, address: int, value: int) -> None:
        with self._modbus() as bus:
            bus.write_register(address, value, functioncode=16)

    def read_floats(self, first: int, count: int) -> list[float]:
        """`count` consecutive parameters from `first` in one transaction."""
        with self._modbus() as bus:
            words = bus.read_registers(FLOAT_SPACE + 2 * first, 2 * count)
        return list(struct.unpack(f">{count}f", struct.pack(f">{2 * count}H", *words)))

    # -- instrument logic -------------------------------------------------------------------
    def identify(self) -> str:
        status = self.status_word
        return f"Eurotherm 3200 series, Modbus address {self.address} (status word {status:#06x})"

    def check_errors(self) -> None:
        """Sensor break and loop break (status word 75) as `InstrumentError`."""
        self._check_status(self.status_word)

    def _check_status(self, status: int) -> None:
        faults = [STATUS_BITS[b] for b in (5, 6) if status & (1 << b)]
        if faults:
            error = SensorBreak if status & (1 << 5) else InstrumentError
            raise error(f"controller reports {' and '.join(faults)} "
                        f"(status word {status:#06x})", instrument=self.name)

    def _check_operating(self) -> None:
        mode = self.instrument_mode
        if mode != 0:
            raise InstrumentError(f"controller in {MODES.get(mode, f'mode {mode}')} (register "
                                  f"{INSTRUMENT_MODE}): the furnace is not controlling",
                                  instrument=self.name)

    def _read(self) -> TemperatureReading:
        self._check_status(self.status_word)
        self._check_operating()
        pv, _target, _manual, output, working = self.read_floats(PV, 5)
        return TemperatureReading(self.clock.now(), C_to_K(pv), C_to_K(working), output)

    def set_setpoint(self, temperature_K: float) -> None:
        """As `ControllerBase.set_setpoint`; refused unless the controller is operating."""
        self.check_setpoint(temperature_K)
        self._check_operating()
        super().set_setpoint(temperature_K)

    def _write_setpoint(self, temperature_K: float) -> None:
        """TG.SP, only when it changes (EEPROM), then read back."""
        if abs(self.target_setpoint_K - temperature_K) < 0.005:
            return
        self.write_float(TARGET_SP, K_to_C(temperature_K))
        echo = self.target_setpoint_K
        if abs(echo - temperature_K) > 0.05:
            raise InstrumentError(f"set-point written as {temperature_K:.2f} K reads back as "
                                  f"{echo:.2f} K", instrument=self.name)

    def _write_ramp_rate(self, rate_K_per_s: float) -> None:
        self.write_float(SP_RATE, rate_K_per_s * SECONDS_PER_RAMP_UNIT[self._ramp_unit()])

    def _read_ramp_rate(self) -> float:
        """SP.RAT converted from its units (0 = no rate limit)."""
        return self.read_float(SP_RATE) / SECONDS_PER_RAMP_UNIT[self._ramp_unit()]

    def _ramp_unit(self) -> int:
        unit = self.ramp_units
        if unit not in SECONDS_PER_RAMP_UNIT:
            raise ReplyError(f"unknown ramp unit {unit} in register {RAMP_UNITS}", instrument=self.name)
        return unit

    @property
    def ramp_running(self) -> bool:
        """The working set-point has not reached the target yet (not status bit 13, which
        a running timer sets too)."""
        target, _manual, _output, working = self.read_floats(TARGET_SP, 4)
        return abs(working - target) > 0.005

    def set_manual(self, output_percent: float) -> None:
        """Hold the output at `output_percent` (no temperature control: limits cannot act)."""
        type(self).manual_output_percent.validate(self, output_percent)
        self.auto_manual = 1         # bumpless: holds the present output first
        self.manual_output_percent = output_percent

    def set_auto(self) -> None:
        self.auto_manual = 0

    def _secure_output(self) -> None:
        if self.auto_manual:
            self.set_auto()

    def close(self) -> None:
        self._bus = None
        super().close()
