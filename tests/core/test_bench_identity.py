"""A driver refuses an instrument of another model on open (before any other command,
safe state included, reaches it); `check_identity = false` accepts a compatible model."""

import pytest

from labctl.bench import load_bench, open_bench, parse_bench
from labctl.clock import VirtualClock
from labctl.errors import ConfigError
from labctl.simulators.bench import SimBench


@pytest.fixture(scope="module")
def served():
    """The simulated instruments on loopback TCP: name -> (resource, device)."""
    simulation = SimBench.from_config(load_bench("sim-full"))
    try:
        resources = simulation.serve()
        yield {name: (resources[name], simulation.devices[name]) for name in resources}
    finally:
        simulation.close()


def bench(name: str, driver: str, resource: str, options: str = "") -> str:
    return (f"# a bench\n\n[instruments.{name}]\ndriver = \"{driver}\"\n"
            f"resource = \"{resource}\"\n{options}")


@pytest.mark.parametrize("driver, other, foreign", [
    ("keithley2450", "lcr", "E4980A"),
    ("solartron1260", "stage", "LSCI,MODEL336"),
])
def test_a_driver_refuses_another_model(served, driver, other, foreign):
    resource, device = served[other]
    with pytest.raises(ConfigError) as info:
        open_bench(parse_bench(bench("x", driver, resource), "b.toml"), VirtualClock())
    assert (info.value.file, info.value.line, info.value.field) == ("b.toml", 3, "instruments.x")
    assert foreign in str(info.value) and "check_identity = false" in str(info.value)


def test_check_identity_false_accepts_a_compatible_model(served):
    resource, device = served["smu"]
    device.idn = "KEITHLEY INSTRUMENTS,MODEL 2460,04512345,1.7.12b"
    try:
        with pytest.raises(ConfigError, match="MODEL 2460"):
            open_bench(parse_bench(bench("smu", "keithley2450", resource), "b.toml"))
        text = bench("smu", "keithley2450", resource, "options = { check_identity = false }\n")
        with open_bench(parse_bench(text, "b.toml")) as opened:
            assert "MODEL 2460" in opened["smu"].identify()
    finally:
        del device.idn


def test_check_identity_must_be_true_or_false():
    with pytest.raises(ConfigError, match="must be true or false") as info:
        parse_bench(bench("smu", "keithley2450", "sim://smu", 'options = { check_identity = "no" }\n'),
                    "b.toml")
    assert info.value.field == "instruments.smu.options.check_identity"
