"""Argument types of the command line: a bad value is argparse's one-line usage error
naming the option (never a traceback further on)."""

from __future__ import annotations

import argparse
import math

# The fastest simulated time `labctl sim` accepts: the simulated furnace computes a control
# tick every 0.25 s of simulated time, and one core follows about 4e4 simulated seconds per
# real second (measured on the development machine); beyond that it would fall behind and
# spin at full CPU.
MAX_SPEED = 1e4


def seed(text: str) -> int:
    """A random seed: an integer >= 0."""
    try:
        value = int(text)
    except ValueError:
        value = -1
    if value < 0:
        raise argparse.ArgumentTypeError(f"must be an integer >= 0, got {text!r}")
    return value


def speed(text: str) -> float:
    """How many times faster than real time simulated time runs: 0 < speed <= MAX_SPEED."""
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not 0 < value <= MAX_SPEED:
        raise argparse.ArgumentTypeError(
            f"must be a number > 0 and <= {MAX_SPEED:g} (faster, the simulators fall "
            f"behind real time), got {text!r}")
    return value
