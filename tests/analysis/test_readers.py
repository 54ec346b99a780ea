"""Spectrum files by content: every format on a real instrument file (same numbers as
impedance.py's readers), and each messy variant a result or one clear error."""

import json

import numpy as np
import pytest
from impedance.preprocessing import readFile

from labctl.analysis.readers import read_spectrum
from labctl.cli import main
from labctl.errors import LabctlError
from tests.realdata import real_file
from tests.analysis.samples import random_sample, spectrum


@pytest.mark.parametrize("name, instrument, fmt", [
    ("exampleDataGamry.DTA", "gamry", "Gamry"),
    ("exampleDataGamryABORT.DTA", "gamry", "Gamry"),        # a section after the table
    ("exampleDataBioLogic.mpt", "biologic", "EC-Lab"),
    ("peis.mpt", "biologic", "EC-Lab"),
    ("exampleDataZPlot.z", "zplot", "ZPlot2"),
    ("Circuit1_EIS_1.z", "zplot", "ZPlot2"),                # three comma-separated columns
    ("exampleDataZPlot_noComments.z", "zplot", "ZPlotW"),
])
def test_real_instrument_files_read_as_impedance_py_reads_them(name, instrument, fmt):
    path = real_file(name)
    ours = read_spectrum(path)
    f, z = readFile(str(path), instrument=instrument)
    order = np.argsort(f)[::-1]
    assert ours.format == fmt and not ours.dropped
    np.testing.assert_array_equal(ours.frequency_Hz, f[order])
    np.testing.assert_array_equal(ours.impedance_Ohm, z[order])


@pytest.mark.parametrize("name, points", [("exampleData.csv", 66), ("s04147-140deg.txt", 42)])
def test_real_plain_tables(name, points):
    """impedance.py's headerless CSV; a two-line header whose last line names Zs'/Zs''."""
    ours = read_spectrum(real_file(name))
    assert ours.format == "table" and len(ours.frequency_Hz) == points
    assert np.all(np.diff(ours.frequency_Hz) < 0)
    assert np.median(ours.impedance_Ohm.imag) < 0             # capacitive: Z'' < 0


@pytest.fixture
def measured():
    return spectrum(random_sample(41), 623.15)


def _zplotw(f, z) -> str:
    """ZView's export: quoted header lines, no End Comments, comma-separated rows."""
    rows = "".join(f"{a:.6e}, 1.0000e-02, 0.0000e+00, 1.0, {b.real:.6e}, {b.imag:.6e}, 0, 0, 1\n"
                   for a, b in zip(f, z))
    return ('"ZPlotW Data File: Version 3.1"\n"Modified Data"\n"Sweep Frequency: Control '
            'Voltage"\n""\n"pellet"\n"Frequency"\n0,2,0,1,0.1,65000\n'
            f'{len(f)}\n"  Freq(Hz)    Ampl     Bias   Time(Sec)   Z\'(a)    Z\'\'(b)    GD   '
            f'Err   Range"\n' + rows)


def test_zplotw_export(tmp_path, measured):
    path = tmp_path / "pellet_350C.z"
    path.write_text(_zplotw(*measured))
    ours = read_spectrum(path)
    assert ours.format == "ZPlotW"
    np.testing.assert_allclose(ours.impedance_Ohm, measured[1], rtol=1e-6)


def _table(f, z, separator="\t", decimal=".") -> str:
    rows = [separator.join(f"{v:.6e}".replace(".", decimal) for v in (a, b.real, b.imag))
            for a, b in zip(f, z)]
    return "\n".join([separator.join(("freq/Hz", "Re(Z)/Ohm", "Im(Z)/Ohm"))] + rows) + "\n"


@pytest.mark.parametrize("separator", ["\t", ";", " "])
def test_decimal_commas_are_refused_with_the_line(tmp_path, measured, separator):
    path = tmp_path / "komma_350C.txt"
    path.write_text(_table(*measured, separator=separator, decimal=","))
    with pytest.raises(LabctlError, match=r"komma_350C.txt:2: decimal commas.*decimal points"):
        read_spectrum(path)


def test_decimal_commas_in_a_comma_separated_file_are_ambiguous(tmp_path, measured):
    path = tmp_path / "komma_350C.csv"
    path.write_text(_table(*measured, separator=",", decimal=","))
    with pytest.raises(LabctlError, match=r"komma_350C.csv:2: decimal commas"):
        read_spectrum(path)


def test_nan_and_zero_frequency_rows_are_dropped_and_reported(tmp_path, measured, capsys):
    """Through `labctl analyze --json`: the result on stdout is pure JSON, the dropped
    rows are warnings on stderr and notes in the JSON."""
    f, z = measured
    lines = _table(f, z).splitlines()
    lines[5] = "\t".join(["nan"] + lines[5].split("\t")[1:])
    lines[9] = "\t".join(["0"] + lines[9].split("\t")[1:])
    path = tmp_path / "messy_350C.txt"
    path.write_text("\n".join(lines) + "\n")
    ours = read_spectrum(path)
    assert len(ours.frequency_Hz) == len(f) - 2
    assert ours.dropped == ("line 6: a missing or non-finite value", "line 10: frequency 0 Hz")
    assert main(["analyze", str(path), "--json", "--out", str(tmp_path / "r")]) == 0
    out, err = capsys.readouterr()
    result = json.loads(out)
    assert result["fits"][0]["state"] == "ok"
    assert "messy_350C.txt: line 6: a missing or non-finite value, row dropped" in err
    assert any("line 10: frequency 0 Hz" in note for note in result["notes"])


ROWS = "".join(f"{f}\t0\t0\t0\t1\t-1\n" for f in (1, 2, 3))


@pytest.mark.parametrize("name, text, message", [
    ("x_300C.z", "ZPLOT2 ASCII\nEnd Comments\n1e6\t0\t0\t0\t1.0\t-1.0\n2e5\t0\t0\t0\tabc\t-1\n",
     "x_300C.z:4: not a row of numbers"),
    ("y.z", "End Comments\n" + ROWS, "y.z: no temperature"),
    ("notes_350C.txt", "some notes\nabout nothing\n", "notes_350C.txt: no table of numbers"),
    ("cols_350C.csv", "time/s,Ewe/V,I/mA\n1,2,3\n2,3,4\n3,4,5\n",
     "cols_350C.csv:1: no frequency, real and imaginary impedance columns"),
])
def test_a_bad_file_is_one_clear_error(tmp_path, capsys, name, text, message):
    path = tmp_path / name
    path.write_text(text)
    assert main(["analyze", str(path), "--out", str(tmp_path / "r")]) == 1
    assert message in capsys.readouterr().err


def test_zplot_without_column_names_reads_columns_0_4_5(tmp_path):
    path = tmp_path / "y.z"
    path.write_text("End Comments\n" + ROWS)
    assert read_spectrum(path).frequency_Hz.tolist() == [3, 2, 1]


def test_blank_separated_zplot_with_its_column_line(tmp_path, measured):
    """ZPLOT2 with the column names in its comments and blanks between the numbers."""
    f, z = measured
    rows = "".join(f"{a:.6e}  0  0  0  {b.real:.6e}  {b.imag:.6e}\n" for a, b in zip(f, z))
    path = tmp_path / "blank_350C.z"
    path.write_text("ZPLOT2 ASCII\n  Freq(Hz)  Ampl  Bias  Time(Sec)  Z'(a)  Z''(b)\n"
                    "End Comments\n" + rows)
    np.testing.assert_allclose(read_spectrum(path).impedance_Ohm, z, rtol=1e-6)
