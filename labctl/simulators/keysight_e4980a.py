"""Simulated Keysight E4980A precision LCR meter (SCPI), measuring the world's sample.

Commands (see `drivers.keysight_e4980a` for the manual): `*OPT?`, `:FUNC:IMP[:TYPE]` (ZTD,
ZTR, RX, GB, YTD, YTR and the C/L/R-D/Q/G/Rp/Rs series and parallel pairs), `:FREQ[:CW]`
20 Hz-2 MHz, `:VOLT[:LEV]` and `:BIAS:VOLT[:LEV]` (option `option_001`: without it, a
standard unit, 0-2 V rms and a bias of 0, 1.5 or 2 V; with it 0-20 V rms and -40..+40 V;
`*OPT?` answers `001` or `0`), `:BIAS:STAT`, `:APER`, `:TRIG:SOUR`,
`:TRIG[:IMM]`, `*TRG`, `:INIT[:IMM]`, `:INIT:CONT`, `:ABOR`, `:FETC[:IMP][:FORM]?`,
`:FORM[:DATA]` (ASCii only), `:FORM:ASC:LONG`, `:DISP:PAGE`, `:LIST:FREQ` (<= 201 points),
`:LIST:MODE`, and the common commands and error queue of `ScpiDevice` (out-of-range values
-222). A trigger measures at the sample temperature of that moment and the result falls due
aperture x averages later (`APERTURE`: seconds or signal periods, whichever is longer); on
the LIST page one trigger measures the whole list. `:FETC?` answers when the last
measurement is complete: `A,B,status` (per list point `A,B,status,0`); with trigger source
INT a fetch starts a fresh measurement first. |Z| above `max_impedance_Ohm` is an overload
(status +1, A = B = 9.9E37).

A standard unit asked for a bias between 0 and 2 V other than 0, 1.5 or 2 applies the
nearest of these (an assumption: the manual lists the settings, not what happens between
them), which is why the driver reads the bias back.

Correction: `:CORRection:OPEN` / `:CORRection:SHORt` measure what is on the terminals (the
open or shorted fixture, the sample file's noise added) at `CORRECTION_GRID` (10 points a decade, 20 Hz-2 MHz: the
simulator's grid, not the manual's preset points), taking `CORRECTION_S`; `*OPC?` answers
when done. `:CORRection:OPEN:STATe` / `:CORRection:SHORt:STATe` (0|1|OFF|ON, and their
queries, `0` or `1`) switch each on: then a measurement returns
Z = (Z_m - Z_s) / (1 - (Z_m - Z_s)(1/(Z_o - Z_s))), the data interpolated linearly in f (the
open's as admittance 1/Z_o); a short alone gives Z_m - Z_s, an open alone (Z_s = 0)
Z_m / (1 - Z_m/Z_o). A state
switched on before its data were measured is -221 (settings conflict). `*RST` keeps the
correction data and states (an assumption).

Not modeled: stepped list mode (`:LIST:MODE STEP` runs like SEQ), current-level and ALC
modes, DC bias current and statuses +3/+4, load correction and spot corrections, cable
length, comparator and bins, binary data formats, trigger delays; noise does not depend on
the aperture.
Power-on and `*RST` state: trigger INT with `:INIT:CONT ON` (free running).
"""

from __future__ import annotations

import math
from typing import Any, Callable

import numpy as np

from labctl.simulators.scpi import ScpiDevice, ScpiError, parse_bool, parse_float

OVERLOAD = 9.9e37
APERTURE = {"SHOR": (0.005, 1), "MED": (0.09, 2), "LONG": (0.24, 5)}
MAX_LIST = 201
STANDARD_BIAS_V = (0.0, 1.5, 2.0)
CORRECTION_GRID = np.logspace(math.log10(20.0), math.log10(2e6), 51)
CORRECTION_S = 20.0
# measurement function -> (A, B) from Z and omega
FUNCTIONS: dict[str, Callable[[complex, float], tuple[float, float]]] = {
    "ZTD": lambda z, w: (abs(z), math.degrees(math.atan2(z.imag, z.real))),
    "ZTR": lambda z, w: (abs(z), math.atan2(z.imag, z.real)),
    "RX": lambda z, w: (z.real, z.imag),
    "GB": lambda z, w: ((1 / z).real, (1 / z).imag),
    "YTD": lambda z, w: (abs(1 / z), -math.degrees(math.atan2(z.imag, z.real))),
    "YTR": lambda z, w: (abs(1 / z), -math.atan2(z.imag, z.real)),
    "CPD": lambda z, w: ((1 / z).imag / w, (1 / z).real / (1 / z).imag),
    "CPQ": lambda z, w: ((1 / z).imag / w, (1 / z).imag / (1 / z).real),
    "CPG": lambda z, w: ((1 / z).imag / w, (1 / z).real),
    "CPRP": lambda z, w: ((1 / z).imag / w, 1 / (1 / z).real),
    "CSD": lambda z, w: (-1 / (w * z.imag), -z.real / z.imag),
    "CSQ": lambda z, w: (-1 / (w * z.imag), -z.imag / z.real),
    "CSRS": lambda z, w: (-1 / (w * z.imag), z.real),
    "LPD": lambda z, w: (-1 / (w * (1 / z).imag), -(1 / z).real / (1 / z).imag),
    "LPQ": lambda z, w: (-1 / (w * (1 / z).imag), -(1 / z).imag / (1 / z).real),
    "LPG": lambda z, w: (-1 / (w * (1 / z).imag), (1 / z).real),
    "LPRP": lambda z, w: (-1 / (w * (1 / z).imag), 1 / (1 / z).real),
    "LSD": lambda z, w: (z.imag / w, z.real / z.imag),
    "LSQ": lambda z, w: (z.imag / w, z.imag / z.real),
    "LSRS": lambda z, w: (z.imag / w, z.real),
}


