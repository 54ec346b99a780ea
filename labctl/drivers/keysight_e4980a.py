"""Keysight (Agilent) E4980A precision LCR meter, 20 Hz - 2 MHz.

Manual: Keysight E4980A/AL Precision LCR Meter User's Guide (ch. "SCPI Command Reference";
data format of `:FETCh?` in "Data Transfer"). Interface: SCPI over GPIB, USB-TMC or LAN
(any VISA resource; `TCPIP::host::5025::SOCKET` for the raw LAN socket), `\\n` terminated.

Per point: `:FREQ:CW`, `:VOLT:LEV` (V rms), `:BIAS:VOLT:LEV` + `:BIAS:STAT`, then
`:TRIG:IMM` (trigger source BUS, `:INIT:CONT ON`) and `:FETC?`, whose reply is
`<A>,<B>,<status>` with A, B in the fixed-width form `+1.23450E+03` and the status
0 (ok), -1 (no data), +1 (overload: A = B = 9.9E37), +3 (signal source overloaded),
+4 (ALC unable to regulate). A and B follow `:FUNC:IMP:TYPE`: ZTD (|Z|, deg), ZTR (|Z|, rad)
or RX (R, X) are converted to complex Z. The speed is `:APER SHORT|MED|LONG,<averages>`;
the driver waits the typical measurement time on its clock before fetching. Settings errors
are read from `:SYST:ERR?` before every trigger.

Levels depend on option 001 (power and DC bias enhancement), read with `*OPT?` (a comma
list of installed option numbers) when the driver opens: a standard unit takes an AC level
of 0 - 2 V rms and a DC bias of only 0, 1.5 or 2 V; with option 001, 0 - 20 V rms and
-40 .. +40 V (E4980A data sheet, "DC bias"; QCoDeS `keysight_e4980a.py` `_options`). A bias
the unit cannot apply is a `RangeError` naming what it can; the bias is read back before
every trigger, so a unit that applied another value is an `InstrumentError`, never a point
at the wrong bias. Statuses +3 (signal source overloaded) and +4 (ALC unable to regulate)
come with numbers, but measured at a test signal other than the one requested: they raise
`InstrumentError` like an overload (User's Guide, `:FETCh?` status table).

Its own fixture correction (User's Guide, CORRection subsystem): `:CORR:OPEN` / `:CORR:SHOR`
measure the open or shorted fixture on the terminals, `*OPC?` answers once done (the
driver first waits `CORRECTION_S` on its clock: an estimate, not a manual figure), and
`:CORR:OPEN:STAT` / `:CORR:SHOR:STAT` (0|1) switch each correction on; `correct(kind)` does
both and reads the state back (labctl.compensation's `CorrectingAnalyzer`).
"""

from __future__ import annotations

import math
import re
from typing import Any

from labctl.drivers._impedance import ImpedanceAnalyzerDriver, polar_deg
from labctl.capabilities import ImpedancePoint
from labctl.errors import InstrumentError, Overload, RangeError, ReplyError
from labctl.instrument import raise_scpi_errors
from labctl.setting import Held, Setting, in_range, one_of, parse_bool, parse_word
from labctl.ranges import Ranges, Span
from labctl.transport import LinkSettings, Transport

OPTION_001 = "001"                     # power and DC bias enhancement
STANDARD_BIAS_V = (0.0, 1.5, 2.0)      # DC bias settings of a unit without option 001
# with option 001; what a bench is validated against (the options are read when it opens)
RANGES = Ranges(frequency_Hz=Span(20.0, 2e6, "Hz"),
                amplitude_V=Span(0.0, 20.0, "V", "option 001; 2 V rms without"),
                bias_V=Span(-40.0, 40.0, "V", "option 001; only 0, 1.5 or 2 V without"))
STANDARD = Ranges(frequency_Hz=RANGES.frequency_Hz,
                  amplitude_V=Span(0.0, 2.0, "V", "a unit without option 001"),
                  bias_V=Span(0.0, 2.0, "V",
                              "a unit without option 001 applies only 0, 1.5 or 2 V"))
