"""The CO/CO2 buffer: the oxygen partial pressure a CO + CO2 (+ O2, inert) gas holds at
equilibrium, CO + 1/2 O2 = CO2, and the CO2/CO ratio that sets a target pO2.

Standard Gibbs energy (standard state 1 atm, 298-2000 K): 2 CO + O2 = 2 CO2,
dG = -564 800 + 173.62 T J (D. R. Gaskell, Introduction to the Thermodynamics of
Materials, 5th ed., table A.1), so per CO: dG = -282 400 + 86.81 T J/mol (at 1000 K
-195.6 kJ/mol; NIST-JANAF: dfG(CO2) - dfG(CO) = -395.886 + 200.275 = -195.611 kJ/mol).
K = exp(-dG / RT) = x_CO2 / (x_CO sqrt(pO2 / p0)), R from scipy.constants.
A 1:1 mix holds 3.7e-21 atm at 1000 K: CO2/CO from 0.01 to 100 spans 8 decades of pO2.
"""

from __future__ import annotations

import math
from typing import Mapping

from scipy.constants import atm, gas_constant
from scipy.optimize import brentq

DH_J_PER_MOL = -282_400.0     # Gaskell table A.1, per mole of CO
DS_TERM_J_PER_MOL_K = 86.81   # -dS
LN_Y_RANGE = (math.log(1e-60), math.log1p(-1e-12))   # the O2 fraction solved for


def equilibrium_constant(temperature_K: float) -> float:
    """K = x_CO2 / (x_CO (pO2/atm)^(1/2)) of CO + 1/2 O2 = CO2 at `temperature_K`."""
    dG = DH_J_PER_MOL + DS_TERM_J_PER_MOL_K * temperature_K
    return math.exp(-dG / (gas_constant * temperature_K))


def co2_per_co(pO2_Pa: float, temperature_K: float) -> float:
    """The CO2/CO ratio that holds `pO2_Pa` at `temperature_K` (free O2 negligible)."""
    return equilibrium_constant(temperature_K) * math.sqrt(pO2_Pa / atm)


def equilibrium_pO2_Pa(fractions: Mapping[str, float], temperature_K: float,
                       pressure_Pa: float = atm) -> float:
    """pO2 of a gas fed with mole `fractions` of 'O2', 'CO', 'CO2' (the rest inert) once
    CO + 1/2 O2 = CO2 has equilibrated at `temperature_K`: the carbon and oxygen balances
    solved for the O2 mole fraction y (exact; without carbon y is the fed O2 fraction)."""
    o, c, d = (max(0.0, fractions.get(s, 0.0)) for s in ("O2", "CO", "CO2"))
    carbon = c + d
    if carbon <= 0:
        return o * pressure_Pa
    inert = max(0.0, 1.0 - o - c - d)
    k = equilibrium_constant(temperature_K) * math.sqrt(pressure_Pa / atm)

    def balance(ln_y: float) -> float:   # rises with y; 0 at equilibrium
        y = math.exp(ln_y)
        r = k * math.sqrt(y)                                   # x_CO2 / x_CO
        free_o2 = o + d / 2 - carbon * r / (2 * (1 + r))       # O atoms balanced
        return y * (carbon + inert) - free_o2 * (1 - y)        # y = free O2 / all moles

    lo, hi = LN_Y_RANGE
    if balance(lo) >= 0 or balance(hi) <= 0:   # no free oxygen / next to none but O2
        return math.exp(lo if balance(lo) >= 0 else hi) * pressure_Pa
    return math.exp(brentq(balance, lo, hi, xtol=1e-12, rtol=1e-12)) * pressure_Pa
