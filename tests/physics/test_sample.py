"""Sample physics against closed forms: Arrhenius law, impedance limits, transients."""

import math

import numpy as np
import pytest
from scipy.constants import e, epsilon_0, k
from scipy.signal import residue
from scipy.special import gamma

from tests.physics.conftest import sample_with

T = 573.15                       # 300 degC
K_B_EV = k / e


# -- DC quantities -------------------------------------------------------------------------
@pytest.mark.parametrize("path", ["bulk", "grain_boundary", "electronic"])
def test_sigma_times_T_is_arrhenius_with_the_file_activation_energy(sample, path):
    p = getattr(sample, path)
    T_K = np.linspace(450.0, 900.0, 20)
    slope = np.polyfit(1 / T_K, np.log(sample.sigma(path, T_K) * T_K), 1)[0]
    assert math.isclose(-slope * K_B_EV, p.Ea_eV, rel_tol=1e-9)
    assert math.isclose(sample.sigma(path, p.T_ref_K), p.sigma_ref_S_per_m, rel_tol=1e-12)


def test_resistances_and_bulk_capacitance_from_geometry(sample):
    d, area = sample.sample.thickness_m, sample.sample.area_m2
    r = sample.resistances(T)
    assert math.isclose(r["bulk"], d / (sample.sigma("bulk", T) * area), rel_tol=1e-12)
    assert math.isclose(sample.bulk_capacitance_F, epsilon_0 * sample.bulk.eps_r * area / d)
    with pytest.raises(ValueError):
        sample.sigma("surface", T)


def test_transference_number(sample):
    r = sample.resistances(T)
    r_ion = r["bulk"] + r["grain_boundary"]
    expected = r["electronic"] / (r["electronic"] + r_ion)
    assert math.isclose(sample.ionic_transference_number(T), expected)


# -- impedance -----------------------------------------------------------------------------
def test_dc_limit_is_the_electronic_resistance(sample):
    z = sample.impedance(1e-12, T)
    assert math.isclose(z.real, sample.resistances(T)["electronic"], rel_tol=1e-6)
    assert abs(z.imag) < 1e-6 * z.real


def test_high_frequency_limit_is_the_three_capacitive_elements_in_series(sample):
    f = np.array([1e9, 1e11])
    s = 2j * np.pi * f
    gb, el = sample.grain_boundary, sample.electrode
    shorted = 1 / (s * sample.bulk_capacitance_F) + 1 / (gb.Q * s ** gb.n) + 1 / (el.Q * s ** el.n)
    z = sample.impedance(f, T)
    assert np.all(np.abs(z / shorted - 1) < [1e-3, 1e-5])
    assert abs(z[1]) < abs(z[0])


def test_separated_arcs_have_closed_form_apexes_and_plateaus():
    """Ideal, widely separated R||C arcs: -Z'' peaks at 1/(2 pi R C); Z' = R_b, then R_b + R_gb
    on the plateaus after each arc."""
    s = sample_with(grain_boundary__n=1.0, grain_boundary__Q=1e-6, electrode__Q=1e-2)
    apex = s.apex_frequencies_Hz(T)
    r = s.resistances(T)
    f = np.logspace(-2, 7, 9001)
    z = s.impedance(f, T)
    for arc, band in (("bulk", f > 1e3), ("grain_boundary", (f > 1e-2) & (f < 1e2))):
        found = f[band][np.argmax(-z.imag[band])]
        assert math.isclose(found, apex[arc], rel_tol=0.01)
    between = math.sqrt(apex["bulk"] * apex["grain_boundary"])
    assert math.isclose(s.impedance(between, T).real, r["bulk"], rel_tol=2e-3)
    below_gb = apex["grain_boundary"] / 30
    r_ion = r["bulk"] + r["grain_boundary"]
    assert math.isclose(s.impedance(below_gb, T).real, r_ion, rel_tol=2e-3)


