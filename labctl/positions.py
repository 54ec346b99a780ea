"""The pellet positions of a multi-sample holder: each position's temperature calibration.

A pellet off the hot zone's centre sits a few kelvin from the furnace's thermocouple; labs
calibrate each position of the holder (a thermocouple or a reference pellet in it) and
keep the offset with the bench, since it belongs to the position, not to the sample:
```toml
[positions.A]                    # a pellet position as the switch's channel map names it
temperature_offset_K = -1.8      # the pellet's temperature minus the thermocouple's (K)
```
A run records each sample's offset with its sample table (`temperature_offset_K` in the
run's `samples`, `labctl.recipe_samples.run_sample`); temperatures stay stored as the
thermocouple read them, and analysis takes a sample's temperature as thermocouple + offset
(`labctl.runsamples.temperature_offset_K`).
"""

from __future__ import annotations

from typing import Any

from labctl.configfile import Problems, is_number, shown, unknown

OFFSET = "temperature_offset_K"
MAX_OFFSET_K = 50.0    # beyond this the pellet is not in the furnace's hot zone at all


def read_positions(data: Any, pellets: set[str], errors: Problems) -> dict[str, float]:
    """{pellet: temperature offset (K)} of the bench's [positions.NAME] tables (`pellets`:
    those its switches' channel maps name), every problem reported."""
    if data is None:
        return {}
    if not isinstance(data, dict):
        errors.add("must be tables [positions.PELLET]", "positions")
        return {}
    offsets = {}
    for pellet, table in data.items():
        where = f"positions.{pellet}"
        if pellet not in pellets:
            errors.add(f"no switch's channel map names pellet {pellet!r} (names: "
                       f"{', '.join(sorted(pellets)) or 'none'})", where)
        if not isinstance(table, dict):
            errors.add(f"must be a table with {OFFSET}", where)
            continue
        for key in unknown(table, {OFFSET}):
            errors.add(f"unknown key (expected {OFFSET})", where, key)
        value = table.get(OFFSET)
        if not (is_number(value) and abs(value) <= MAX_OFFSET_K):
            errors.add(f"required, a number of kelvin within +-{MAX_OFFSET_K:g} (the pellet's "
                       f"temperature minus the thermocouple's), got {shown(value)}", where, OFFSET)
        else:
            offsets[pellet] = float(value)
    return offsets
