"""Numerical inverse Laplace transform by the fixed Talbot method.

Abate & Valko, Int. J. Numer. Meth. Eng. 60 (2004) 979: the Bromwich integral is taken on
the deformed contour s(theta) = r*theta*(cot(theta) + i), -pi < theta < pi, r = 2M/(5t),
which encloses the negative real axis (poles of RC networks, the branch cut of s**n of a
constant-phase element) and is summed with the trapezoidal rule on M nodes. In double
precision the error falls as ~10**(-0.6 M) down to ~1e-13 of the scale of f at M = 20
(roundoff grows beyond). Measured in tests/physics: <1e-9 relative against closed forms
and, for the sample's CPE circuit, against mpmath's de Hoog inversion at 30 digits.
"""

from __future__ import annotations

from typing import Callable

import numpy as np

DEFAULT_NODES = 20


def _talbot_nodes(m: int) -> tuple[np.ndarray, np.ndarray]:
    """Contour points z_k (s_k = z_k * 2M/(5t)) and weights, so f(t) = sum Re(w F(s)) / t."""
    theta = np.arange(1, m) * np.pi / m
    cot = 1.0 / np.tan(theta)
    z = np.concatenate(([1.0 + 0j], theta * (cot + 1j)))
    sigma = theta + (theta * cot - 1.0) * cot
    gamma = np.concatenate(([0.5 + 0j], 1.0 + 1j * sigma))
    weights = 0.4 * gamma * np.exp(0.4 * m * z)
    return 0.4 * m * z, weights


def invert(transform: Callable[[np.ndarray], np.ndarray], t_s, nodes: int = DEFAULT_NODES
           ) -> np.ndarray:
    """f(t) from its Laplace transform F(s), for t > 0 (array-like, any shape).

    `transform` must accept a complex array of any shape and be analytic to the right of the
    negative real axis (all singularities on or near it, as for passive circuits).
    """
    t = np.asarray(t_s, dtype=float)
    if np.any(~(t > 0)):
        raise ValueError("the inverse Laplace transform needs times t > 0")
    z, w = _talbot_nodes(nodes)
    values = transform(z / t[..., None])
    return (values * w).real.sum(axis=-1) / t
