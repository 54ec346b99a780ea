"""Reading user TOML files (bench, recipe, sample) with errors that point at the problem.

`read_toml` turns unreadable files and TOML syntax errors into `ConfigError` with file,
line and column; only regular files up to `MAX_BYTES` are read (a FIFO or `/dev/zero`
would block or fill memory), a UTF-8 BOM is accepted, data nested deeper than `MAX_DEPTH`
is refused. `Problems` collects every validation problem of one file, each with the
`table.key` and the line where that key (or its table) stands, and raises them together in
file order (`steps[2].key`: the second `[[steps]]` table of an array of tables); it also
collects warnings (accepted, but probably not meant).
"""

from __future__ import annotations

import math
import os
import re
import reprlib
import stat
import tomllib
from pathlib import Path
from typing import Any, Iterable

from labctl.errors import ConfigError


def is_number(value: Any) -> bool:
    """A finite int or float (TOML booleans, NaN/inf and integers too large for a float
    are not numbers of a setting)."""
    if not isinstance(value, (int, float)) or isinstance(value, bool):
        return False
    try:
        return math.isfinite(value)
    except OverflowError:
        return False


MAX_BYTES = 1_000_000    # a recipe or bench file is a few kB
MAX_DEPTH = 32           # tables and arrays inside each other (labctl's files need 4)
MAX_SHOWN = 50           # problems printed; the rest are counted
_SHORT = reprlib.Repr()
_SHORT.maxlevel, _SHORT.maxstring, _SHORT.maxother = 3, 60, 60
_SHORT.maxlist = _SHORT.maxdict = 8


def shown(value: Any) -> str:
    """`repr(value)`, shortened for a message (huge or deeply nested values)."""
    return _SHORT.repr(value)


def unknown(mapping: Iterable[str], known: Iterable[str]) -> list[str]:
    """The keys of `mapping` not in `known`, in file order."""
    known = set(known)
    return [key for key in mapping if key not in known]


def parse_toml(text: str, source: str) -> dict[str, Any]:
    """Parse TOML text (a leading BOM allowed); a syntax error becomes ConfigError with
    line and column, data nested too deeply a ConfigError too."""
    try:
        data = tomllib.loads(text.removeprefix("\ufeff"))
    except tomllib.TOMLDecodeError as exc:
        where = re.search(r"at line (\d+), column (\d+)", str(exc))
        line, column = (int(where[1]), int(where[2])) if where else (None, None)
        reason = re.sub(r"\s*\(at .*\)$", "", str(exc))
        raise ConfigError(f"TOML syntax error: {reason}", file=source, line=line,
                          column=column) from None
    except RecursionError:
        data = None
    if data is None or _too_deep(data):
        raise ConfigError(f"tables or arrays nested more than {MAX_DEPTH} deep", file=source)
    return data


def _too_deep(data: Any) -> bool:
    """Whether `data` nests tables/arrays more than MAX_DEPTH deep (iteratively)."""
    level = [data]
    for _ in range(MAX_DEPTH + 1):
        level = [v for item in level if isinstance(item, (dict, list))
                 for v in (item.values() if isinstance(item, dict) else item)]
        if not level:
            return False
    return True


KINDS = {stat.S_ISDIR: "a directory", stat.S_ISFIFO: "a FIFO (named pipe)",
         stat.S_ISCHR: "a character device", stat.S_ISBLK: "a block device",
         stat.S_ISSOCK: "a socket"}


def read_text(path: str | Path, what: str) -> str:
    """The UTF-8 text of a user file (a BOM is dropped). What is not a regular file (a
    FIFO would block, /dev/zero fill memory), larger than MAX_BYTES, unreadable or not
    UTF-8 raises ConfigError."""
    try:    # non-blocking: opening a FIFO returns at once, and fstat tells what it is
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
        try:
            mode = os.fstat(fd).st_mode
            if not stat.S_ISREG(mode):
                kind = next((k for test, k in KINDS.items() if test(mode)), "not a file")
                raise ConfigError(f"{what} is {kind}, not a regular file", file=str(path))
            with os.fdopen(fd, "rb", closefd=False) as file:
                data = file.read(MAX_BYTES + 1)
        finally:
            os.close(fd)
    except OSError as exc:
        raise ConfigError(f"cannot read {what}: {exc.strerror or exc}", file=str(path)) from None
    if len(data) > MAX_BYTES:
        raise ConfigError(f"{what} is larger than {MAX_BYTES / 1e6:g} MB (such files take a "
                          f"few kB): not read", file=str(path))
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ConfigError(f"{what} is not UTF-8 text", file=str(path)) from None