def test_impedance_rejects_non_positive_frequencies(sample):
    with pytest.raises(ValueError):
        sample.impedance([1.0, 0.0], T)


# -- step response -------------------------------------------------------------------------
def capacitor_step_current(s, V, t):
    """Closed form for n = 1: I(s) = V Y(s)/s is rational; sum of residues e^(p t)."""
    r = s.resistances(T)
    tau_b = r["bulk"] * s.bulk_capacitance_F
    tau_g = r["grain_boundary"] * s.grain_boundary.Q
    num = V * np.polymul([tau_b, 1], [tau_g, 1])
    den = np.polyadd(np.polyadd(r["bulk"] * np.array([tau_g, 1, 0]),
                                r["grain_boundary"] * np.array([tau_b, 1, 0])),
                     np.polymul([tau_b, 1], [tau_g, 1]) / s.electrode.Q)
    res, poles, _ = residue(num, den)
    ionic = (res * np.exp(np.outer(t, poles))).real.sum(axis=1)
    return ionic + V / r["electronic"]


def test_step_current_matches_the_capacitor_closed_form(capacitor_sample):
    t = np.logspace(-8, 1.5, 200)
    exact = capacitor_step_current(capacitor_sample, 0.3, t)
    assert np.max(np.abs(capacitor_sample.step_current(0.3, t, T) / exact - 1)) < 5e-9


def test_step_current_matches_independent_high_precision_inversion_for_cpes(sample):
    mp = pytest.importorskip("mpmath")
    mp.mp.dps = 30
    r = {key: float(v) for key, v in sample.resistances(T).items()}
    gb, el, cb = sample.grain_boundary, sample.electrode, sample.bulk_capacitance_F

    def current(p):   # V * Y_ion(p) / p for V = 1 V
        rb, rgb = r["bulk"], r["grain_boundary"]
        z = rb / (1 + p * rb * cb) + rgb / (1 + rgb * gb.Q * p ** gb.n) + 1 / (el.Q * p ** el.n)
        return 1 / (z * p)
    t = np.logspace(-7, 4, 6)
    reference = np.array([float(mp.invertlaplace(current, x, method="dehoog")) for x in t])
    reference += 1 / r["electronic"]
    assert np.max(np.abs(sample.step_current(1.0, t, T) / reference - 1)) < 1e-8


def test_step_current_limits_plateau_then_electronic_only():
    """Electrode charging far slower than the arcs: plateau V/R_ion + V/R_e, then V/R_e."""
    s = sample_with(electrode__Q=1e-2, electrode__n=1.0)
    r = s.resistances(T)
    V = 0.5
    i0_expected = V / (r["bulk"] + r["grain_boundary"]) + V / r["electronic"]
    i_plateau, i_end = s.step_current(V, [1.0, 1e6], T)
    assert math.isclose(i_plateau, i0_expected, rel_tol=1e-3)
    assert math.isclose(i_end, V / r["electronic"], rel_tol=1e-9)
    assert math.isclose(1 - i_end / i_plateau, s.ionic_transference_number(T), rel_tol=1e-6)


def test_cpe_electrode_gives_the_power_law_tail(sample):
    """Long after the step Y_ion ~ Q s^n, so I - V/R_e -> V Q t^-n / Gamma(1 - n)."""
    V, t = 0.2, 1e6
    tail = sample.step_current(V, t, T) - V / sample.resistances(T)["electronic"]
    el = sample.electrode
    assert math.isclose(tail, V * el.Q * t ** -el.n / gamma(1 - el.n), rel_tol=1e-2)


def test_step_charge_integrates_the_step_current(sample):
    t = np.array([1e-3, 1.0, 100.0])
    h = 1e-6 * t
    derivative = (sample.step_charge(0.1, t + h, T) - sample.step_charge(0.1, t - h, T)) / (2 * h)
    assert np.all(np.abs(derivative / sample.step_current(0.1, t, T) - 1) < 1e-5)
    assert sample.step_charge(0.1, [0.0], T)[0] == 0.0
    with pytest.raises(ValueError):
        sample.step_current(0.1, [0.0], T)


