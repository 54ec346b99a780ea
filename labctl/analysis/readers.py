"""Impedance spectra from the files labs have, recognised by content, not by suffix.

Formats: ZView/ZPlot `.z` (ZPLOT2 ASCII, with `End Comments`; "ZPlotW Data File",
quoted header lines and comma-separated rows), Gamry `.DTA` (the ZCURVE table), BioLogic
EC-Lab `.mpt` text (its `Nb header lines`), and any CSV/TXT table whose header names a
frequency, a real and an imaginary column (`freq/Hz`, `Z'`, `-Z''`, `Zreal`, `Re(Z)`...),
or that has exactly three numeric columns f, Z', Z''.
Each format only says where its table starts and how its columns are named; one table
reader does the rest. A row with a missing value, NaN or a frequency <= 0 is dropped and
reported (`Spectrum.dropped`); text where a number belongs, a decimal comma or a table
without the three columns is a `LabctlError` naming file, line and field.
(`impedance.preprocessing` reads some of these too, chosen by instrument name, without
row-level reports; the tests compare both on the instruments' public example files.)
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from labctl.errors import LabctlError

MIN_POINTS = 3


@dataclass(frozen=True)
class Spectrum:
    frequency_Hz: np.ndarray     # descending
    impedance_Ohm: np.ndarray    # Z' + j Z''
    comments: str                # the header text before the table
    format: str
    dropped: tuple[str, ...]     # "line N: why" for each row left out


@dataclass(frozen=True)
class _Layout:
    format: str
    header: int | None           # index of the line naming the columns, None: no names
    first_row: int               # index of the first data line
    separator: str | None        # None: runs of blanks


_DECIMAL_COMMA = re.compile(r"^[-+]?\d+,\d+(?:[eE][-+]?\d+)?$")


def read_lines(path: Path) -> list[str]:
    """A measurement file's lines (instrument software writes Latin-1 or ASCII)."""
    try:
        return Path(path).read_text(encoding="latin-1").splitlines()
    except OSError as exc:
        raise LabctlError(f"{path}: cannot read: {exc.strerror}") from exc


def ec_lab_header_lines(path, lines: list[str]) -> int:
    """An EC-Lab .mpt text file's 'Nb header lines' (line 2): the column names are on the
    last of them."""
    found = re.search(r"Nb header lines\s*:\s*(\d+)", lines[1] if len(lines) > 1 else "")
    if not found:
        raise LabctlError(f"{path}:2: EC-Lab file without 'Nb header lines'")
    return int(found.group(1))


def read_spectrum(path: Path) -> Spectrum:
    lines = read_lines(path)
    layout = _layout(path, lines)
    names = _names(lines[layout.header], layout.separator) if layout.header is not None else []
    columns = _columns(path, names, layout, lines)
    f, z, dropped = _table(path, lines, layout, columns, len(names))
    order = np.argsort(f)[::-1]
    return Spectrum(f[order], z[order], "\n".join(lines[:layout.first_row]), layout.format,
                    tuple(dropped))


def _layout(path, lines: list[str]) -> _Layout:
    first = lines[0].strip() if lines else ""
    stripped = [line.strip() for line in lines]
    if first.startswith('"ZPlotW Data File'):
        header = next((i for i, s in enumerate(stripped) if "Freq(Hz)" in s), None)
        if header is None:
            raise LabctlError(f"{path}: ZPlotW file without the Freq(Hz) column line")
        return _Layout("ZPlotW", header, header + 1, ",")
    if "end comments" in (s.lower() for s in stripped):
        end = [s.lower() for s in stripped].index("end comments")
        header = next((i for i in range(end) if "Freq(Hz)" in lines[i]), None)
        data = next((line for line in lines[end + 1:] if line.strip()), "")
        return _Layout("ZPlot2", header, end + 1, _separator(data))
    if first == "EC-Lab ASCII FILE":
        count = ec_lab_header_lines(path, lines)
        return _Layout("EC-Lab", count - 1, count, "\t")
    tables = [s.split("\t")[0] for s in stripped]
    if "ZCURVE" in tables:
        start = tables.index("ZCURVE")
        return _Layout("Gamry", start + 1, start + 3, "\t")        # names, units, rows
    return _plain_layout(path, lines)


