"""Automatic starting values for a circuit fit, read off the spectrum.

The features: the high-frequency intercept, the apexes of the arcs (local maxima of -Z''
along the sweep) and the valleys between them (where one arc ends and the next begins),
and the low-frequency spike of blocking electrodes (the slope of log(-Z'') against
log(omega) at the lowest frequencies gives the CPE exponent). Top-level parts of the
circuit are matched to them (a leak `p(chain, R)` is opened up, its R starting well above
the largest |Z|, or at the low-frequency |Z| when the leak visibly shorts the spike): a
series R to the intercept, each `p(R, C|CPE)` in string
order to an arc from high to low frequency (R = the arc's width on the Z' axis,
C = 1 / (2 pi f_apex R), CPE Q = 1 / (R (2 pi f_apex)^n) with n = 0.9), a series C or CPE
to the spike, W to the low-frequency tail. When the circuit has more arcs than the spectrum
shows, one guess puts the missing arcs above the measured range and another below the
apexes found; when it shows as many, another guess keeps only the largest and puts the
rest above the measured range (an arc half out of range shows as a shoulder, and a small
bump elsewhere may pass for it); anything else gets generic values of the right order of
magnitude.
"""

from __future__ import annotations

import numpy as np
from scipy.signal import find_peaks

from labctl.analysis.circuits import Circuit, Element, Parallel, rc_pair

N_START = 0.9            # CPE exponent to start from
PEAK_PROMINENCE = 0.03   # in ln(-Z''): arcs must stand out by ~3 %
LEAK_START = 10.0        # a leak resistor starts at this times the largest |Z|


def guesses(circuit: Circuit, f: np.ndarray, z: np.ndarray,
            processes: list[tuple[float, float]] = ()) -> list[np.ndarray]:
    """Starting vectors (in parameter order) for `circuit` on the spectrum (f, z); with
    `processes` ((apex frequency, R) of each DRT process in the measured range, high to
    low frequency) one more: the arcs at those (the largest kept, or the missing ones
    added above the range, when the circuit has fewer or more)."""
    order = np.argsort(f)[::-1]
    f, z = f[order], z[order]
    arcs_in_circuit = [part for part in _chain(circuit.top_level()) if rc_pair(part)]
    found = arcs(f, z)
    if len(found) > len(arcs_in_circuit):
        found = _merge(f, z, found, len(arcs_in_circuit))
    n = len(arcs_in_circuit)
    candidates = [found] if len(found) == n else [
        _extend(f, found, n, above) for above in (True, False)] if found else [
        _spread(f, z, n)]
    if 1 < len(found) == n:     # the largest arc alone, the next one above the range
        candidates.append(_extend(f, _merge(f, z, found, 1), n, above=True))
    if processes:
        largest = sorted(sorted(processes, key=lambda p: -p[1])[:n], key=lambda p: -p[0])
        candidates.append(_extend(f, largest, n, above=True))
    return [_vector(circuit, f, z, arcs) for arcs in candidates]


def _chain(parts) -> list:
    """The series parts, with a `p(chain, R)` (a leak across the chain) opened up."""
    flat = []
    for part in parts:
        if _leak(part):
            flat += _chain(part.branches[0].parts) + [part.branches[1].parts[0]]
        else:
            flat.append(part)
    return flat


def _leak(part) -> bool:
    """A parallel of a series chain (first) and a lone resistor (second): e.g. the
    electronic path across the ionic one."""
    return (isinstance(part, Parallel) and len(part.branches) == 2
            and len(part.branches[0].parts) > 1 and len(part.branches[1].parts) == 1
            and isinstance(part.branches[1].parts[0], Element)
            and part.branches[1].parts[0].type.name == "R")


def arcs(f: np.ndarray, z: np.ndarray) -> list[tuple[float, float]]:
    """(apex frequency, width on Z') of each arc the spectrum shows (local maxima of -Z''
    along the sweep, frequencies descending), from high to low frequency."""
    minus_imag = np.maximum(-z.imag, 1e-12 * np.abs(z))
    peaks, _ = find_peaks(np.log(minus_imag), prominence=PEAK_PROMINENCE)
    return _widths(f, z, list(peaks))


def _widths(f, z, peaks: list[int]) -> list[tuple[float, float]]:
    minus_imag = -z.imag
    bounds = [_intercept(z)]
    for a, b in zip(peaks, peaks[1:] + [len(z)]):
        between = np.arange(a, b)
        valley = between[np.argmin(minus_imag[between])] if b < len(z) else _end(z, a)
        bounds.append(z.real[valley])
    widths = np.diff(bounds)
    return [(f[p], w if w > 0 else 2 * minus_imag[p]) for p, w in zip(peaks, widths)]


def _intercept(z: np.ndarray) -> float:
    """High-frequency intercept: Z' of the first point when it sits on the real axis, else
    where the circle through the points up to the first apex meets it (the first arc is
    already under way), else Z' + Z'' of the first point (for a point before the apex
    of a semicircle, the intercept lies between Z' - |Z''| and Z')."""
    first = z[0]
    if -first.imag < 0.1 * abs(first):
        return first.real
    rising = np.flatnonzero(np.diff(-z.imag) <= 0)
    end = max(3, min(int(rising[0]) + 1 if rising.size else len(z), 8))
    x, y = z.real[:end], -z.imag[:end]
    if len(x) >= 3:         # x^2 + y^2 + D x + E y + F = 0 through the points
        (d, _, f), *_ = np.linalg.lstsq(np.c_[x, y, np.ones_like(x)], -(x ** 2 + y ** 2),
                                        rcond=None)
        if d * d - 4 * f >= 0 and 0 <= (left := (-d - np.sqrt(d * d - 4 * f)) / 2) < first.real:
            return float(left)
    return max(first.real + first.imag, 0.01 * first.real)


