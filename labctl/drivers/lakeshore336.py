"""Lake Shore Model 336 temperature controller (also 335), control loop / heater output 1.

Manual: Lake Shore Model 336 User's Manual, ch. 6 "Remote operation" (command summary;
KRDG?, SETP, RAMP, RAMPST?, RANGE, HTR?, HTRST?, PID, OUTMODE?, INTYPE?, RDGST?, *ESR?).
Interfaces: Ethernet (TCP port 7777, VISA `TCPIP::host::7777::SOCKET`) or serial/USB
(57600 baud, 7 data bits, odd parity, 1 stop bit); `\\r\\n` terminators. Commands carry no
reply, so each is sent as `<command>;*ESR?` and the standard event register's query (4),
execution (16) and command (32) error bits become `InstrumentError`.

The control input of output 1 is read from `OUTMODE? 1` and its preferred units from
`INTYPE?` (SETP is in those units: a set-point meant in K written while the loop works in
degC would be 273 K off, the Lake Shore version of the decimal-point accident). The heater
range option (`heater_range`: low/medium/high) is switched on by `set_setpoint` and off by
`safe_state`.
"""

from __future__ import annotations

from typing import Mapping

from labctl.drivers._temperature import ControllerBase
from labctl.capabilities import TemperatureReading
from labctl.clock import Clock
from labctl.errors import ConfigError, InstrumentError, RangeError, ReplyError, SensorBreak
from labctl.ranges import Ranges, Span
from labctl.setting import Calls, Setting, in_range, one_of, parse_bool
from labctl.transport import LinkSettings, Transport
from labctl.units import C_to_K, K_to_C

HEATER_RANGES = {"off": 0, "low": 1, "medium": 2, "high": 3}
INPUTS = {1: "A", 2: "B", 3: "C", 4: "D"}
UNITS = {1: "K", 2: "C", 3: "sensor"}
ESR_ERRORS = {4: "query error", 16: "execution error", 32: "command error"}
RDGST_BITS = {1: "invalid reading", 16: "temperature under range",
              32: "temperature over range", 64: "sensor units zero", 128: "sensor units over range"}
SENSOR_BREAK_BITS = 1 | 128     # invalid reading, sensor units over range: an open sensor
HEATER_ERRORS = {1: "heater open load", 2: "heater short"}
RAMP_K_PER_MIN = (0.1, 100.0)
# Model 336 specifications: 300 mK .. 1505 K, as the sensor allows
RANGES = Ranges(temperature_K=Span(0.3, 1505.0, "K", "as the sensor allows"))


def parse_int(reply: str) -> int:
    try:
        return int(reply.strip().lstrip("+"))
    except ValueError:
        raise ReplyError(f"expected an integer, got {reply!r}") from None


def parse_fields(reply: str, count: int) -> list[str]:
    fields = reply.strip().split(",")
    if len(fields) != count:
        raise ReplyError(f"expected {count} comma-separated fields, got {reply!r}")
    return fields


def parse_pid(reply: str) -> tuple[float, float, float]:
    try:
        p, i, d = (float(v) for v in parse_fields(reply, 3))
    except ValueError:
        raise ReplyError(f"expected P,I,D numbers, got {reply!r}") from None
    return p, i, d


def check_pid(pid: tuple[float, float, float], name: str) -> tuple[float, float, float]:
    """P gain 0.1..1000, I reset 0.1..1000, D 0..200 %."""
    p, i, d = pid
    return (in_range(0.1, 1000)(p, f"{name}.P"), in_range(0.1, 1000)(i, f"{name}.I"),
            in_range(0, 200, "%")(d, f"{name}.D"))