def _plain_layout(path, lines: list[str]) -> _Layout:
    """CSV/TXT: the first line that starts with a number begins the table; the line
    before it (if any) names the columns."""
    for i, line in enumerate(lines):
        fields = _split(line, _separator(line))
        if fields and (_is_number(fields[0]) or _DECIMAL_COMMA.match(fields[0])):
            return _Layout("table", i - 1 if i else None, i, _separator(line))
    raise LabctlError(f"{path}: no table of numbers found (not a spectrum file labctl knows)")


def _separator(line: str) -> str | None:
    return next((c for c in ("\t", ";", ",") if c in line), None)


def _split(line: str, separator: str | None) -> list[str]:
    """Fields without quotes and blanks; leading empty fields (Gamry's rows) dropped."""
    parts = line.split(separator) if separator else line.split()
    fields = [p.strip().strip('"').strip() for p in parts]
    while fields and not fields[0] and separator == "\t":
        fields.pop(0)
    return fields


def _names(line: str, separator: str | None) -> list[str]:
    text = line.strip().strip('"')
    if separator == "," and "," not in text:      # ZPlotW: one quoted, blank-separated line
        return text.split()
    return _split(line, separator if separator and separator in line else None)


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def _columns(path, names: list[str], layout: _Layout, lines) -> tuple[int, int, int, float]:
    """(frequency, real, imaginary column, sign of the imaginary one)."""
    keys = [n.lower().replace(" ", "") for n in names]
    freq = next((i for i, k in enumerate(keys) if k.startswith("freq") or k == "f/hz"), None)
    imag = next((i for i, k in enumerate(keys)
                 if "''" in k or '"' in k or "zimag" in k or "im(z)" in k), None)
    real = next((i for i, k in enumerate(keys) if i not in (freq, imag) and (
        "'" in k or "zreal" in k or "re(z)" in k)), None)
    if None not in (freq, real, imag):
        return freq, real, imag, -1.0 if keys[imag].startswith("-") else 1.0
    first = _split(lines[layout.first_row], layout.separator) if layout.first_row < len(
        lines) else []
    if not names and len(first) == 3:
        return 0, 1, 2, 1.0
    if layout.format == "ZPlot2":
        return 0, 4, 5, 1.0
    where = f"{path}:{layout.header + 1}" if layout.header is not None else str(path)
    raise LabctlError(f"{where}: no frequency, real and imaginary impedance columns among "
                      f"{names or 'the columns'}")


def _table(path, lines, layout: _Layout, columns, n_names: int
           ) -> tuple[np.ndarray, np.ndarray, list[str]]:
    i_f, i_re, i_im, sign = columns
    rows, dropped = [], []
    for index in range(layout.first_row, len(lines)):
        line, number = lines[index], index + 1
        if not line.strip():
            continue
        fields = _split(line, layout.separator)
        if rows and not _is_number(fields[0]):
            break                                   # the next section (Gamry) ends the table
        _refuse_decimal_commas(path, number, line, fields, layout.separator, n_names)
        try:
            values = [float(fields[i]) if fields[i] else np.nan for i in (i_f, i_re, i_im)]
        except IndexError:
            dropped.append(f"line {number}: {len(fields)} fields, fewer than the columns")
            continue
        except ValueError:
            raise LabctlError(f"{path}:{number}: not a row of numbers: "
                              f"{line.strip()[:60]!r}") from None
        if not np.all(np.isfinite(values)):
            dropped.append(f"line {number}: a missing or non-finite value")
        elif values[0] <= 0:
            dropped.append(f"line {number}: frequency {values[0]:g} Hz")
        else:
            rows.append(values)
    if len(rows) < MIN_POINTS:
        raise LabctlError(f"{path}: {len(rows)} usable data rows; a spectrum needs at least "
                          f"{MIN_POINTS}" + (f" ({'; '.join(dropped[:3])})" if dropped else ""))
    data = np.array(rows)
    return data[:, 0], data[:, 1] + 1j * sign * data[:, 2], dropped


def _refuse_decimal_commas(path, number, line, fields, separator, n_names) -> None:
    """Decimal commas are refused: between tabs or blanks they are plain to see, in a
    comma-separated file they show as more fields than the header names."""
    ambiguous = (any(_DECIMAL_COMMA.match(field) for field in fields) if separator != ","
                 else n_names and len(fields) > n_names)
    if ambiguous:
        raise LabctlError(f"{path}:{number}: decimal commas ({line.strip()[:50]!r}): labctl "
                          f"reads decimal points only; export the file with decimal points")
