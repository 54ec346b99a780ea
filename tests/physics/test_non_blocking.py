"""Non-blocking (reversible Li) electrodes against closed forms: the finite-length diffusion
element, the Bruce-Vincent currents, the mode series of the step, drift with cell age."""

import math

import numpy as np
import pytest
from scipy.constants import e, k
from scipy.optimize import brentq

from labctl.clock import VirtualClock
from labctl.errors import ConfigError
from labctl.simulators.physics.sample import SampleModel
from labctl.simulators.physics.sample_file import shipped_sample
from labctl.simulators.world import SimWorld
from tests.physics.conftest import default_tables, sample_with

T = 353.15                       # 80 degC
K_B_EV = k / e
V = 10e-3


@pytest.fixture
def li() -> SampleModel:
    return SampleModel.from_toml(shipped_sample("li-peo"))


def ideal(**changes) -> SampleModel:
    """The Li sample with negligible capacitances: only R_b + R_i + Z_D remain."""
    return sample_with("li-peo", bulk__eps_r=1.0, electrode__Q=1e-12, electrode__n=1.0,
                       **changes)


def tau_w(s: SampleModel) -> float:
    return s.sample.thickness_m ** 2 / (4 * float(s.diffusion_coefficient(T)))


# -- resistances and their temperature laws ------------------------------------------------
def test_interface_and_diffusion_resistances(li):
    r = li.resistances(T)
    el, t_plus = li.electrode, li.transference.t_plus
    expected_ri = el.asr_ref_Ohm_m2 / li.sample.area_m2 * math.exp(
        el.Ea_eV / K_B_EV * (1 / T - 1 / el.T_ref_K))
    assert math.isclose(r["interface"], expected_ri, rel_tol=1e-12)
    assert math.isclose(r["diffusion"], r["bulk"] * (1 - t_plus) / t_plus, rel_tol=1e-12)
    assert r["grain_boundary"] == 0.0 and li.grain_boundary is None
    with pytest.raises(ValueError):
        li.sigma("grain_boundary", T)


def test_diffusion_coefficient_is_arrhenius_and_sets_the_diffusion_time(li):
    T_K = np.linspace(298.15, 363.15, 10)
    slope = np.polyfit(1 / T_K, np.log(li.diffusion_coefficient(T_K)), 1)[0]
    assert math.isclose(-slope * K_B_EV, li.transference.Ea_eV, rel_tol=1e-9)
    d = li.transference.D_ref_m2_per_s
    assert math.isclose(li.diffusion_time_s(li.transference.T_ref_K),
                        li.sample.thickness_m ** 2 / (math.pi ** 2 * d), rel_tol=1e-12)


def test_interface_drifts_with_age_towards_its_final_value(li):
    el = li.electrode
    r0 = li.resistances(T)["interface"]
    for age in (0.0, el.drift_time_s, 50 * el.drift_time_s):
        expected = r0 * (1 + el.drift_fraction * (1 - math.exp(-age / el.drift_time_s)))
        assert math.isclose(li.at_age(age).resistances(T)["interface"], expected, rel_tol=1e-12)
    assert li.at_age(1e6).resistances(T)["bulk"] == li.resistances(T)["bulk"]
    blocking = SampleModel.default()
    assert blocking.at_age(1e6) is blocking


def test_the_world_serves_the_sample_at_its_clock_age():
    clock = VirtualClock(start=500.0)
    world = SimWorld.create(clock=clock, sample_path=shipped_sample("li-peo"))
    r0 = world.sample.resistances(T)["interface"]
    clock.sleep(world.sample.electrode.drift_time_s)
    grown = world.sample.resistances(T)["interface"] / r0 - 1
    assert math.isclose(grown, world.sample.electrode.drift_fraction * (1 - math.exp(-1)),
                        rel_tol=1e-9)


# -- impedance -----------------------------------------------------------------------------
def test_dc_limit_is_bulk_over_t_plus_plus_interface(li):
    r = li.resistances(T)
    z = li.impedance(1e-12, T)
    r_dc = r["bulk"] / li.transference.t_plus + r["interface"]
    expected = 1 / (1 / r_dc + 1 / r["electronic"])
    assert math.isclose(z.real, expected, rel_tol=1e-9)


def test_finite_diffusion_element_low_and_high_frequency_forms():
    """Z_D = R_D tanh(x)/x, x = sqrt(j w tau_w): -Z'' -> R_D w tau_w / 3 at low frequency;
    a 45-degree Warburg line Z_D -> R_D / x far above 1/tau_w."""
    s = ideal()
    r, tw = s.resistances(T), tau_w(s)
    r_dc = r["bulk"] + r["interface"] + r["diffusion"]
    w = 1e-4 / tw
    z = s.impedance(w / (2 * math.pi), T)
    assert math.isclose(-z.imag, r["diffusion"] * w * tw / 3, rel_tol=1e-3)
    assert math.isclose(z.real, r_dc, rel_tol=1e-6)
    w = 1e4 / tw
    z_d = s.impedance(w / (2 * math.pi), T) - (r["bulk"] + r["interface"])
    assert abs(z_d / (r["diffusion"] / np.sqrt(1j * w * tw)) - 1) < 1e-6


