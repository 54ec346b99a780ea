"""The gas in the furnace tube: a well-mixed volume fed by mass-flow controllers.

Each gas line (one MFC) feeds `flow_sccm` of its gas; the tube is a continuously stirred
volume V, so its oxygen mole fraction x follows dx/dt = (x_in - x) Q / V with Q the total
flow and x_in the flow-weighted O2 fraction of the feed. Between changes of the flows this is
exact: x(t) = x_in + (x0 - x_in) exp(-(t - t0) / tau), tau = V / Q (the gas exchange time;
V counted at standard conditions, as the flows are). With every valve closed the gas stays
(no leaks, no diffusion from the outlet). pO2 = x * p_total.

O2 fractions of the gases (mole fractions): O2 1; dry air 0.2095 (ISO 2533 standard
atmosphere); the inert gases carry their cylinder's O2 impurity, 3 ppm for grade 5.0 N2 /
Ar / He (supplier specifications, e.g. Linde "Nitrogen 5.0: O2 <= 3 ppm"; an upper bound
taken as the value: estimate).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
from scipy.constants import atm, gas_constant
from scipy.constants import physical_constants

FARADAY = physical_constants["Faraday constant"][0]   # C/mol
O2_FRACTION = {"O2": 1.0, "AIR": 0.2095, "N2": 3e-6, "AR": 3e-6, "HE": 3e-6}
SECONDS_PER_MINUTE = 60.0
MODES = 400   # slab modes kept: the step response is exact to ~1e-3 of the step at t = 0


def o2_fraction(gas: str) -> float:
    """The O2 mole fraction of `gas` (ValueError for a gas not in the table)."""
    try:
        return O2_FRACTION[gas.upper()]
    except KeyError:
        raise ValueError(f"unknown gas {gas!r}; known: {', '.join(O2_FRACTION)}") from None


@dataclass
class MixingVolume:
    """The tube's gas: O2 fraction `x0` at time `t0_s`, feeds by line name."""

    volume_cm3: float = 300.0        # a 40 mm bore x 240 mm hot zone tube (estimate)
    pressure_Pa: float = atm
    x0: float = O2_FRACTION["AIR"]   # the tube starts full of air
    t0_s: float = 0.0
    feeds: dict[str, tuple[float, float]] = field(default_factory=dict)  # line: (sccm, x)

    def total_flow_sccm(self) -> float:
        return sum(flow for flow, _ in self.feeds.values())

    def exchange_time_s(self) -> float:
        """tau = V / Q (infinite with no flow)."""
        q = self.total_flow_sccm()
        return math.inf if q <= 0 else self.volume_cm3 / q * SECONDS_PER_MINUTE

    def feed_fraction(self) -> float:
        q = self.total_flow_sccm()
        return self.x0 if q <= 0 else sum(f * x for f, x in self.feeds.values()) / q

    def o2_fraction(self, t_s: float) -> float:
        tau = self.exchange_time_s()
        if math.isinf(tau):
            return self.x0
        x_in = self.feed_fraction()
        return x_in + (self.x0 - x_in) * math.exp(-max(0.0, t_s - self.t0_s) / tau)

    def pO2_Pa(self, t_s: float) -> float:
        return self.o2_fraction(t_s) * self.pressure_Pa

    def segment(self) -> tuple[float, float, float]:
        """pO2(t) = a + b exp(-g (t - t0)) until the feeds change: (a, b, g) in Pa, Pa, 1/s."""
        tau = self.exchange_time_s()
        if math.isinf(tau):
            return self.x0 * self.pressure_Pa, 0.0, 0.0
        x_in = self.feed_fraction()
        return x_in * self.pressure_Pa, (self.x0 - x_in) * self.pressure_Pa, 1.0 / tau

    def set_feed(self, line: str, flow_sccm: float, gas: str, t_s: float) -> None:
        """Line `line` feeds `flow_sccm` of `gas` from `t_s` on (the MFC's response, about a
        second, is short against tau and taken as a step)."""
        self.x0, self.t0_s = self.o2_fraction(t_s), t_s
        self.feeds[line] = (max(0.0, flow_sccm), o2_fraction(gas))


class SampleOxygen:
    """The oxygen activity of the sample (as the pO2 it is equilibrated with) following the
    tube's by chemical diffusion through the pellet, exposed on both faces with fast surface
    exchange: the slab solution of Fick's law (Crank, The Mathematics of Diffusion, 2nd ed.,
    eq. 4.18) as modes y_m with weights 8 / ((2m+1)^2 pi^2) and rates (2m+1)^2 / tau,
    tau = L^2 / (pi^2 D~), each dy_m/dt = rate (pO2_tube - y_m). Over a segment of the tube
    (pO2 = a + b exp(-g t)) every mode is advanced exactly. Linear in pO2 and with D~ constant
    over a step: exact for small steps, an approximation for steps of decades; tau is taken
    at the temperature of each update."""

    def __init__(self, pO2_Pa: float, t_s: float):
        m = 2 * np.arange(MODES) + 1
        self.weights = 8 / (m * np.pi) ** 2
        self.weights /= self.weights.sum()
        self.rates = m.astype(float) ** 2
        self.modes = np.full(MODES, float(pO2_Pa))
        self.t_s = t_s

    def pO2_Pa(self) -> float:
        return float(self.weights @ self.modes)

    def advance(self, t_s: float, tube: MixingVolume, tau_s: float) -> None:
        """Bring the modes up to `t_s`; the tube's feeds must not have changed since `t_s`
        of the last call (the world advances the sample before each change)."""
        dt = t_s - self.t_s
        if dt <= 0:
            return
        a, b, g = tube.segment()
        b *= math.exp(-g * (self.t_s - tube.t0_s))       # the exponential part at the start
        if tau_s <= 0:
            self.modes[:] = a + b * math.exp(-g * dt)
        else:
            lam = self.rates / tau_s
            decay = np.exp(-lam * dt)
            near = np.isclose(lam, g, rtol=1e-9)
            drive = np.where(near, lam * dt * decay,
                             lam / np.where(near, 1.0, lam - g) * (math.exp(-g * dt) - decay))
            self.modes = a + (self.modes - a) * decay + b * drive
        self.t_s = t_s


def zirconia_emf_V(pO2_Pa: float, temperature_K: float, reference_Pa: float) -> float:
    """Open-circuit voltage of a zirconia oxygen concentration cell (pure oxide-ion
    conductor, t_ion = 1): E = RT/(4F) ln(p_ref / pO2), reference electrode positive when
    the measured gas holds less oxygen than the reference."""
    return gas_constant * temperature_K / (4 * FARADAY) * math.log(reference_Pa / pO2_Pa)
