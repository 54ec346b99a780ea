"""The built-in `sim-gas` bench: checked in process, its safe state closing every gas line,
and the oxygen sensor following the flows through the furnace tube. (`labctl sim` serving
the new simulators on ptys/TCP, checked through those links: tests/e2e/test_sim_cli.py,
whose default bench sim-full has them.)"""

import math

import pytest
from scipy.constants import R, atm, physical_constants, zero_Celsius

from labctl.bench import load_bench, open_bench
from labctl.capabilities import FlowController, OxygenSensor
from labctl.cli import main

F = physical_constants["Faraday constant"][0]


def test_bench_check_on_sim_gas(capsys):
    assert main(["bench", "check", "sim-gas"]) == 0
    out = capsys.readouterr().out
    assert "Bronkhorst F-201CV" in out and "Alicat unit A" in out and "MODEL DMM6500" in out
    assert "left in their safe state" in out


@pytest.fixture
def bench():
    with open_bench(load_bench("sim-gas")) as opened:
        yield opened


def test_the_safe_state_closes_every_gas_line(bench):
    o2, n2 = bench["o2"], bench["n2"]
    assert isinstance(o2, FlowController) and isinstance(n2, FlowController)
    o2.set_flow(50.0)
    n2.set_flow(200.0)
    assert bench.simulation.world.atmosphere.total_flow_sccm() == pytest.approx(250.0)
    assert bench.safe_state() == []
    assert o2.read().valve_closed and n2.read().valve_closed
    assert bench.simulation.world.atmosphere.total_flow_sccm() == 0.0


def test_the_oxygen_sensor_follows_the_mix_through_the_tube(bench):
    sensor, clock = bench["o2sensor"], bench.clock
    assert isinstance(sensor, OxygenSensor)
    bench["o2"].set_flow(10.0)
    bench["n2"].set_flow(490.0)                    # 2 % O2 (+ the N2's 3 ppm), tau = 36 s
    clock.sleep(600.0)                             # 16.7 exchange times
    x = (10.0 + 490.0 * 3e-6) / 500.0
    reading = sensor.read()
    T = 700.0 + zero_Celsius
    assert reading.emf_V == pytest.approx(R * T / (4 * F) * math.log(0.2095 / x), rel=5e-3)
    assert reading.pO2_Pa == pytest.approx(x * atm, rel=0.02)
