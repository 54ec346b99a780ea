"""The flows of an atmosphere's gas lines for a target oxygen partial pressure.

Oxidizing targets: the oxygen line (O2 or air) diluted by the inert line (N2, Ar, He;
counted O2-free). Reducing targets (below the step's `buffer_below_Pa`): a CO/CO2 buffer
whose CO2/CO ratio sets pO2 at the sample temperature (`labctl.buffer_gas`). The lines of
the other mix are closed: CO and O2 never flow together.
"""

from __future__ import annotations

from labctl.buffer_gas import co2_per_co
from labctl.errors import ConfigError

OXYGEN_LINE_FRACTION = {"O2": 1.0, "AIR": 0.2095}   # O2 mole fraction (air: ISO 2533)
ATM_PA = 101325.0                                    # the highest target: pure O2 at 1 atm
OXIDIZING, BUFFER = ("o2", "n2"), ("co", "co2")       # the roles of each mix's lines


def oxidizing(target_Pa: float, total_sccm: float, o2_gas: str) -> dict[str, float]:
    """Oxygen and inert line flows giving `target_Pa` at `total_sccm`."""
    fraction = OXYGEN_LINE_FRACTION.get(o2_gas.upper())
    if fraction is None:
        raise ConfigError(f"the oxygen line carries {o2_gas!r}; a target pO2 needs one of "
                          f"{', '.join(OXYGEN_LINE_FRACTION)}")
    share = target_Pa / ATM_PA / fraction
    if share > 1:
        raise ConfigError(f"target pO2 {target_Pa:g} Pa is above what the oxygen "
                          f"line's {o2_gas} gives ({fraction * ATM_PA:g} Pa)")
    return {"o2": total_sccm * share, "n2": total_sccm * (1 - share)}


def buffer(target_Pa: float, total_sccm: float, temperature_K: float | None
           ) -> dict[str, float]:
    """CO and CO2 line flows giving `target_Pa` at `temperature_K` and `total_sccm`."""
    if temperature_K is None:
        raise ConfigError("a CO/CO2 buffer's pO2 depends on temperature: run the step in a "
                          "temperature program", field="target_pO2_Pa")
    ratio = co2_per_co(target_Pa, temperature_K)
    return {"co": total_sccm / (1 + ratio), "co2": total_sccm * ratio / (1 + ratio)}