class LakeShore336(ControllerBase):
    """Lake Shore 336, loop 1, implementing `TemperatureController`."""

    link = LinkSettings(read_termination="\r\n", write_termination="\r\n", timeout_s=2.0,
                        baudrate=57600, bytesize=7, parity="O", stopbits=1)

    models = (r"^LSCI,MODEL336,",)
    RANGES = RANGES

    heater_output_percent = Setting("HTR? 1", unit="%", snapshot=False,
                                    doc="heater output, % of the present range")
    heater_range = Setting("RANGE? 1", "RANGE 1,{}", parse=parse_int,
                           check=one_of(*HEATER_RANGES.values()), doc="0 off .. 3 high")
    manual_output_percent = Setting("MOUT? 1", "MOUT 1,{:.2f}", unit="%",
                                    check=in_range(0, 100, "%"))
    ramp_running = Setting("RAMPST? 1", parse=parse_bool, snapshot=False,
                           doc="set-point still ramping")
    heater_status = Setting("HTRST? 1", parse=parse_int, snapshot=False,
                            doc="0 ok, 1 open load, 2 short")
    pid = Setting("PID? 1", "PID 1,{0[0]:.1f},{0[1]:.1f},{0[2]:.0f}", parse=parse_pid,
                  check=check_pid, doc="(P gain, I reset, D %) of loop 1")
    control_loop = Setting(wire=Calls("_read_control_loop"),
                           doc="(control input of output 1, its preferred units K or C)")

    def __init__(self, transport: Transport, *, name: str = "cryostat",
                 limits: Mapping[str, float] | None = None, clock: Clock | None = None,
                 heater_range: str = "high", heater_check_s: float = 600.0):
        super().__init__(transport, name=name, limits=limits, clock=clock,
                         heater_check_s=heater_check_s)
        if heater_range not in ("low", "medium", "high"):
            raise ConfigError(f"{name}: heater_range {heater_range!r} is not low, medium or high")
        self.heater_range_on = HEATER_RANGES[heater_range]
        self._loop: tuple[str, str] | None = None  # control input, its preferred units

    # -- I/O with the standard event register -----------------------------------------------
    def write(self, command: str) -> None:
        """Send a command and check `*ESR?` in the same exchange."""
        esr = parse_int(self.query(f"{command};*ESR?"))
        self._raise_for(esr, command)

    def check_errors(self) -> None:
        self._raise_for(parse_int(self.query("*ESR?")), "last commands")

    def _raise_for(self, esr: int, command: str) -> None:
        errors = [text for bit, text in ESR_ERRORS.items() if esr & bit]
        if errors:
            raise InstrumentError(f"{' and '.join(errors)} after {command!r} (ESR {esr})",
                                  instrument=self.name, code=esr)

    def identify(self) -> str:
        idn = self.query("*IDN?").strip()
        if not idn.startswith("LSCI,MODEL33"):
            raise ReplyError(f"not a Lake Shore 33x: {idn!r}", instrument=self.name)
        return idn

    # -- control loop configuration ---------------------------------------------------------
    def _read_control_loop(self) -> tuple[str, str]:
        """(control input of output 1, its preferred units "K"/"C"), read once."""
        if self._loop is None:
            mode, number, _powerup = parse_fields(self.query("OUTMODE? 1"), 3)
            if parse_int(number) not in INPUTS:
                raise InstrumentError(f"output 1 has no control input (OUTMODE {mode},{number})",
                                      instrument=self.name)
            sensor = INPUTS[parse_int(number)]
            units = UNITS.get(parse_int(parse_fields(self.query(f"INTYPE? {sensor}"), 5)[4]))
            if units not in ("K", "C"):
                raise InstrumentError(f"input {sensor} controls in {units} units; set K or C",
                                      instrument=self.name)
            self._loop = (sensor, units)
        return self._loop

    def _to_loop_units(self, temperature_K: float) -> float:
        return K_to_C(temperature_K) if self.control_loop[1] == "C" else temperature_K

    def _from_loop_units(self, value: float) -> float:
        return C_to_K(value) if self.control_loop[1] == "C" else value

    # -- capability hooks ------------------------------------------------------------------
    def _read(self) -> TemperatureReading:
        sensor, _units = self.control_loop
        reply = self.query(f"KRDG? {sensor};SETP? 1;HTR? 1;RDGST? {sensor};HTRST? 1")
        fields = reply.strip().split(";")
        if len(fields) != 5:
            raise ReplyError(f"expected 5 replies, got {reply!r}", instrument=self.name)
        try:
            kelvin, setpoint, output = (float(v) for v in fields[:3])
        except ValueError:
            raise ReplyError(f"unparseable reading {reply!r}", instrument=self.name) from None
        status, heater = parse_int(fields[3]), parse_int(fields[4])
        faults = [text for bit, text in RDGST_BITS.items() if status & bit]
        faults += [HEATER_ERRORS.get(heater, f"heater error {heater}")] if heater else []
        if faults:
            error = SensorBreak if status & SENSOR_BREAK_BITS else InstrumentError
            raise error(f"input {sensor}: {', '.join(faults)}", instrument=self.name)
        return TemperatureReading(self.clock.now(), kelvin, self._from_loop_units(setpoint), output)

    def set_setpoint(self, temperature_K: float) -> None:
        """Target set-point (checked against the limits), then the heater range on."""
        super().set_setpoint(temperature_K)
        self.heater_range = self.heater_range_on

    def _write_setpoint(self, temperature_K: float) -> None:
        self.write(f"SETP 1,{self._to_loop_units(temperature_K):.3f}")

    def check_ramp_rate(self, rate_K_per_s: float, name: str = "") -> float:
        """As the base class; a ramp (not 0 = off) within 0.1 .. 100 K/min."""
        rate = super().check_ramp_rate(rate_K_per_s)
        low, high = RAMP_K_PER_MIN
        if rate and not low <= rate * 60.0 <= high:
            raise RangeError(f"{self.name}: ramp {rate * 60.0:g} K/min is outside "
                             f"{low:g}..{high:g} K/min")
        return rate

    def _write_ramp_rate(self, rate_K_per_s: float) -> None:
        self.write(f"RAMP 1,1,{rate_K_per_s * 60.0:.1f}" if rate_K_per_s else "RAMP 1,0,0")

    def _read_ramp_rate(self) -> float:
        """Set-point ramp rate of loop 1 (0 = ramping off)."""
        on, rate = parse_fields(self.query("RAMP? 1"), 2)
        return float(rate) / 60.0 if parse_bool(on) else 0.0

    def _secure_output(self) -> None:
        """Heater off (RANGE 1,0)."""
        self.heater_range = HEATER_RANGES["off"]
