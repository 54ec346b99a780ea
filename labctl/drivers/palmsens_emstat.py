"""PalmSens EmStat4 (LR / HR) potentiostat over MethodSCRIPT: EIS, chronoamperometry and
linear sweep voltammetry on one instrument.

Documentation: EmStat4 communication protocol v1.3 (host commands `t` firmware, `i` serial
number, `e` + script + blank line = execute, `Z` abort); MethodSCRIPT manual v1.8
(`meas_loop_eis`, `meas_loop_ca`, `meas_loop_lsv`, `pck_*`, `set_*`, `cell_on/off`,
`timer_*`, `on_finished:`); PalmSens/MethodSCRIPT_Examples (`palmsens/instrument.py`,
`palmsens/mscript.py`, `Example_C/scripts/example_CA.mscr`). Link: USB virtual serial port,
921600 baud, `\\n` lines. Wire format in `drivers._methodscript`.

Interfaces: `labctl.capabilities.ImpedanceAnalyzer` (`measure`, `sweep`) and `SourceMeter`
(`configure`, `set_voltage`, `output`, `read`, `record`), plus `linear_sweep` for the
stability window. The EmStat4 holds a potential only while a script runs and every script
ends with `on_finished: cell_off`, so `output(True)` arms the cell and each `read` /
`record` / `record_log` / `linear_sweep` / `sweep` is one script that switches it on at its
start. A measurement that needs the cell held must be one script: a DC polarization is one
`record_log` (log-spaced `meas_loop_ca` segments), a stability-window direction one
`linear_sweep`; readings from separate `read` scripts come from a cell that was open
circuit in between. Points stream as their packets arrive. A generator that is
closed early, `safe_state()` and `close()` abort with `Z`; the script's `on_finished:` then
switches the cell off. After a run-time error (which skips `on_finished:`) the driver runs a
`cell_off` script before raising.

Limits (EmStat4 specifications): EIS 10 uHz .. 200 kHz, AC amplitude <= 0.9 V rms;
potential +-3 V (LR) / +-6 V (HR); current ranges 1 nA .. 10 mA (LR) / 100 nA .. 100 mA
(HR), indices as in mscript.py. The CA interval (1 ms .. 1e5 s), LSV step (0.1 mV .. 1 V) and
scan rate (10 uV/s .. 10 V/s) bounds are this driver's sanity checks, not documented limits.
A packet flagged OVERLOAD or holding `nan` raises `InstrumentError`. Every DC reading
carries its resolution (`UNDERLOAD_FRACTION` of the current range it was measured on); an
UNDERLOAD reading lies below it, and protocols take it as a bound, not a number.
"""

from __future__ import annotations

import math
from contextlib import closing
from typing import Any, Iterable, Iterator, Mapping

from labctl.drivers import _methodscript as ms
from labctl.capabilities import CurrentReading, ImpedancePoint
from labctl.clock import Clock
from labctl.errors import InstrumentError, Overload, RangeError, ReplyError
from labctl.instrument import Instrument
from labctl.ranges import Ranges, Span
from labctl.sampling import log_schedule
from labctl.setting import Held, Setting, in_range, one_of
from labctl.transport import LinkSettings, Transport

MODELS = {  # potential range (V), current ranges (A) in MethodSCRIPT order
    "LR": (3.0, tuple(10.0 ** e for e in range(-9, -1))),
    "HR": (6.0, tuple(10.0 ** e for e in range(-7, 0))),
}
DEFAULT_MODEL = "HR"


def model_ranges(model: str) -> Ranges:
    """The spans of an EmStat4 LR or HR (potential and current ranges by model)."""
    potential, currents = MODELS[model]
    return Ranges(frequency_Hz=Span(1e-5, 2e5, "Hz"), amplitude_V=Span(0.0, 0.9, "V"),
                  bias_V=Span(-potential, potential, "V", f"EmStat4 {model}"),
                  voltage_V=Span(-potential, potential, "V", f"EmStat4 {model}"),
                  current_A=Span(0.0, currents[-1], "A", f"EmStat4 {model}"))