def _end(z: np.ndarray, peak: int) -> int:
    """Index where the last arc ends: its valley before a spike, else the last point."""
    minus_imag = -z.imag
    later = np.arange(peak, len(z))
    return int(later[np.argmin(minus_imag[later])])


def _merge(f, z, found, n: int) -> list[tuple[float, float]]:
    """Keep the n arcs with the highest apexes (their widths recomputed)."""
    minus_imag = np.maximum(-z.imag, 0)
    peaks = [int(np.argmin(np.abs(f - apex))) for apex, _ in found]
    keep = sorted(sorted(peaks, key=lambda i: -minus_imag[i])[:n])
    return _widths(f, z, keep)


def _extend(f, found, n: int, above: bool) -> list[tuple[float, float]]:
    """Add n - len(found) arcs, above the measured range or below the lowest apex found;
    each added arc takes half the width of its neighbour."""
    arcs = list(found)
    while len(arcs) < n:
        if above:
            apex, width = arcs[0]
            arcs[0] = (apex, width / 2)
            arcs.insert(0, (max(f[0], apex) * 10, width / 2))
        else:
            apex, width = arcs[-1]
            arcs[-1] = (apex, width / 2)
            arcs.append((apex / 100, width / 2))
    return arcs


def _spread(f, z, n: int) -> list[tuple[float, float]]:
    """No arc visible: n arcs log-spaced over the range, sharing the Z' span."""
    span = max(np.ptp(z.real), 1e-3 * np.abs(z).max())
    apexes = np.geomspace(f[0], f[-1], n + 2)[1:-1]
    return [(a, span / n) for a in apexes]


def _vector(circuit: Circuit, f, z, arcs) -> np.ndarray:
    values: dict[str, float] = {}
    queue, series_resistors = list(arcs), 0
    leaks = {part.branches[1].parts[0].label for part in circuit.top_level() if _leak(part)}
    for part in _chain(circuit.top_level()):
        pair = rc_pair(part)
        if pair and queue:
            apex, width = queue.pop(0)
            resistor, capacitive = pair
            omega = 2 * np.pi * apex
            values[resistor.label] = width
            if capacitive.type.name == "C":
                values[capacitive.label] = 1 / (omega * width)
            else:
                values.update(zip(capacitive.parameter_names,
                                  (1 / (width * omega ** N_START), N_START)))
        elif isinstance(part, Element) and part.label in leaks:
            shorted = _spike_point(z) < len(z) - 1
            values[part.label] = abs(z[-1]) if shorted else LEAK_START * np.abs(z).max()
        elif isinstance(part, Element):
            values.update(_series_element(part, f, z, first_resistor=series_resistors == 0))
            series_resistors += part.type.name == "R"
    generic = _generic(f, z)
    return np.array([values.get(name, generic[unit])
                     for name, unit in zip(circuit.parameter_names, circuit.units)])


def _series_element(element: Element, f, z, first_resistor: bool) -> dict[str, float]:
    """Starting values of an element in series at the top level (the first series R
    starts at the intercept, any other at the Z' span)."""
    omega, kind = 2 * np.pi * f, element.type.name
    names = element.parameter_names
    if kind == "R":
        return {names[0]: max(_intercept(z), 1e-6 * abs(z[0])) if first_resistor
                else np.ptp(z.real)}
    if kind == "L":
        return {names[0]: max(z[0].imag, 1e-3 * abs(z[0])) / omega[0]}
    if kind in ("C", "CPE"):
        k = _spike_point(z)
        n = 1.0 if kind == "C" else _spike_exponent(omega, z) if k == len(z) - 1 else N_START
        q = np.sin(n * np.pi / 2) / (max(-z[k].imag, 1e-9 * abs(z[k])) * omega[k] ** n)
        return dict(zip(names, (q, n)))
    if kind == "W":
        return {names[0]: max(-z[-1].imag, 1e-9 * abs(z[-1])) * np.sqrt(omega[-1])}
    return {names[0]: np.ptp(z.real), names[1]: 1 / (2 * np.pi * np.sqrt(f[0] * f[-1]))}


def _spike_point(z: np.ndarray) -> int:
    """Index of the point that sizes the spike: the lowest frequency, or, where a leak
    shorts the spike into an arc (-Z'' falling towards the lowest frequencies), the apex
    of that arc, climbing from the lowest frequency while -Z'' grows."""
    k = len(z) - 1
    while k > 0 and -z[k - 1].imag > -z[k].imag:
        k -= 1
    return k


def _spike_exponent(omega, z) -> float:
    """n from d ln(-Z'') / d ln(omega) over the three lowest frequencies, within [0.5, 1]."""
    minus_imag = np.maximum(-z.imag[-3:], 1e-300)
    if len(z) < 3:
        return N_START
    slope = np.polyfit(np.log(omega[-3:]), np.log(minus_imag), 1)[0]
    return float(np.clip(-slope, 0.5, 1.0))


def _generic(f, z) -> dict[str, float]:
    """Order-of-magnitude values by unit, for parts the spectrum features do not cover."""
    omega_mid = 2 * np.pi * np.sqrt(f[0] * f[-1])
    size = float(np.median(np.abs(z)))
    return {"Ohm": size, "F": 1 / (omega_mid * size), "H": size / omega_mid,
            "F s^(n-1)": 1 / (size * omega_mid ** N_START), "": N_START,
            "Ohm s^-1/2": size * np.sqrt(omega_mid), "s": 1 / omega_mid}
