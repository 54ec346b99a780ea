"""Complex non-linear least-squares fit of an equivalent circuit to an impedance spectrum.

`fit(f, Z, circuit)` minimizes sum(|(Z_model - Z) / w|^2) over the real and imaginary parts
with `scipy.optimize.least_squares` (trust-region reflective, bounds), where the weight w is
- "modulus": |Z| for both parts (default; every decade of |Z| counts alike),
- "proportional": |Z'| for the real part, |Z''| for the imaginary part,
- "unit": 1 (impedance.py's default).
Parameters are scaled by their starting values. Standard errors come from the Jacobian at
the optimum, cov = s^2 (J^T J)^-1 with s^2 = weighted sum of squares / (2N - p), as in
impedance.py (`curve_fit`); the correlation matrix comes with them.

Starting points: the caller's `initial` values, the automatic guesses from the spectrum
(`labctl.analysis.initial`) and, when given, the previous temperature's fit; the start that
ends with the lowest cost wins (`automatic=False`: the caller's start alone). Every start
is bounded (`max_nfev`), so a fit never hangs; a fit that reaches that budget keeps its
values and says so (`converged=False`, state "budget reached"). Arcs in series that may
swap places without changing Z (`p(R1,CPE1)-p(R2,CPE2)`) are returned in order of their
characteristic frequency, the fastest first, so that R1 is the same arc whatever the start.
A fit that fails returns a `FitResult` with `success=False` and the reason; it does not
raise (only a bad circuit string, bound or parameter name does: `CircuitError`).
A fit that ends but means little is "degenerate", with the reasons: a CPE exponent that
collapsed towards 0, a parameter off its bounds whose error is undetermined or many times
its value, or an rms far above the spectrum's noise (estimated by the Lin-KK fit, which
any valid spectrum passes down to its noise): such a fit is a `misfit` too.

`offset_only(f, Z)`: when a resistive offset before the electrode's spike (with a leak
across and the leads' inductance) describes the spectrum to within twice its noise, every
arc lies outside the measured range; the pellet circuit's fit would crawl for tens of
seconds through arcs the data do not hold (s04147 at 400-500 degC, Na-beta''-alumina),
this one takes ~0.1 s and says so.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field

import numpy as np
from scipy.optimize import least_squares

from labctl.analysis.circuits import Circuit, CircuitError, interchangeable_arcs, time_constant
from labctl.analysis.initial import guesses
from labctl.analysis.kk import lin_kk

WEIGHTINGS = ("modulus", "proportional", "unit")
MAX_NFEV_PER_PARAMETER = 1000  # evaluations a start may take; real fits need up to ~8000
MAX_RELATIVE_ERROR = 0.5     # a parameter known worse than this is flagged
LOG_RANGE = 25.0             # e-folds a scale parameter may move from its start (~1e11)
OHM_RANGE = 1e-6             # resistances within [1e-6 min|Z|, 1e6 max|Z|] unless bounded
EXPONENT_FLOOR = 0.3         # a CPE exponent below this has collapsed (no longer a CPE)
DEGENERATE_RELATIVE_ERROR = 10.0    # "huge": 1 sigma an order of magnitude above the value
NOISE_FACTOR = 10.0          # rms above this times the Lin-KK rms (and RMS_FLOOR) is degenerate
RMS_FLOOR = 0.01
OFFSET_CIRCUIT = "p(R1-CPE2,R3)-L4"   # offset (R_b + R_gb + leads), electrode, leak, leads
OFFSET_NOISE_FACTOR = 2.0    # ... describes a spectrum when its rms is within this x Lin-KK's
OFFSET_MAX_NFEV_PER_PARAMETER = 20    # a good offset fit takes 9-30 in all; a bad one is let go


@dataclass(frozen=True)
class FitResult:
    """One spectrum's fit. Arrays are in `names` order; NaN where not determined."""

    circuit: str
    names: tuple[str, ...]
    values: np.ndarray
    stderr: np.ndarray
    correlation: np.ndarray
    success: bool
    message: str
    weighting: str = "modulus"
    rms_relative: float = float("nan")    # rms of |Z_model - Z| / |Z| over the points
    nfev: int = 0
    start: str = ""                       # which start won: "given", "auto", "drt", "previous"
    warnings: tuple[str, ...] = field(default=())
    converged: bool = False               # False: the evaluation budget ended the fit
    degenerate: tuple[str, ...] = field(default=())   # why the values mean little
    noise_relative: float = 0.0           # rms of the Lin-KK residuals: the spectrum's noise

    @property
    def state(self) -> str:
        """"ok", "degenerate", "budget reached" (values kept, not converged) or "failed"."""
        if not self.success:
            return "failed"
        if not self.converged:
            return "budget reached"
        return "degenerate" if self.degenerate else "ok"

    @property
    def misfit(self) -> bool:
        """The rms is far above the spectrum's noise: the circuit does not describe it."""
        return not self.rms_relative <= max(NOISE_FACTOR * self.noise_relative, RMS_FLOOR)

    @property
    def params(self) -> dict[str, float]:
        return dict(zip(self.names, self.values.tolist()))

    @property
    def errors(self) -> dict[str, float]:
        return dict(zip(self.names, self.stderr.tolist()))

    def impedance(self, frequency_Hz) -> np.ndarray:
        return Circuit(self.circuit).impedance(self.values, frequency_Hz)