LINE_FREQUENCY_HZ = 50.0     # nplc -> sampling interval of read()
MARKERS = ("*", "+", "-", "L", "Z")
UNDERLOAD_FRACTION = 1e-3    # of the range: a reading below it is flagged UNDERLOAD (taken
#                              as the resolution; the manual does not give the threshold)


def ca_segments(times_s: list[float], points: int) -> list[tuple[float, float]]:
    """(interval, duration) segments that approximate readings at `times_s` (since the
    start, increasing): the first reading on time, then `points` readings a segment,
    intervals rounded to 1 ms (at least 1 ms), equal consecutive intervals merged."""
    segments: list[tuple[float, float]] = []
    done, elapsed = 0, 0.0
    while done < len(times_s):
        count = 1 if not done else min(points, len(times_s) - done)
        target = times_s[done + count - 1]
        interval = max(1, round((target - elapsed) / count * 1e3)) * 1e-3
        elapsed += count * interval
        done += count
        if segments and math.isclose(segments[-1][0], interval):
            segments[-1] = (interval, segments[-1][1] + count * interval)
        else:
            segments.append((interval, count * interval))
    return segments


def resolution(var: ms.Var) -> float:
    """The smallest current a reading resolves: UNDERLOAD_FRACTION of its current range
    (0 when the packet names no range)."""
    return 0.0 if var.range_index is None else UNDERLOAD_FRACTION * range_of_index(var.range_index)


def range_of_index(index: int) -> float:
    """EmStat4 current range (A) of a metadata range index (3 = 1 nA ... 27 = 100 mA)."""
    return 10.0 ** (index / 3 - 10)


