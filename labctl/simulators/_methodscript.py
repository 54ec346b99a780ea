"""The instrument's side of the MethodSCRIPT wire format, for the simulated EmStat4.

Written from the documentation, independently of the driver's codec
(`drivers._methodscript`), so that the two sides can disagree and the tests can notice:
MethodSCRIPT manual v1.8 "Measurement data package" and PalmSens/MethodSCRIPT_Examples
(`Example_C/README.adoc`: a value is 7 hex digits holding value + 2^27, then one SI-prefix
character; metadata `1X` status bit mask, `2XX` current-range index; `mscript.py`: status
bits 0x1 timing error, 0x2 overload, 0x4 underload, 0x8 overload warning). Error codes from
the manual's error table (see `../shared/reference/instruments.md`).
"""

from __future__ import annotations

import math
import re
from typing import NamedTuple

# the SI prefix characters, smallest first, and their exponent of ten
_PREFIX_EXPONENTS = (("a", -18), ("f", -15), ("p", -12), ("n", -9), ("u", -6), ("m", -3),
                     (" ", 0), ("k", 3), ("M", 6), ("G", 9), ("T", 12), ("P", 15), ("E", 18))
_HALF_SPAN = 0x8000000      # 2^27: the encoded integer is value + 2^27 in 7 hex digits

STATUS_TIMING_ERROR, STATUS_OVERLOAD, STATUS_UNDERLOAD = 0x1, 0x2, 0x4

# variable types (manual appendix; mscript.py MSCRIPT_VAR_TYPES_LIST)
UNKNOWN_TYPE, POTENTIAL, CURRENT, FREQUENCY, Z_REAL, Z_IMAG, TIME = \
    "aa", "da", "ba", "dc", "cc", "cd", "eb"

# technique of each measurement loop, as its `M####` marker (LSV: `M0000` in the
# Example_C README; CA 7 and EIS 13 from the manual's technique table)
LOOP_MARKERS = {"meas_loop_lsv": "M0000", "meas_loop_ca": "M0007", "meas_loop_eis": "M000D"}

# `!XXXX` error codes
ERR_UNKNOWN_COMMAND = 0x0003        # host command not known
ERR_NOT_NOW = 0x0006                # e.g. `Z` with no script running
ERR_POTENTIAL = 0x000F
ERR_FREQUENCY = 0x0011
ERR_AMPLITUDE = 0x0012
ERR_SYNTAX = 0x4000                 # script syntax error
ERR_UNKNOWN_IN_SCRIPT = 0x4001      # unknown command in a script

LITERAL = re.compile(r"[+-]?[0-9]+[afpnumkMGTPE]?i?")


class Value(NamedTuple):
    """A variable as the instrument holds it: type code, value, metadata."""

    kind: str
    value: float
    status: int = 0
    range_index: int | None = None


def literal(text: str) -> float:
    """A number literal of a script (`100m`, `-2`, `7i`); ValueError if it is none."""
    if not LITERAL.fullmatch(text):
        raise ValueError(f"not a number literal: {text!r}")
    digits = text.rstrip("i")
    exponent = dict(_PREFIX_EXPONENTS).get(digits[-1]) if digits[-1].isalpha() else None
    if exponent is None:
        return float(int(digits))
    return int(digits[:-1]) * 10.0 ** exponent


def _field(value: float) -> str:
    """The 8 value characters: the prefix with the finest step that still fits."""
    if math.isnan(value):
        return "     nan"
    for prefix, exponent in _PREFIX_EXPONENTS:
        count = round(value * 10.0 ** -exponent)
        if -_HALF_SPAN < count < _HALF_SPAN:
            return format(count + _HALF_SPAN, "07X") + prefix
    raise OverflowError(f"{value!r} does not fit a MethodSCRIPT value")


def packet(values: list[Value]) -> str:
    """One data package line (without the line feed)."""
    parts = []
    for v in values:
        meta = ""
        if v.status or v.range_index is not None:
            meta = ",1" + format(v.status, "X")
        if v.range_index is not None:
            meta += ",2" + format(v.range_index, "02X")
        parts.append(v.kind + _field(v.value) + meta)
    return "P" + ";".join(parts)


def error_line(code: int, prefix: str = "", where: str = "") -> str:
    """An error reply: `[prefix]!XXXX[: where]`."""
    return f"{prefix}!{code:04X}" + (f": {where}" if where else "")
