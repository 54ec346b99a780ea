"""`labctl analyze` on chronoamperometry files: a real Wagner polarization (public data, see
tests/data/README.md; in the shared folder, `tests/realdata.py`) replayed through the live
stop rule, and the three file formats."""

import json

import numpy as np
import pytest

from labctl.analysis import chrono, chrono_files
from labctl.cli import main
from labctl.errors import LabctlError
from labctl.protocols import _tail_models
from tests.realdata import real_file

REAL = "yadg-ca-Mo-LBNH-Mo.mpt"
KEYS = {"I_ss_A", "I_ss_std_A", "t_ion", "t_ion_std", "model", "steady", "steady_at_s"}


@pytest.fixture(scope="module")
def real():
    return chrono_files.read(real_file(REAL))


@pytest.fixture(scope="module")
def replayed(real):
    return chrono.analyze(real).json


def last_hour_level(c) -> float:
    return float(c.current_A[c.t_s >= c.t_s[-1] - 3600].mean())


def test_the_real_curve_is_not_steady_and_its_i_ss_is_a_bound_below_the_last_hour(real,
                                                                                  replayed):
    """Still falling at 12 h (tau ~ 8 h): not steady; I_ss reported as a bound no higher
    than the last hour's level (the power-law rule said 4.47 nA at 3 h)."""
    result = replayed
    assert real.voltage_V == 0.3 and real.t_s[-1] == pytest.approx(12 * 3600, rel=1e-3)
    assert not result["steady"] and result["steady_at_s"] is None and result["I_ss_is_bound"]
    assert 0 < result["I_ss_A"] <= last_hour_level(real)
    assert 0 <= result["t_ion"] <= 1


def test_the_power_law_alone_fails_on_the_real_curve_and_prediction_prefers_the_exponential(
        real):
    t, i = real.t_s[1:], real.current_A[1:]
    power = _tail_models.power_law(*_tail_models.tail_window(t, i))
    assert "exponent at its bound" in power.failed
    choice = _tail_models.choose(t, i)
    assert choice.fit.model == "exponential" and not choice.fit.failed
    assert choice.prediction_error["exponential"] < choice.prediction_error["power_law"]


def test_a_low_i0_gives_no_t_ion_outside_0_1(real):
    """A mixed conductor's I_0 near I_ss: the rule never stops, t_ion stays a bound in [0, 1]."""
    result = chrono.analyze(real, i0_A=5e-9).json
    assert not result["steady"] and result["I_ss_is_bound"] and 0 <= result["t_ion"] <= 1


@pytest.mark.parametrize("tau_s, exponent", [(600.0, None), (None, 0.8)])
def test_the_model_that_predicts_is_chosen_and_extrapolates_i_ss(tau_s, exponent):
    t = np.arange(1, 721) * 10.0
    rng = np.random.default_rng(3)
    i_ss = 1e-9
    clean = i_ss + (5e-9 * np.exp(-t / tau_s) if tau_s else 2e-7 * t ** -exponent)
    choice = _tail_models.choose(t, clean * (1 + 1e-3 * rng.standard_normal(t.size)))
    assert choice.fit.model == ("exponential" if tau_s else "power_law")
    assert choice.fit.steady_A == pytest.approx(i_ss, rel=0.01)


def test_the_cli_reports_the_keys_and_draws_the_plot(tmp_path, capsys):
    out = tmp_path / "report"
    assert main(["analyze", str(real_file(REAL)), "--json", "--out", str(out), "--thickness-m", "1e-3",
                 "--area-m2", "1.131e-4"]) == 0
    result = json.loads(capsys.readouterr().out.splitlines()[-1])
    assert KEYS <= set(result) and result["model"] == "exponential"
    assert result["sigma_e_S_per_m"] == pytest.approx(
        1e-3 * result["I_ss_A"] / (0.3 * 1.131e-4))
    assert (out / "chrono.png").stat().st_size > 10_000


def _synthetic():
    t = np.r_[0.0, np.geomspace(1.0, 3e4, 300)]
    i = 2e-9 + 1e-7 * np.exp(-t / 3000.0)
    return t, i * (1 + 1e-3 * np.random.default_rng(5).standard_normal(t.size))


def test_csv_and_gamry_files_read_as_the_same_curve(tmp_path):
    t, i = _synthetic()
    csv = tmp_path / "ca.csv"
    csv.write_text("t_s,I_A\n" + "".join(f"{a:.10g},{b:.10g}\n" for a, b in zip(t, i)))
    dta = tmp_path / "ca.DTA"
    dta.write_text("EXPLAIN\nTAG\tCHRONOA\nTITLE\tLABEL\tChronoamperometry\tTest\n"
                   "CURVE\tTABLE\t301\n\tPt\tT\tVf\tIm\tVu\n\t#\ts\tV vs. Ref.\tA\tV\n"
                   + "".join(f"\t{k}\t{a:.10g}\t0,5\t{b:.10g}\t0\n".replace("e-", "E-")
                             for k, (a, b) in enumerate(zip(t, i))))
    for path in (csv, dta):
        c = chrono_files.read(path)
        assert c.t_s == pytest.approx(t) and c.current_A == pytest.approx(i)
    assert chrono_files.read(dta).voltage_V == 0.5 and chrono_files.read(csv).voltage_V is None
    with pytest.raises(LabctlError, match="give --voltage-V"):
        chrono.analyze(chrono_files.read(csv))
    result = chrono.analyze(chrono_files.read(csv), voltage_V=0.5, i0_A=1.02e-7).json
    assert result["steady"] and result["I_ss_A"] == pytest.approx(2e-9, rel=0.05)


def test_bad_input_names_file_line_and_field(tmp_path, capsys):
    bad = tmp_path / "ca.csv"
    bad.write_text("t_s,I_A\n0,1e-6\n1,abc\n")
    assert main(["analyze", str(bad), "--voltage-V", "0.1", "--out", str(tmp_path / "r")]) == 1
    assert "ca.csv: line 3, I_A: not a number: 'abc'" in capsys.readouterr().err
    mpt = tmp_path / "ca.mpt"
    mpt.write_text("EC-Lab ASCII FILE\nNb header lines : 4\n\ntime/s\tEwe/V\n0\t0.1\n")
    with pytest.raises(LabctlError, match=r"ca.mpt: line 4: no column I/mA or <I>/mA"):
        chrono_files.read(mpt)
