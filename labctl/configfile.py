"""Reading user TOML files (bench, recipe, sample) with errors that point at the problem.

`read_toml` turns unreadable files and TOML syntax errors into `ConfigError` with file,
line and column; `Problems` collects every validation problem of one file, each with the
`table.key` and the line where that key (or its table) stands, and raises them together
(`steps[2].key`: the second `[[steps]]` table of an array of tables).
"""

from __future__ import annotations

import math
import re
import tomllib
from pathlib import Path
from typing import Any

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


def parse_toml(text: str, source: str) -> dict[str, Any]:
    """Parse TOML text; a syntax error becomes ConfigError with line and column."""
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        where = re.search(r"at line (\d+), column (\d+)", str(exc))
        line, column = (int(where[1]), int(where[2])) if where else (None, None)
        reason = re.sub(r"\s*\(at .*\)$", "", str(exc))
        raise ConfigError(f"TOML syntax error: {reason}", file=source, line=line,
                          column=column) from None


def read_text(path: str | Path, what: str) -> str:
    """The UTF-8 text of a user file; unreadable files raise ConfigError."""
    try:
        return Path(path).read_bytes().decode("utf-8")
    except OSError as exc:
        raise ConfigError(f"cannot read {what}: {exc.strerror or exc}", file=str(path)) from None
    except UnicodeDecodeError:
        raise ConfigError(f"{what} is not UTF-8 text", file=str(path)) from None


def read_toml(path: str | Path, what: str = "file") -> tuple[dict[str, Any], str]:
    """Parsed TOML and its text (for `Problems` to locate lines)."""
    text = read_text(path, what)
    return parse_toml(text, str(path)), text


class ConfigProblems(ConfigError):
    """Several problems in one file, all reported at once (`.problems`)."""

    def __init__(self, problems: list[ConfigError]):
        self.problems = problems
        super().__init__(f"{len(problems)} problems:\n" + "\n".join(f"  {p}" for p in problems),
                         file=problems[0].file)


class Problems:
    """Collects the validation problems of one file."""

    def __init__(self, source: str, text: str):
        self.source, self.lines, self.items = source, text.splitlines(), []

    def add(self, message: str, table: str, key: str | None = None) -> None:
        self.items.append(ConfigError(message, file=self.source,
                                      field=f"{table}.{key}" if key else table,
                                      line=self.locate(table, key)))

    def locate(self, table: str, key: str | None = None) -> int | None:
        """Line of `key` inside `[table]` (else of the table's header), if it can be found.
        `name[n]` is the n-th (from 1) `[[name]]` table of an array of tables."""
        indexed = re.fullmatch(r"(.+)\[(\d+)\]", table)
        name, index = (indexed[1], int(indexed[2])) if indexed else (table, None)
        dotted = r"\s*\.\s*".join(map(re.escape, name.split(".")))
        header = re.compile(r"^\s*\[\[\s*" + dotted + r"\s*\]\]" if indexed
                            else r"^\s*\[\s*" + dotted + r"\s*\]")
        inside, found, seen = False, None, 0
        for number, line in enumerate(self.lines, 1):
            if line.lstrip().startswith("["):
                match = bool(header.match(line))
                seen += match
                inside = match and (index is None or seen == index)
                found = found or (number if inside else None)
                continue
            if inside and key and re.match(rf"^\s*{re.escape(key)}\s*=", line):
                return number
        if found is None and "." in table:  # an inline table: `options = { key = ... }`
            parent, _, name = table.rpartition(".")
            return self.locate(parent, name)
        return found

    def raise_if_any(self) -> None:
        if len(self.items) == 1:
            raise self.items[0]
        if self.items:
            raise ConfigProblems(self.items)
