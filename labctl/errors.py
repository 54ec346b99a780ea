"""The one error hierarchy of labctl.

Every failure a user can meet is a `LabctlError`; its message says what went wrong and
where (file and field of a config, instrument name and its own error text).
"""

from __future__ import annotations


class LabctlError(Exception):
    """Base of all labctl errors."""


def describe(exc: BaseException) -> str:
    """A failure's reason for people: a labctl error's own message; anything else (a link
    library's `termios.error`, `struct.error`, ...) prefixed with its type."""
    if isinstance(exc, LabctlError):
        return str(exc) or type(exc).__name__
    kind = type(exc)
    name = kind.__qualname__ if kind.__module__ == "builtins" else \
        f"{kind.__module__}.{kind.__qualname__}"
    return f"{name}: {exc}" if str(exc) else name


def reason_of(exc: BaseException, instrument: str) -> str:
    """`describe(exc)` for a line that names `instrument` already: without its leading
    `instrument: ` or `instrument (`..`)` (a link's errors: `smu (TCPIP::...): ...`)."""
    reason = describe(exc).removeprefix(f"{instrument}: ")
    if reason.startswith(f"{instrument} (") and "): " in reason:
        resource, rest = reason.removeprefix(f"{instrument} (").split("): ", 1)
        reason = f"{resource}: {rest}"
    return reason


class ConfigError(LabctlError):
    """A bench, recipe or sample file is malformed; names the file, line/column and field."""

    def __init__(self, message: str, *, file: str | None = None, field: str | None = None,
                 line: int | None = None, column: int | None = None):
        self.file, self.field, self.line, self.column = file, field, line, column
        self.reason = message
        where = file or "<config>"
        if line is not None:
            where += f":{line}" + (f":{column}" if column is not None else "")
        if field:
            where += f" [{field}]"
        super().__init__(f"{where}: {message}")


class SafetyLimitError(LabctlError):
    """A set-point or command was refused because it exceeds a configured safety limit."""


class InstrumentError(LabctlError):
    """The instrument reported an error (carries the instrument's own text)."""

    def __init__(self, message: str, *, instrument: str | None = None, code: int | None = None):
        self.instrument, self.code, self.reason = instrument, code, message
        super().__init__(f"{instrument}: {message}" if instrument else message)


class Overload(InstrumentError):
    """The signal exceeded the instrument's input range: a smaller AC amplitude may fit."""


class SensorBreak(InstrumentError):
    """The controller reports its sensor open or its reading invalid (a broken thermocouple):
    what it controls on is not the temperature."""


class NotFollowed(InstrumentError):
    """A mass-flow controller's flow has not followed its set-point for its follow window
    (a stuck valve, an empty cylinder, a blocked line)."""


class OxygenOutOfRange(InstrumentError):
    """An oxygen sensor reads a pO2 outside the bench's plausible range (sensor or its
    heater failed, reference air lost, wrong gas supply)."""


class CommunicationError(InstrumentError):
    """The link to the instrument failed (timeout, disconnect, unparseable reply)."""


class InstrumentTimeout(CommunicationError):
    """No (complete) reply within the transport's timeout."""


class InstrumentConnectionError(CommunicationError):
    """The connection could not be opened or was lost."""


class InstrumentBusyError(LabctlError):
    """Instruments are claimed by another labctl process (or bench) of this user: one line
    per instrument, naming the holder (see labctl.claims)."""


class ReplyError(CommunicationError):
    """A reply arrived but does not have the expected format (garbled, stale, truncated)."""


class SafeStateError(LabctlError):
    """Instruments of a bench could not be confirmed in their safe state (or closed); every
    problem is listed (`.problems`), the first one is the `__cause__`."""

    def __init__(self, problems: list[LabctlError], after: BaseException | None = None):
        self.problems = problems
        headline = "instruments not confirmed in their safe state:"
        if after is not None and not any(str(after) in str(p) for p in problems):
            headline = f"{describe(after)}\nand then {headline}"   # the cause first
        super().__init__("\n".join([headline] + [f"  {p}" for p in problems]))


class BenchOpenError(LabctlError):
    """Instruments of a bench could not be opened: each one's cause first (`.failed`, by
    instrument name), then what the safe state of those opened met (`.problems`)."""

    def __init__(self, failed: dict[str, BaseException], problems: list[LabctlError]):
        self.failed, self.problems = failed, problems
        lines = [f"cannot open {len(failed)} of the bench's instruments:"]
        lines += [f"  {name}: {reason_of(exc, name)}"
                  for name, exc in failed.items()]
        if problems:
            lines.append("and then instruments not confirmed in their safe state:")
            lines += [f"  {p}" for p in problems]
        super().__init__("\n".join(lines))


class RangeError(LabctlError, ValueError):
    """A value lies outside what the instrument (or a command) accepts."""


class StoreError(LabctlError):
    """The data store cannot be opened or refused an operation (names the database file)."""


class OutputError(LabctlError):
    """A file or folder the user named for output cannot be written (names the path)."""
