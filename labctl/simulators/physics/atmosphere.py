"""The gas in the furnace tube: a well-mixed volume fed by mass-flow controllers.

Each gas line (one MFC) feeds `flow_sccm` of its gas; the tube is a continuously stirred
volume V, so the mole fractions x of its reactive species (O2, CO, CO2; the rest inert)
follow dx/dt = (x_in - x) Q / V with Q the total flow and x_in the flow-weighted fractions of
the feed. Between changes of the flows this is exact: x(t) = x_in + (x0 - x_in)
exp(-(t - t0) / tau), tau = V / Q (the gas exchange time; V counted at standard conditions,
as the flows are). With every valve closed the gas stays (no leaks, no diffusion from the
outlet). pO2 is that of the mix at equilibrium at the temperature asked
(`labctl.buffer_gas`: CO + 1/2 O2 = CO2); without carbon it is x_O2 * p_total at any
temperature.

Fractions of the gases (mole fractions): O2 1; dry air 0.2095 O2 (ISO 2533 standard
atmosphere); CO, CO2 1 (grade 4.7 / 4.5; their O2 impurity counted as the CO2 it forms);
the inert gases carry their cylinder's O2 impurity, 3 ppm for grade 5.0 N2 / Ar / He
(supplier specifications, e.g. Linde "Nitrogen 5.0: O2 <= 3 ppm"; an upper bound taken as
the value: estimate).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
from scipy.constants import atm, gas_constant
from scipy.constants import physical_constants

from labctl.buffer_gas import equilibrium_pO2_Pa

FARADAY = physical_constants["Faraday constant"][0]   # C/mol
SPECIES = ("O2", "CO", "CO2")
GASES = {"O2": (1.0, 0.0, 0.0), "AIR": (0.2095, 0.0, 0.0), "N2": (3e-6, 0.0, 0.0),
         "AR": (3e-6, 0.0, 0.0), "HE": (3e-6, 0.0, 0.0), "CO": (0.0, 1.0, 0.0),
         "CO2": (0.0, 0.0, 1.0)}
O2_FRACTION = {gas: x[0] for gas, x in GASES.items() if not any(x[1:])}
SECONDS_PER_MINUTE = 60.0
MODES = 400   # slab modes kept: the step response is exact to ~1e-3 of the step at t = 0


def composition(gas: str) -> np.ndarray:
    """The (O2, CO, CO2) mole fractions of `gas` (ValueError for a gas not in the table)."""
    try:
        return np.array(GASES[gas.upper()])
    except KeyError:
        raise ValueError(f"unknown gas {gas!r}; known: {', '.join(GASES)}") from None


def o2_fraction(gas: str) -> float:
    """The O2 mole fraction of `gas` (ValueError for a gas not in the table)."""
    return float(composition(gas)[0])


def pO2_of(x: np.ndarray, temperature_K: float | None, pressure_Pa: float) -> float:
    """Equilibrium pO2 of fractions `x` at `temperature_K` (needed only with carbon)."""
    if not any(x[1:]):
        return float(x[0]) * pressure_Pa
    if temperature_K is None:
        raise ValueError("a gas with CO/CO2 needs a temperature for its pO2")
    return equilibrium_pO2_Pa(dict(zip(SPECIES, x)), temperature_K, pressure_Pa)


def _fractions(x0) -> np.ndarray:
    """An O2 fraction (float) or (O2, CO, CO2) fractions as a vector."""
    return np.array([x0, 0.0, 0.0]) if np.ndim(x0) == 0 else np.asarray(x0, dtype=float)


@dataclass
class MixingVolume:
    """The tube's gas: fractions `x0` (O2 fraction, or (O2, CO, CO2)) at time `t0_s`,
    feeds by line name."""

    volume_cm3: float = 300.0        # a 40 mm bore x 240 mm hot zone tube (estimate)
    pressure_Pa: float = atm
    x0: np.ndarray | float = GASES["AIR"][0]   # the tube starts full of air
    t0_s: float = 0.0
    feeds: dict[str, tuple[float, np.ndarray]] = field(default_factory=dict)  # line: (sccm, x)

    def __post_init__(self):
        self.x0 = _fractions(self.x0)

    def total_flow_sccm(self) -> float:
        return sum(flow for flow, _ in self.feeds.values())

    def exchange_time_s(self) -> float:
        """tau = V / Q (infinite with no flow)."""
        q = self.total_flow_sccm()
        return math.inf if q <= 0 else self.volume_cm3 / q * SECONDS_PER_MINUTE

    def feed_fractions(self) -> np.ndarray:
        q = self.total_flow_sccm()
        return self.x0 if q <= 0 else sum(f * x for f, x in self.feeds.values()) / q

    def fractions(self, t_s: float) -> np.ndarray:
        """(O2, CO, CO2) fractions fed into the tube's gas by `t_s` (before equilibrium)."""
        tau = self.exchange_time_s()
        if math.isinf(tau):
            return self.x0
        x_in = self.feed_fractions()
        return x_in + (self.x0 - x_in) * math.exp(-max(0.0, t_s - self.t0_s) / tau)

    def o2_fraction(self, t_s: float) -> float:
        return float(self.fractions(t_s)[0])

    def pO2_Pa(self, t_s: float, temperature_K: float | None = None) -> float:
        """pO2 at `t_s` of the gas equilibrated at `temperature_K` (needed with CO/CO2)."""
        return pO2_of(self.fractions(t_s), temperature_K, self.pressure_Pa)

    def segment(self) -> tuple[np.ndarray, np.ndarray, float]:
        """x(t) = a + b exp(-g (t - t0)) until the feeds change: (a, b, g), g in 1/s."""
        tau = self.exchange_time_s()
        if math.isinf(tau):
            return self.x0, 0.0 * self.x0, 0.0
        x_in = self.feed_fractions()
        return x_in, self.x0 - x_in, 1.0 / tau

    def set_feed(self, line: str, flow_sccm: float, gas: str, t_s: float) -> None:
        """Line `line` feeds `flow_sccm` of `gas` from `t_s` on (the MFC's response, about a
        second, is short against tau and taken as a step)."""
        self.x0, self.t0_s = self.fractions(t_s), t_s
        self.feeds[line] = (max(0.0, flow_sccm), composition(gas))