_NUMBER = r"[+-]\d\.\d{5}(?:\d{4})?E[+-]\d\d"
FETCH = re.compile(rf"({_NUMBER}),({_NUMBER}),([+-]\d)")      # the whole reply
SOURCE_OVERLOADED = 3    # the signal source: a smaller amplitude may fit
STATUS = {-1: "no data", 1: "overload (|Z| outside the measurement range)",
          3: "signal source overloaded", 4: "ALC unable to regulate the test signal level"}
TO_Z = {"ZTD": polar_deg, "ZTR": lambda m, rad: polar_deg(m, math.degrees(rad)),
        "RX": complex}
# typical time of one measurement: (seconds, signal periods), whichever is longer
APERTURE = {"SHOR": (0.005, 1), "MED": (0.09, 2), "LONG": (0.24, 5)}
CORRECTION = {"open": "OPEN", "short": "SHOR"}      # compensation kind -> SCPI node
CORRECTION_S = 20.0                                 # typical time of one correction (estimate)


def parse_fetch(reply: str) -> tuple[float, float, int]:
    """(A, B, status) of a `:FETC?` reply; anything else, even a near miss, is a
    `ReplyError`."""
    match = FETCH.fullmatch(reply.strip())
    if not match:
        raise ReplyError(f":FETC? reply not <A>,<B>,<status>: {reply!r}")
    return float(match[1]), float(match[2]), int(match[3])


def parse_aperture(reply: str) -> tuple[str, int]:
    match = re.fullmatch(r"(SHOR|MED|LONG),\s*(\d+)", reply.strip().upper())
    if not match:
        raise ReplyError(f"expected <SHOR|MED|LONG>,<averages>, got {reply!r}")
    return match[1], int(match[2])


