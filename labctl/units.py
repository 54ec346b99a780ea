"""Units at the edges: labctl keeps SI (K) inside and shows people °C as recipes write them."""

from __future__ import annotations

from typing import Any

from scipy.constants import zero_Celsius


def C_to_K(celsius: Any) -> Any:
    """Degrees Celsius (a number or an array) in kelvin."""
    return celsius + zero_Celsius


def K_to_C(kelvin: Any) -> Any:
    """Kelvin (a number or an array) in degrees Celsius."""
    return kelvin - zero_Celsius


def celsius_text(temperature_K: float | None) -> str:
    """A temperature in °C as a recipe gives it ('350', '352.5'); '' for none."""
    if temperature_K is None:
        return ""
    return f"{K_to_C(temperature_K):.2f}".rstrip("0").rstrip(".")
