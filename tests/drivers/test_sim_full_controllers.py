"""sim-full's two temperature controllers on its one furnace: whichever is given the run
heats the furnace to its set-point (the other, in its power-on/safe state, does not hold
the heater off), both read the same furnace, and switching the active one off hands the
heater back to the other, while a new set-point takes it."""

import pytest
from scipy.constants import zero_Celsius

from labctl.bench import load_bench, open_bench
from labctl.clock import VirtualClock

TARGET_K = 150.0 + zero_Celsius
RATE_K_PER_S = 20.0 / 60.0


def heat(bench, name: str, minutes: int) -> list[float]:
    """An Arrhenius-style plateau through `name`: ramp, set-point, then a reading a minute."""
    controller = bench[name]
    controller.set_ramp_rate(RATE_K_PER_S)
    controller.set_setpoint(TARGET_K)
    readings = []
    for _ in range(minutes):
        bench.clock.sleep(60.0)
        readings.append(controller.read().temperature_K)
    return readings


@pytest.fixture
def bench():
    with open_bench(load_bench("sim-full"), clock=VirtualClock()) as opened:
        yield opened


@pytest.mark.parametrize("active, other", [("furnace", "stage"), ("stage", "furnace")])
def test_either_controller_heats_the_shared_furnace_to_its_setpoint(bench, active, other):
    readings = heat(bench, active, minutes=20)
    assert readings[-1] == pytest.approx(TARGET_K, abs=0.5)
    assert max(readings[-5:]) - min(readings[-5:]) < 0.5                  # holding it
    assert bench[other].read().temperature_K == pytest.approx(readings[-1], abs=0.1)


def test_lakeshore_off_hands_the_heater_back_to_the_eurotherm(bench):
    heat(bench, "furnace", minutes=20)
    bench["stage"].set_setpoint(TARGET_K + 50.0)   # heater on: the Lake Shore takes over
    bench.clock.sleep(1800.0)
    assert bench["furnace"].read().temperature_K == pytest.approx(TARGET_K + 50.0, abs=0.5)
    bench["stage"].safe_state()                     # heater range off: back to the Eurotherm
    bench.clock.sleep(3600.0)
    assert bench["stage"].read().temperature_K == pytest.approx(TARGET_K, abs=0.5)


def test_a_setpoint_to_the_eurotherm_takes_the_heater_from_the_lakeshore(bench):
    heat(bench, "stage", minutes=20)
    bench["furnace"].set_setpoint(TARGET_K - 50.0)
    bench.clock.sleep(1800.0)
    assert bench["stage"].read().temperature_K == pytest.approx(TARGET_K - 50.0, abs=0.5)
