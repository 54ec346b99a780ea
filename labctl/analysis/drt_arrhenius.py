"""The DRT processes' own Arrhenius lines: each process followed from temperature to
temperature, and Ea from its R(T).

Matching, from the coldest spectrum up: the processes in the measured range (not
`at_edge`) are matched to the tracks so far by an order-preserving alignment of ln tau
(processes keep their order in tau; an alignment like an edit distance: a pair costs its
distance in ln tau, a track or process left unmatched half of `GATE_DECADES`, so a pair
further apart than `GATE_DECADES` costs more than leaving both unmatched). A track's
expected ln tau at the new temperature is the line through its last `SLOPE_POINTS` points
against 1/T; a track of one point moves as the tracks with a line do (the median of
their moves), or where no track has a line yet, by a shift common to all of them, the one
of the pairwise differences that gives the cheapest alignment (a free shift for a lone
one-point track would match it to any process). Unmatched processes start new tracks; a track may miss
temperatures (a process that leaves the range and comes back continues its track).
Where it fails: processes whose tau cross (the alignment keeps the order), a process
leaving the range at one end while another enters at the same tau (taken for one), and a
spectrum whose decomposition changes between temperatures (the published s04147 series:
the fastest arc's R differs eightfold between equally good fits, see `drt`): the track
holds, its R(T) and so its Ea do not mean what a circuit's would.

Ea: `quantities.arrhenius` on 1/R (ln(T/R) against 1/T), weighted by R's standard error,
for tracks with at least `MIN_POINTS` temperatures.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from labctl.analysis import quantities as q
from labctl.analysis.drt import Drt, DrtPeak

GATE_DECADES = 0.5     # a process further than this from a track's expected tau is new
SLOPE_POINTS = 3       # a track's last points that give its expected tau
MIN_POINTS = 3         # temperatures a track needs for an Ea


@dataclass
class Track:
    temperatures_K: list[float]
    peaks: list[DrtPeak]
    indexes: list[int]        # of the spectra, as given

    @property
    def arrhenius(self) -> q.Arrhenius | None:
        if len(self.peaks) < MIN_POINTS:
            return None
        R = np.array([p.R_Ohm for p in self.peaks])
        rel = np.array([p.R_std_Ohm for p in self.peaks]) / R
        return q.arrhenius(self.temperatures_K, 1 / R, np.where(rel > 0, rel, np.nan))

    def expected_ln_tau(self, T_K: float, shift: float) -> float:
        """ln tau at T_K from the track's last points (one point: moved by `shift`)."""
        x = 1 / np.array(self.temperatures_K[-SLOPE_POINTS:])
        y = np.log([p.tau_s for p in self.peaks[-SLOPE_POINTS:]])
        if x.size < 2:
            return float(y[-1] + shift)
        slope, intercept = np.polyfit(x, y, 1)
        return float(intercept + slope / T_K)


def tracks(temperatures_K, results: list[Drt]) -> list[Track]:
    """The processes of `results` (one DRT per temperature) as tracks across temperature,
    ordered by their first temperature, then by their tau there (fastest first)."""
    found: list[Track] = []
    for k in np.argsort(temperatures_K, kind="stable"):
        T = float(temperatures_K[k])
        peaks = sorted((p for p in results[k].peaks if not p.at_edge), key=lambda p: p.tau_s)
        matched = dict(_best_alignment(found, T, np.log([p.tau_s for p in peaks])))
        for i, track in enumerate(found):
            if i in matched:
                track.temperatures_K.append(T)
                track.peaks.append(peaks[matched[i]])
                track.indexes.append(int(k))
        taken = set(matched.values())
        found += [Track([T], [p], [int(k)]) for j, p in enumerate(peaks) if j not in taken]
    return sorted(found, key=lambda t: (t.temperatures_K[0], t.peaks[0].tau_s))


def _best_alignment(found: list[Track], T_K: float, ln_tau: np.ndarray) -> list[tuple]:
    """(track, process) index pairs of the cheapest alignment over the candidate shifts."""
    if not found or ln_tau.size == 0:
        return []
    last = np.array([np.log(t.peaks[-1].tau_s) for t in found])
    moves = [t.expected_ln_tau(T_K, 0.0) - y for t, y in zip(found, last) if len(t.peaks) > 1]
    shifts = [np.median(moves)] if moves else \
        np.unique(np.concatenate([[0.0], (ln_tau[None, :] - last[:, None]).ravel()]))
    best = (np.inf, [])
    for shift in shifts:
        expected = np.array([t.expected_ln_tau(T_K, shift) for t in found])
        order = np.argsort(expected, kind="stable")
        cost, pairs = _align(expected[order], ln_tau)
        if cost < best[0]:
            best = (cost, [(int(order[i]), j) for i, j in pairs])
    return best[1]


def _align(expected: np.ndarray, ln_tau: np.ndarray) -> tuple[float, list[tuple]]:
    """Order-preserving alignment of two ascending lists of ln tau, tracks' expected and
    processes': (cost, index pairs)."""
    gap = GATE_DECADES * np.log(10) / 2
    n, m = len(expected), ln_tau.size
    cost = np.zeros((n + 1, m + 1))
    cost[:, 0], cost[0, :] = gap * np.arange(n + 1), gap * np.arange(m + 1)
    for i in range(1, n + 1):
        for j in range(1, m + 1):
            pair = cost[i - 1, j - 1] + abs(expected[i - 1] - ln_tau[j - 1])
            cost[i, j] = min(pair, cost[i - 1, j] + gap, cost[i, j - 1] + gap)
    pairs, i, j = [], n, m
    while i > 0 and j > 0:
        if np.isclose(cost[i, j], cost[i - 1, j - 1] + abs(expected[i - 1] - ln_tau[j - 1])):
            pairs.append((i - 1, j - 1))
            i, j = i - 1, j - 1
        elif np.isclose(cost[i, j], cost[i - 1, j] + gap):
            i -= 1
        else:
            j -= 1
    return float(cost[n, m]), pairs[::-1]
