"""Models of a relaxing current's tail, and the choice between them by prediction.

After a voltage step on blocking electrodes the current relaxes to I_ss by two physics:
- electrode charging of a CPE: a power law I = I_ss + A t^-a (`power_law`);
- chemical diffusion in a mixed conductor (stoichiometry polarization): a series of
  exponentials whose slowest term dominates late, I = I_ss + A exp(-t/tau) with
  tau = L^2 / (pi^2 D~) (`exponential`);
real curves can hold both (`sum`). In-sample residuals cannot tell them apart on a short
record; `choose` fits each to the readings up to a past time and keeps the model that best
predicts the readings that arrived after it (then refits it to all). All fits use the
readings of the last TAIL_DECADES of time, weighted by 1/|I| (relative residuals).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace
from typing import Callable

import numpy as np
from scipy.optimize import minimize, minimize_scalar

MIN_POINTS = 8
TAIL_DECADES = 1.5          # the fit uses the readings of the last 1.5 decades of time
EXPONENT_RANGE = (0.05, 1.5)
TAU_RANGE = (1e-3, 10.0)    # tau as a fraction of the last reading's time
HOLDOUT = 10 ** 0.25        # the models are fitted up to t_last / HOLDOUT, then predict
AT_BOUND = 1e-3             # relative distance to a bound that counts as "at the bound"


@dataclass(frozen=True)
class ModelFit:
    model: str                          # "power_law" | "exponential" | "sum"
    steady_A: float                     # I_ss
    steady_std_A: float                 # its standard error
    params: dict[str, float]            # the other parameters by name
    points: int
    failed: str = ""                    # why the fit is no result ("" when it is one)
    predict: Callable[[np.ndarray], np.ndarray] = field(repr=False, compare=False,
                                                        default=None)


def tail_window(t_s, current_A, decades: float = TAIL_DECADES):
    """The readings of the last `decades` of time (t since the step, > 0); None until the
    record spans that much time with at least MIN_POINTS in it."""
    t = np.asarray(t_s, dtype=float)
    i = np.asarray(current_A, dtype=float)
    keep = t > 0
    t, i = t[keep], i[keep]
    if t.size == 0 or t[-1] < t[0] * 10 ** decades:
        return None
    keep = t >= t[-1] * 10 ** -decades
    return (t[keep], i[keep]) if keep.sum() >= MIN_POINTS else None


def _linear(basis: np.ndarray, i: np.ndarray, w: np.ndarray) -> tuple[np.ndarray, float]:
    """Weighted linear least squares of i on the columns of `basis`: coefficients, SSR."""
    x = basis * w[:, None]
    coef = np.linalg.lstsq(x, i * w, rcond=None)[0]
    return coef, float(np.sum((x @ coef - i * w) ** 2))


def _at_bound(value: float, low: float, high: float) -> bool:
    return abs(math.log(value / low)) < AT_BOUND or abs(math.log(high / value)) < AT_BOUND


def _result(model, names, coef, nonlinear, jac, ssr, t, w, curve, failed) -> ModelFit:
    """ModelFit from the fitted parameters; I_ss's standard error from the Jacobian."""
    n_par = jac.shape[1]
    try:
        # inv, not pinv: pinv truncates the small singular values of badly scaled columns
        cov = np.linalg.inv((jac * w[:, None]).T @ (jac * w[:, None])) * ssr / (t.size - n_par)
        std = float(np.sqrt(max(cov[0, 0], 0.0)))
    except np.linalg.LinAlgError:
        std, failed = math.inf, failed or "singular fit"
    if not coef[0] > 0:
        failed = "; ".join(filter(None, [f"negative I_ss ({coef[0]:.3g} A)", failed]))
    params = dict(zip(names, [*coef[1:], *nonlinear]))
    return ModelFit(model, float(coef[0]), std, {k: float(v) for k, v in params.items()},
                    int(t.size), failed, curve)


def power_law(t: np.ndarray, i: np.ndarray) -> ModelFit:
    """I = I_ss + A t^-a; failed when a sticks at a bound of EXPONENT_RANGE."""
    w = 1 / np.maximum(np.abs(i), np.finfo(float).tiny)

    def basis(tt, a):
        return np.column_stack([np.ones_like(tt), tt ** -a])

    a = minimize_scalar(lambda a: _linear(basis(t, a), i, w)[1], bounds=EXPONENT_RANGE,
                        method="bounded", options={"xatol": 1e-6}).x
    coef, ssr = _linear(basis(t, a), i, w)
    jac = np.column_stack([basis(t, a), -coef[1] * np.log(t) * t ** -a])
    failed = f"exponent at its bound ({a:.3g})" if _at_bound(a, *EXPONENT_RANGE) else ""
    return _result("power_law", ["A_A", "exponent"], coef, [a], jac, ssr, t, w,
                   lambda tt: basis(np.asarray(tt, float), a) @ coef, failed)