def fit(frequency_Hz, impedance_Ohm, circuit: str | Circuit, *, initial=None,
        weighting: str = "modulus", bounds: dict | None = None,
        previous: FitResult | None = None, max_nfev: int | None = None,
        automatic: bool = True, processes: list[tuple[float, float]] = ()) -> FitResult:
    """Fit `circuit` to the spectrum; `initial` is a dict by parameter name or a sequence.

    `processes`: the DRT's (apex frequency, R) in the measured range, one more start.
    `bounds` maps parameter names to (low, high); otherwise resistances (and a Warburg's
    |Z| over the band) lie within [1e-6 min|Z|, 1e6 max|Z|], CPE exponents within [0, 1],
    the rest within [0, inf).
    """
    circuit = circuit if isinstance(circuit, Circuit) else Circuit(circuit)
    if weighting not in WEIGHTINGS:
        raise CircuitError(f"weighting must be one of {WEIGHTINGS}, not {weighting!r}")
    names = tuple(circuit.parameter_names)
    nan = np.full(len(names), np.nan)

    def failed(message: str) -> FitResult:
        return FitResult(circuit.text, names, nan, nan, np.full((len(names),) * 2, np.nan),
                         False, message, weighting)

    f, z = np.asarray(frequency_Hz, dtype=float), np.asarray(impedance_Ohm, dtype=complex)
    problem = _data_problem(f, z, len(names))
    if problem:
        return failed(problem)
    low, high = _bounds(circuit, bounds or {}, f, np.abs(z))
    starts = [] if initial is None else [("given", _as_vector(circuit, initial))]
    if automatic or not starts:
        auto = guesses(circuit, f, z, processes)
        starts += [("drt" if processes and k == len(auto) - 1 else "auto", g)
                   for k, g in enumerate(auto)]
        if previous is not None and previous.success and previous.circuit == circuit.text:
            starts.append(("previous", previous.values))
    weights = _weights(z, weighting)
    budget = max_nfev or MAX_NFEV_PER_PARAMETER * len(names)
    best, best_start, reasons = None, "", []
    for label, start in starts:
        try:
            result = _least_squares(circuit, f, z, weights, np.clip(start, low, high),
                                    low, high, budget)
        except (ValueError, np.linalg.LinAlgError, FloatingPointError) as exc:
            reasons.append(f"{label} start: {exc}")
            continue
        if result.status < 0 or not np.isfinite(result.cost):
            reasons.append(f"{label} start: {result.message}")
            continue
        if best is None or result.cost < best.cost:
            best, best_start = result, label
    if best is None:
        return failed("; ".join(reasons) or "no starting point")
    return _result(circuit, f, z, _arcs_in_order(circuit, best), best_start, weighting)


def _data_problem(f: np.ndarray, z: np.ndarray, n_params: int) -> str | None:
    if f.ndim != 1 or f.shape != z.shape:
        return "frequencies and impedances must be 1-d arrays of the same length"
    if not (np.all(np.isfinite(f)) and np.all(f > 0) and np.all(np.isfinite(z))):
        return "frequencies must be finite and > 0 and impedances finite"
    if 2 * len(f) <= n_params:
        return f"{len(f)} points cannot determine {n_params} parameters"
    return None


def _as_vector(circuit: Circuit, initial) -> np.ndarray:
    if isinstance(initial, dict):
        unknown = set(initial) - set(circuit.parameter_names)
        missing = set(circuit.parameter_names) - set(initial)
        if unknown or missing:
            raise CircuitError(f"initial values for {circuit.text!r}: unknown "
                               f"{sorted(unknown) or '-'}, missing {sorted(missing) or '-'}")
        initial = [initial[n] for n in circuit.parameter_names]
    vector = np.asarray(initial, dtype=float)
    if vector.shape != (len(circuit.parameter_names),) or not np.all(np.isfinite(vector)):
        raise CircuitError(f"{circuit.text!r} needs {len(circuit.parameter_names)} finite "
                           f"initial values ({', '.join(circuit.parameter_names)})")
    return vector


