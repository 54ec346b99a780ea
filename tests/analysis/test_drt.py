"""The distribution of relaxation times against spectra of known distributions: ideal RC
pairs (deltas), a ZARC (the Cole-Cole gamma), two arcs a decade apart, simulated pellets
(circuit known), pyimpspec's TR-RBF (a port of pyDRTtools) and the published real series."""

import numpy as np
import pytest
from scipy.constants import zero_Celsius
from scipy.signal import find_peaks

from labctl.analysis.drt import drt
from labctl.analysis.readers import read_spectrum
from labctl.simulators.physics.sample import SampleModel
from tests.analysis.samples import random_sample, spectrum
from tests.realdata import real_file

F = np.logspace(6, -1, 71)
W = 2 * np.pi * F


def _rc(R, tau):
    return R / (1 + 1j * W * tau)


def _noisy(z, rel=1e-3, seed=0):
    rng = np.random.default_rng(seed)
    return z * (1 + rel * (rng.standard_normal(z.shape) + 1j * rng.standard_normal(z.shape)))


@pytest.mark.parametrize("ratio", [10.0, 100.0])
def test_rc_pairs_are_deltas_with_their_R_and_tau(ratio):
    """Two ideal R||C pairs one or two decades apart: two peaks, R and tau exact."""
    z = _noisy(20 + _rc(1000, 1e-5) + _rc(700, 1e-5 * ratio))
    result = drt(F, z)
    assert [p.R_Ohm for p in result.peaks] == pytest.approx([1000, 700], rel=0.01)
    assert [p.tau_s for p in result.peaks] == pytest.approx([1e-5, 1e-5 * ratio], rel=0.02)
    assert [p.n for p in result.peaks] == pytest.approx([1, 1], abs=0.01)
    assert result.R_inf_Ohm == pytest.approx(20, abs=2)


def test_zarc_is_one_process_with_the_cole_cole_distribution():
    """A ZARC, n = 0.8: one peak, its R, tau and n; gamma follows the analytic Cole-Cole
    gamma(ln tau) = R sin(n pi) / (2 pi (cosh(n ln(tau/tau0)) + cos(n pi))) near its top."""
    R, tau0, n = 1000.0, 1e-3, 0.8
    result = drt(F, _noisy(5 + R / (1 + (1j * W * tau0) ** n)))
    (peak,) = result.peaks
    assert (peak.R_Ohm, peak.tau_s, peak.n) == pytest.approx((R, tau0, n), rel=0.02)
    x = np.log(result.tau_s / tau0)
    analytic = R * np.sin(n * np.pi) / (2 * np.pi * (np.cosh(n * x) + np.cos(n * np.pi)))
    near = np.abs(x) < np.log(10) / 2
    assert result.gamma_Ohm[near] == pytest.approx(analytic[near], rel=0.15)


def test_clean_single_arc_has_no_spurious_peak():
    """A noise-free R||C with leads (R_inf, L): one peak, nothing else above the noise."""
    z = 50 + 1j * W * 1e-7 + _rc(2000, 3e-4)
    result = drt(F, z)
    assert len(result.peaks) == 1
    assert result.peaks[0].R_Ohm == pytest.approx(2000, rel=0.005)
    assert result.L_H == pytest.approx(1e-7, rel=0.05)


PELLETS = [(3, 623.15), (4, 548.15), (7, 673.15), (12, 548.15), (8, 698.15), (1, 648.15)] + \
    [(None, t + zero_Celsius) for t in (275, 325, 375, 425, 450)]


