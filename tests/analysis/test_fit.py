"""Circuit fits: agreement with impedance.py, ground truth, errors, failures reported."""

import numpy as np
import pytest
from impedance.models.circuits.fitting import circuit_fit
from impedance.preprocessing import ignoreBelowX
from impedance.tests.test_preprocessing import Z_correct, frequencies

from labctl.analysis.circuits import Circuit, CircuitError
from labctl.analysis.fit import fit
from tests.analysis.samples import random_sample, spectrum

CIRCUIT = "p(p(R1,CPE1)-p(R2,CPE2)-CPE3,R4)"
EXAMPLE = ignoreBelowX(frequencies, Z_correct)      # impedance.py's bundled example data


@pytest.mark.parametrize("circuit, guess, by_modulus", [
    ("R0-p(R1,C1)-p(R2-Wo1,C2)", [.01, .01, 100, .01, .05, 100, 1], True),
    ("R0-p(R1,CPE1)-p(R2,CPE2)", [.01, .01, 10, .9, .01, 100, .9], False),
    ("R0-p(R1,CPE1)-p(R2,CPE2)", [.01, .01, 10, .9, .01, 100, .9], True),
    ("R0-p(R1,C1)-p(R2,CPE2)-W1", [.01, .01, 10, .01, 100, .9, .01], False),
])
def test_agrees_with_impedance_py_on_its_example_data(circuit, guess, by_modulus):
    f, z = EXAMPLE
    expected, expected_error = circuit_fit(f, z, circuit, guess, constants={},
                                           weight_by_modulus=by_modulus)
    weighting = "modulus" if by_modulus else "unit"
    given = fit(f, z, circuit, initial=guess, weighting=weighting, automatic=False)
    assert given.success and given.converged
    np.testing.assert_allclose(given.values, expected, rtol=0.01)
    np.testing.assert_allclose(given.stderr, expected_error, rtol=0.05)
    automatic = fit(f, z, circuit, weighting=weighting)
    if "Wo" in circuit:     # no arc guess for p(R2-Wo1,C2): another, better minimum
        assert automatic.rms_relative < given.rms_relative
    else:
        np.testing.assert_allclose(automatic.values, expected, rtol=0.01)


def test_where_impedance_py_stops_early_the_fit_goes_further():
    """Unit weighting, open Warburg: impedance.py stops 2 % short on the correlated Wo
    parameters; this fit ends at a lower cost from the same start."""
    f, z = EXAMPLE
    circuit, guess = "R0-p(R1,C1)-p(R2-Wo1,C2)", [.01, .01, 100, .01, .05, 100, 1]
    theirs, _ = circuit_fit(f, z, circuit, guess, constants={})
    ours = fit(f, z, circuit, initial=guess, weighting="unit", automatic=False)

    def cost(p):
        return np.sum(np.abs(Circuit(circuit).impedance(p, f) - z) ** 2)
    assert cost(ours.values) < cost(theirs)
    np.testing.assert_allclose(ours.values, theirs, rtol=0.03)


def test_on_our_data_impedance_py_finds_no_better_fit():
    """impedance.py's linear-space TRF does not converge on a 9-parameter pellet spectrum
    (values span 1e-10..1e13, its xtol is relative to the largest): from a start 20 % off
    it ends far worse. Started at our optimum it stays there (within 1 %): no descent
    direction for its own objective, so both agree on where the minimum is."""
    f, z = spectrum(random_sample(1), 623.15)
    ours = fit(f, z, CIRCUIT)
    upper = Circuit(CIRCUIT).upper_bounds
    bounds = (np.zeros(upper.size), upper)

    def theirs(start):
        return circuit_fit(f, z, CIRCUIT, list(start), constants={}, weight_by_modulus=True,
                           bounds=bounds, maxfev=2000)[0]

    def cost(p):
        return np.sum(np.abs((Circuit(CIRCUIT).impedance(p, f) - z) / z) ** 2)
    np.testing.assert_allclose(theirs(ours.values), ours.values, rtol=0.01)
    assert cost(ours.values) < cost(theirs(np.minimum(ours.values * 1.2, 0.99 * upper)))


@pytest.mark.parametrize("seed", [2, 3, 4])
@pytest.mark.parametrize("T_K", [548.15, 723.15])
def test_recovers_the_simulated_circuit_without_hand_tuning(seed, T_K):
    sample = random_sample(seed)
    f, z = spectrum(sample, T_K, seed)
    result = fit(f, z, CIRCUIT)
    r = sample.resistances(T_K)
    assert result.success, result.message
    assert result.params["R1"] == pytest.approx(r["bulk"], rel=0.02)
    assert result.params["R2"] == pytest.approx(r["grain_boundary"], rel=0.02)
    assert result.params["CPE2_1"] == pytest.approx(sample.grain_boundary.n, abs=0.02)
    assert result.params["CPE3_1"] == pytest.approx(sample.electrode.n, abs=0.02)
    assert result.rms_relative < 3 * sample.noise.relative