def _bounds(circuit: Circuit, bounds: dict, f: np.ndarray, modulus: np.ndarray
            ) -> tuple[np.ndarray, np.ndarray]:
    """The caller's bounds; resistances otherwise within OHM_RANGE of the data, and so is a
    Warburg's |Z| at the lowest (floor) and highest frequency (ceiling): one the data do
    not need stops at the floor instead of sliding towards 0 (slowly: a fit could spend
    thousands of evaluations on it)."""
    units = np.array(circuit.units)
    root_omega = np.sqrt(2 * np.pi * np.array([f.min(), f.max()]) / 2)  # |Z_W| = A sqrt(2/w)
    low = np.select([units == "Ohm", units == "Ohm s^-1/2"],
                    [OHM_RANGE * modulus.min(), OHM_RANGE * modulus.min() * root_omega[0]], 0.0)
    high = np.select([units == "Ohm", units == "Ohm s^-1/2"],
                     [modulus.max() / OHM_RANGE, modulus.max() / OHM_RANGE * root_omega[1]],
                     circuit.upper_bounds)
    for name, pair in bounds.items():
        if name not in circuit.parameter_names:
            raise CircuitError(f"bounds: {name!r} is not a parameter of {circuit.text!r} "
                               f"({', '.join(circuit.parameter_names)})")
        lo, hi = (float(v) for v in pair)
        if not lo < hi:
            raise CircuitError(f"bounds of {name}: low {lo:g} must be below high {hi:g}")
        i = circuit.parameter_names.index(name)
        low[i], high[i] = lo, hi
    return low, high


def _weights(z: np.ndarray, weighting: str) -> np.ndarray:
    modulus = np.abs(z)
    if weighting == "modulus":
        return np.r_[modulus, modulus]
    if weighting == "proportional":
        floor = 1e-6 * modulus       # a zero Z' or Z'' must not get infinite weight
        return np.r_[np.maximum(np.abs(z.real), floor), np.maximum(np.abs(z.imag), floor)]
    return np.ones(2 * len(z))


def _residuals(circuit: Circuit, f: np.ndarray, z: np.ndarray, weights: np.ndarray, log):
    """Weighted residuals as a function of x: log(p) for scale parameters, p for the
    bounded exponents (`log` marks which)."""
    def residuals(x):
        model = circuit.impedance(_from_x(x, log), f)
        return np.r_[model.real - z.real, model.imag - z.imag] / weights
    return residuals


def _from_x(x: np.ndarray, log: np.ndarray) -> np.ndarray:
    return np.where(log, np.exp(np.where(log, x, 0.0)), x)


def _least_squares(circuit, f, z, weights, start, low, high, budget):
    """Fit in x = log(p) for scale parameters (resistances, capacitances...: positive,
    spanning decades), x = p for the exponents. A scale parameter may move LOG_RANGE
    (e-folds) from its start: one that tends to 0 or infinity (a series R the data do not
    need, a leak that does not conduct) stops at that bound and is flagged."""
    log = ~np.isfinite(circuit.upper_bounds)
    tiny = np.finfo(float).tiny
    inside = np.clip(start, np.maximum(low, tiny) * (1 + 1e-9), None)
    x0 = np.where(log, np.log(np.maximum(inside, tiny)), start)
    with np.errstate(divide="ignore"):
        x_low = np.where(log, np.maximum(np.log(np.maximum(low, 0.0)), x0 - LOG_RANGE), low)
        x_high = np.where(log, np.minimum(np.log(high), x0 + LOG_RANGE), high)
    span = x_high - x_low
    x0 = np.clip(x0, x_low + 1e-6 * span, x_high - 1e-6 * span)
    with np.errstate(all="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        result = least_squares(_residuals(circuit, f, z, weights, log), x0,
                               bounds=(x_low, x_high), method="trf", x_scale=1.0,
                               ftol=1e-13, xtol=1e-13, gtol=1e-13, max_nfev=budget)
    result.p = _from_x(result.x, log)
    result.log, result.x_bounds = log, (x_low, x_high)
    return result