@pytest.mark.parametrize("seed,T_K", PELLETS)
def test_simulated_pellet_bulk_and_grain_boundary(seed, T_K):
    """A pellet (bulk R||C, grain boundary R||CPE, blocking electrode, electronic leak;
    random or the shipped default): bulk and grain boundary R within 5 % and tau within
    10 % of the circuit's, although the regularised gamma breaks the grain boundary into
    ripples and the electrode's arc through the leak is up to 1000 times larger. Random
    pellets 8 at 425 C and 1 at 375 C: an element below the measured range (the bend of
    the leak beside the electrode's spike) has an uncertain R but is needed; dropping it
    bent the grain boundary 12-15 % low."""
    sample = SampleModel.default() if seed is None else random_sample(seed)
    f, z = spectrum(sample, T_K, seed or 0, F)
    r = sample.resistances(T_K)
    apex = sample.apex_frequencies_Hz(T_K)
    peaks = drt(f, z).peaks
    assert [p.tau_s for p in peaks] == sorted(p.tau_s for p in peaks)   # high to low frequency
    bulk, gb = peaks[:2]
    assert (bulk.R_Ohm, gb.R_Ohm) == pytest.approx((r["bulk"], r["grain_boundary"]), rel=0.05)
    assert (bulk.tau_s, gb.tau_s) == pytest.approx(
        (1 / (2 * np.pi * apex["bulk"]), 1 / (2 * np.pi * apex["grain_boundary"])), rel=0.1)
    assert bulk.R_std_Ohm < 0.05 * bulk.R_Ohm and gb.R_std_Ohm < 0.05 * gb.R_Ohm


def test_agrees_with_pyimpspec_tr_rbf():
    """pyDRTtools' method (pyimpspec TR-RBF) on the same two-arc spectrum: the same two
    peaks (tau within 5 %) and the same polarization resistance (within 2 %)."""
    pyimpspec = pytest.importorskip("pyimpspec")
    from pyimpspec.analysis.drt import calculate_drt_tr_rbf
    z = _noisy(10 + _rc(1000, 1e-4) + _rc(500, 1e-3))
    theirs = calculate_drt_tr_rbf(pyimpspec.DataSet(F, z), num_procs=1)
    tau, gamma = theirs.get_drt_data()[:2]
    top, _ = find_peaks(gamma, prominence=0.05 * gamma.max())
    ours = drt(F, z)
    assert [p.tau_s for p in ours.peaks] == pytest.approx(tau[top], rel=0.05)
    total = np.trapezoid(gamma, np.log(tau))
    assert sum(p.R_Ohm for p in ours.peaks) == pytest.approx(total, rel=0.02)


def test_published_series_at_413_K_total_holds_the_split_does_not():
    """The published s04147 spectrum at 140 C (circuit fit: R1 1.462e5, R2 2.012e6 Ohm):
    bulk + grain boundary within 5 %, the grain boundary within 10 %; a known limitation:
    the two overlapping CPE arcs (n ~ 0.8, 1.4 decades apart) beside a spike of n ~ 0.58
    are split differently (bulk ~ +50 %), and a third small process (n ~ 0.55) takes the
    bend into the spike."""
    s = read_spectrum(real_file("s04147-140deg.txt"))
    inner = [p for p in drt(s.frequency_Hz, s.impedance_Ohm).peaks if not p.at_edge]
    bulk, gb = inner[:2]                     # high to low frequency
    assert bulk.R_Ohm + gb.R_Ohm == pytest.approx(1.462e5 + 2.012e6, rel=0.05)
    assert gb.R_Ohm == pytest.approx(2.012e6, rel=0.1)


@pytest.mark.parametrize("noise_seed", [1, 4])
def test_a_process_whose_ripples_are_each_insignificant_is_still_found(noise_seed):
    """The shipped pellet at 375 C with these noise draws: gamma breaks the grain boundary
    into ripples none of which is above 3 standard errors alone; the processes fitted
    without them miss it (rms ~8 %, against gamma's 0.2 %), so they are seeded again with
    every ripple: bulk and grain boundary within 5 % of the sample's."""
    sample, T_K = SampleModel.default(), 375 + zero_Celsius
    z = sample.add_noise(sample.impedance(F, T_K), np.random.default_rng(noise_seed), F)
    r = sample.resistances(T_K)
    inner = [p.R_Ohm for p in drt(F, z).peaks if not p.at_edge]
    assert inner == pytest.approx([r["bulk"], r["grain_boundary"]], rel=0.05)