def test_interchangeable_arcs_come_out_fastest_first_whatever_the_start():
    """p(R1,CPE1)-p(R2,CPE2) is the same circuit with the arcs swapped: a start with the
    grain boundary in R1 ends with the bulk (the faster arc) in R1 and its errors with it."""
    sample = random_sample(3)
    f, z = spectrum(sample, 723.15, 3)
    right = fit(f, z, CIRCUIT)
    p = right.params
    swapped = dict(p, R1=p["R2"], R2=p["R1"], CPE1_0=p["CPE2_0"], CPE2_0=p["CPE1_0"],
                   CPE1_1=p["CPE2_1"], CPE2_1=p["CPE1_1"])
    again = fit(f, z, CIRCUIT, initial=swapped, automatic=False)
    assert again.start == "given"
    np.testing.assert_allclose(again.values, right.values, rtol=1e-5)
    np.testing.assert_allclose(again.stderr, right.stderr, rtol=1e-3)
    assert right.params["R1"] == pytest.approx(sample.resistances(723.15)["bulk"], rel=0.02)


def test_a_given_start_competes_with_the_automatic_ones():
    """A poor `initial=` does not decide the fit: the best of all starts wins."""
    sample = random_sample(4)
    f, z = spectrum(sample, 548.15, 4)
    poor = dict.fromkeys(Circuit(CIRCUIT).parameter_names, 0.5)
    alone = fit(f, z, CIRCUIT, initial=poor, automatic=False)
    best = fit(f, z, CIRCUIT, initial=poor)
    assert best.rms_relative < alone.rms_relative / 10
    assert best.params["R1"] == pytest.approx(sample.resistances(548.15)["bulk"], rel=0.02)


def test_standard_errors_match_the_scatter_of_repeated_fits():
    """Where every parameter is well determined (the fit is close to linear): the errors
    from the Jacobian predict the scatter over noise realisations."""
    sample = random_sample(6)
    fits = [fit(*spectrum(sample, 623.15, seed), CIRCUIT) for seed in range(20)]
    assert not any("poorly" in w for r in fits for w in r.warnings)
    for name in ("R1", "R2", "CPE2_1"):
        scatter = np.std([r.params[name] for r in fits], ddof=1)
        assert scatter == pytest.approx(np.median([r.errors[name] for r in fits]), rel=0.4)
    corr = fits[0].correlation
    free = ~np.isnan(np.diag(corr))             # parameters at a bound have none
    assert free.sum() >= 8
    np.testing.assert_allclose(corr[np.ix_(free, free)], corr[np.ix_(free, free)].T)
    np.testing.assert_allclose(np.diag(corr)[free], 1.0)
    assert np.all(np.abs(corr[np.ix_(free, free)]) <= 1 + 1e-9)


def test_proportional_weighting_also_finds_the_truth():
    sample = random_sample(6)
    f = np.logspace(6, -1, 36)
    z = sample.impedance(f, 623.15)
    result = fit(f, z, CIRCUIT, weighting="proportional")
    assert result.params["R2"] == pytest.approx(sample.resistances(623.15)["grain_boundary"],
                                                rel=1e-4)


def test_previous_fit_is_a_start():
    sample = random_sample(7)
    f, z = spectrum(sample, 600.0)
    previous = fit(f, z, CIRCUIT)
    f, z = spectrum(sample, 610.0)
    result = fit(f, z, CIRCUIT, previous=previous, max_nfev=12)
    assert result.state == "ok" and result.start == "previous"
    alone = fit(f, z, CIRCUIT, max_nfev=12)                   # the automatic start alone
    assert alone.state == "budget reached" and alone.rms_relative > result.rms_relative


def test_failures_are_reported_not_raised():
    f, z = spectrum(random_sample(8), 623.15)
    z[3] = np.nan
    result = fit(f, z, CIRCUIT)
    assert not result.success and "finite" in result.message
    assert np.all(np.isnan(result.values))
    result = fit(*spectrum(random_sample(8), 623.15), CIRCUIT, max_nfev=2)
    assert result.success and not result.converged and result.state == "budget reached"
    assert "maximum number of function evaluations" in result.message
    assert np.isfinite(result.rms_relative)
    assert not fit(f[:3], z[:3], CIRCUIT).success


def test_bounds_hold_and_are_reported():
    sample = random_sample(9)
    f, z = spectrum(sample, 623.15)
    cap = 0.5 * sample.resistances(623.15)["bulk"]
    result = fit(f, z, CIRCUIT, bounds={"R1": (1.0, cap)})
    assert result.params["R1"] == pytest.approx(cap)
    assert any(w.startswith("R1 at its bound") for w in result.warnings)


