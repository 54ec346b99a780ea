"""SCPI command parsing for simulated instruments (IEEE 488.2 style).

A `ScpiDevice` registers handlers for command patterns written as in the manuals:
`":SOURce:VOLTage[:LEVel]"` matches `:SOUR:VOLT`, `SOURCE:VOLTAGE:LEVEL`, ... (short or
long form, any case, optional nodes in brackets). Queries are registered with a trailing
`?`. Several commands may share one line separated by `;`, and their replies are joined by
`;`. Unknown headers and bad parameters go to the error queue with the standard codes, read
by `:SYSTem:ERRor[:NEXT]?`, exactly as drivers meet them on real instruments.
"""

from __future__ import annotations

import inspect
import re
from collections import deque
from typing import Callable

from labctl.clock import Clock
from labctl.simulators.device import LineDevice

NO_ERROR = (0, "No error")


class ScpiError(Exception):
    """Raised by a handler: the command is rejected with SCPI error `code`."""

    def __init__(self, code: int, message: str):
        super().__init__(message)
        self.code, self.message = code, message


def _node_regex(node: str) -> str:
    short = "".join(c for c in node if c.isupper() or c.isdigit() or c in "*?")
    return f"(?:{re.escape(short)}|{re.escape(node.upper())})" if short != node.upper() \
        else re.escape(node.upper())


def compile_pattern(pattern: str) -> re.Pattern[str]:
    """Regex for a SCPI header pattern such as `[:SENSe]:CURRent:NPLCycles?`; it matches
    headers normalized to a leading colon (see `normalize_header`)."""
    query = pattern.endswith("?")
    regex = ""
    for optional, required in re.findall(r"\[:?([^\]]+)\]|:?([^:\[\]]+)", pattern.rstrip("?")):
        node = f":{_node_regex(optional or required)}"
        regex += f"(?:{node})?" if optional else node
    return re.compile("^" + regex + (r"\?" if query else "") + "$", re.IGNORECASE)


def normalize_header(header: str) -> str:
    return ":" + header.strip().lstrip(":")


def split_args(text: str) -> list[str]:
    """Comma-separated arguments, honouring quoted strings."""
    if not text.strip():
        return []
    return [a.strip() for a in re.findall(r'(?:"[^"]*"|\'[^\']*\'|[^,])+', text)]


def parse_float(text: str, low: float | None = None, high: float | None = None) -> float:
    """A numeric parameter (MIN/MAX accepted when limits are given)."""
    word = text.strip().upper()
    if word in ("MIN", "MINIMUM") and low is not None:
        return low
    if word in ("MAX", "MAXIMUM") and high is not None:
        return high
    try:
        value = float(word)
    except ValueError:
        raise ScpiError(-104, "Data type error") from None
    if (low is not None and value < low) or (high is not None and value > high):
        raise ScpiError(-222, "Data out of range")
    return value


def parse_bool(text: str) -> bool:
    word = text.strip().upper()
    if word in ("1", "ON"):
        return True
    if word in ("0", "OFF"):
        return False
    raise ScpiError(-224, "Illegal parameter value")


class ScpiDevice(LineDevice):
    """A SCPI instrument: command table, `;`-joined commands, error queue."""

    idn = "LABCTL,SIMULATED,0,0"
    error_queue_size = 10

    def __init__(self, clock: Clock):
        super().__init__(clock)
        self.errors: deque[tuple[int, str]] = deque()
        self._table: list[tuple[re.Pattern[str], Callable[..., str | None]]] = []
        self.command("*IDN?", lambda: self.idn)
        self.command("*CLS", lambda: self.errors.clear())
        self.command("*RST", self.reset)
        self.command("*OPC?", lambda: "1")
        self.command(":SYSTem:ERRor[:NEXT]?", self.next_error)

    def command(self, pattern: str, handler: Callable[..., str | None]) -> None:
        """Register `handler(*args)` for a header pattern (`?` at the end for queries);
        a later registration of the same header overrides an earlier one (e.g. a built-in)."""
        self._table.insert(0, (compile_pattern(pattern), handler))

    def reset(self) -> None:
        """*RST: return to power-on settings (subclasses extend)."""

    def push_error(self, code: int, message: str) -> None:
        if len(self.errors) >= self.error_queue_size:
            self.errors[-1] = (-350, "Queue overflow")
        else:
            self.errors.append((code, message))

    def next_error(self) -> str:
        return self.format_error(*(self.errors.popleft() if self.errors else NO_ERROR))

    def format_error(self, code: int, message: str) -> str:
        return f'{code},"{message}"'

    def handle(self, line: str) -> str | None:
        if self.take_fault("error"):
            self.push_error(-310, "System error")
        replies = []
        for unit in filter(None, (u.strip() for u in re.split(r';(?=(?:[^"]*"[^"]*")*[^"]*$)', line))):
            header, _, rest = unit.partition(" ")
            for pattern, handler in self._table:
                if pattern.match(normalize_header(header)):
                    reply = self._call(handler, split_args(rest))
                    if reply is not None:
                        replies.append(reply)
                    break
            else:
                self.push_error(-113, "Undefined header")
        return ";".join(replies) if replies else None

    def _call(self, handler: Callable[..., str | None], args: list[str]) -> str | None:
        """Run a handler; a wrong parameter count is -108/-109 (a bug inside the handler
        is not mistaken for one)."""
        try:
            inspect.signature(handler).bind(*args)
        except TypeError:
            if args:
                self.push_error(-108, "Parameter not allowed")
            else:
                self.push_error(-109, "Missing parameter")
            return None
        try:
            return handler(*args)
        except ScpiError as exc:
            self.push_error(exc.code, exc.message)
            return None