def exponential(t: np.ndarray, i: np.ndarray) -> ModelFit:
    """I = I_ss + A exp(-t/tau); failed when tau sticks at a bound of TAU_RANGE * t_last."""
    w = 1 / np.maximum(np.abs(i), np.finfo(float).tiny)
    low, high = (f * t[-1] for f in TAU_RANGE)

    def basis(tt, tau):
        return np.column_stack([np.ones_like(tt), np.exp(-(tt - t[0]) / tau)])

    log_tau = minimize_scalar(lambda v: _linear(basis(t, math.exp(v)), i, w)[1],
                              bounds=(math.log(low), math.log(high)), method="bounded",
                              options={"xatol": 1e-6}).x
    tau = math.exp(log_tau)
    coef, ssr = _linear(basis(t, tau), i, w)
    jac = np.column_stack([basis(t, tau), coef[1] * (t - t[0]) / tau ** 2
                           * np.exp(-(t - t[0]) / tau)])
    failed = f"time constant at its bound ({tau:.3g} s)" if _at_bound(tau, low, high) else ""
    return _result("exponential", ["A_A", "tau_s"], coef, [tau], jac, ssr, t, w,
                   lambda tt: basis(np.asarray(tt, float), tau) @ coef, failed)


def power_and_exponential(t: np.ndarray, i: np.ndarray) -> ModelFit:
    """I = I_ss + A t^-a + B exp(-t/tau), started from the two single fits; failed when
    a or tau sticks at a bound or a term rises (A or B < 0: a difference of decays fits
    anything)."""
    w = 1 / np.maximum(np.abs(i), np.finfo(float).tiny)
    low, high = (f * t[-1] for f in TAU_RANGE)
    bounds = [EXPONENT_RANGE, (math.log(low), math.log(high))]

    def basis(tt, a, tau):
        return np.column_stack([np.ones_like(tt), tt ** -a, np.exp(-(tt - t[0]) / tau)])

    def ssr(x):
        return _linear(basis(t, x[0], math.exp(x[1])), i, w)[1]

    start = (power_law(t, i).params["exponent"], math.log(exponential(t, i).params["tau_s"]))
    best = minimize(ssr, start, method="Nelder-Mead", bounds=bounds,
                    options={"xatol": 1e-4, "fatol": 1e-12})
    a, tau = float(best.x[0]), math.exp(best.x[1])
    coef, res = _linear(basis(t, a, tau), i, w)
    decay = np.exp(-(t - t[0]) / tau)
    jac = np.column_stack([basis(t, a, tau), -coef[1] * np.log(t) * t ** -a,
                           coef[2] * (t - t[0]) / tau ** 2 * decay])
    failed = (f"exponent at its bound ({a:.3g})" if _at_bound(a, *EXPONENT_RANGE) else
              f"time constant at its bound ({tau:.3g} s)" if _at_bound(tau, low, high) else
              "a term rises (negative amplitude)" if min(coef[1], coef[2]) < 0 else "")
    return _result("sum", ["A_A", "B_A", "exponent", "tau_s"], coef, [a, tau], jac, res, t, w,
                   lambda tt: basis(np.asarray(tt, float), a, tau) @ coef, failed)


MODELS: dict[str, Callable[[np.ndarray, np.ndarray], ModelFit]] = {
    "power_law": power_law, "exponential": exponential, "sum": power_and_exponential}


@dataclass(frozen=True)
class Choice:
    fit: ModelFit                      # the chosen model, fitted to the whole tail
    prediction_error: dict[str, float]  # per model: RMS relative error of its prediction


def prediction_error(model: str, t: np.ndarray, i: np.ndarray, t_fit: float) -> float:
    """RMS relative error with which `model`, fitted to the readings up to `t_fit`,
    predicts the later ones; inf when it cannot be fitted there or its fit failed."""
    early = t <= t_fit
    window = tail_window(t[early], i[early])
    if window is None or early.all():
        return math.inf
    fit = MODELS[model](*window)
    if fit.failed:
        return math.inf
    late = ~early
    return float(np.sqrt(np.mean(((i[late] - fit.predict(t[late])) / i[late]) ** 2)))


def choose(t_s, current_A, models=tuple(MODELS)) -> Choice | None:
    """The model (of `models`) that best predicts the readings after t_last / HOLDOUT from
    those before and whose fit to the whole tail is a result (the simpler one on a tie).
    When none is, the best predictor's fit says why (failed). None while the record is
    too short for a fit."""
    t = np.asarray(t_s, dtype=float)
    i = np.asarray(current_A, dtype=float)
    window = tail_window(t, i)
    if window is None:
        return None
    errors = {m: prediction_error(m, t, i, t[-1] / HOLDOUT) for m in models}
    ranked = sorted((m for m in models if math.isfinite(errors[m])), key=lambda m: errors[m])
    fits = (MODELS[m](*window) for m in ranked)
    fit = next((f for f in fits if not f.failed), None)
    if fit is None:
        fit = MODELS[ranked[0] if ranked else models[0]](*window)
        fit = replace(fit, failed=fit.failed or "no model fitted to the earlier readings")
    return Choice(fit, errors)
