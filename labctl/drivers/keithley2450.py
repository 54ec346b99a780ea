"""Keithley 2450 Interactive SourceMeter: voltage source, current measure (`SourceMeter`).

Manual: Keithley 2450 Reference Manual 2450-901-01 (Rev. B), section 6 "SCPI command
reference"; the instrument must run its native command set (`*LANG?` -> `SCPI`, not `TSP`
or `SCPI2400`). Interfaces: LAN raw socket (`TCPIP::<ip>::5025::SOCKET`), USB-TMC or GPIB,
through VISA; `\\n` terminators.

- `configure` sets voltage source, current measure, compliance (`:SOUR:VOLT:ILIM`), NPLC,
  range or autorange and 2/4-wire sense, then drains the error queue (`:SYST:ERR?`).
- `read` is one `:READ? "defbuffer1", READ, SOUR` (current and source read-back) with the
  compliance flag `:SOUR:VOLT:ILIM:TRIP?` on the same line; its time is the middle of the
  aperture on the bench clock.
- `record` runs the instrument's "SimpleLoop" trigger model into defbuffer1 (delay before
  each measurement = interval - aperture) and fetches new readings with
  `:TRAC:DATA? ..., READ, SOUR, REL` as they arrive. The instrument's relative timestamps
  (REL, seconds since the first reading) are mapped onto the clock: the first reading
  starts one delay after `:INIT`, each reading's time is its start + REL + aperture/2.
  So host latency never distorts I(t).
- `:TRIG:LOAD "SimpleLoop", <count>, <delay>, <buffer>` is the form of the later reference
  manuals (and of the 2460/2461 manuals, 2015); the Rev. B manual (2013, firmware 1.0.x)
  documents only `:TRIG:LOAD:LOOP:SIMP`. Which release brought the quoted form is not
  confirmed: a firmware that rejects it fails with an `InstrumentError` naming the firmware
  (from `*IDN?`) and asking for an upgrade, before anything is measured.
- Compliance: a tripped limit (the current was clamped to ILIM) raises a
  `ComplianceWarning`, not an error: a capacitive spike at a voltage step may touch the
  limit harmlessly; promote it with `warnings.simplefilter("error", ComplianceWarning)`.
- Safety, before anything is sent: the 2450's envelope (|V| <= 210 V, |I| <= 1.05 A, and
  above 21 V at most 105 mA) as `RangeError`; the bench limits `voltage_V` and `current_A`
  (the compliance may not exceed it) as `SafetyLimitError`.
"""

from __future__ import annotations

import math
import warnings
from typing import Iterable, Iterator

from labctl.capabilities import CurrentReading
from labctl.sampling import log_schedule, staircase
from labctl.errors import CommunicationError, InstrumentError, RangeError, ReplyError
from labctl.instrument import Instrument, raise_scpi_errors
from labctl.setting import Setting, in_range, parse_bool, parse_float, parse_word
from labctl.ranges import Ranges, Span
from labctl.transport import LinkSettings

MAX_VOLTAGE_V, MAX_CURRENT_A = 210.0, 1.05
LOW_RANGE_V, HIGH_RANGE_MAX_CURRENT_A = 21.0, 0.105
RANGES = Ranges(voltage_V=Span(-MAX_VOLTAGE_V, MAX_VOLTAGE_V, "V", "at most 105 mA above 21 V"),
                current_A=Span(1e-9, MAX_CURRENT_A, "A"))
OVERFLOW = 9.9e37               # the 2450's reading for "above the measure range"
DEFAULT_POINTS = 100_000        # capacity of defbuffer1 after *RST
MIN_POLL_S = 0.05               # record(): shortest pause between buffer polls
BUFFER = '"defbuffer1"'
UNDEFINED_HEADER = -113


class ComplianceWarning(UserWarning):
    """The source hit its current limit; the reading is the limit, not the sample's current."""


def parse_rows(reply: str, width: int) -> list[list[float]]:
    """Comma-separated numbers in rows of `width` (a buffer's elements per reading)."""
    fields = reply.strip().split(",")
    if len(fields) % width:
        raise ReplyError(f"expected rows of {width} comma-separated numbers, got {reply!r}")
    values = [parse_float(f) for f in fields]
    return [values[i:i + width] for i in range(0, len(values), width)]


