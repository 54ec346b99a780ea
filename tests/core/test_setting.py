"""The one settings descriptor: the worked example of docs/developing-drivers.md run against
the toy simulator, and the bench snapshot generated from the Settings of all six drivers."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from labctl.bench import load_bench, open_bench
from labctl.clock import VirtualClock
from labctl.errors import RangeError, SafetyLimitError
from labctl.setting import settings_of
from labctl.simulators.port import SimulatorPort
from tests.core.toy import ToySource

GUIDE = Path(__file__).parents[2] / "docs" / "developing-drivers.md"


def worked_example() -> tuple[type, str]:
    """The driver class the guide's python block defines, and the guide's text."""
    text = GUIDE.read_text(encoding="utf-8")
    (code,) = [block for block in re.findall(r"```python\n(.*?)```", text, re.DOTALL)
               if "class ExampleSource" in block]
    namespace: dict = {}
    exec(compile(code, str(GUIDE), "exec"), namespace)  # noqa: S102 - our own guide
    return namespace["ExampleSource"], " ".join(text.split())


@pytest.fixture
def example():
    driver_class, guide = worked_example()
    clock = VirtualClock()
    device = ToySource(clock)
    driver = driver_class.open(SimulatorPort(device), name="source", clock=clock,
                               limits={"voltage_V": 5.0})
    return driver, device, guide


def test_the_guides_worked_example_speaks_to_the_toy_simulator(example):
    driver, device, _ = example
    assert driver.check_identity() == "LABCTL,TOY,42,1.0"
    driver.voltage_V, driver.mode, driver.output_on = 2.5, "SLOW", True
    assert (device.voltage, device.mode, device.on) == (2.5, "SLOW", True)
    assert driver.voltage_V == 2.5 and device.log[-1] == ":VOLT?"
    assert driver.settings() == {"driver": "ExampleSource", "limits": {"voltage_V": 5.0},
                                 "options": {}, "voltage_V": 2.5, "mode": "SLOW",
                                 "output_on": True}
    with driver:
        pass
    assert (device.voltage, device.on) == (0.0, False)


@pytest.mark.parametrize("value, error", [(6.0, SafetyLimitError), (-5.5, SafetyLimitError),
                                          (12.0, RangeError)])
def test_the_range_and_the_bench_limit_are_refused_before_anything_is_sent(example, value,
                                                                          error):
    driver, device, guide = example
    sent = list(device.log)
    with pytest.raises(error) as refused:
        driver.voltage_V = value
    assert device.log == sent and device.voltage == 0.0 and "voltage_V" not in driver.sent
    message = str(refused.value)
    assert message.startswith(f"source.voltage_V = {value:g} V ")   # instrument, setting, value
    assert ("bench limit voltage_V = 5" if error is SafetyLimitError else "-10 .. 10 V") in message
    if value in (6.0, 12.0):                                        # as the guide says
        assert f"{error.__name__}: {message}" in guide


def test_a_setting_the_driver_does_not_allow_is_refused_by_its_check(example):
    driver, device, _ = example
    sent = list(device.log)
    with pytest.raises(RangeError, match=r"source.mode = 'TURBO' is not one of 'FAST', 'SLOW'"):
        driver.mode = "TURBO"
    with pytest.raises(AttributeError, match="source.mode cannot be read"):
        _ = driver.mode
    assert device.log == sent and driver.settings()["mode"] is None   # never sent


def test_the_bench_snapshot_has_every_setting_of_the_six_drivers():
    with open_bench(load_bench("sim-full")) as bench:
        bench["furnace"].set_ramp_rate(0.1)
        bench["stage"].pid = (50.0, 20.0, 0.0)
        bench["fra"].measure(1e3, 0.01)
        bench["lcr"].measure(2e3, 0.1)
        bench["smu"].configure(1e-3, nplc=0.5)
        bench["pstat"].set_voltage(0.3)
        snapshots = {name: json.loads(json.dumps(inst.settings()))     # as the store keeps it
                     for name, inst in bench.instruments.items()}
        for name, inst in bench.instruments.items():
            recorded = {s.name for s in settings_of(type(inst)) if s.snapshot}
            assert snapshots[name].keys() == {"driver", "limits", "options"} | recorded, name
    assert snapshots["furnace"]["ramp_rate_K_per_s"] == pytest.approx(0.1)
    assert snapshots["furnace"]["options"] == {"address": 1, "heater_check_s": 600.0}
    assert snapshots["stage"]["pid"] == [50.0, 20.0, 0.0]
    assert (snapshots["fra"]["frequency_Hz"], snapshots["fra"]["amplitude_V"]) == (1e3, 0.01)
    assert snapshots["lcr"]["frequency_Hz"] == 2e3 and snapshots["lcr"]["amplitude_V"] == 0.1
    assert (snapshots["smu"]["current_limit_A"], snapshots["smu"]["nplc"]) == (1e-3, 0.5)
    assert snapshots["pstat"]["voltage_V"] == 0.3 and snapshots["pstat"]["output_on"] is False