def read_toml(path: str | Path, what: str = "file") -> tuple[dict[str, Any], str]:
    """Parsed TOML and its text (for `Problems` to locate lines)."""
    text = read_text(path, what)
    return parse_toml(text, str(path)), text


class ConfigProblems(ConfigError):
    """Several problems in one file, all reported at once (`.problems`; the message lists
    the first MAX_SHOWN and counts the rest)."""

    def __init__(self, problems: list[ConfigError]):
        self.problems = problems
        lines = [f"  {p}" for p in problems[:MAX_SHOWN]]
        if len(problems) > MAX_SHOWN:
            lines.append(f"  ... and {len(problems) - MAX_SHOWN} more")
        super().__init__(f"{len(problems)} problems:\n" + "\n".join(lines),
                         file=problems[0].file)


KEY = re.compile(r"""\s*([A-Za-z0-9_-]+|"[^"]*"|'[^']*')\s*=""")


class Problems:
    """Collects the validation problems (and warnings) of one file."""

    def __init__(self, source: str, text: str):
        self.source, self.lines, self.items = source, text.splitlines(), []
        self.warnings: list[ConfigError] = []
        self._index: tuple[dict, dict] | None = None

    def add(self, message: str, table: str, key: str | None = None) -> None:
        self.items.append(self._error(message, table, key))

    def warn(self, message: str, table: str, key: str | None = None) -> None:
        """Something accepted that is probably not meant (say what to write instead)."""
        self.warnings.append(self._error(message, table, key))

    def _error(self, message: str, table: str, key: str | None) -> ConfigError:
        return ConfigError(message, file=self.source, field=f"{table}.{key}" if key else table,
                           line=self.locate(table, key))

    def locate(self, table: str, key: str | None = None) -> int | None:
        """Line of `key` inside `[table]` (else of the table's header), if it can be found.
        `name[n]` is the n-th (from 1) `[[name]]` table of an array of tables."""
        headers, keys = self._lines()
        indexed = re.fullmatch(r"(.+)\[(\d+)\]", table)
        where = (indexed[1], int(indexed[2])) if indexed else (table, None)
        if key and (*where, key) in keys:
            return keys[(*where, key)]
        found = headers.get(where)
        if found is None and "." in table:  # an inline table: `options = { key = ... }`
            parent, _, name = table.rpartition(".")
            return self.locate(parent, name)
        return found

    def _lines(self) -> tuple[dict, dict]:
        """Lines of every table header and of every key in a table, found in one pass:
        {(table, n or None): line}, {(table, n or None, key): line}."""
        if self._index is None:
            headers: dict = {}
            keys: dict = {}
            counts: dict[str, int] = {}
            current = None
            for number, line in enumerate(self.lines, 1):
                if line.lstrip().startswith("["):
                    array = re.match(r"\s*\[\[([^\]]*)\]\]", line)
                    header = array or re.match(r"\s*\[([^\]]*)\]", line)
                    current = None
                    if header:
                        name = ".".join(part.strip() for part in header[1].split("."))
                        counts[name] = counts.get(name, 0) + bool(array)
                        current = (name, counts[name] if array else None)
                        headers.setdefault(current, number)
                elif current is not None and (key := KEY.match(line)):
                    keys.setdefault((*current, key[1].strip("\"'")), number)
            self._index = headers, keys
        return self._index

    def raise_if_any(self) -> None:
        """Raise the problems found, in file order (those of no line last)."""
        items = in_file_order(self.items)
        if len(items) == 1:
            raise items[0]
        if items:
            raise ConfigProblems(items)


def in_file_order(errors: list[ConfigError]) -> list[ConfigError]:
    return sorted(errors, key=lambda e: (e.line is None, e.line or 0))