def choice(text: str, options: dict[str, str]) -> str:
    """A SCPI keyword (short or long form, any case) -> its short form; else -224."""
    word = text.strip().upper()
    for short, long in options.items():
        if word in (short, long):
            return short
    raise ScpiError(-224, "Illegal parameter value")


class KeysightE4980ASimulator(ScpiDevice):
    """An E4980A on the world's sample: settings, trigger system and list sweep."""

    link = "tcp"
    idn = "Keysight Technologies,E4980A,MY00000001,A.02.20"
    max_impedance_Ohm = 1e8

    def __init__(self, world: Any, options: dict[str, Any] | None = None):
        super().__init__(world.clock)
        self.world = world
        self.option_001 = bool((options or {}).get("option_001", False))
        max_level, max_bias = (20.0, 40.0) if self.option_001 else (2.0, 2.0)
        c = self.command
        c("*OPT?", lambda: "001" if self.option_001 else "0")
        c(":FUNCtion:IMPedance[:TYPE]", self._set_function)
        c(":FUNCtion:IMPedance[:TYPE]?", lambda: self.function)
        c(":FREQuency[:CW]", lambda v: self._set("frequency", parse_float(v, 20.0, 2e6)))
        c(":FREQuency[:CW]?", lambda: f"{self.frequency:+.5E}")
        c(":VOLTage[:LEVel]", lambda v: self._set("level", parse_float(v, 0.0, max_level)))
        c(":VOLTage[:LEVel]?", lambda: f"{self.level:+.5E}")
        c(":BIAS:VOLTage[:LEVel]", lambda v: self._set("bias", self._bias(
            parse_float(v, -max_bias, max_bias))))
        c(":BIAS:VOLTage[:LEVel]?", lambda: f"{self.bias:+.5E}")
        c(":BIAS:STATe", lambda v: self._set("bias_on", parse_bool(v)))
        c(":BIAS:STATe?", lambda: str(int(self.bias_on)))
        c(":APERture", self._set_aperture)
        c(":APERture?", lambda: f"{self.aperture},{self.averages}")
        c(":TRIGger:SOURce", lambda v: self._set("source", choice(
            v, {"INT": "INTERNAL", "HOLD": "HOLD", "BUS": "BUS", "EXT": "EXTERNAL"})))
        c(":TRIGger:SOURce?", lambda: self.source)
        c(":TRIGger[:IMMediate]", self._trigger)
        c("*TRG", self._bus_trigger)
        c(":INITiate[:IMMediate]", lambda: self._set("initiated", True))
        c(":INITiate:CONTinuous", lambda v: self._set("continuous", parse_bool(v)))
        c(":INITiate:CONTinuous?", lambda: str(int(self.continuous)))
        c(":ABORt", lambda: self._set("initiated", False))
        c(":FETCh[:IMPedance][:FORMatted]?", self._fetch)
        c(":FORMat[:DATA]", lambda v: self._set("data_format", choice(v, {"ASC": "ASCII"})))
        c(":FORMat[:DATA]?", lambda: "ASC")
        c(":FORMat:ASCii:LONG", lambda v: self._set("long_format", parse_bool(v)))
        c(":DISPlay:PAGE", lambda v: self._set("page", v.strip().upper()[:4]))
        c(":LIST:FREQuency", self._set_list)
        c(":LIST:FREQuency?", lambda: ",".join(f"{f:+.5E}" for f in self.list_frequencies))
        c(":LIST:MODE", lambda v: self._set("list_mode", choice(
            v, {"SEQ": "SEQUENCE", "STEP": "STEPPED"})))
        self.correction: dict[str, np.ndarray] = {}     # "OPEN"/"SHOR" -> Z on the grid
        self.correction_on = {"OPEN": False, "SHOR": False}
        self.busy_until = world.clock.now()
        for short, long in (("OPEN", "OPEN"), ("SHOR", "SHORt")):
            c(f":CORRection:{long}", lambda k=short: self._measure_correction(k))
            c(f":CORRection:{long}:STATe", lambda v, k=short: self._correct(k, parse_bool(v)))
            c(f":CORRection:{long}:STATe?", lambda k=short: str(int(self.correction_on[k])))
        c("*OPC?", lambda: self.reply("1", max(0.0, self.busy_until - self.clock.now())))
        self.reset()

    def reset(self) -> None:
        self.function, self.frequency, self.level = "CPD", 1e3, 1.0
        self.bias, self.bias_on = 0.0, False
        self.aperture, self.averages = "MED", 1
        self.source, self.continuous, self.initiated = "INT", True, False
        self.data_format, self.long_format, self.page = "ASC", False, "MEAS"
        self.list_frequencies: list[float] = []
        self.list_mode = "SEQ"
        self.result: tuple[float, str] | None = None   # (due time, data)

    def _set(self, name: str, value: Any) -> None:
        setattr(self, name, value)

    def _bias(self, volts: float) -> float:
        """The bias the unit applies: a standard unit only its nearest setting."""
        if self.option_001:
            return volts
        return min(STANDARD_BIAS_V, key=lambda b: abs(b - volts))

    def _set_function(self, name: str) -> None:
        if name.strip().upper() not in FUNCTIONS:
            raise ScpiError(-224, "Illegal parameter value")
        self.function = name.strip().upper()

    def _set_aperture(self, time: str, averages: str = "1") -> None:
        self.aperture = choice(time, {"SHOR": "SHORT", "MED": "MEDIUM", "LONG": "LONG"})
        self.averages = int(parse_float(averages, 1, 256))

    def _set_list(self, *values: str) -> None:
        if len(values) > MAX_LIST:
            raise ScpiError(-223, "Too much data")
        self.list_frequencies = [parse_float(v, 20.0, 2e6) for v in values]

    # -- correction ------------------------------------------------------------------
    def _measure_correction(self, kind: str) -> None:
        z = np.asarray(self.world.impedance_seen(self.instrument, CORRECTION_GRID), dtype=complex)
        finite = np.isfinite(z)                # an ideal open (no leads) is beyond noise
        z[finite] = self.world.add_noise(z[finite], CORRECTION_GRID[finite])
        self.correction[kind] = z
        self.busy_until = max(self.busy_until, self.clock.now()) + CORRECTION_S

    def _correct(self, kind: str, on: bool) -> None:
        if on and kind not in self.correction:
            raise ScpiError(-221, "Settings conflict")
        self.correction_on[kind] = on

    def _corrected(self, z: complex, frequency: float) -> complex:
        """`z` as the instrument reports it with its corrections on."""
        def at(data: np.ndarray) -> complex:
            f = min(max(frequency, CORRECTION_GRID[0]), CORRECTION_GRID[-1])
            return complex(np.interp(f, CORRECTION_GRID, data.real),
                           np.interp(f, CORRECTION_GRID, data.imag))

        z_s = at(self.correction["SHOR"]) if self.correction_on["SHOR"] else 0.0
        if not self.correction_on["OPEN"]:
            return z - z_s
        y = at(1 / self.correction["OPEN"])          # the open's admittance, 1/Z_o
        d = z - z_s
        return d / (1 - d * y / (1 - z_s * y))

    # -- trigger system and measurement ---------------------------------------------
    def _bus_trigger(self) -> str | None:
        if self.source != "BUS":
            raise ScpiError(-211, "Trigger ignored")
        self._trigger()
        return self._fetch()

    def _trigger(self) -> None:
        if not (self.initiated or self.continuous):
            raise ScpiError(-211, "Trigger ignored")
        self.initiated = False
        start = max([self.clock.now()] + ([self.result[0]] if self.result else []))
        listed = self.page == "LIST" and self.list_frequencies
        points = [self._point(f) for f in (self.list_frequencies if listed else [self.frequency])]
        duration = sum(self.measurement_time_s(f) for f, _ in points)
        data = ",".join(p + (",+0" if listed else "") for _, p in points)
        self.result = (start + duration, data)

    def _point(self, frequency: float) -> tuple[float, str]:
        """(f, 'A,B,status') measured now at `frequency`."""
        z = self._corrected(complex(self.world.add_noise(
            self.world.impedance_seen(self.instrument, frequency), frequency)), frequency)
        if abs(z) > self.max_impedance_Ohm:
            a, b, status = OVERLOAD, OVERLOAD, 1
        else:
            a, b = FUNCTIONS[self.function](z, 2 * math.pi * frequency)
            status = 0
        digits = 9 if self.long_format else 5
        return frequency, f"{a:+.{digits}E},{b:+.{digits}E},{status:+d}"

    def measurement_time_s(self, frequency: float) -> float:
        seconds, periods = APERTURE[self.aperture]
        return self.averages * max(seconds, periods / frequency)

    def _fetch(self) -> None:
        if self.source == "INT" and (self.initiated or self.continuous):
            self._trigger()
        if self.result is None:
            self.reply(f"{OVERLOAD:+.5E},{OVERLOAD:+.5E},-1")
            return None
        due, data = self.result
        self.reply(data, max(0.0, due - self.clock.now()))
        return None
