"""Units at the edges: labctl keeps SI (K) inside and shows people °C as recipes write them."""

from __future__ import annotations

from scipy.constants import zero_Celsius


def celsius_text(temperature_K: float | None) -> str:
    """A temperature in °C as a recipe gives it ('350', '352.5'); '' for none."""
    if temperature_K is None:
        return ""
    return f"{temperature_K - zero_Celsius:.2f}".rstrip("0").rstrip(".")