def test_interface_arc_apex_and_plateau_between_the_arcs(li):
    """Between the interface arc and the diffusion feature Z' = R_b + R_i."""
    r = li.resistances(T)
    apex = li.apex_frequencies_Hz(T)["interface"]
    f = np.logspace(math.log10(apex) - 2, math.log10(apex) + 2, 2001)
    found = f[np.argmax(-li.impedance(f, T).imag)]
    assert math.isclose(found, apex, rel_tol=0.02)
    between = math.sqrt(apex * (1 / tau_w(li)))
    assert math.isclose(li.impedance(between, T).real, r["bulk"] + r["interface"], rel_tol=5e-3)


# -- step response -------------------------------------------------------------------------
def mode_series(s: SampleModel, t, modes: int = 3000):
    """I(t) = V/(R + R_D) + sum_k 2 y_k V / (R_D (y_k sec^2 y_k - tan y_k)) exp(-y_k^2 t/tau_w),
    tan y_k = -(R/R_D) y_k, R = R_b + R_i (residues of V / (s Z(s)); capacitances neglected)."""
    r = s.resistances(T)
    big_r, r_d = r["bulk"] + r["interface"], r["diffusion"]
    y = np.array([brentq(lambda x: r_d * math.sin(x) + big_r * x * math.cos(x),
                         (j - 0.5) * math.pi, j * math.pi) for j in range(1, modes + 1)])
    amplitude = 2 * y * V / (r_d * (y / np.cos(y) ** 2 - np.tan(y)))
    decay = np.exp(-np.outer(t, y ** 2) / tau_w(s))
    return V / (big_r + r_d) + decay @ amplitude + V / r["electronic"], y


def test_step_current_is_the_series_of_decaying_diffusion_modes():
    s = ideal()
    t = tau_w(s) * np.logspace(-3, 1, 25)
    series, _ = mode_series(s, t)
    assert np.max(np.abs(s.step_current(V, t, T) / series - 1)) < 1e-7


def test_bruce_vincent_initial_and_steady_state_currents():
    s = ideal()
    r = s.resistances(T)
    t_plus = s.transference.t_plus
    i_early, i_ss = s.step_current(V, [1e-9 * tau_w(s), 100 * tau_w(s)], T) - V / r["electronic"]
    assert math.isclose(i_early, V / (r["bulk"] + r["interface"]), rel_tol=1e-4)
    assert math.isclose(i_ss, V / (r["bulk"] / t_plus + r["interface"]), rel_tol=1e-9)


def test_slowest_mode_tends_to_the_diffusion_time_when_the_diffusion_resistance_is_small():
    s = ideal(transference__t_plus=0.999)
    _, y = mode_series(s, [1.0], modes=2)
    slowest = tau_w(s) / y[0] ** 2
    assert math.isclose(slowest, float(s.diffusion_time_s(T)), rel_tol=1e-3)
    t = float(s.diffusion_time_s(T)) * np.array([3.0, 4.0])
    i_ss = s.step_current(V, 1e3 * t[0], T)
    rate = -np.diff(np.log(s.step_current(V, t, T) - i_ss))[0] / np.diff(t)[0]
    assert math.isclose(1 / rate, slowest, rel_tol=1e-3)


def test_step_charge_integrates_the_non_blocking_step_current(li):
    t = np.array([1e-3, 10.0, 1e4])
    h = 1e-6 * t
    derivative = (li.step_charge(V, t + h, T) - li.step_charge(V, t - h, T)) / (2 * h)
    assert np.all(np.abs(derivative / li.step_current(V, t, T) - 1) < 1e-5)


# -- the sample file -----------------------------------------------------------------------
def test_default_sample_stays_blocking_and_the_li_sample_is_not():
    assert not SampleModel.default().non_blocking
    assert SampleModel.from_toml(shipped_sample("li-peo")).non_blocking


def _field(data) -> str:
    """The `table.key` of the first problem of a sample."""
    with pytest.raises(ConfigError) as info:
        SampleModel.from_dict(data, source="s.toml")
    return getattr(info.value, "problems", [info.value])[0].field


def test_electrode_kind_and_transference_table_are_validated():
    li_tables = default_tables("li-peo")
    assert _field({**li_tables, "electrode": {**li_tables["electrode"], "kind": "porous"}}) \
        == "electrode.kind"
    assert _field({k: v for k, v in li_tables.items() if k != "transference"}) == "transference"
    assert _field({**default_tables(), "transference": li_tables["transference"]}) \
        == "transference"
    bad = {**li_tables, "transference": {**li_tables["transference"], "t_plus": 1.5}}
    assert _field(bad) == "transference.t_plus"
    blocking = {**default_tables(), "electrode": {**default_tables()["electrode"],
                                                  "kind": "blocking"}}
    assert not SampleModel.from_dict(blocking).non_blocking
    assert _field({**li_tables, "electrode": {**li_tables["electrode"], "drift_time_s": 0}}) \
        == "electrode.drift_time_s"