class KeysightE4980A(ImpedanceAnalyzerDriver):
    """E4980A: one bus-triggered measurement per point, A/B converted to complex Z."""

    link = LinkSettings(read_termination="\n", write_termination="\n", timeout_s=5.0)
    models = (r",E4980AL?,",)
    RANGES = RANGES

    frequency_Hz = Setting(":FREQ:CW?", ":FREQ:CW {:.10g}", unit="Hz", span="frequency_Hz")
    amplitude_V = Setting(":VOLT:LEV?", ":VOLT:LEV {:.6g}", unit="V", span="amplitude_V",
                          limit="amplitude_V", doc="test signal level, V rms")
    bias_V = Setting(":BIAS:VOLT:LEV?", ":BIAS:VOLT:LEV {:.6g}", unit="V", span="bias_V",
                     check="check_bias", limit="bias_V", doc="DC bias, V")
    bias_on = Setting(":BIAS:STAT?", ":BIAS:STAT {:d}", parse=parse_bool)
    function = Setting(":FUNC:IMP:TYPE?", ":FUNC:IMP:TYPE {}", parse=parse_word,
                       check=one_of(*TO_Z))
    trigger_source = Setting(":TRIG:SOUR?", ":TRIG:SOUR {}", parse=parse_word,
                             check=one_of("INT", "HOLD", "BUS", "EXT"))
    aperture = Setting(":APER?", ":APER {0[0]},{0[1]:d}", parse=parse_aperture,
                       doc="(SHOR|MED|LONG, averages 1..256)")
    installed_options = Setting(wire=Held(()), doc="option numbers from *OPT? (at open)")
    open_correction = Setting(":CORR:OPEN:STAT?", ":CORR:OPEN:STAT {:d}", parse=parse_bool)
    short_correction = Setting(":CORR:SHOR:STAT?", ":CORR:SHOR:STAT {:d}", parse=parse_bool)

    def __init__(self, transport: Transport, *, name: str = "keysight_e4980a",
                 limits: Any = None, clock: Any = None, function: str = "ZTD",
                 aperture: str = "MED", averages: int = 1):
        super().__init__(transport, name=name, limits=limits, clock=clock)
        # as configured; `function` and `aperture` are what the instrument says
        self._function = one_of(*TO_Z)(function, f"{name}.function")
        self._aperture = (one_of(*APERTURE)(aperture, f"{name}.aperture"),
                          int(in_range(1, 256)(averages, f"{name}.averages")))
        self._ready = False

    @classmethod
    def open(cls, resource: Any, **kwargs: Any) -> "KeysightE4980A":
        """Connect and read the installed options (`*OPT?`), which set the level ranges."""
        driver = super().open(resource, **kwargs)
        reply = driver.query("*OPT?").strip()
        if not re.fullmatch(r"[\w.-]+(,[\w.-]*)*", reply):
            raise ReplyError(f"{driver.name}: *OPT? reply {reply!r}")
        driver.installed_options = tuple(o for o in reply.split(",") if o not in ("", "0"))
        return driver

    @property
    def option_001(self) -> bool:
        return OPTION_001 in self.installed_options

    @property
    def ranges(self) -> Ranges:
        return RANGES if self.option_001 else STANDARD

    def check_bias(self, value: float, name: str) -> float:
        """A unit without option 001 applies only the settings STANDARD_BIAS_V."""
        if not self.option_001 and float(value) not in STANDARD_BIAS_V:
            raise RangeError(f"{name} = {float(value):g} V: a unit without option 001 "
                             f"applies only 0, 1.5 or 2 V")
        return float(value)

    def setup(self) -> None:
        """Reset, ASCII data, measurement function, speed, bus trigger, continuous init."""
        self.write("*RST;*CLS")
        self.write(":FORM ASC")
        self.function = self._function
        self.aperture = self._aperture
        self.trigger_source = "BUS"
        self.write(":INIT:CONT ON")
        self.check_errors()
        self._ready = True

    def check_errors(self) -> None:
        """Drain `:SYST:ERR?`; raise the first error as `InstrumentError`."""
        raise_scpi_errors(self)

    def measurement_time_s(self, frequency_Hz: float) -> float:
        """Typical duration of one triggered measurement (aperture x averages)."""
        seconds, periods = APERTURE[self._aperture[0]]
        return self._aperture[1] * max(seconds, periods / frequency_Hz)

    def measure(self, frequency_Hz: float, amplitude_V: float,
                bias_V: float = 0.0) -> ImpedancePoint:
        f, amplitude, bias = self.check_point(frequency_Hz, amplitude_V, bias_V)
        if not self._ready:
            self.setup()
        self.frequency_Hz, self.amplitude_V, self.bias_V = f, amplitude, bias
        self.bias_on = bias != 0.0
        self.check_errors()
        applied = self.bias_V
        if abs(applied - bias) > 1e-6 * max(1.0, abs(bias)):
            raise InstrumentError(f"DC bias reads back as {applied:g} V, not {bias:g} V",
                                  instrument=self.name)
        self.write(":TRIG:IMM")
        self.clock.sleep(self.measurement_time_s(f))
        return ImpedancePoint(self.clock.now(), f, self.fetch(), amplitude, bias)

    def fetch(self) -> complex:
        """Z of the last measurement (`:FETC?`); a status other than 0 is an error."""
        try:
            a, b, status = parse_fetch(self.query(":FETC?"))
        except ReplyError as exc:
            raise ReplyError(f"{self.name}: {exc}") from None
        if status:
            error = Overload if status == SOURCE_OVERLOADED else InstrumentError
            raise error(STATUS.get(status, f"status {status}"), instrument=self.name, code=status)
        return TO_Z[self._function](a, b)

    def correct(self, kind: str) -> None:
        """Measure the fixture on the terminals as the `kind` ('open', 'short') correction
        and switch that correction on, confirmed by reading it back."""
        node = one_of(*CORRECTION)(kind, f"{self.name}.correction")
        if not self._ready:
            self.setup()
        self.write(f":CORR:{CORRECTION[node]}")
        self.clock.sleep(CORRECTION_S)
        self.query("*OPC?")
        setattr(self, f"{node}_correction", True)
        self.check_errors()
        if not self.corrections()[node]:
            raise InstrumentError(f"{kind} correction still off after switching it on",
                                  instrument=self.name)

    def corrections(self) -> dict[str, bool]:
        """Which of the open and short corrections are on (read back)."""
        return {kind: getattr(self, f"{kind}_correction") for kind in CORRECTION}

    def set_corrections(self, on: bool) -> None:
        """Open and short correction both on or off."""
        self.open_correction = self.short_correction = bool(on)
        self.check_errors()

    def safe_state(self) -> None:
        """Test signal to 0 V, DC bias 0 V and off; confirmed by reading them back."""
        self.amplitude_V = 0.0
        self.bias_V = 0.0
        self.bias_on = False
        if self.bias_on or self.amplitude_V != 0.0:
            raise InstrumentError("test signal or DC bias still on after safe state",
                                  instrument=self.name)