def _arcs_in_order(circuit: Circuit, result):
    """The result with interchangeable arcs' parameters permuted, fastest arc first."""
    names = circuit.parameter_names
    order = np.arange(len(names))
    for group in interchangeable_arcs(circuit):
        slots = [[names.index(n) for e in pair for n in e.parameter_names] for pair in group]
        taus = [time_constant(c, result.p[slot[0]], result.p[slot[1:]])
                for (_, c), slot in zip(group, slots)]
        for slot, source in zip(slots, (slots[i] for i in np.argsort(taus, kind="stable"))):
            order[slot] = source
    result.p, result.x, result.jac, result.log = (
        result.p[order], result.x[order], result.jac[:, order], result.log[order])
    result.x_bounds = tuple(b[order] for b in result.x_bounds)
    return result


def _result(circuit, f, z, best, start, weighting) -> FitResult:
    """Errors and correlations of the parameters off their bounds (NaN for those at one)."""
    names, p = tuple(circuit.parameter_names), best.p
    x_low, x_high = best.x_bounds
    at_bound = np.minimum(best.x - x_low, x_high - best.x) <= 1e-6 * np.maximum(
        x_high - x_low, 1.0)
    free = ~at_bound
    dof = max(best.fun.size - int(free.sum()), 1)
    stderr_x, correlation = np.full(len(p), np.nan), np.full((len(p),) * 2, np.nan)
    stderr_x[free], correlation[np.ix_(free, free)] = _covariance(
        best.jac[:, free], 2 * best.cost / dof)
    stderr = np.where(best.log, stderr_x * p, stderr_x)   # d p = p d(log p)
    model = circuit.impedance(p, f)
    rms = float(np.sqrt(np.mean(np.abs(model - z) ** 2 / np.abs(z) ** 2)))
    notes = []
    for name, value, error, bound in zip(names, p, stderr, at_bound):
        if bound:
            notes.append(f"{name} at its bound ({value:.4g})")
        elif not error <= MAX_RELATIVE_ERROR * abs(value):
            notes.append(f"{name} poorly determined (relative error {error / abs(value):.2g})")
    noise = _noise(f, z)
    return FitResult(circuit.text, names, p, stderr, correlation, True, best.message,
                     weighting, rms, int(best.nfev), start, tuple(notes), best.status > 0,
                     _degenerate(circuit, p, stderr, at_bound, rms, noise), noise)


def offset_only(frequency_Hz, impedance_Ohm) -> FitResult | None:
    """The fit of OFFSET_CIRCUIT when it describes the spectrum to within
    OFFSET_NOISE_FACTOR times its noise (no arc in the measured range), else None."""
    circuit = Circuit(OFFSET_CIRCUIT)
    result = fit(frequency_Hz, impedance_Ohm, circuit,
                 max_nfev=OFFSET_MAX_NFEV_PER_PARAMETER * len(circuit.parameter_names))
    good = result.state == "ok" and (
        result.rms_relative <= OFFSET_NOISE_FACTOR * result.noise_relative)
    return result if good else None


def _degenerate(circuit, p, stderr, at_bound, rms, noise) -> tuple[str, ...]:
    reasons = []
    for name, unit, value, error, bound in zip(circuit.parameter_names, circuit.units, p,
                                               stderr, at_bound):
        if unit == "" and value < EXPONENT_FLOOR:
            reasons.append(f"{name} = {value:.3g}: the CPE has collapsed")
        elif not bound and not np.isfinite(error):
            reasons.append(f"{name}: error undetermined")
        elif not bound and error > DEGENERATE_RELATIVE_ERROR * abs(value):
            reasons.append(f"{name}: error {error / abs(value):.2g} times its value")
    if rms > max(NOISE_FACTOR * noise, RMS_FLOOR):
        reasons.append(f"rms {rms:.2%} far above the noise (Lin-KK rms {noise:.2%})")
    return tuple(reasons)


def _noise(f, z) -> float:
    """rms of the Lin-KK residuals relative to |Z|: what a good fit can reach (0 when
    the spectrum is too short for the test)."""
    try:
        kk = lin_kk(f, z)
    except ValueError:
        return 0.0
    return float(np.sqrt(np.mean(kk.residuals_real ** 2 + kk.residuals_imag ** 2)))


def _covariance(jac: np.ndarray, s2: float) -> tuple[np.ndarray, np.ndarray]:
    """Standard errors and correlations from the Jacobian (NaN where J^T J is singular)."""
    n = jac.shape[1]
    if n == 0:
        return np.zeros(0), np.zeros((0, 0))
    _, singular, vt = np.linalg.svd(jac, full_matrices=False)
    if singular[-1] <= singular[0] * np.finfo(float).eps * max(jac.shape):
        return np.full(n, np.nan), np.full((n, n), np.nan)
    cov = (vt.T / singular ** 2) @ vt * s2
    stderr = np.sqrt(np.diag(cov))
    return stderr, cov / np.outer(stderr, stderr)
