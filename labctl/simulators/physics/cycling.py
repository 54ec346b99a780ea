"""Thermal cycles of a sample, counted from its temperature as it is observed."""

from __future__ import annotations


class ThermalCycles:
    """Counts thermal cycles: a rise by at least `swing_K` followed by a fall by at least
    `swing_K` is one cycle (hysteresis counting: a controller's overshoot or the noise of a
    plateau never counts, a heat-up and cool-down between plateaus does). Fed point by
    point (`observe`); an excursion between two observations is not seen, so it is fed as
    often as the sample's temperature is read (minutes pass between the extremes of a
    furnace's cycle)."""

    def __init__(self, swing_K: float, start_K: float):
        if not swing_K > 0:
            raise ValueError(f"swing_K must be > 0, got {swing_K}")
        self.swing_K, self.count = swing_K, 0
        self._low = self._high = start_K
        self._heated = False      # risen by swing_K since the last cycle ended

    def observe(self, T_K: float) -> int:
        """Take the temperature now; returns the cycles completed so far."""
        if not self._heated:
            self._low = min(self._low, T_K)
            if T_K - self._low >= self.swing_K:
                self._heated, self._high = True, T_K
        else:
            self._high = max(self._high, T_K)
            if self._high - T_K >= self.swing_K:
                self.count += 1
                self._heated, self._low = False, T_K
        return self.count
