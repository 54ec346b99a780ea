"""Leaving a bench: every instrument gets its safe state and its close whatever another one
raised; a safe state that was not confirmed is an error (also for `labctl bench check`)."""

from importlib.metadata import EntryPoint

import pytest

from labctl import registry
from labctl.bench import open_bench, parse_bench
from labctl.cli import main
from labctl.clock import RealClock
from labctl.errors import InstrumentError, SafeStateError
from labctl.simulators.serve import TcpServer
from tests.benches import instrument
from tests.core.toy import ToyDriver, ToySource


class BrokenLinkToy(ToyDriver):
    """A driver whose link library raises a bare `Exception` (as pyvisa-py does for a host
    name that does not resolve) on every safe state."""

    def safe_state(self) -> None:
        raise Exception("could not connect: Name or service not known")


class StuckOutputSource(ToySource):
    """A source whose output relay does not open: `:OUTP OFF` is ignored."""

    def __init__(self, clock, options=None):
        super().__init__(clock, options)
        self.command(":OUTPut", lambda v: setattr(self, "on", self.on or v.upper() in ("1", "ON")))


@pytest.fixture(autouse=True)
def toys_registered(monkeypatch):
    points = dict(registry.driver_entry_points())
    points["toy"] = EntryPoint("toy", "tests.core.toy:ToyDriver", registry.GROUP)
    points["brokenlink"] = EntryPoint("brokenlink", f"{__name__}:BrokenLinkToy", registry.GROUP)
    monkeypatch.setattr(registry, "driver_entry_points", lambda: points)


def bench_text(*instruments: tuple[str, str, str]) -> str:
    return "\n".join(instrument(name, driver, resource, options={"timeout_s": 1.0})
                     for name, driver, resource in instruments)


def test_a_non_labctl_error_of_one_instrument_does_not_keep_the_next_one_unsafe():
    device = ToySource(RealClock())
    with TcpServer(device) as server, TcpServer(ToySource(RealClock())) as other:
        text = bench_text(("broken", "brokenlink", other.resource), ("src", "toy", server.resource))
        with pytest.raises(SafeStateError) as info:
            with open_bench(parse_bench(text, "b.toml")) as bench:
                bench["src"].set_voltage(3.0)
                bench["src"].write(":OUTP ON")
                assert bench["src"].voltage == 3.0 and device.on
        assert not device.on and device.voltage == 0.0        # `src` came after `broken`
    (problem,) = info.value.problems
    assert isinstance(problem, InstrumentError) and problem.instrument == "broken"
    assert "Name or service not known" in str(info.value)
    assert not bench["src"].transport._is_open                # and every link was closed


def test_every_failed_safe_state_is_reported_and_the_error_in_flight_named():
    devices = [StuckOutputSource(RealClock()), StuckOutputSource(RealClock())]
    with TcpServer(devices[0]) as one, TcpServer(devices[1]) as two:
        text = bench_text(("a", "toy", one.resource), ("b", "toy", two.resource))
        with pytest.raises(SafeStateError) as info:
            with open_bench(parse_bench(text, "b.toml")) as bench:
                for inst in bench:
                    inst.write(":OUTP ON")
                raise RuntimeError("measurement failed")
    assert [p.instrument for p in info.value.problems] == ["a", "b"]
    assert info.value.__cause__ is info.value.problems[0]
    assert "output still on" in str(info.value) and "measurement failed" in str(info.value)


def test_bench_check_fails_when_a_safe_state_is_not_confirmed(tmp_path, capsys):
    device = StuckOutputSource(RealClock())
    device.on = True
    with TcpServer(device) as server:
        bench = tmp_path / "bench.toml"
        bench.write_text(bench_text(("src", "toy", server.resource)))
        assert main(["bench", "check", str(bench)]) == 1
    out, err = capsys.readouterr()
    assert "left in their safe state" not in out
    assert "not confirmed in their safe state" in err and "src: safe state failed: output still on" in err
