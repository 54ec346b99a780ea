"""The one conversion between kelvin and degrees Celsius, for numbers and arrays."""

import numpy as np
import pytest

from labctl.units import C_to_K, K_to_C, celsius_text


def test_celsius_and_kelvin_convert_both_ways_on_numbers_and_arrays():
    assert C_to_K(25.0) == pytest.approx(298.15)
    assert K_to_C(0.0) == pytest.approx(-273.15)
    temperatures_K = np.array([273.15, 623.15])
    assert K_to_C(temperatures_K) == pytest.approx([0.0, 350.0])
    assert C_to_K(K_to_C(temperatures_K)) == pytest.approx(temperatures_K)


def test_celsius_text_is_as_a_recipe_writes_it():
    assert [celsius_text(t) for t in (623.15, 625.65, None)] == ["350", "352.5", ""]