class SampleOxygen:
    """The oxygen activity of the sample (as the gas it is equilibrated with) following the
    tube's by chemical diffusion through the pellet, exposed on both faces with fast surface
    exchange: the slab solution of Fick's law (Crank, The Mathematics of Diffusion, 2nd ed.,
    eq. 4.18) as modes y_m with weights 8 / ((2m+1)^2 pi^2) and rates (2m+1)^2 / tau,
    tau = L^2 / (pi^2 D~), each dy_m/dt = rate (x_tube - y_m) for the tube's fractions x.
    Over a segment of the tube (x = a + b exp(-g t)) every mode is advanced exactly. Linear
    in the fractions (pO2 from their mean, at equilibrium) and with D~ constant over a step:
    exact for small steps, an approximation for steps of decades; tau is taken at the
    temperature of each update. The equilibrium reached is exact."""

    def __init__(self, fractions, t_s: float, pressure_Pa: float = atm):
        m = 2 * np.arange(MODES) + 1
        self.weights = 8 / (m * np.pi) ** 2
        self.weights /= self.weights.sum()
        self.rates = m.astype(float) ** 2
        self.modes = np.tile(_fractions(fractions), (MODES, 1))
        self.t_s, self.pressure_Pa = t_s, pressure_Pa

    def pO2_Pa(self, temperature_K: float | None = None) -> float:
        """The pO2 the sample is equilibrated with (at `temperature_K`: needed with CO/CO2)."""
        return pO2_of(self.weights @ self.modes, temperature_K, self.pressure_Pa)

    def advance(self, t_s: float, tube: MixingVolume, tau_s: float) -> None:
        """Bring the modes up to `t_s`; the tube's feeds must not have changed since `t_s`
        of the last call (the world advances the sample before each change)."""
        dt = t_s - self.t_s
        if dt <= 0:
            return
        a, b, g = tube.segment()
        b = b * math.exp(-g * (self.t_s - tube.t0_s))    # the exponential part at the start
        if tau_s <= 0:
            self.modes[:] = a + b * math.exp(-g * dt)
        else:
            lam = self.rates / tau_s
            decay = np.exp(-lam * dt)
            near = np.isclose(lam, g, rtol=1e-9)
            drive = np.where(near, lam * dt * decay,
                             lam / np.where(near, 1.0, lam - g) * (math.exp(-g * dt) - decay))
            self.modes = a + (self.modes - a) * decay[:, None] + b * drive[:, None]
        self.t_s = t_s


def zirconia_emf_V(pO2_Pa: float, temperature_K: float, reference_Pa: float) -> float:
    """Open-circuit voltage of a zirconia oxygen concentration cell (pure oxide-ion
    conductor, t_ion = 1): E = RT/(4F) ln(p_ref / pO2), reference electrode positive when
    the measured gas holds less oxygen than the reference."""
    return gas_constant * temperature_K / (4 * FARADAY) * math.log(reference_Pa / pO2_Pa)