class EmStat4(Instrument):
    """PalmSens EmStat4 over MethodSCRIPT (see the module docstring)."""

    link = LinkSettings(read_termination="\n", write_termination="\n", timeout_s=2.0,
                        baudrate=921600)
    limit_keys = {"voltage_V": "max |cell potential| (V)", "current_A": "max |cell current| (A)",
                  "amplitude_V": "max EIS amplitude (V rms)"}
    models = (r"firmware es4_",)  # EmStat4 firmware: es4_lr.../es4_hr...
    RANGES = model_ranges(DEFAULT_MODEL)

    # held by the driver: each script sends them
    voltage_V = Setting(wire=Held(0.0), unit="V", span="voltage_V", limit="voltage_V",
                        doc="cell potential of the DC scripts")
    output_on = Setting(wire=Held(False), check=lambda on, _name: bool(on),
                        doc="cell armed: the DC scripts switch it on")
    current_limit_A = Setting(wire=Held(None), unit="A", span="current_A", limit="current_A",
                              doc="highest autoranging bound (None: the top range)")
    current_range_A = Setting(wire=Held(None), unit="A", check="_fixed_range",
                              doc="fixed current range (None: autoranging)")
    nplc = Setting(wire=Held(1.0), check=in_range(0.05, 100, "PLC"),
                   doc="sampling interval of read(), in 50 Hz power-line cycles")
    amplitude_V = Setting(wire=Held(None), unit="V", span="amplitude_V", limit="amplitude_V",
                          check="_positive", doc="AC amplitude of the last EIS script, V rms")

    def __init__(self, transport: Transport, *, name: str = "emstat4",
                 limits: Mapping[str, float] | None = None, clock: Clock | None = None,
                 model: str = DEFAULT_MODEL):
        super().__init__(transport, name=name, limits=limits, clock=clock)
        self.model = one_of(*MODELS)(model, f"{name}.model")
        self.current_ranges_A = MODELS[self.model][1]
        self._active: object | None = None   # token of the running script
        self._gap_s = 0.0                     # longest expected wait between its lines

    @classmethod
    def bench_ranges(cls, options: Mapping[str, Any]) -> Ranges:
        model = options.get("model", DEFAULT_MODEL)
        return model_ranges(model) if model in MODELS else cls.RANGES

    @property
    def ranges(self) -> Ranges:
        return model_ranges(self.model)

    @property
    def frequency_range_Hz(self) -> tuple[float, float]:
        return self.ranges.frequency_Hz.low, self.ranges.frequency_Hz.high

    # -- identity and settings ---------------------------------------------------------------
    def identify(self) -> str:
        first, second = self.query("t"), self.transport.read()
        if not first.startswith("t") or not second.endswith("*"):
            raise ReplyError(f"bad firmware reply {first!r} {second!r}", instrument=self.name)
        serial = self.query("i")
        if not serial.startswith("i"):
            raise ReplyError(f"bad serial-number reply {serial!r}", instrument=self.name)
        return f"PalmSens EmStat4 {self.model}, firmware {first[1:]} {second[:-1]}, " \
               f"serial {serial[1:]}".replace("  ", " ")

    # -- checks (before anything is sent) -----------------------------------------------------
    def _potential(self, value: float, what: str) -> float:
        return type(self).voltage_V.validate(self, value, what)

    def _positive(self, value: float, name: str) -> float:
        if value <= 0:
            raise RangeError(f"{name} must be > 0 V")
        return value

    def _fixed_range(self, current_A: float | None, name: str) -> float | None:
        return None if current_A is None else self._range_for(current_A, "current_range_A")

    def _range_for(self, current_A: float, what: str) -> float:
        """The smallest current range holding `current_A`."""
        self.ranges.current_A.check(abs(current_A), f"{self.name}.{what}")
        return next(r for r in self.current_ranges_A if r >= abs(current_A) * (1 - 1e-9))

    # -- ImpedanceAnalyzer ------------------------------------------------------------------------
    def measure(self, frequency_Hz: float, amplitude_V: float,
                bias_V: float = 0.0) -> ImpedancePoint:
        (point,) = self.sweep([frequency_Hz], amplitude_V, bias_V)
        return point

    def sweep(self, frequencies_Hz: Iterable[float], amplitude_V: float,
              bias_V: float = 0.0) -> Iterator[ImpedancePoint]:
        """All points are checked before the script is sent; then one script measures them."""
        freqs = [self.ranges.frequency_Hz.check(f, f"{self.name}.frequency")
                 for f in frequencies_Hz]
        amp = type(self).amplitude_V.validate(self, amplitude_V)
        bias = self._potential(bias_V, "bias_V")
        self.amplitude_V = amp
        if not freqs:
            return iter(())
        return self._points(ms.eis_script(freqs, amp, bias, self.current_ranges_A),
                            3.0 / min(freqs) + 1.0, amp, bias, len(freqs))

    def _points(self, script: list[str], gap_s: float, amp: float, bias: float,
                count: int) -> Iterator[ImpedancePoint]:
        with closing(self.execute(script, gap_s, packets=count)) as packets:
            for p in packets:
                z = complex(self._value(p, ms.Z_REAL), self._value(p, ms.Z_IMAG))
                yield ImpedancePoint(self.clock.now(), self._value(p, ms.FREQUENCY), z, amp, bias)

    # -- SourceMeter ------------------------------------------------------------------------------
    def configure(self, current_limit_A: float, nplc: float = 1.0,
                  current_range_A: float | None = None) -> None:
        """Autoranging up to the range holding `current_limit_A` (or a fixed range);
        `nplc` sets the sampling interval of `read` (nplc / 50 Hz). All three are checked
        before any is held."""
        cls = type(self)
        for setting, value in ((cls.current_limit_A, current_limit_A), (cls.nplc, nplc),
                               (cls.current_range_A, current_range_A)):
            setting.validate(self, value)
        self.current_limit_A, self.nplc = current_limit_A, nplc
        self.current_range_A = current_range_A

    def set_voltage(self, voltage_V: float) -> None:
        self.voltage_V = voltage_V

    def output(self, on: bool) -> None:
        self.output_on = on
        if not on and self._active is not None:
            self.abort()

    def read(self) -> CurrentReading:
        interval = self.nplc / LINE_FREQUENCY_HZ
        (reading,) = self.record(interval, interval)
        return reading

    def record(self, duration_s: float, interval_s: float) -> Iterator[CurrentReading]:
        """Chronoamperometry at the programmed voltage (`meas_loop_ca`), one reading per
        interval, time-stamped with the instrument's timer from the script's start."""
        if not self.output_on:
            raise InstrumentError("output is off; call output(True) first", instrument=self.name)
        interval = in_range(1e-3, 1e5, "s")(interval_s, f"{self.name}.interval")
        duration = in_range(interval, 1e7, "s")(duration_s, f"{self.name}.duration")
        return self._readings(ms.ca_script(self.voltage_V, [(interval, duration)],
                                           self._ranges()), interval)

    def record_log(self, first_interval_s: float, max_interval_s: float,
                   points_per_decade: int, duration_s: float) -> Iterator[CurrentReading]:
        """The log schedule as ONE chronoamperometry script (the cell holds the voltage
        from the first reading to the last): `meas_loop_ca` segments of constant interval,
        each covering SEGMENT_POINTS readings of the schedule, on its times at the
        segments' ends and evenly spaced in between (intervals in whole milliseconds)."""
        if not self.output_on:
            raise InstrumentError("output is off; call output(True) first", instrument=self.name)
        times = log_schedule(first_interval_s, max_interval_s, points_per_decade, duration_s)
        segments = ca_segments(times, max(1, points_per_decade // 4))
        if not segments:
            return iter(())
        return self._readings(ms.ca_script(self.voltage_V, segments, self._ranges()),
                              max(i for i, _ in segments))

    def linear_sweep(self, start_V: float, stop_V: float, step_V: float,
                     scan_rate_V_per_s: float) -> Iterator[CurrentReading]:
        """Linear sweep voltammetry (`meas_loop_lsv`) from `start_V` to `stop_V`; stop
        iterating to end it early (the cell is switched off)."""
        start, stop = self._potential(start_V, "start_V"), self._potential(stop_V, "stop_V")
        step = in_range(1e-4, 1.0, "V")(step_V, f"{self.name}.step")
        rate = in_range(1e-5, 10.0, "V/s")(scan_rate_V_per_s, f"{self.name}.scan_rate")
        return self._readings(ms.lsv_script(start, stop, step, rate, self._ranges()),
                              step / rate)

    def _ranges(self) -> tuple[float, float, float]:
        """Start range and autoranging bounds for the DC scripts."""
        if self.current_range_A is not None:
            return (self.current_range_A,) * 3
        limit = self.current_limit_A
        top = self.current_ranges_A[-1] if limit is None else self._range_for(limit, "")
        return top, self.current_ranges_A[0], top

    def _readings(self, script: list[str], gap_s: float) -> Iterator[CurrentReading]:
        start = self.clock.now()
        with closing(self.execute(script, gap_s)) as packets:
            for p in packets:
                current = self._find(p, ms.WE_CURRENT)
                if abs(current.value) > self.limits.get("current_A", math.inf):  # also if overloaded
                    self.abort()
                    self.limits.check_max("current_A", current.value, "cell current", "A")
                yield CurrentReading(start + self._value(p, ms.TIME),
                                     self._value(p, ms.APPLIED_POTENTIAL), self._checked(current),
                                     resolution(current))

    def _value(self, packet: list[ms.Var], kind: str) -> float:
        return self._checked(self._find(packet, kind))

    def _find(self, packet: list[ms.Var], kind: str) -> ms.Var:
        var = next((v for v in packet if v.type == kind), None)
        if var is None:
            raise ReplyError(f"packet lacks a {kind!r} value: {packet}", instrument=self.name)
        return var

    def _checked(self, var: ms.Var) -> float:
        """The value; InstrumentError if it is flagged OVERLOAD or is nan."""
        kind = var.type
        if var.status & ms.OVERLOAD:
            rng = "" if var.range_index is None else f" in the {range_of_index(var.range_index):g} A range"
            raise Overload(f"current overload{rng} ({kind} = {var.value:g})",
                           instrument=self.name)
        if math.isnan(var.value):
            raise InstrumentError(f"the instrument returned no value (nan) for {kind!r}",
                                  instrument=self.name)
        return var.value

    # -- scripts ---------------------------------------------------------------------------------
    def execute(self, script: list[str], gap_s: float = 0.0,
                packets: int | None = None) -> Iterator[list[ms.Var]]:
        """Run a MethodSCRIPT (lines without the `e` and the closing blank line) and yield
        its data packets as they arrive; `gap_s` is the longest expected wait between two
        output lines. Closing the iterator early aborts the script. With `packets`, a
        script that ends with another number of packets (a line lost on the link) is a
        ReplyError."""
        if self._active is not None:
            self.abort()
        token = self._active = object()
        self._gap_s = gap_s
        self.write("e\n" + "\n".join(script) + "\n")
        received = 0
        try:
            if (line := self._line(gap_s)) != "e":
                self._fail(line, script)
            while (line := self._line(gap_s)) != "":
                if line.startswith("P"):
                    received += 1
                    yield ms.decode_packet(line)
                    if self._active is not token:   # aborted while the caller held the point
                        return
                elif not (line.startswith("M") or line in MARKERS):
                    self._fail(line, script)
            self._active = None
            if packets is not None and received != packets:
                raise ReplyError(f"the script ended after {received} of {packets} data "
                                 "packets (lines lost on the link?)", instrument=self.name)
        finally:
            if self._active is token:
                self.abort()

    def _fail(self, line: str, script: list[str]) -> None:
        """Raise the instrument's error (switching the cell off first), or a ReplyError."""
        error = ms.error_code(line)
        if error is None:
            raise ReplyError(f"unexpected reply {line!r}", instrument=self.name)
        self._active = None
        self.clock.sleep(0.1)            # the instrument ignores commands shortly after an error
        if not line.startswith("e"):     # a run-time error skips on_finished: cell still on
            self._cell_off()
        raise InstrumentError(ms.describe_error(*error, script), instrument=self.name,
                              code=error[0])

    def _cell_off(self) -> None:
        """Run a `cell_off` script and confirm it ran: `e`, then the end of the script
        (a blank line); an error reply is an `InstrumentError`, never dropped."""
        self.write("e\ncell_off\n")
        line = self._line(0.0)
        if line == "e":
            line = self._line(0.0)
        if line != "":
            error = ms.error_code(line)
            raise InstrumentError(f"cell_off script not confirmed: {line!r}"
                                  + (f" ({ms.describe_error(*error)})" if error else ""),
                                  instrument=self.name, code=error and error[0])

    def _line(self, gap_s: float) -> str:
        """The next line, waiting up to twice `gap_s` plus the link timeout (long points)."""
        return self.transport.read(timeout_s=2 * gap_s + self.transport.settings.timeout_s)

    def abort(self) -> None:
        """`Z`: stop a running script (its `on_finished:` switches the cell off) and read
        its output to the end; a no-op on the instrument if nothing runs."""
        self._active = None
        self.write("Z")
        while not (line := self._line(self._gap_s)).startswith("Z"):
            pass
        if line != "Z":                  # Z!0006: nothing was running
            self.clock.sleep(0.1)
            return
        while (line := self._line(self._gap_s)) != "":
            if ms.error_code(line):
                self._cell_off()
                return

    def safe_state(self) -> None:
        """Abort any script (its `on_finished:` switches the cell off), then run a
        `cell_off` script whose acknowledgement confirms the cell is off."""
        self.output_on = False
        self.abort()
        self._cell_off()

    def close(self) -> None:
        try:
            if self._active is not None:
                self.abort()
        finally:
            super().close()