@pytest.mark.parametrize("kwargs, message", [
    ({"bounds": {"R9": (0, 1)}}, "'R9' is not a parameter"),
    ({"bounds": {"R1": (2, 1)}}, "low 2 must be below high 1"),
    ({"initial": {"R1": 1.0}}, "missing"),
    ({"initial": [1.0, 2.0]}, "needs 9 finite initial values"),
    ({"weighting": "square"}, "weighting must be one of"),
])
def test_bad_arguments_are_circuit_errors(kwargs, message):
    f, z = spectrum(random_sample(1), 623.15)
    with pytest.raises(CircuitError, match=message):
        fit(f, z, CIRCUIT, **kwargs)


def _measured(circuit, truth, f, seed=1):
    rng = np.random.default_rng(seed)
    noise = 1e-3 * (rng.standard_normal(f.size) + 1j * rng.standard_normal(f.size))
    return Circuit(circuit).impedance(truth, f) * (1 + noise)


def test_series_resistance_starts_where_the_first_arc_meets_the_axis():
    """A hot ceramic: the bulk arc's apex just above the range, the first point on it,
    far from the real axis. R0 starts at the circle's intercept, not at 1 % of Z'."""
    from labctl.analysis.initial import guesses

    circuit, f = "R0-p(R1,CPE1)-p(R2,CPE2)", np.logspace(5, -1, 31)
    tau = 1 / (2 * np.pi * 2e5)
    truth = [536.0, 2000.0, tau ** 0.9 / 2000, 0.9, 5000.0, 1e-6, 0.8]
    z = _measured(circuit, truth, f)
    assert -z[0].imag > 0.3 * abs(z[0])
    for start in guesses(Circuit(circuit), f, z):
        assert start[0] == pytest.approx(536.0, rel=0.05)
    result = fit(f, z, circuit)
    np.testing.assert_allclose(result.params["R0"], 536.0, rtol=0.02)
    assert result.state == "ok"


def test_degenerate_fits_are_flagged_as_such():
    """Too few arcs: rms far above the noise; far too many: errors undetermined; a
    blocking-electrode CPE the data do not have: its exponent collapses. The right
    circuit (a C and a CPE, the C's arc half out of range): ok."""
    f = np.logspace(6, -1, 36)
    truth_circuit, truth = "p(R1,C1)-p(R2,CPE2)", [1e4, 1e-11, 3e4, 1e-8, 0.85]
    z = _measured(truth_circuit, truth, f)
    right = fit(f, z, truth_circuit)
    assert right.state == "ok" and not right.degenerate
    np.testing.assert_allclose(right.values, truth, rtol=0.02)
    for circuit, reason in (("p(R1,CPE1)", "far above the noise"),
                            ("p(R1,C1)-p(R2,CPE2)-p(R3,CPE3)-p(R4,CPE4)", "undetermined"),
                            ("p(R1,C1)-p(R2,CPE2)-CPE3", "CPE3_1 = 0.19")):
        result = fit(f, z, circuit, max_nfev=1500)    # a start that wanders stops sooner
        assert result.state == "degenerate", circuit
        assert any(reason in r for r in result.degenerate), result.degenerate


def test_a_warburg_the_band_does_not_reach_stops_at_its_floor():
    """A cell whose diffusion tail lies below the band: the Warburg's |Z| at the lowest
    frequency stops at 1e-6 of min|Z| (at its bound, not an undetermined error that
    spoils the others'), in tens of evaluations, not thousands; R1, R2 keep their errors."""
    f = np.logspace(6, -1, 60)
    circuit = "p(R1,C1)-p(R2,CPE2)-W3"
    truth = [600.0, 2.25e-11, 375.0, 1e-6, 0.9, 1e-12]
    rng = np.random.default_rng(2)
    z = Circuit(circuit).impedance(truth, f)
    z = z * (1 + 1e-3 * (rng.standard_normal(f.size) + 1j * rng.standard_normal(f.size)))
    result = fit(f, z, circuit, bounds={"CPE2_1": (0.5, 1.0)})
    assert result.state == "ok"
    assert result.warnings == (f"W3 at its bound ({result.params['W3']:.4g})",)
    w_floor = 1e-6 * np.abs(z).min() * np.sqrt(2 * np.pi * f.min() / 2)
    assert result.params["W3"] == pytest.approx(w_floor, rel=1e-6)
    assert result.nfev < 200
    for name, value in (("R1", truth[0]), ("R2", truth[2])):
        assert result.params[name] == pytest.approx(value, rel=0.01)
        assert 0 < result.errors[name] < 0.01 * result.params[name]
