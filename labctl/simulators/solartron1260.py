"""Simulated Solartron 1260 impedance analyzer (GPIB two-letter ASCII commands).

Speaks the command subset of `drivers.solartron1260` (see its docstring for the manual and
sources): `*IDN?`, `*RST`, `TT`, `OP`, `OT`, `OS`, `CZ`, `SO`, `IP`, `OU`, `DC`, `RA`, `AU`,
`MS`, `IS`, `FR`, `VA`, `VB`, `SI`. `SI` measures the world's sample at the furnace's current
sample temperature (read when the integration starts) with the sample file's noise, and
answers after delay + whole integration cycles + `settling_s` in the manual's fixed-width
E-format, only if results go to the bus (`OP2,1`). The error code of the result line reports
an overload of V1 or the current input for the selected (or auto) range, or a current below
`min_current_A` (|Z| too high). `TT` resets and keeps the analyzer busy `reset_s`.

The generator refuses (as a bad command) an `FR` or `VA` that would make the amplitude
exceed 1 V rms above 10 MHz (3 V below).

Not modeled: the generator's current mode, V2 and sources other than Z = V1/I, sweeps and
the data file, auto-integration (`AU` accepted, no effect), the limits check (always `00`),
the display, serial/parallel poll; noise does not shrink with longer integration. Bad
commands are ignored and listed in `command_errors` (the real analyzer shows them on its
display). Over TCP there is no EOI: `OT1` (CR LF + EOI) ends a line with CR LF.
"""

from __future__ import annotations

import cmath
import math
from typing import Any

from labctl.simulators.device import LineDevice

IDN = "SCHLUMBERGER TECHNOLOGIES, 1260 IMPEDANCE ANALYZER, 0, 0"
TERMINATORS = {0: b"\r", 1: b"\r\n"}               # OT0 CR (power-on), OT1 CR LF + EOI
V1_RANGES_V = {0: 3.0, 1: 0.03, 2: 0.3, 3: 3.0}    # RA1,n full scale (rms); 0 = auto
I_RANGES_A = {0: 60e-3, 1: 6e-6, 2: 60e-6, 3: 600e-6, 4: 6e-3, 5: 60e-3}  # RA3,n; 0 = auto
CHOICES = {"OP": ((2, 3), (0, 1)), "OS": ((0,),), "CZ": ((0, 1),), "SO": ((1,), (2, 3)),
           "IP": ((1, 2), (0, 1)), "OU": ((1, 2), (0, 1)), "DC": ((1, 2, 3), (0, 1)),
           "AU": ((0, 1, 2),), "RA": ((1, 2, 3), tuple(range(6)))}
NUMBERS = {"FR": (10e-6, 32e6), "VA": (0.0, 3.0), "VB": (-40.95, 40.95), "IS": (0.01, 1e5),
           "MS": (0.0, 1e5)}
HIGH_FREQUENCY_HZ, HIGH_FREQUENCY_MAX_V = 10e6, 1.0


class Solartron1260Simulator(LineDevice):
    """A 1260 measuring the world's sample; state in `settings` by mnemonic."""

    link = "tcp"
    reset_s = 3.0
    settling_s = 0.1
    min_current_A = 1e-10

    def __init__(self, world: Any, options: dict[str, Any] | None = None):
        super().__init__(world.clock)
        self.world = world
        self.busy_until = 0.0
        self.command_errors: list[str] = []
        self.reset()

    def reset(self) -> None:
        """Power-on state: results not sent to the bus, CR terminator, rectangular."""
        self.out_terminator = TERMINATORS[0]
        self.numbers = {"FR": 1e3, "VA": 0.0, "VB": 0.0, "IS": 0.1, "MS": 0.0}
        self.choices: dict[str, int] = {"OP2": 0, "CZ": 0, "SO1": 3, "RA1": 0, "RA3": 0,
                                        "DC1": 0, "DC3": 0}

    def handle(self, line: str) -> str | None:
        for command in filter(None, (c.strip() for c in line.split(";"))):
            self._execute(command)
        return None

    def _execute(self, command: str) -> None:
        head, args = command[:2].upper(), [a.strip() for a in command[2:].split(",")]
        now = self.clock.now()
        if command.upper() == "*IDN?":
            self.reply(IDN, max(0.0, self.busy_until - now))
        elif command.upper() == "*RST":
            self.reset()
        elif head == "TT" and args == ["2"]:
            self.reset()
            self.busy_until = now + self.reset_s
        elif head == "OT" and args[0] in ("0", "1"):
            self.out_terminator = TERMINATORS[int(args[0])]
        elif head == "SI" and args == [""]:
            self._single(now)
        elif head in NUMBERS and len(args) == 1 and self._number(head, args[0]):
            pass
        elif head in CHOICES and self._choice(head, args):
            pass
        else:
            self.command_errors.append(command)

    def _number(self, head: str, text: str) -> bool:
        low, high = NUMBERS[head]
        try:
            value = float(text)
        except ValueError:
            return False
        pair = {**self.numbers, head: value}
        if not low <= value <= high or (pair["FR"] > HIGH_FREQUENCY_HZ
                                        and pair["VA"] > HIGH_FREQUENCY_MAX_V):
            return False
        self.numbers[head] = value
        return True

    def _choice(self, head: str, args: list[str]) -> bool:
        allowed = CHOICES[head]
        try:
            values = [int(a) for a in args]
        except ValueError:
            return False
        if len(values) != len(allowed) or any(v not in ok for v, ok in zip(values, allowed)):
            return False
        key = head + (str(values[0]) if len(values) == 2 else "")
        self.choices[key] = values[-1]
        return True

    def _single(self, now: float) -> None:
        """One measurement at `FR`; the result line falls due when its integration ends."""
        n = self.numbers
        f = n["FR"]
        start = max(now, self.busy_until)
        cycles = max(1, math.ceil(n["IS"] * f - 1e-3))
        self.busy_until = start + n["MS"] + cycles / f + self.settling_s
        if self.choices["OP2"] != 1:
            return
        z = complex(self.world.add_noise(
            self.world.impedance_seen(self.instrument, f), f))
        p1, p2 = (z.real, z.imag) if self.choices["CZ"] == 0 else \
            (abs(z), math.degrees(cmath.phase(z)))
        fields = (f"{f:+.7E}", f"{p1:+.4E}", f"{p2:+.4E}", str(self._error_code(z)), "00")
        self.reply(",".join(fields), self.busy_until - now)

    def _error_code(self, z: complex) -> int:
        """1: V1 overload, 3: current overload, 4: current too small to measure, 0: ok."""
        amplitude, bias = self.numbers["VA"], self.numbers["VB"]
        dc_bias = abs(bias) if self.choices["DC1"] == 0 else 0.0
        if math.sqrt(2) * amplitude + dc_bias > math.sqrt(2) * V1_RANGES_V[self.choices["RA1"]]:
            return 1
        current = amplitude / abs(z)
        if current > I_RANGES_A[self.choices["RA3"]]:
            return 3
        return 4 if current < self.min_current_A else 0
