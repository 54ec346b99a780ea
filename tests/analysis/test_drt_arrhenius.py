"""The DRT processes followed across temperature and their Arrhenius lines: the matching
on made-up peaks, Ea against the simulator's truth, and the published s04147 series."""

import numpy as np
import pytest
from scipy.constants import Boltzmann, elementary_charge, zero_Celsius

from labctl.analysis.drt import Drt, DrtPeak, drt
from labctl.analysis.drt_arrhenius import tracks
from labctl.analysis.readers import read_spectrum
from tests.analysis.samples import random_sample, spectrum
from tests.realdata import real_file

K_B_EV = Boltzmann / elementary_charge


def _activated(tau0: float, Ea_eV: float, T_K: float) -> float:
    return tau0 * np.exp(Ea_eV / (K_B_EV * T_K))


def _drt(*peaks: tuple[float, float]) -> Drt:
    """A DRT holding only peaks (tau, R); R's error 1 %."""
    found = [DrtPeak(tau, R, 0.01 * R, False) for tau, R in peaks]
    return Drt(np.logspace(-8, 2, 11), np.zeros(11), 0.0, 0.0, None, 1e-3, found, found, 0.0)


def test_processes_are_followed_in_tau_order_and_a_new_one_starts_its_own_track():
    """Bulk (0.6 eV) and grain boundary (1.0 eV) at 5 temperatures given out of order; the
    bulk leaves the measured range at the two hottest, an electrode process (R from 1.4 eV,
    tau 0.1 s) enters at the slow end at the three hottest. Three tracks, each holding only
    its own process, Ea exact."""
    T = [600.0, 640.0, 560.0, 520.0, 680.0]
    results = []
    for t in T:
        peaks = [(_activated(1e-12, 1.0, t), _activated(1e-9, 1.0, t) * t)]   # sigma T law
        if t < 630:
            peaks.append((_activated(1e-11, 0.6, t), _activated(1e-4, 0.6, t) * t))
        if t > 590:
            peaks.append((1e-1, _activated(1e-6, 1.4, t) * t))
        results.append(_drt(*sorted(peaks)))
    found = tracks(T, results)
    assert [len(t.peaks) for t in found] == [3, 5, 3]
    assert [t.temperatures_K for t in found] == [[520, 560, 600], [520, 560, 600, 640, 680],
                                                 [600, 640, 680]]
    assert [t.arrhenius.Ea_eV for t in found] == pytest.approx([0.6, 1.0, 1.4], abs=1e-9)
    assert found[0].indexes == [3, 2, 0]


def test_a_process_further_than_the_gate_from_its_expected_tau_is_not_matched():
    """Two temperatures, one process each, a decade apart (matched: a one-point track moves
    by the common shift); a third temperature whose process stayed where it was, 0.83
    decades off the line through the first two: a new track."""
    found = tracks([500.0, 550.0, 600.0], [_drt((1e-3, 1e3)), _drt((1e-4, 1e3)),
                                          _drt((1e-4, 1e3))])
    assert [t.temperatures_K for t in found] == [[500.0, 550.0], [600.0]]


@pytest.mark.parametrize("seed", [3, 7])
def test_ea_of_the_drt_processes_is_the_samples(seed):
    """A simulated pellet at 250..450 C: the fastest track is the bulk, the next the
    grain boundary, each over every temperature, Ea within 0.5 % of the sample file's (its
    error bar is the scatter about the line: 1-2 meV)."""
    sample = random_sample(seed)
    T = [t + zero_Celsius for t in range(250, 451, 40)]
    results = [drt(*spectrum(sample, t, k, np.logspace(6, -1, 60))) for k, t in enumerate(T)]
    bulk, gb = tracks(T, results)[:2]
    assert len(bulk.peaks) == len(gb.peaks) == len(T)
    for track, truth in ((bulk, sample.bulk.Ea_eV), (gb, sample.grain_boundary.Ea_eV)):
        line = track.arrhenius
        assert line.Ea_eV == pytest.approx(truth, rel=0.005)
        assert 0 < line.Ea_std_eV < 0.005


def test_published_series_grain_boundary_is_followed_the_bulk_track_breaks():
    """s04147, 140..200 C: the grain-boundary process is one track over all seven
    temperatures, its Ea within 0.02 eV of the published 0.8919; the fastest process is
    not: at 180 and 190 C the DRT splits the overlapping arcs otherwise (see `drt`), its
    tau jumps by more than the gate and those two start a track of their own. The lone
    process below 1 Hz at 190 C is not taken for the 200 C bulk six decades away (no track
    moves by more than a decade from one temperature to the next)."""
    T = [t + zero_Celsius for t in range(140, 201, 10)]
    results = []
    for t in range(140, 201, 10):
        s = read_spectrum(real_file(f"s04147-{t}deg.txt"))
        results.append(drt(s.frequency_Hz, s.impedance_Ohm))
    found = tracks(T, results)
    gb = max(found, key=lambda t: len(t.peaks))
    assert len(gb.peaks) == 7
    assert gb.arrhenius.Ea_eV == pytest.approx(0.8919, abs=0.02)
    fastest = found[0]
    assert fastest.temperatures_K[:4] == pytest.approx(T[:4])
    assert not {T[4], T[5]} & set(fastest.temperatures_K)
    for track in found:
        assert np.all(np.abs(np.diff(np.log10([p.tau_s for p in track.peaks]))) < 1)
