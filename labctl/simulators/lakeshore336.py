"""Simulated Lake Shore Model 336 temperature controller on the furnace physics.

Manual: Lake Shore Model 336 User's Manual, ch. 6 (command summary and formats). Served on
a loopback TCP socket (the 336's Ethernet port 7777; the serial 57600-7-O-1 link carries
the same text). Replies end with `\\r\\n`; commands end with `\\n` or `\\r\\n`; several may
share a line joined by `;` (or `;:`), their replies joined by `;`. No error queue: unknown
commands set the command-error bit (32) and bad parameters the execution-error bit (16)
of the standard event register, read and cleared by `*ESR?`.

Model: output 1 is a `ControlLoop` on the world's furnace (`SimWorld.controller_loop`);
it drives the heater while it is on (heater range not off, closed-loop or open-loop mode):
switching it on, or a new set-point while on, claims the heater from another controller on
the same furnace, switching it off hands the heater back (`SimWorld.claim`, `release`).
Input A is the furnace thermocouple, input B the sample; C and D have no sensor (invalid reading). Heater range
off/low/medium/high = 0/1/10/100 % of full power (the loop's output limit); `HTR?` is the
output in % of the range. PID: P = gain in % of range per K, I = reset (integral time
1000/I s), D in % of a quarter of the integral time. Set-point ramping (K/min, 0.1..100;
0 = infinite) starts from the present set-point; `SETP?` returns the ramping set-point.
SETP is in the preferred units of the control input (option `units`: 1 K, 2 degC).
Thermocouple break: KRDG? reads +0.00000 and RDGST? 129 (invalid, sensor over range).
Heater failure: `HTRST? 1` answers 1 (open load, cleared by the query) and the heater
range drops to off. `inject("error")` sets the execution-error bit.

Not modelled: outputs 2-4 (they remember settings only), zone control, autotune, alarms,
relays, curves and sensor types (INTYPE? reports a thermocouple), MOUT in closed loop,
the query-error bit, input filtering and reading noise.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from typing import Any, Callable


from labctl.simulators.device import LineDevice
from labctl.simulators.physics.furnace import ControlLoop
from labctl.simulators.world import SimWorld
from labctl.units import C_to_K, K_to_C

RANGE_PERCENT = {0: 0.0, 1: 1.0, 2: 10.0, 3: 100.0}
COMMAND_ERROR, EXECUTION_ERROR = 32, 16
INVALID, SENSOR_OVER = 1, 128


class Rejected(Exception):
    """Bad parameters: the execution-error bit is set."""


def number(value: float) -> str:
    """The 336's `+nnnnnn`: sign and six digits, the decimal point floating."""
    digits = len(str(int(abs(value))))
    return f"{value:+.{max(6 - digits, 0)}f}"


def parse(text: str, low: float, high: float) -> float:
    try:
        value = float(text)
    except ValueError:
        raise Rejected(text) from None
    if not low <= value <= high:
        raise Rejected(text)
    return value


@dataclass
class Output:
    """Settings of one heater output (output 1 also drives the loop)."""

    setpoint: float = 0.0
    ramp_on: bool = False
    ramp_K_per_min: float = 0.0
    range: int = 0
    pid: tuple[float, float, float] = (50.0, 20.0, 0.0)
    manual_percent: float = 0.0
    mode: tuple[int, int, int] = (1, 1, 0)   # closed-loop PID, input A, off at power-up


