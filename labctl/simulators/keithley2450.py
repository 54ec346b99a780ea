"""Simulated Keithley 2450 SourceMeter, native SCPI command set, on the sample physics.

Manual: Keithley 2450 Reference Manual 2450-901-01 Rev. B, section 6 (SCPI command
reference): `:READ?` p. 6-6, `:SOURce:...:ILIMit:TRIPped?` p. 6-72, `:TRACe:DATA?`
p. 6-109, `:TRACe:TRIGger` p. 6-124, `:TRIGger:LOAD:LOOP:DURation` p. 6-163. Reached over
a LAN raw socket (VISA `TCPIP::host::5025::SOCKET`) with `\\n` terminators.

Physics. The sample (in a world of several pellets: the one a switch routed to the
terminals; each pellet sees 0 V while it is not) sees the programmed voltage while the
output is on and 0 V while it is
off (the 2450's "normal" output-off state). Every change of that terminal voltage is a step
dV_k at t_k; a reading integrates over its aperture [t1, t2] (NPLC / line frequency:
50 Hz, or the option `line_frequency_Hz`; `:SYST:LFR?`), so the current is the exact mean
of the superposed step responses, sum_k dV_k (q(t2 - t_k) - q(t1 - t_k)) / (t2 - t1)
with q the sample's `step_charge` per volt at the present sample temperature, plus the
sample's `static_current` at the terminal voltage (decomposition; a Hebb-Wagner cell's
nonlinear electronic current), plus the sample file's relative noise.
Beyond `ILIM` the reading is clamped to +-ILIM and `:SOUR:VOLT:ILIM:TRIP?` answers 1 (0
while the output is off: nothing is sourced); a
fixed measure range exceeded by more than 5 % reads 9.9E+37 (overflow). Each reading's
reply is due when its aperture ends; readings never overlap (one measurement at a time).
Wired to the concentration cell (bench `[simulation] concentration_cell`), the 2450 is
its load: with the output on, the current is that of the cell's equivalent circuit at the
programmed voltage (`physics.concentration_cell`, no transient), with the output off none
(the cell left open: the high-impedance output-off state).
Fault: `short_circuit_Ohm` (None: none), a short across the cell (a dendrite through the
electrolyte) that draws V / R beside the sample's current, typically into compliance.

Formats: readings `%.6E` (`-1.375422E-11`, manual p. 6-4), relative times `%.6f`
(`0.408402`, p. 6-124), settings as `%G`; errors `<code>,"<text>;<severity>;<date time>"`
and `0,"No error;0;0 0"` when the queue is empty (as the 2450/DMM6500 family answers).
Trigger model: the "SimpleLoop" (count, delay before each measurement) and "DurationLoop"
templates, in the `:TRIG:LOAD "SimpleLoop", ...` and the Rev. B `:TRIG:LOAD:LOOP:...`
forms (option `firmware`, default 1.7.12b: a 1.0.x firmware, that of the Rev. B manual,
knows only the second and answers the first with -113); its readings are produced lazily from the clock, as the instrument would have made
them.

Not modelled: sourcing current (`:SOUR:FUNC CURR` is refused with -221), the voltage drop
of compliance (the clamped reading keeps the programmed voltage on the sample), source and
auto-zero delays, the instrument's offset and noise floor (only the sample's relative
noise), cable/lead resistance (4-wire sense is only remembered), temperature changes
during the voltage history (all steps respond as at the present temperature), user
buffers, statistics, digital I/O. Every voltage step is kept, so a reading costs one
Laplace inversion per step since power-on.
"""

from __future__ import annotations

import math
import time
from collections import deque
from dataclasses import dataclass

import numpy as np

from labctl.simulators.physics.concentration_cell import cell_in
from labctl.simulators.scpi import ScpiDevice, ScpiError, compile_pattern, parse_bool, parse_float
from labctl.simulators.world import SimWorld

OVERFLOW = 9.9e37
CURRENT_RANGES_A = (1e-8, 1e-7, 1e-6, 1e-5, 1e-4, 1e-3, 1e-2, 1e-1, 1.0)
VOLTAGE_RANGES_V = (0.02, 0.2, 2.0, 20.0, 200.0)
BUFFERS = ("defbuffer1", "defbuffer2")
DEFAULT_POINTS = 100_000
ELEMENTS = {name: compile_pattern(f":{name}") for name in
            ("READing", "RELative", "SOURce", "UNIT", "SEConds", "FRACtional")}