# -- sweeps --------------------------------------------------------------------------------
def capacitor_ramp_current(s, t):
    """Closed form for n = 1 of the ionic current under V = t (1 V/s): residues of Y/s^2."""
    r = s.resistances(T)
    tau_b = r["bulk"] * s.bulk_capacitance_F
    tau_g = r["grain_boundary"] * s.grain_boundary.Q
    num = np.polymul([tau_b, 1], [tau_g, 1])
    den = np.polymul(np.polyadd(np.polyadd(r["bulk"] * np.array([tau_g, 1, 0]),
                                           r["grain_boundary"] * np.array([tau_b, 1, 0])),
                                np.polymul([tau_b, 1], [tau_g, 1]) / s.electrode.Q), [1, 0])
    res, poles, _ = residue(num, den)
    return (res * np.exp(np.outer(t, poles))).real.sum(axis=1)


def test_triangle_sweep_matches_the_capacitor_closed_form(capacitor_sample):
    s, rate, t_turn = capacitor_sample, 0.05, 10.0
    t = np.linspace(0.0, 2 * t_turn, 81)
    v = rate * np.minimum(t, 2 * t_turn - t)
    ionic = rate * (capacitor_ramp_current(s, t)
                    - 2 * np.where(t > t_turn, capacitor_ramp_current(s, np.abs(t - t_turn)), 0.0))
    expected = ionic + v / s.resistances(T)["electronic"] + s.decomposition_current(v)
    current = s.sweep_current(v, t, T)
    assert np.all(np.abs(current - expected)[1:] <= 1e-8 * np.abs(expected).max())
    assert current[0] == 0.0      # the left limit at t = 0: the sweep has not started


def test_sweep_beyond_the_window_follows_tafel(sample):
    st = sample.stability
    b, j_on = st.tafel_slope_V_per_decade, st.onset_current_density_A_per_m2
    area = sample.sample.area_m2
    for onset in (st.oxidation_onset_V, st.reduction_onset_V):
        t = np.linspace(1.0, 100.0, 100)
        v = np.linspace(0, onset + math.copysign(0.5, onset), 101)[1:]
        current = np.abs(sample.sweep_current(v, t, T))
        beyond = np.abs(v) > abs(onset) + 0.2
        slope = np.polyfit(np.abs(v[beyond]), np.log10(current[beyond]), 1)[0]
        assert math.isclose(slope, 1 / b, rel_tol=1e-3)
        assert math.isclose(abs(sample.decomposition_current(onset)), j_on * area, rel_tol=1e-9)
    assert sample.decomposition_current(0.0) == 0.0


def test_sweep_rejects_bad_waveforms(sample):
    for v, t in (([0.1, 0.2], [1.0, 1.0]), ([0.1], [0.0]), ([0.1, 0.2], [2.0, 1.0]),
                 ([0.1], [1.0, 2.0])):
        with pytest.raises(ValueError):
            sample.sweep_current(v, t, T)


# -- noise ---------------------------------------------------------------------------------
def test_seeded_noise_is_reproducible_and_has_the_file_amplitude(sample):
    value = np.full(20000, 2.5e-6)
    a = sample.add_noise(value, np.random.default_rng(7))
    assert np.array_equal(a, sample.add_noise(value, np.random.default_rng(7)))
    assert not np.array_equal(a, sample.add_noise(value, np.random.default_rng(8)))
    assert math.isclose(np.std(a / value - 1), sample.noise.relative, rel_tol=0.03)
    z = sample.add_noise(np.full(20000, 1e3 - 2e3j), np.random.default_rng(1))
    spread = np.std(np.abs(z) / abs(1e3 - 2e3j) - 1)
    assert math.isclose(spread, sample.noise.relative, rel_tol=0.05)
    assert isinstance(sample.add_noise(1.0, np.random.default_rng(1)), float)