class LakeShore336Simulator(LineDevice):
    """Lake Shore 336 command set; output 1 is `self.loop` on the world's furnace."""

    link = "tcp"
    in_terminator = b"\n"
    out_terminator = b"\r\n"
    idn = "LSCI,MODEL336,LSSIM01/#######,2.9"

    def __init__(self, world: SimWorld, options: dict[str, Any]):
        super().__init__(world.clock)
        self.world = world
        self.units = int(options.get("units", 1))
        self.esr = 0
        self.heater_error = 0
        self.loop, self._on = world.controller_loop(), False
        gains = self.loop.gains
        self.outputs = {n: Output() for n in (1, 2, 3, 4)}
        self.outputs[1].pid = (gains.proportional_pct_per_K, 1000.0 / gains.integral_time_s, 0.0)
        with world.control():
            self.outputs[1].setpoint = self._to_units(self.loop.target_K)
            self._apply()
        queries: dict[str, Callable[..., str]] = {
            "*IDN?": lambda: self.idn, "*OPC?": lambda: "1", "*ESR?": self._read_esr,
            "KRDG?": lambda i: self._each(i, lambda loop, s: number(self._kelvin(loop, s))),
            "CRDG?": lambda i: self._each(i, lambda loop, s: number(
                K_to_C(self._kelvin(loop, s)) if self._valid(loop, s) else 0.0)),
            "RDGST?": lambda i: self._each(i, lambda loop, s: str(self._status(loop, s))),
            "INTYPE?": lambda i: self._each(i, lambda loop, s: f"4,0,0,1,{self.units}"),
            "SETP?": self._setpoint,
            "RAMP?": lambda o: f"{int(self._out(o).ramp_on)},{self._out(o).ramp_K_per_min:+.1f}",
            "RAMPST?": lambda o: str(int(self._out(o) is self.outputs[1]
                                         and self.loop.ramp_running)),
            "RANGE?": lambda o: str(self._out(o).range),
            "HTR?": self._heater_output,
            "HTRST?": self._read_heater_error,
            "PID?": lambda o: "{:+.1f},{:+.1f},{:+.0f}".format(*self._out(o).pid),
            "MOUT?": lambda o: f"{self._out(o).manual_percent:+.2f}",
            "OUTMODE?": lambda o: "{},{},{}".format(*self._out(o).mode),
        }
        commands: dict[str, Callable[..., None]] = {
            "*CLS": self._clear, "*RST": self.reset, "SETP": self._set_setpoint,
            "RAMP": self._set_ramp, "RANGE": self._set_range, "PID": self._set_pid,
            "MOUT": self._set_manual, "OUTMODE": self._set_mode,
        }
        self.table = {**queries, **commands}

    # -- line protocol ------------------------------------------------------------------------
    def handle(self, line: str) -> str | None:
        replies = []
        with self.world.control():
            self._watch_heater(self.loop)
            for unit in filter(None, (u.strip().lstrip(":") for u in line.split(";"))):
                header, _, rest = unit.partition(" ")
                handler = self.table.get(header.upper())
                if handler is None:
                    self.esr |= COMMAND_ERROR
                    continue
                args = [a.strip() for a in rest.split(",")] if rest.strip() else []
                try:
                    if self.take_fault("error"):
                        raise Rejected("injected")
                    reply = handler(*args)
                except (Rejected, TypeError):
                    self.esr |= EXECUTION_ERROR
                    continue
                if reply is not None:
                    replies.append(reply)
                self._apply()
        return ";".join(replies) if replies else None

    def _read_esr(self) -> str:
        esr, self.esr = self.esr, 0
        return str(esr)

    def _clear(self) -> None:
        self.esr = 0

    def reset(self) -> None:
        """*RST: heaters off, ramping off."""
        for output in self.outputs.values():
            output.range, output.ramp_on = 0, False

    # -- inputs -------------------------------------------------------------------------------
    def _each(self, which: str, reading: Callable[[ControlLoop, str], str]) -> str:
        sensors = "ABCD" if which == "0" else which.upper()
        if sensors not in ("ABCD", "A", "B", "C", "D"):
            raise Rejected(which)
        return ",".join(reading(self.loop, s) for s in sensors)

    def _valid(self, loop: ControlLoop, sensor: str) -> bool:
        return sensor == "B" or (sensor == "A" and not loop.sensor_break)

    def _kelvin(self, loop: ControlLoop, sensor: str) -> float:
        if not self._valid(loop, sensor):
            return 0.0
        return loop.pv_K if sensor == "A" else loop.sample_K

    def _status(self, loop: ControlLoop, sensor: str) -> int:
        if sensor == "A" and loop.sensor_break:
            return INVALID | SENSOR_OVER
        return 0 if self._valid(loop, sensor) else INVALID

    # -- outputs ------------------------------------------------------------------------------
    def _out(self, which: str) -> Output:
        try:
            return self.outputs[int(which)]
        except (ValueError, KeyError):
            raise Rejected(which) from None

    def _to_units(self, kelvin: float) -> float:
        return kelvin if self.units == 1 else K_to_C(kelvin)

    def _to_kelvin(self, value: float) -> float:
        return value if self.units == 1 else C_to_K(value)

    def _setpoint(self, which: str) -> str:
        """Output 1: the loop's (ramping) working set-point; others: as set."""
        output = self._out(which)
        if output is self.outputs[1]:
            return number(self._to_units(self.loop.working_setpoint_K))
        return number(output.setpoint)

    def _heater_output(self, which: str) -> str:
        output = self._out(which)
        full = RANGE_PERCENT[output.range]
        percent = self.loop.output_pct / full * 100 if output is self.outputs[1] and full else 0.0
        return f"{percent:+.1f}"

    def _read_heater_error(self, which: str) -> str:
        if self._out(which) is not self.outputs[1]:
            return "0"
        error, self.heater_error = self.heater_error, 0
        return str(error)

    def _watch_heater(self, loop: ControlLoop) -> None:
        """A failed heater is an open load: latched, and the output switched off."""
        if loop.furnace.heater_failed and self.outputs[1].range and loop.output_pct > 0:
            self.heater_error, self.outputs[1].range = 1, 0

    def _set_setpoint(self, which: str, value: str) -> None:
        output = self._out(which)
        output.setpoint = parse(value, self._to_units(0.0), self._to_units(1505.0))
        if output is self.outputs[1]:
            if self._on:
                self.world.claim(self.loop)
            loop = self.loop
            working = loop.working_setpoint_K
            loop.set_target(self._to_kelvin(output.setpoint))
            if loop.rate_K_per_s > 0:
                loop.working_setpoint_K = working   # the 336 ramps from its present set-point

    def _set_ramp(self, which: str, on: str, rate: str) -> None:
        output = self._out(which)
        enabled, per_min = parse(on, 0, 1) == 1, parse(rate, 0.0, 100.0)
        if 0 < per_min < 0.1:
            raise Rejected(rate)
        output.ramp_on, output.ramp_K_per_min = enabled, per_min

    def _set_range(self, which: str, value: str) -> None:
        self._out(which).range = int(parse(value, 0, 3))

    def _set_pid(self, which: str, p: str, i: str, d: str) -> None:
        self._out(which).pid = (parse(p, 0.1, 1000), parse(i, 0.1, 1000), parse(d, 0, 200))

    def _set_manual(self, which: str, value: str) -> None:
        self._out(which).manual_percent = parse(value, 0, 100)

    def _set_mode(self, which: str, mode: str, sensor: str, powerup: str) -> None:
        self._out(which).mode = (int(parse(mode, 0, 5)), int(parse(sensor, 0, 4)),
                                 int(parse(powerup, 0, 1)))

    def _apply(self) -> None:
        """Output 1's settings onto its loop: range as output limit, PID, ramp, mode; the
        heater claimed when the output goes on, released when it goes off."""
        output, loop = self.outputs[1], self.loop
        full = RANGE_PERCENT[output.range] if output.mode[0] in (1, 3) else 0.0
        loop.set_output_limits(0.0, full)
        p, i, d = output.pid
        integral_s = 1000.0 / i
        loop.gains = replace(loop.gains, proportional_pct_per_K=p * full / 100,
                             integral_time_s=integral_s, derivative_time_s=d / 100 * integral_s / 4)
        rate = output.ramp_K_per_min / 60.0 if output.ramp_on else 0.0
        if not math.isclose(rate, loop.rate_K_per_s):
            loop.set_rate(rate)
        if output.mode[0] == 3:
            loop.set_manual(output.manual_percent * full / 100)
        elif loop.manual:
            loop.set_auto()
        if (full > 0) != self._on:
            self._on = full > 0
            (self.world.claim if self._on else self.world.release)(loop)