class Keithley2450(Instrument):
    """Keithley 2450 SMU as a `SourceMeter` (voltage source, current measure)."""

    link = LinkSettings(read_termination="\n", write_termination="\n", timeout_s=5.0)
    models = (r",MODEL 2450,",)
    limit_keys = {"voltage_V": "max |source voltage|",
                  "current_A": "max current limit (compliance)"}
    interlocks = {"compliance": {"max_s": 60.0, "action": "abort"}}   # labctl.interlocks
    RANGES = RANGES

    language = Setting("*LANG?", parse=parse_word, doc="command set: SCPI, TSP or SCPI2400")
    line_frequency_Hz = Setting(":SYST:LFR?", unit="Hz", doc="power line frequency (sets 1 PLC)")
    voltage_V = Setting(":SOUR:VOLT?", ":SOUR:VOLT {:.7g}", unit="V", span="voltage_V",
                        limit="voltage_V", check="_fits_high_range_at",
                        doc="programmed source voltage")
    current_limit_A = Setting(":SOUR:VOLT:ILIM?", ":SOUR:VOLT:ILIM {:g}", unit="A",
                              span="current_A", limit="current_A", check="_fits_high_range_with",
                              doc="compliance (current limit)")
    compliance_tripped = Setting(":SOUR:VOLT:ILIM:TRIP?", parse=parse_bool, snapshot=False)
    nplc = Setting(":SENS:CURR:NPLC?", ":SENS:CURR:NPLC {:g}", check=in_range(0.01, 10, "PLC"),
                   doc="integration time in power-line cycles (set by `configure`, which "
                   "the timestamps rely on)")
    current_range_A = Setting(":SENS:CURR:RANG?", ":SENS:CURR:RANG {:g}", unit="A",
                              check=in_range(1e-8, MAX_CURRENT_A, "A"))
    autorange = Setting(":SENS:CURR:RANG:AUTO?", ":SENS:CURR:RANG:AUTO {:d}",
                        parse=parse_bool, format=int)
    four_wire_sense = Setting(":SENS:CURR:RSEN?", ":SENS:CURR:RSEN {:d}",
                              parse=parse_bool, format=int)
    output_on = Setting(":OUTP?", ":OUTP {:d}", parse=parse_bool, format=int)

    def __init__(self, transport, *, name: str = "smu", limits=None, clock=None,
                 four_wire: bool = False):
        super().__init__(transport, name=name, limits=limits, clock=clock)
        self.four_wire = bool(four_wire)
        self._line_frequency_Hz: float | None = None

    # -- errors and identity ------------------------------------------------------------
    def check_errors(self) -> None:
        """Drain `:SYST:ERR?`; raise the first error with the instrument's text and code."""
        raise_scpi_errors(self)

    def identify(self) -> str:
        idn = super().identify()
        if len(idn.split(",")) != 4:
            raise ReplyError(f"unexpected *IDN? reply {idn!r}", instrument=self.name)
        return idn

    # -- SourceMeter ----------------------------------------------------------------------
    def configure(self, current_limit_A: float, nplc: float = 1.0,
                  current_range_A: float | None = None) -> None:
        """Voltage source, current measure, compliance, NPLC, range (None = autorange);
        every value is checked before anything is sent."""
        cls = type(self)
        cls.current_limit_A.validate(self, current_limit_A)
        cls.nplc.validate(self, nplc)
        if current_range_A is not None:
            cls.current_range_A.validate(self, current_range_A)
        language = self.language
        if language != "SCPI":
            raise InstrumentError(f"command set is {language}, not SCPI: select SCPI "
                                  "(MENU > System > Settings) and reboot", instrument=self.name)
        for command in ("*CLS", ":SOUR:FUNC VOLT", ":SOUR:VOLT:RANG:AUTO ON"):
            self.write(command)
        self.current_limit_A = current_limit_A
        for command in (":SOUR:VOLT:READ:BACK ON", ':SENS:FUNC "CURR"'):
            self.write(command)
        self.nplc = nplc
        if current_range_A is None:
            self.autorange = True
        else:
            self.current_range_A = current_range_A
        self.four_wire_sense = self.four_wire
        self.check_errors()

    def set_voltage(self, voltage_V: float) -> None:
        """Program the source voltage (checked against envelope and bench limit first)."""
        self.voltage_V = voltage_V
        self.check_errors()

    def output(self, on: bool) -> None:
        self.output_on = bool(on)
        self.check_errors()

    def read(self) -> CurrentReading:
        """One reading; its time is the middle of the aperture on the bench clock."""
        reading, _, trip = self.query(f":READ? {BUFFER}, READ, SOUR;"
                                      ":SOUR:VOLT:ILIM:TRIP?").rpartition(";")
        rows = parse_rows(reading, 2)
        if len(rows) != 1:
            raise ReplyError(f"expected one reading, got {reading!r}", instrument=self.name)
        current, voltage = rows[0]
        self._warn_if_tripped(parse_bool(trip))
        return CurrentReading(self.clock.now() - self._aperture_s() / 2, voltage,
                              self._checked(current))

    def record_log(self, first_interval_s: float, max_interval_s: float,
                   points_per_decade: int, duration_s: float) -> Iterator[CurrentReading]:
        """One reading (`read`) at each time of the log schedule since the call; the
        output holds its voltage in between."""
        start = self.clock.now()
        times = log_schedule(first_interval_s, max_interval_s, points_per_decade, duration_s)
        return self._on_schedule(start + t for t in times)

    def linear_sweep(self, start_V: float, stop_V: float, step_V: float,
                     scan_rate_V_per_s: float) -> Iterator[CurrentReading]:
        """A staircase: each voltage held for step / scan rate, then read (`read`). Every
        voltage is checked before the first is set."""
        if not (step_V > 0 and scan_rate_V_per_s > 0):
            raise RangeError(f"{self.name}: sweep step and scan rate must be > 0, got "
                             f"{step_V:g} V, {scan_rate_V_per_s:g} V/s")
        voltages = staircase(start_V, stop_V, step_V)
        for v in (voltages[0], voltages[-1]):
            type(self).voltage_V.validate(self, v)
        return self._staircase(voltages, step_V / scan_rate_V_per_s)

    def _staircase(self, voltages: list[float], dwell_s: float) -> Iterator[CurrentReading]:
        for v in voltages:
            self.set_voltage(v)
            self.clock.sleep(dwell_s)
            yield self.read()

    def _on_schedule(self, times: Iterable[float]) -> Iterator[CurrentReading]:
        for t in times:
            self.clock.sleep(max(0.0, t - self.clock.now()))
            yield self.read()

    def record(self, duration_s: float, interval_s: float) -> Iterator[CurrentReading]:
        """Readings every `interval_s` for `duration_s` by the instrument's SimpleLoop."""
        aperture = self._aperture_s()
        if not (interval_s >= aperture and duration_s > 0):
            raise RangeError(f"{self.name}: need duration > 0 and an interval of at least "
                             f"the aperture {aperture:g} s (NPLC / line frequency), got "
                             f"{duration_s:g} s every {interval_s:g} s")
        count = max(1, int(duration_s / interval_s + 1e-9))
        delay = interval_s - aperture
        self.write(f":TRAC:CLE {BUFFER}")
        if count > DEFAULT_POINTS:
            self.write(f":TRAC:POIN {count}, {BUFFER}")
        self.write(f':TRIG:LOAD "SimpleLoop", {count}, {delay:.6g}, {BUFFER}')
        self._check_trigger_model_loaded()
        self.write(":INIT")
        first_start = self.clock.now() + delay
        self.check_errors()          # also waits until the instrument has started
        done = 0
        try:
            while done < count:
                self.clock.sleep(max(MIN_POLL_S, first_start + done * interval_s + aperture
                                     - self.clock.now()))
                done_before = done
                for reading in self._fetch_new(done, first_start + aperture / 2):
                    done += 1
                    yield reading
                if done == done_before:
                    self._check_running(done, count)
        finally:
            if done < count:
                self._abort_quietly()

    def safe_state(self) -> None:
        """Stop the trigger model, output off, source 0 V; verify the output is off."""
        for command in (":ABOR", ":OUTP OFF"):
            self.write(command)
        self.voltage_V = 0.0
        if self.output_on:
            raise InstrumentError("output still on after :OUTP OFF", instrument=self.name)

    # -- helpers --------------------------------------------------------------------------
    def _fits_high_range_at(self, voltage_V: float, name: str) -> float:
        """Check of `voltage_V`: above 21 V the current limit set (or read) must fit."""
        if abs(voltage_V) > LOW_RANGE_V:
            limit = self.sent.get("current_limit_A")
            self._check_high_range(voltage_V, self.current_limit_A if limit is None else limit)
        return voltage_V

    def _fits_high_range_with(self, current_limit_A: float, name: str) -> float:
        """Check of `current_limit_A` at the voltage set."""
        self._check_high_range(self.sent.get("voltage_V", 0.0), current_limit_A)
        return current_limit_A

    def _check_high_range(self, voltage_V: float, current_limit_A: float) -> None:
        if abs(voltage_V) > LOW_RANGE_V and current_limit_A > HIGH_RANGE_MAX_CURRENT_A:
            raise RangeError(f"{self.name}: above {LOW_RANGE_V:g} V (210 V range) the current "
                             f"limit is at most {HIGH_RANGE_MAX_CURRENT_A:g} A, not "
                             f"{current_limit_A:g} A")

    def _aperture_s(self) -> float:
        if self._line_frequency_Hz is None:
            self._line_frequency_Hz = self.line_frequency_Hz
        if "nplc" not in self.sent:      # not configured by this driver: read it once
            self.sent["nplc"] = self.nplc
        return self.sent["nplc"] / self._line_frequency_Hz

    def _checked(self, current_A: float) -> float:
        if abs(current_A) >= OVERFLOW:
            raise InstrumentError("current above the fixed measure range (overflow); use "
                                  "autorange or a larger range", instrument=self.name)
        return current_A

    def _warn_if_tripped(self, tripped: bool) -> None:
        if tripped:
            warnings.warn(f"{self.name}: current limit reached; readings are clamped",
                          ComplianceWarning, stacklevel=3)

    def _fetch_new(self, done: int, t0: float) -> list[CurrentReading]:
        """Readings done+1.. from defbuffer1, timed t0 + REL on the clock."""
        available, _, trip = self.query(f":TRAC:ACT? {BUFFER};:SOUR:VOLT:ILIM:TRIP?") \
            .rpartition(";")
        count = parse_float(available)
        if not (math.isfinite(count) and count >= 0):
            raise ReplyError(f"unexpected :TRAC:ACT? reply {available!r}", instrument=self.name)
        available = int(count)
        self._warn_if_tripped(parse_bool(trip))
        if available <= done:
            return []
        rows = parse_rows(self.query(
            f":TRAC:DATA? {done + 1}, {available}, {BUFFER}, READ, SOUR, REL"), 3)
        if len(rows) != available - done:
            raise ReplyError(f"asked for {available - done} readings, got {len(rows)}",
                             instrument=self.name)
        return [CurrentReading(t0 + rel, volts, self._checked(amps)) for amps, volts, rel in rows]

    def _check_trigger_model_loaded(self) -> None:
        try:
            self.check_errors()
        except InstrumentError as exc:
            if exc.code != UNDEFINED_HEADER:
                raise
            firmware = self.identify().split(",")[-1].strip()
            raise InstrumentError(
                f'firmware {firmware} rejects :TRIG:LOAD "SimpleLoop" ({exc}); it needs a '
                f"firmware newer than 1.0.x (Rev. B manual): upgrade the instrument",
                instrument=self.name, code=exc.code) from exc

    def _check_running(self, done: int, count: int) -> None:
        state = self.query(":TRIG:STAT?").split(";")[0].strip()
        if state not in ("RUNNING", "WAITING", "BUILDING"):
            self.check_errors()
            raise InstrumentError(f"trigger model stopped ({state}) after {done} of "
                                  f"{count} readings", instrument=self.name)

    def _abort_quietly(self) -> None:
        """Stop the trigger model when a record ends early; a dead link is reported by
        the exception already on its way, so a failure here adds nothing."""
        try:
            self.write(":ABOR")
        except CommunicationError:
            pass
