"""Solartron (Schlumberger) 1260 impedance / gain-phase analyzer, 10 uHz - 32 MHz.

Manual: 1260 Impedance/Gain-Phase Analyzer Operating Manual (12600012, issue CB, 1996),
ch. 2 "GPIB" (normal ASCII output for talker-listener devices, IEEE 488 commands).
Interface: GPIB (any VISA resource; a VISA TCP SOCKET resource reaches the simulator),
two-letter ASCII commands with E-format numbers, one result line per measurement:

    +1.0000000E+03,+1.2345E+03,-4.5678E+01,0,00<CR><LF>
    frequency (14 chars), parameter 1 and 2 (11 chars), error code (1 digit), limits code

The setup follows public drivers of this instrument (retopfenninger/ums devices/solartron.py,
jackhodkinson/vtipy impedance.py): reset `TT2`, results to the bus `OP2,1`, terminator CR LF
`OT1`, comma separator `OS0`, coordinates `CZ0` (Z', Z'') or `CZ1` (|Z|, degrees), analysis
source Z = V1/I `SO1,3`, V1 differential with grounded outer `IP1,1` `OU1,0`, DC coupling
`DC1,0` `DC3,0`, autoranging `RA1,0` `RA3,0`, auto-integration off `AU0`, delay `MS`.
Per point: `FR`, `VA` (the other way round above 10 MHz, so that no intermediate pair is
out of range), `VB`, integration time `IS` (seconds; the analyzer integrates whole
cycles, so a point takes `MS` + ceil(`IS` * f) / f + settling), then `SI` and its result.
The driver waits out the expected integration on its clock before reading, so the 0.1 Hz
point (tens of seconds) never meets the link timeout; a stale result (another frequency,
e.g. a reply that came late after a timeout) is discarded, never returned.

The generator gives at most 3 V rms up to 10 MHz and 1 V rms above (1260 specifications,
"Generator"; retopfenninger/ums `devices/solartron.py`): the pair is checked before sending.
"""

from __future__ import annotations

import math
import re
from dataclasses import replace
from typing import Any, Mapping

from labctl.drivers._impedance import ImpedanceAnalyzerDriver, polar_deg
from labctl.capabilities import ImpedancePoint
from labctl.errors import InstrumentError, Overload, RangeError, ReplyError
from labctl.setting import Setting, in_range, one_of
from labctl.ranges import Ranges, Span
from labctl.transport import LinkSettings, Transport

RANGES = Ranges(frequency_Hz=Span(10e-6, 32e6, "Hz"),
                amplitude_V=Span(0.0, 3.0, "V", "at most 1 V rms above 10 MHz"),
                bias_V=Span(-40.95, 40.95, "V"))
INTEGRATION_S = Span(0.01, 1e5, "s")
INTEGRATION_CYCLES = 5
_FREQ = r"[+-]\d\.\d{7}E[+-]\d\d"
_PARAM = r"[+-]\d\.\d{4}E[+-]\d\d"
RESULT = re.compile(rf"({_FREQ}),({_PARAM}),({_PARAM}),(\d),(00|[+-]1)")    # whole line
COORDINATES = {"rectangular": "CZ0", "polar": "CZ1"}
# last digit of the group-8 (analysis) error, as the result line reports it
OVERLOADS = {1, 3}      # V1 or current input overload: a smaller amplitude may fit
ERRORS = {1: "V1 input overload", 2: "V2 input overload", 3: "current input overload",
          4: "current below the measurable range (|Z| too high)"}
SETUP = ("OP2,1", "OT1", "OS0", "SO1,3", "IP1,1", "OU1,0", "DC1,0", "DC3,0", "RA1,0",
         "RA3,0", "AU0")
RESET_S = 5.0
HIGH_FREQUENCY_HZ, HIGH_FREQUENCY_MAX_AMPLITUDE_V = 10e6, 1.0
MAX_STALE = 3
STALE_TOLERANCE = 1e-6      # relative; the result line gives the frequency to 8 digits


def e_format(value: float, digits: int = 7) -> str:
    """E-format with a one-digit exponent where possible (`1.0000000E+3`), as ums sends."""
    mantissa, exponent = f"{value:.{digits}E}".split("E")
    return f"{mantissa}E{int(exponent):+d}"


def parse_result(reply: str) -> tuple[float, float, float, int]:
    """(frequency, parameter 1, parameter 2, error code) of a result line; anything else,
    even a near miss, is a `ReplyError`."""
    match = RESULT.fullmatch(reply.strip())
    if not match:
        raise ReplyError(f"result line not in the 1260 format: {reply!r}")
    return float(match[1]), float(match[2]), float(match[3]), int(match[4])


def whole_cycles_s(integration_s: float, frequency_Hz: float) -> float:
    """Integration over whole cycles, at least one, covering `integration_s`."""
    return max(1, math.ceil(integration_s * frequency_Hz - 1e-3)) / frequency_Hz


