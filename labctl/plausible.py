"""Values a recipe may hold but that are probably not meant, as warnings with a suggestion:
a sample geometry in other units than SI (`thickness_mm` is not read: the conductivity
would be missing), SI values of implausible size (millimetres typed as metres), a
temperature given twice.
"""

from __future__ import annotations

import re
from collections import Counter
from typing import Any, Iterator, Mapping

from labctl.configfile import is_number

QUANTITIES = {"thickness": "thickness_m", "area": "area_m2"}
# SI geometry key -> {unit suffix: factor to SI}
UNITS = {"thickness_m": {"mm": 1e-3, "cm": 1e-2, "um": 1e-6, "µm": 1e-6, "nm": 1e-9},
         "area_m2": {"mm2": 1e-6, "cm2": 1e-4, "um2": 1e-12, "µm2": 1e-12}}
# SI geometry key -> (largest plausible value, what a user probably meant instead)
LARGEST = {"thickness_m": (0.02, {"mm": 1e-3}), "area_m2": (0.01, {"cm²": 1e-4, "mm²": 1e-6})}


def geometry(table: Mapping[str, Any]) -> Iterator[tuple[str, str]]:
    """(key, warning) for a sample's or step's geometry in other units, or implausible."""
    for key, value in table.items():
        match = re.fullmatch(r"(thickness|area)_(\w+)", key)
        if match is None or not is_number(value):
            continue
        si = QUANTITIES[match[1]]
        factor = UNITS[si].get(match[2])
        if factor is not None and si not in table:
            yield key, (f"not read (labctl takes {si}, in SI units): without it the "
                        f"quantities that need it (conductivity) stay empty; write "
                        f"{si} = {value * factor:g}")
        elif key in LARGEST and value > LARGEST[key][0]:
            meant = " or ".join(f"{si} = {value * f:g} ({value:g} {unit})"
                                for unit, f in LARGEST[key][1].items())
            yield key, (f"{value:g} is implausibly large for a sample (SI units); "
                        f"did you mean {meant}?")


def repeated(temperatures: list[float]) -> Iterator[str]:
    """A warning for every temperature given more than once."""
    for value, count in Counter(temperatures).items():
        if count > 1:
            yield (f"{value:g} degC is given {count} times: every repeat is a plateau of its "
                   f"own (measured again); remove it if not meant")
