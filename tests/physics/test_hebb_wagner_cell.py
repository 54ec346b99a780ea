"""The simulated Hebb-Wagner cell: its steady I(E), its transient, and its sample table."""

from __future__ import annotations

import tomllib

import numpy as np
import pytest
from scipy.constants import R, atm, physical_constants

from labctl.errors import ConfigError
from labctl.simulators.physics.sample import SampleModel
from labctl.simulators.physics.sample_file import shipped_sample

T_K = 1073.15
F = physical_constants["Faraday constant"][0]


def tables(name: str = "8ysz-hebb-wagner") -> dict:
    return tomllib.loads(shipped_sample(name).read_text())


def cell() -> SampleModel:
    return SampleModel.from_dict(tables())


def test_the_parts_are_those_at_the_reversible_electrodes_pO2_whatever_the_gas():
    hw = cell().at_pO2(0.21 * atm)
    plain = SampleModel.from_dict({k: v for k, v in tables().items() if k != "hebb_wagner_cell"})
    reference = plain.at_pO2(hw.hebb_wagner_cell.reference_pO2_Pa)
    assert hw.electronic_parts(T_K) == pytest.approx(reference.electronic_parts(T_K))


def test_steady_current_saturates_in_n_and_grows_exponentially_in_p():
    c = cell()
    n, p = c.electronic_parts(T_K)
    scale = R * T_K * c.sample.area_m2 / (F * c.sample.thickness_m)
    e = np.array([0.5, 0.6])       # x = EF/RT >> 1: I = scale (n + p exp(x)) very nearly
    i = c.hebb_wagner_current(e, T_K)
    x = e * F / (R * T_K)
    p_from_slope = (i[1] - i[0]) / scale / (np.exp(x[1]) - np.exp(x[0]))
    assert p_from_slope == pytest.approx(p, rel=1e-3)
    assert c.hebb_wagner_current(2.0, T_K) == pytest.approx(       # n has saturated
        scale * (n + p * np.expm1(2.0 * F / (R * T_K))), rel=1e-6)


def test_small_signal_slope_at_zero_is_the_linear_electronic_path():
    c, dv = cell(), 1e-6
    slope = (c.hebb_wagner_current(dv, T_K) - c.hebb_wagner_current(-dv, T_K)) / (2 * dv)
    assert slope == pytest.approx(1 / c.resistances(T_K)["electronic"], rel=1e-6)


def test_a_step_relaxes_to_the_hebb_wagner_current():
    c, t = cell(), np.array([1e-3, 3e4])
    i = c.step_current(0.3, t, T_K) + c.static_current(0.3, T_K) - c.decomposition_current(0.3)
    assert i[0] > 1e3 * i[1]                          # the ions carry it first
    assert i[1] == pytest.approx(c.hebb_wagner_current(0.3, T_K), rel=1e-3)


def test_other_cells_keep_their_linear_electronic_current():
    plain = SampleModel.from_toml(shipped_sample("8ysz-po2"))
    v = np.array([-1.0, 0.3, 2.0])
    np.testing.assert_array_equal(plain.static_current(v, T_K), plain.decomposition_current(v))


def without_brouwer(data: dict) -> None:
    data.pop("brouwer")
    data["electronic"] = {"sigma_ref_S_per_m": 1e-6, "T_ref_K": T_K, "Ea_eV": 1.0}


def negative_pO2(data: dict) -> None:
    data["hebb_wagner_cell"]["reference_pO2_Pa"] = -1.0


@pytest.mark.parametrize("change, where", [
    (without_brouwer, "hebb_wagner_cell"),
    (negative_pO2, "hebb_wagner_cell.reference_pO2_Pa")])
def test_bad_hebb_wagner_tables_are_refused_by_name(change, where):
    data = tables()
    change(data)
    with pytest.raises(ConfigError, match=where.replace(".", r"\.")):
        SampleModel.from_dict(data, source="hw.toml")
