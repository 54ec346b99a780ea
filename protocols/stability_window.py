"""Electrochemical stability window by a linear (staircase) voltage sweep.

What is measured: I(V) while the cell voltage is swept from open circuit (0 V) toward each
side at `scan_rate_V_per_s`, in steps of `step_V`, with the source-measure unit. A
direction ends at `max_voltage_V` / `min_voltage_V`, at the compliance, or once the
current density (baseline subtracted) exceeds `threshold_A_per_m2` (area: `area_m2`).
The whole curve is recorded. The baseline (capacitive charging and electronic leakage,
fitted over the first part of each sweep) is subtracted; the onset is the voltage where
the faradaic current density reaches the threshold. The output is off at the end.
"""

from __future__ import annotations

from dataclasses import dataclass

from protocols._params import param

KIND = "stability_window"
DIRECTIONS = ("both", "anodic", "cathodic")


@dataclass(frozen=True)
class Params:
    area_m2: float = param(low=1e-9, high=1.0, doc="electrode area (current density)")
    scan_rate_V_per_s: float = param(1e-3, low=1e-7, high=10.0, doc="sweep rate")
    step_V: float = param(0.005, low=1e-5, high=0.5, doc="staircase step")
    max_voltage_V: float = param(5.0, low=0.0, high=200.0, doc="anodic end")
    min_voltage_V: float = param(-5.0, low=-200.0, high=0.0, doc="cathodic end")
    current_limit_A: float = param(1e-3, low=1e-9, high=1.0, doc="compliance")
    threshold_A_per_m2: float = param(1e-2, low=1e-9, high=1e5,
                                      doc="onset: faradaic current density")
    direction: str = param("both", choices=DIRECTIONS, doc="which side(s), anodic first")
    rest_s: float = param(600.0, low=0.0, high=1e6,
                          doc="at 0 V between the two directions (electrode discharge)")
