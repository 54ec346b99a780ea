"""The tail fit: I_ss unbiased, its standard error calibrated against repeated noise."""

import itertools

import numpy as np

from labctl.sampling import sample_times
from labctl.protocols import _tail


def test_steady_current_and_its_standard_error_match_the_scatter_over_repeats():
    t = np.array(list(itertools.takewhile(lambda x: x < 300,
                                          sample_times(0.1, 60.0, 20))))
    truth = 2e-9 + 1e-7 * t ** -0.85
    rng = np.random.default_rng(1)
    fits = [_tail.fit_tail(t, truth * (1 + 1e-3 * rng.standard_normal(t.size)))
            for _ in range(100)]
    steady = np.array([f.steady_A for f in fits])
    scatter = steady.std()
    assert abs(steady.mean() - 2e-9) < 3 * scatter / 10
    assert 0.75 < np.mean([f.steady_std_A for f in fits]) / scatter < 1.33
    assert all(abs(f.exponent - 0.85) < 0.01 for f in fits)


def test_no_fit_before_the_readings_span_the_tail_window():
    t = np.array([0.1, 0.2, 0.5, 1.0, 2.0])
    assert _tail.fit_tail(t, 1 / t) is None


def test_sample_times_are_log_spaced_then_capped():
    t = list(itertools.islice(sample_times(0.1, 60.0, 10), 80))
    steps = np.diff(t)
    assert abs(t[10] - 1.0) < 1e-9                   # ten per decade from 0.1 s
    assert steps.max() <= 60.0 + 1e-9 and steps[-1] == 60.0


def first_settled(convergence, t, values):
    return next((ti for ti, v in zip(t, values) if convergence.update(ti, v, 0.0)), None)


def test_a_wandering_estimate_settles_only_once_a_span_of_earlier_ones_agrees():
    t = 10 ** (np.arange(0, 61) / 20)                       # 1 s .. 1000 s, 20 per decade
    wandering = 0.01 * (np.minimum(np.log10(t), 1.5) - 1) ** 2   # turns at 10 s, flat from 32 s
    single = first_settled(_tail.Convergence(0.001), t, wandering)
    spanned = first_settled(_tail.Convergence(0.001, span=10 ** 0.25), t, wandering)
    assert single < 20                                      # 15.8 s agrees with 5 s, 0.0024 off
    assert spanned >= 10 ** 1.5 * 10 ** 0.5


def test_the_span_must_be_covered_by_estimates():
    t = 10 ** (np.arange(14, 61) / 20)                      # estimates from 5 s on
    settled = first_settled(_tail.Convergence(0.001, span=10 ** 0.25), t, np.zeros(t.size))
    assert settled >= 5 * 10 ** 0.75
