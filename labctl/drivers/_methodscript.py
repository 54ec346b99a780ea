"""MethodSCRIPT wire format of PalmSens instruments (EmStat4, EmStat Pico), the host's
side: numbers written into scripts, data packets and `!XXXX` error codes read back.

Sources: MethodSCRIPT manual v1.8 (dev.palmsens.com/methodscript) sections "MethodSCRIPT
variables" and "Measurement data package"; PalmSens/MethodSCRIPT_Examples
`Example_Python/palmsens/mscript.py` (variable types, SI prefixes, metadata status bits,
EmStat4 current-range indices), `palmsens/instrument.py` (error pattern, `Z!0006`) and
`Example_C/README.adoc` (example packets). Written from those descriptions; the simulator
has its own encoder (`simulators._methodscript`), and the decoder is pinned by the
vendor's literal example lines in the tests.

A data packet is a line `P<var>;<var>;...`; each variable is a 2-letter type, a value of
7 hex digits offset by 2**27 and one SI-prefix character (`     nan` for no value), then
optional metadata `,1X` (status bits) and `,2XX` (current-range index, hex). Script numbers
are an integer with an optional SI prefix (`100m`, `-500m`, `200k`), no decimal point.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

from labctl.errors import ReplyError

PREFIXES = {"a": 1e-18, "f": 1e-15, "p": 1e-12, "n": 1e-9, "u": 1e-6, "m": 1e-3, " ": 1.0,
            "k": 1e3, "M": 1e6, "G": 1e9, "T": 1e12, "P": 1e15, "E": 1e18}
INTEGER_FACTOR = 1.0        # prefix `i`: an integer (mscript.py SI_PREFIX_FACTOR)
OFFSET = 2 ** 27            # value = int(hex7, 16) - OFFSET
NAN_FIELD = "     nan"

# metadata status bits (mscript.py METADATA_STATUS_FLAGS)
OVERLOAD, UNDERLOAD = 0x2, 0x4     # also 0x1 timing error, 0x8 overload warning

# variable types used here (manual appendix "variable types")
APPLIED_POTENTIAL, WE_CURRENT, FREQUENCY, Z_REAL, Z_IMAG, TIME = "da", "ba", "dc", "cc", "cd", "eb"

# Error codes (`!XXXX`): 0x0006 as in instrument.py; the others from the MethodSCRIPT
# manual's error table (0x0001-0x0027, 0x4000-0x4009, 0x7FFF), reached through a secondary
# transcription, unverified on hardware. There is no error code for a cell overload: it
# is the packet status bit OVERLOAD (mscript.py). Unlisted codes are reported by number.
UNKNOWN_COMMAND, NOT_NOW = 0x0003, 0x0006
POTENTIAL_RANGE, FREQUENCY_RANGE, AMPLITUDE_RANGE = 0x000F, 0x0011, 0x0012
SYNTAX, UNKNOWN_SCRIPT_COMMAND = 0x4000, 0x4001
ERRORS = {
    UNKNOWN_COMMAND: "unknown command",
    NOT_NOW: "command not possible now (no script running, or a script is busy)",
    POTENTIAL_RANGE: "potential outside the instrument's range",
    FREQUENCY_RANGE: "frequency outside the instrument's range",
    AMPLITUDE_RANGE: "AC amplitude outside the instrument's range",
    SYNTAX: "script syntax error",
    UNKNOWN_SCRIPT_COMMAND: "unknown command in the script",
}
METADATA = {"1": r"1[0-9A-Fa-f]", "2": r"2[0-9A-Fa-f]{2}"}   # status, current range
ERROR_RE = re.compile(r"!([0-9A-Fa-f]{4})(?::\s*(.*))?$")
LINE_RE = re.compile(r"Line (\d+)")


@dataclass(frozen=True)
class Var:
    """One variable of a data packet."""

    type: str
    value: float
    status: int = 0
    range_index: int | None = None


# -- values -------------------------------------------------------------------------------
def decode_value(field: str) -> float:
    if field == NAN_FIELD:
        return math.nan
    digits, prefix = field[:7], field[7:8]
    factor = INTEGER_FACTOR if prefix == "i" else PREFIXES.get(prefix)
    if len(field) != 8 or factor is None or not re.fullmatch(r"[0-9A-Fa-f]{7}", digits):
        raise ReplyError(f"bad MethodSCRIPT value {field!r}")
    return (int(digits, 16) - OFFSET) * factor


def decode_var(text: str) -> Var:
    body, *meta = text.split(",")
    if not body[:2].isalpha():          # the value's length is checked by decode_value
        raise ReplyError(f"bad MethodSCRIPT variable {text!r}")
    status, range_index = 0, None
    for item in meta:
        if not re.fullmatch(METADATA.get(item[:1], r"[0-9A-Fa-f]+"), item):
            raise ReplyError(f"bad metadata {item!r} in {text!r}")
        if item[0] == "1":
            status = int(item[1], 16)
        elif item[0] == "2":
            range_index = int(item[1:], 16)
        # other metadata (4: noise, ...) is ignored
    return Var(body[:2], decode_value(body[2:]), status, range_index)


def decode_packet(line: str) -> list[Var]:
    if not line.startswith("P"):
        raise ReplyError(f"not a MethodSCRIPT data packet: {line!r}")
    return [decode_var(part) for part in line[1:].split(";")]


# -- script numbers -------------------------------------------------------------------------
def format_number(value: float) -> str:
    """`value` as a script literal: the coarsest SI prefix with an integer mantissa,
    else the finest prefix that keeps the mantissa within 32 bits."""
    if not math.isfinite(value):
        raise ValueError(f"{value!r} cannot be written in a MethodSCRIPT")
    if value == 0:
        return "0"
    fitting = [(p, f) for p, f in reversed(PREFIXES.items()) if abs(value / f) < 2 ** 31]
    for prefix, factor in fitting:
        mantissa = round(value / factor)
        if mantissa and abs(mantissa * factor - value) <= 1e-12 * abs(value):
            return f"{mantissa}{prefix.strip()}"
    prefix, factor = fitting[-1]
    return f"{round(value / factor)}{prefix.strip()}"


# -- errors ---------------------------------------------------------------------------------
def error_code(line: str) -> tuple[int, str] | None:
    """(code, detail) if `line` carries a `!XXXX` error code."""
    match = ERROR_RE.search(line)
    return (int(match[1], 16), match[2] or "") if match else None


def describe_error(code: int, detail: str, script: list[str] | None = None) -> str:
    """A readable message: meaning of the code, and the script line it points at."""
    text = f"MethodSCRIPT error 0x{code:04X}: {ERRORS.get(code, 'undocumented error code')}"
    where = LINE_RE.search(detail)
    if where and script and 1 <= int(where[1]) <= len(script):
        text += f" at script line {where[1]}: {script[int(where[1]) - 1].strip()!r}"
    elif detail:
        text += f" ({detail})"
    return text


# -- script builder -------------------------------------------------------------------------
def numbers(*values: float) -> str:
    return " ".join(format_number(v) for v in values)


def _script(mode: int, ranges: tuple[float, float, float], potential: float,
            body: list[str]) -> list[str]:
    """Declarations, pgstat set-up, cell on at `potential`, `body`, `on_finished: cell_off`.
    `ranges`: start range and autoranging bounds of the WE current (A)."""
    return (["var f", "var r", "var j", "var p", "var i", "var t", "set_pgstat_chan 0",
             f"set_pgstat_mode {mode}", f"set_range ba {numbers(ranges[0])}",
             f"set_autoranging ba {numbers(*ranges[1:])}", f"set_e {numbers(potential)}",
             "cell_on"] + body + ["on_finished:", "  cell_off"])


def _loop(head: str, names: str, timed: bool = False) -> list[str]:
    """`head`, the body sending `names` as one packet (after `timer_get t`), `endloop`."""
    return ([head] + ["  timer_get t"] * timed + ["  pck_start"] +
            [f"  pck_add {n}" for n in names] + ["  pck_end", "endloop"])


def log_runs(frequencies: list[float]) -> list[list[float]]:
    """Consecutive frequencies split into log-spaced runs (one `meas_loop_eis` each)."""
    runs = [[frequencies[0]]]
    for f in frequencies[1:]:
        run = runs[-1]
        if len(run) == 1 or math.isclose(f / run[-1], run[-1] / run[-2], rel_tol=1e-9):
            run.append(f)
        else:
            runs.append([f])
    return runs


def eis_script(frequencies: list[float], amplitude: float, bias: float,
               current_ranges: tuple[float, ...]) -> list[str]:
    """Potentiostatic EIS (high-speed mode 3) at `frequencies` in order; packets f, Z', Z''."""
    body = [line for run in log_runs(frequencies) for line in _loop(
        f"meas_loop_eis f r j {numbers(amplitude, run[0], run[-1])} {len(run)} "
        f"{numbers(bias)}", "frj")]
    ranges = (current_ranges[-1], current_ranges[0], current_ranges[-1])
    return _script(3, ranges, bias, body)


def ca_script(potential: float, segments: list[tuple[float, float]],
              ranges: tuple[float, float, float]) -> list[str]:
    """Chronoamperometry (low-speed mode 2) at one potential in back-to-back
    `(interval, duration)` segments: one `meas_loop_ca` each, the cell on throughout and
    the timer running from the first; packets time, E, I."""
    loops = [line for interval, duration in segments for line in _loop(
        f"meas_loop_ca p i {numbers(potential, interval, duration)}", "tpi", timed=True)]
    return _script(2, ranges, potential, ["timer_start", *loops])


def lsv_script(start: float, stop: float, step: float, rate: float,
               ranges: tuple[float, float, float]) -> list[str]:
    """Linear sweep voltammetry (low-speed mode 2) from `start`; packets time, E, I."""
    return _script(2, ranges, start, ["timer_start", *_loop(
        f"meas_loop_lsv p i {numbers(start, stop, step, rate)}", "tpi", timed=True)])