class Solartron1260(ImpedanceAnalyzerDriver):
    """Solartron 1260: Z = V1/I, one `SI` single measurement per point."""

    link = LinkSettings(read_termination="\r\n", write_termination="\n", timeout_s=5.0)
    models = (r",\s*1260\b",)
    RANGES = RANGES

    frequency_Hz = Setting(None, "FR {}", format=e_format, unit="Hz", span="frequency_Hz")
    amplitude_V = Setting(None, "VA {}", format=e_format, unit="V", span="amplitude_V",
                          limit="amplitude_V", doc="generator AC amplitude, V rms")
    bias_V = Setting(None, "VB {}", format=e_format, unit="V", span="bias_V",
                     limit="bias_V", doc="generator DC bias, V")
    integration_s = Setting(None, "IS {}", format=e_format, unit="s", check=INTEGRATION_S.check,
                            doc="integration time (whole cycles, at least one)")
    delay_s = Setting(None, "MS {}", format=e_format, unit="s", check=in_range(0.0, 1e5, "s"),
                      doc="measurement delay before integration")

    def __init__(self, transport: Transport, *, name: str = "solartron1260",
                 limits: Any = None, clock: Any = None, coordinates: str = "rectangular",
                 min_integration_s: float = 0.1, integration_cycles: int = INTEGRATION_CYCLES,
                 delay_s: float = 0.0):
        """Options: `coordinates`; each point integrates `min_integration_s` or
        `integration_cycles` periods, whichever is longer, after `delay_s`."""
        super().__init__(transport, name=name, limits=limits, clock=clock)
        self.coordinates = one_of(*COORDINATES)(coordinates, f"{name}.coordinates")
        cls = type(self)     # the options are checked against the settings' ranges
        self.min_integration_s = cls.integration_s.check(min_integration_s,
                                                         f"{name}.min_integration_s")
        self.integration_cycles = int(in_range(1, 1e6)(integration_cycles,
                                                       f"{name}.integration_cycles"))
        self._delay_s = cls.delay_s.check(delay_s, f"{name}.delay_s")   # sent by setup()
        self._ready = False

    @classmethod
    def bench_ranges(cls, options: Mapping[str, Any]) -> Ranges:
        """Lowest frequency: `integration_cycles` periods must fit the longest integration
        time (the point's `integration_s`, as `check_point` refuses it)."""
        cycles = options.get("integration_cycles", INTEGRATION_CYCLES)
        low = cycles / INTEGRATION_S.high
        return replace(RANGES, frequency_Hz=RANGES.frequency_Hz.narrowed(
            low=low, note=f"{cycles} integration cycles within {INTEGRATION_S.high:g} s"))

    def setup(self) -> None:
        """Reset (waiting it out on the clock) and configure as in the module docstring."""
        self.write("TT2")
        self.clock.sleep(RESET_S)
        for command in SETUP + (COORDINATES[self.coordinates],):
            self.write(command)
        self.delay_s = self._delay_s
        self._ready = True

    def identify(self) -> str:
        """`*IDN?`, after the setup (its reply needs the CR LF terminator `OT1`)."""
        if not self._ready:
            self.setup()
        return super().identify()

    def check_point(self, frequency_Hz: float, amplitude_V: float,
                    bias_V: float) -> tuple[float, float, float]:
        """As the base class, at most 1 V rms above 10 MHz, and the point's integration
        time within the instrument's range: every setting of a point, before sending."""
        f, amplitude, bias = super().check_point(frequency_Hz, amplitude_V, bias_V)
        if f > HIGH_FREQUENCY_HZ and amplitude > HIGH_FREQUENCY_MAX_AMPLITUDE_V:
            raise RangeError(f"{self.name}.amplitude_V = {amplitude:g} V at {f:g} Hz: above "
                             f"{HIGH_FREQUENCY_HZ:g} Hz the generator gives at most "
                             f"{HIGH_FREQUENCY_MAX_AMPLITUDE_V:g} V rms")
        type(self).integration_s.validate(self, self.integration_time_s(f))
        return f, amplitude, bias

    def integration_time_s(self, frequency_Hz: float) -> float:
        """`IS` for a point, as sent: `min_integration_s`, or `integration_cycles` periods
        if longer."""
        return float(e_format(max(self.min_integration_s,
                                  self.integration_cycles / frequency_Hz)))

    def measure(self, frequency_Hz: float, amplitude_V: float,
                bias_V: float = 0.0) -> ImpedancePoint:
        f, amplitude, bias = self.check_point(frequency_Hz, amplitude_V, bias_V)
        if not self._ready:
            self.setup()
        integration = self.integration_time_s(f)
        if f > HIGH_FREQUENCY_HZ:
            self.amplitude_V, self.frequency_Hz = amplitude, f
        else:
            self.frequency_Hz, self.amplitude_V = f, amplitude
        self.bias_V = bias
        self.integration_s = integration
        self.write("SI")
        self.clock.sleep(self._delay_s + whole_cycles_s(integration, f))
        z = self._read_result(f)
        return ImpedancePoint(self.clock.now(), f, z, amplitude, bias)

    def _read_result(self, frequency_Hz: float) -> complex:
        """Z from the result line for `frequency_Hz`, skipping stale lines of other points."""
        for _ in range(MAX_STALE + 1):
            try:
                f, p1, p2, code = parse_result(self.transport.read())
            except ReplyError as exc:
                raise ReplyError(f"{self.name}: {exc}") from None
            if math.isclose(f, frequency_Hz, rel_tol=STALE_TOLERANCE):
                break
        else:
            raise ReplyError(f"{self.name}: only stale results (last at {f:g} Hz), "
                             f"none for {frequency_Hz:g} Hz")
        if code:
            error = Overload if code in OVERLOADS else InstrumentError
            raise error(ERRORS.get(code, f"analysis error 8{code}"), instrument=self.name,
                        code=code)
        return complex(p1, p2) if self.coordinates == "rectangular" else polar_deg(p1, p2)

    def safe_state(self) -> None:
        """Generator to zero: AC amplitude and DC bias 0 V. The 1260 cannot report its
        generator settings, so an `*IDN?` round trip confirms the commands arrived."""
        self.amplitude_V = 0.0
        self.bias_V = 0.0
        self.identify()