@dataclass(frozen=True)
class Reading:
    t_s: float         # start of the measurement on the world clock
    value: float       # READing (per :SENS:FUNC)
    source_V: float    # SOURce (read-back or programmed)


def fits(ranges: tuple[float, ...], value: float) -> float:
    """The smallest range that holds |value| with the instrument's 5 % over-range."""
    return next((r for r in ranges if abs(value) <= 1.05 * r), ranges[-1])


def unquote(text: str) -> str:
    return text.strip().strip("\"'")


class Keithley2450Simulator(ScpiDevice):
    """The 2450 on the world's sample; options `line_frequency_Hz` (default 50),
    `command_set` (what `*LANG?` answers; default "SCPI", the only one simulated) and
    `firmware` (default 1.7.12b)."""

    link = "tcp"

    def __init__(self, world: SimWorld, options: dict | None = None):
        super().__init__(world.clock)
        self.world = world
        options = options or {}
        self.line_frequency_Hz = float(options.get("line_frequency_Hz", 50.0))
        self.command_set = str(options.get("command_set", "SCPI"))
        self.firmware = str(options.get("firmware", "1.7.12b"))
        self.idn = f"KEITHLEY INSTRUMENTS,MODEL 2450,04512345,{self.firmware}"
        self._steps: list[tuple[float, float]] = []   # (time, terminal voltage change)
        self._pellet: str | None = None                 # routed to it (None: the sample)
        self._seen: dict[str | None, list[tuple[float, float]]] = {}  # each one's changes
        self.short_circuit_Ohm: float | None = None     # fault: a short across the cell
        self._applied = 0.0
        self._busy_until = -math.inf
        self.reset()
        c = self.command
        c("*LANG?", lambda: self.command_set)
        c("*LANG", lambda lang: None)   # takes effect after a power cycle: not simulated
        c("*WAI", lambda: None)
        c(":STATus:PRESet", lambda: None)
        c(":SYSTem:CLEar", self.errors.clear)
        c(":SYSTem:LFRequency?", lambda: f"{self.line_frequency_Hz:G}")
        c(":SOURce:FUNCtion[:MODE]", self._set_source_function)
        c(":SOURce:FUNCtion[:MODE]?", lambda: "VOLT")
        c(":SOURce:VOLTage[:LEVel][:IMMediate][:AMPLitude]", self._set_level)
        c(":SOURce:VOLTage[:LEVel][:IMMediate][:AMPLitude]?", lambda: f"{self.level:G}")
        c(":SOURce:VOLTage:RANGe", self._set_source_range)
        c(":SOURce:VOLTage:RANGe?", lambda: f"{self._source_range():G}")
        c(":SOURce:VOLTage:RANGe:AUTO", lambda on: self._set("source_auto", parse_bool(on)))
        c(":SOURce:VOLTage:RANGe:AUTO?", lambda: str(int(self.source_auto)))
        c(":SOURce:VOLTage:ILIMit[:LEVel]", self._set_ilim)
        c(":SOURce:VOLTage:ILIMit[:LEVel]?", lambda: f"{self.ilim:G}")
        c(":SOURce:VOLTage:ILIMit[:LEVel]:TRIPped?",
          lambda: str(int(self.tripped and self.output)))
        c(":SOURce:VOLTage:READ:BACK", lambda on: self._set("readback", parse_bool(on)))
        c(":SOURce:VOLTage:READ:BACK?", lambda: str(int(self.readback)))
        c("[:SENSe]:FUNCtion[:ON]", self._set_sense_function)
        c("[:SENSe]:FUNCtion[:ON]?", lambda: {"CURR": "CURR:DC", "VOLT": "VOLT:DC"}
          .get(self.sense, self.sense))
        c("[:SENSe]:CURRent[:DC]:NPLCycles",
          lambda n: self._set("nplc", parse_float(n, 0.01, 10)))
        c("[:SENSe]:CURRent[:DC]:NPLCycles?", lambda: f"{self.nplc:G}")
        c("[:SENSe]:CURRent[:DC]:RANGe[:UPPer]", self._set_measure_range)
        c("[:SENSe]:CURRent[:DC]:RANGe[:UPPer]?", lambda: f"{self.current_range:G}")
        c("[:SENSe]:CURRent[:DC]:RANGe:AUTO", lambda on: self._set("auto", parse_bool(on)))
        c("[:SENSe]:CURRent[:DC]:RANGe:AUTO?", lambda: str(int(self.auto)))
        c("[:SENSe]:CURRent[:DC]:RSENse", lambda on: self._set("four_wire", parse_bool(on)))
        c("[:SENSe]:CURRent[:DC]:RSENse?", lambda: str(int(self.four_wire)))
        c(":OUTPut[:STATe]", self._set_output)
        c(":OUTPut[:STATe]?", lambda: str(int(self.output)))
        c(":READ?", self._read)
        c(":MEASure:CURRent[:DC]?", self._measure_current)
        c(":TRACe:TRIGger", self._trace_trigger)
        c(":TRACe:CLEar", lambda name='"defbuffer1"': self._buffer(name).clear())
        c(":TRACe:ACTual?", lambda name='"defbuffer1"': str(len(self._buffer(name))))
        c(":TRACe:POINts", self._set_points)
        c(":TRACe:POINts?", lambda name='"defbuffer1"': str(self._buffer(name).maxlen))
        c(":TRACe:DATA?", self._trace_data)
        if not self.firmware.startswith("1.0."):
            c(":TRIGger:LOAD", self._load)
        c(":TRIGger:LOAD:LOOP:SIMPle", lambda *a: self._load('"SimpleLoop"', *a))
        c(":TRIGger:LOAD:LOOP:DURation", lambda *a: self._load('"DurationLoop"', *a))
        c(":INITiate[:IMMediate]", self._initiate)
        c(":ABORt", self._abort)
        c(":TRIGger:STATe?", lambda: f"{self.trigger_state};{self.trigger_state};"
          f"{2 if self.trigger_state == 'RUNNING' else 3}")

    # -- settings ---------------------------------------------------------------------
    def reset(self) -> None:
        """*RST: output off at 0 V, ILIM 105 uA, NPLC 1, autorange, empty trigger model."""
        self.output, self.level, self.source_auto, self.readback = False, 0.0, True, True
        self.source_range, self.ilim, self.tripped = 0.02, 1.05e-4, False
        self.sense, self.nplc, self.auto, self.current_range = "CURR", 1.0, True, 1e-4
        self.four_wire = False
        self.buffers = {name: deque(maxlen=DEFAULT_POINTS) for name in BUFFERS}
        self._first_t = {name: 0.0 for name in BUFFERS}
        self.model: tuple[str, float, float, str] | None = None
        self.trigger_state, self._run = "IDLE", None
        self._apply()

    def _set(self, attr: str, value: object) -> None:
        setattr(self, attr, value)

    def _set_source_function(self, function: str) -> None:
        if not compile_pattern(":VOLTage").match(":" + function.strip()):
            raise ScpiError(-221, "Settings conflict, only voltage sourcing is simulated")

    def _set_sense_function(self, function: str) -> None:
        name = unquote(function).upper()
        for key, pattern in (("CURR", ":CURRent[:DC]"), ("VOLT", ":VOLTage[:DC]"),
                             ("RES", ":RESistance")):
            if compile_pattern(pattern).match(":" + name):
                self.sense = key
                return
        raise ScpiError(-224, "Illegal parameter value")

    def _set_level(self, text: str) -> None:
        level = parse_float(text, -210.0, 210.0)
        if abs(level) > 21.0 and self.ilim > 0.105:
            raise ScpiError(-221, "Settings conflict, 210 V range limits current to 105 mA")
        if not self.source_auto and abs(level) > 1.05 * self.source_range:
            raise ScpiError(-222, "Data out of range")
        self.level = level
        self._apply()

    def _source_range(self) -> float:
        return fits(VOLTAGE_RANGES_V, self.level) if self.source_auto else self.source_range

    def _set_source_range(self, text: str) -> None:
        self.source_range = fits(VOLTAGE_RANGES_V, parse_float(text, -210.0, 210.0))
        self.source_auto = False

    def _set_ilim(self, text: str) -> None:
        ilim = parse_float(text, 1e-9, 1.05)
        if abs(self.level) > 21.0 and ilim > 0.105:
            raise ScpiError(-221, "Settings conflict, 210 V range limits current to 105 mA")
        self.ilim = ilim

    def _set_measure_range(self, text: str) -> None:
        self.current_range = fits(CURRENT_RANGES_A, parse_float(text, -1.05, 1.05))
        self.auto = False

    def _set_output(self, state: str) -> None:
        self.output = parse_bool(state)
        self._apply()

    def _apply(self) -> None:
        """Record a step of the terminal voltage (programmed level, 0 V while off)."""
        self._follow_route()
        target = self.level if self.output else 0.0
        if target != self._applied:
            self._steps.append((self.clock.now(), target - self._applied))
            self._seen.setdefault(self._pellet, []).append(self._steps[-1])
            self._applied = target

    def _follow_route(self) -> None:
        """A switch routed another pellet to the terminals: from now on the one left sees
        0 V, the new one the terminal voltage (each pellet keeps its own history)."""
        pellet = self.world.routed(self.instrument)
        if pellet != self._pellet:
            now = self.clock.now()
            if self._applied:
                self._seen.setdefault(self._pellet, []).append((now, -self._applied))
                self._seen.setdefault(pellet, []).append((now, self._applied))
            self._pellet = pellet

    # -- measurement --------------------------------------------------------------------
    @property
    def aperture_s(self) -> float:
        return self.nplc / self.line_frequency_Hz

    def _current(self, t1: float, t2: float) -> float:
        """Mean sample current over [t1, t2] from the voltage steps before t1 (the
        concentration cell's at the programmed voltage, when wired to it)."""
        if self.instrument in self.world.on_concentration_cell:
            return cell_in(self.world).current_A(self.level) if self.output else 0.0
        self._follow_route()
        steps = np.array([s for s in self._seen.get(self._pellet, ())
                          if s[0] <= t1]).reshape(-1, 2)
        seen = self.world.sample_seen(self.instrument)
        if not len(steps) or seen is None:
            return 0.0
        sample, T_K = seen
        age = t1 - steps[:, 0]
        charge = sample.step_charge(1.0, np.r_[age, age + (t2 - t1)], T_K)
        n = len(steps)
        current = float(steps[:, 1] @ (charge[n:] - charge[:n])) / (t2 - t1)
        return current + float(sample.static_current(steps[:, 1].sum(), T_K))

    def _measure_at(self, t1: float) -> Reading:
        applied = sum(dv for t, dv in self._steps if t <= t1)
        current = float(self.world.add_noise(self._current(t1, t1 + self.aperture_s)))
        if self.short_circuit_Ohm is not None:
            current += applied / self.short_circuit_Ohm
        self.tripped = abs(current) > self.ilim
        current = max(-self.ilim, min(self.ilim, current))
        if self.auto:
            self.current_range = fits(CURRENT_RANGES_A, current)
        elif abs(current) > 1.05 * self.current_range:
            current = OVERFLOW
        value = {"CURR": current, "VOLT": applied,
                 "RES": applied / current if current else OVERFLOW}[self.sense]
        return Reading(t1, value, applied if self.readback else self.level)

    def _measure(self) -> Reading:
        """One reading starting when the previous one ends; its reply waits for it."""
        now = self.clock.now()
        start = max(now, self._busy_until)
        self._busy_until = start + self.aperture_s
        self._reply_delay = max(self._reply_delay, self._busy_until - now)
        return self._measure_at(start)

    def _store(self, buffer: deque, reading: Reading | None = None) -> Reading:
        reading = reading or self._measure()
        if not buffer:
            self._first_t[self._name_of(buffer)] = reading.t_s
        buffer.append(reading)
        return reading

    def _trace_trigger(self, name: str = '"defbuffer1"') -> None:
        self._store(self._buffer(name))

    def _read(self, name: str = '"defbuffer1"', *elements: str) -> str:
        buffer = self._buffer(name)
        return self._format(buffer, [self._store(buffer)], elements)

    def _measure_current(self, name: str = '"defbuffer1"', *elements: str) -> str:
        self.sense = "CURR"
        return self._read(name, *elements)

    # -- buffers --------------------------------------------------------------------------
    def _buffer(self, name: str) -> deque:
        key = unquote(name).lower()
        if key not in self.buffers:
            raise ScpiError(-224, "Illegal parameter value, reading buffer not found")
        return self.buffers[key]

    def _name_of(self, buffer: deque) -> str:
        return next(name for name, b in self.buffers.items() if b is buffer)

    def _set_points(self, count: str, name: str = '"defbuffer1"') -> None:
        key = self._name_of(self._buffer(name))
        self.buffers[key] = deque(maxlen=int(parse_float(count, 10, 4_000_000)))

    def _trace_data(self, start: str, end: str, name: str = '"defbuffer1"',
                    *elements: str) -> str:
        buffer = self._buffer(name)
        first, last = int(parse_float(start, 1)), int(parse_float(end, 1))
        if not first <= last <= len(buffer):
            raise ScpiError(-222, "Data out of range")
        return self._format(buffer, list(buffer)[first - 1:last], elements)

    def _format(self, buffer: deque, readings: list[Reading], elements: tuple[str, ...]) -> str:
        names = [self._element(e) for e in elements] or ["READing"]
        t0 = self._first_t[self._name_of(buffer)]
        epoch_shift = self.clock.epoch() - self.clock.now()
        fields = {"READing": lambda r: f"{r.value:.6E}",
                  "RELative": lambda r: f"{r.t_s - t0:.6f}",
                  "SOURce": lambda r: f"{r.source_V:.6E}",
                  "UNIT": lambda r: {"CURR": "Amp DC", "VOLT": "Volt DC"}.get(self.sense, "Ohm"),
                  "SEConds": lambda r: f"{int(r.t_s + epoch_shift)}",
                  "FRACtional": lambda r: f"{(r.t_s + epoch_shift) % 1:.9f}"}
        return ",".join(fields[n](r) for r in readings for n in names)

    @staticmethod
    def _element(text: str) -> str:
        name = next((n for n, p in ELEMENTS.items() if p.match(":" + text.strip())), None)
        if name is None:
            raise ScpiError(-224, "Illegal parameter value, unknown buffer element")
        return name

    # -- trigger model ----------------------------------------------------------------------
    def _load(self, template: str, *args: str) -> None:
        kind = unquote(template).lower()
        if kind == "empty":
            self.model = None
            return
        if kind not in ("simpleloop", "durationloop") or not args:
            raise ScpiError(-224, "Illegal parameter value, trigger model template")
        amount = parse_float(args[0], 1, 1e9) if kind == "simpleloop" \
            else parse_float(args[0], 0, 100_000)
        delay = parse_float(args[1], 0, 10_000) if len(args) > 1 else 0.0
        name = self._name_of(self._buffer(args[2] if len(args) > 2 else "defbuffer1"))
        self.model = (kind, amount, delay, name)

    def _initiate(self) -> None:
        if self.model is None:
            raise ScpiError(-221, "Settings conflict, no trigger model loaded")
        kind, amount, delay, name = self.model
        now = max(self.clock.now(), self._busy_until)
        count = int(amount) if kind == "simpleloop" else math.inf
        end = now + amount if kind == "durationloop" else math.inf
        self._run = {"next": now + delay, "left": count, "end": end, "delay": delay,
                     "buffer": self.buffers[name]}
        self.trigger_state = "RUNNING"

    def _abort(self) -> None:
        self._advance()
        if self._run is not None:
            self._run, self.trigger_state = None, "ABORTED"

    def _advance(self) -> None:
        """Make the trigger model's readings whose aperture has ended by now."""
        run, now = self._run, self.clock.now()
        while run is not None:
            if run["left"] <= 0 or run["next"] > run["end"]:
                self._run, self.trigger_state = None, "IDLE"
                return
            if run["next"] + self.aperture_s > now:
                return
            self._store(run["buffer"], self._measure_at(run["next"]))
            self._busy_until = run["next"] + self.aperture_s
            run["next"] = self._busy_until + run["delay"]
            run["left"] -= 1

    # -- wire ---------------------------------------------------------------------------
    def handle(self, line: str) -> None:
        """Run the trigger model up to now, then the commands; reply when measured."""
        self._advance()
        self._reply_delay = 0.0
        reply = super().handle(line)
        if reply is not None:
            self.reply(reply, self._reply_delay)

    def push_error(self, code: int, message: str) -> None:
        stamp = self.clock.epoch()
        when = time.strftime("%Y/%m/%d %H:%M:%S", time.gmtime(stamp)) \
            + f".{int(stamp % 1 * 1000):03d}"
        super().push_error(code, f"{message};1;{when}")

    def format_error(self, code: int, message: str) -> str:
        return f'{code},"{message if code else "No error;0;0 0"}"'
