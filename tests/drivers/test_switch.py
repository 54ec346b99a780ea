"""Switch matrices (Keithley 7001 + 7011, Keysight 34980A + 34921A) against their simulators:
break-before-make confirmed by read-back, channel conflicts refused before a byte is sent,
a stuck relay named, relay settle time and wear, safe state, over TCP."""

import pytest

from labctl.capabilities import Switch
from labctl.clock import VirtualClock
from labctl.drivers.keithley7001 import Keithley7001
from labctl.drivers.keysight34980a import Keysight34980A
from labctl.errors import (ConfigError, InstrumentError, InstrumentTimeout, ReplyError,
                           SafetyLimitError)
from labctl.simulators.keithley7001 import Keithley7001Simulator
from labctl.simulators.keysight34980a import Keysight34980ASimulator
from labctl.simulators.serve import TcpServer
from labctl.simulators.world import SimWorld
from tests.drivers.controller_sim import RecordingPort

# bank 1 (channels 1-10) on the FRA's hi input, bank 2 (11-20) on its lo input, bank 3 on
# the SMU's hi, bank 4 on its lo; pellet A on the first channel of each bank, B on the second
KINDS = {
    "7001": (Keithley7001, Keithley7001Simulator, lambda n: f"1!{n}"),
    "34980a": (Keysight34980A, Keysight34980ASimulator, lambda n: f"1{n:03d}"),
}


def channel_map(name):
    return {name(bank * 10 + k + 1): {"sample": sample, "terminal": terminal}
            for bank, terminal in enumerate(("fra.hi", "fra.lo", "smu.hi", "smu.lo"))
            for k, sample in enumerate("AB")}


@pytest.fixture(params=sorted(KINDS))
def kind(request):
    return KINDS[request.param]


@pytest.fixture
def world():
    return SimWorld.create(clock=VirtualClock(), seed=0)


def matrix(world, kind, sim_options=None):
    driver_class, sim_class, name = kind
    device = sim_class(world, sim_options or {})
    port = RecordingPort(device)
    driver = driver_class.open(port, clock=world.clock, options={"channels": channel_map(name)})
    return device, port, driver


def test_routes_a_pellet_to_an_instrument_and_switches_break_before_make(world, kind):
    device, port, switch = matrix(world, kind)
    assert isinstance(switch, Switch)
    fra_a = switch.channels_for("A", "fra")
    assert len(fra_a) == 2
    switch.connect(fra_a)
    assert device.closed == set(fra_a)
    smu_b = switch.channels_for("B", "smu")
    port.sent.clear()
    switch.connect(fra_a | smu_b)            # FRA on A while the SMU polarizes B
    assert device.closed == set(fra_a | smu_b)
    assert not any(b"OPEN" in s for s in port.sent)    # nothing to open: nothing opened
    fra_b = switch.channels_for("B", "fra")
    port.sent.clear()
    switch.connect(fra_b)
    sent = b"".join(port.sent)
    assert device.closed == set(fra_b)
    assert sent.index(b"OPEN") < sent.index(b"CLOS (")  # the old route opens first
    switch.confirm(fra_b)
    assert device.cycles == {c: 1 for c in fra_a | smu_b | fra_b}


@pytest.mark.parametrize("route, reason", [
    ([("A", "fra"), ("A", "smu")], "sample A on instruments fra and smu"),
    ([("A", "fra"), ("B", "fra")], "terminal fra.hi on channels"),
])
def test_channels_that_would_short_instruments_or_parallel_pellets_are_refused_unsent(
        world, kind, route, reason):
    device, port, switch = matrix(world, kind)
    channels = set().union(*(switch.channels_for(s, i) for s, i in route))
    with pytest.raises(SafetyLimitError, match=reason):
        switch.connect(channels)
    assert port.sent == [] and device.closed == set()


def test_a_channel_outside_the_map_is_refused_unsent(world, kind):
    device, port, switch = matrix(world, kind)
    with pytest.raises(SafetyLimitError, match=f"channel {kind[2](40)} is not in"):
        switch.connect({kind[2](40)})
    assert port.sent == []


def test_a_relay_welded_closed_stops_the_new_route_before_anything_closes(world, kind):
    """FRA -> A stays closed by a welded relay: closing SMU -> A would short the FRA and
    the SMU, so nothing closes and the error names the relay."""
    device, _, switch = matrix(world, kind)
    fra_a, smu_b = switch.channels_for("A", "fra"), switch.channels_for("B", "smu")
    switch.connect(fra_a)
    welded = min(fra_a, key=switch.card.index)
    device.stick(welded, closed=True)
    with pytest.raises(InstrumentError, match=rf"relay stuck: \(@{welded}\) still closed"):
        switch.connect(smu_b)
    assert device.closed == {welded}
    with pytest.raises(InstrumentError, match="still closed"):
        switch.safe_state()


def test_a_dead_relay_is_found_by_the_read_back(world, kind):
    name = kind[2]
    device, _, switch = matrix(world, kind, {"stuck": {name(1): "open"}})
    with pytest.raises(InstrumentError, match=rf"\(@{name(1)}\) not closed"):
        switch.connect(switch.channels_for("A", "fra"))


def test_safe_state_opens_everything_and_confirms_it(world, kind):
    device, port, switch = matrix(world, kind)
    switch.connect(switch.channels_for("A", "fra") | switch.channels_for("B", "smu"))
    with switch:
        pass
    assert device.closed == set()
    assert b"OPEN" in port.sent[-2] and b"?" in port.sent[-1]   # read back after opening


def test_the_read_back_waits_for_the_relays_to_settle(world, kind):
    device, _, switch = matrix(world, kind, {"settle_s": 0.02})
    start = world.clock.now()
    switch.connect(switch.channels_for("A", "fra"))
    assert world.clock.now() - start == pytest.approx(0.02)


@pytest.mark.parametrize("fault, error", [("no_reply", InstrumentTimeout),
                                          ("garble", ReplyError)])
def test_a_lost_or_garbled_read_back_is_an_error(world, kind, fault, error):
    device, _, switch = matrix(world, kind)
    device.inject(fault)
    with pytest.raises(error):
        switch.connect(switch.channels_for("A", "fra"))


def test_the_instruments_error_queue_is_read_after_switching(world, kind):
    device, _, switch = matrix(world, kind)
    device.inject("error")
    with pytest.raises(InstrumentError, match="-310"):
        switch.connect(switch.channels_for("A", "fra"))


@pytest.mark.parametrize("table, problem", [
    ({}, "must be a table"),
    ({"99": {"sample": "A", "terminal": "fra.hi"}}, "no channel '99' on this card"),
])
def test_a_bad_channel_map_is_a_config_error_naming_the_field(world, kind, table, problem):
    driver_class, sim_class, _ = kind
    with pytest.raises(ConfigError, match=problem) as info:
        driver_class.open(RecordingPort(sim_class(world, {})), options={"channels": table})
    assert "matrix.options.channels" in str(info.value)


def test_a_wrong_entry_names_its_channel(world, kind):
    driver_class, sim_class, name = kind
    with pytest.raises(ConfigError, match=rf"channels\.{name(1)}"):
        driver_class.open(RecordingPort(sim_class(world, {})),
                          options={"channels": {name(1): {"sample": "A"}}})


def test_the_34980a_reports_relay_wear(world):
    device, _, switch = matrix(world, KINDS["34980a"])
    fra_a, fra_b = switch.channels_for("A", "fra"), switch.channels_for("B", "fra")
    for _ in range(3):
        switch.connect(fra_a)
        switch.connect(fra_b)
    assert switch.relay_cycles(fra_a | fra_b) == {c: 3 for c in fra_a | fra_b}


def test_over_tcp_one_session(world, kind):
    driver_class, sim_class, name = kind
    device = sim_class(world, {})
    with TcpServer(device) as server:
        with driver_class.open(server.resource, clock=world.clock,
                               options={"channels": channel_map(name)}) as switch:
            assert switch.check_identity()
            switch.connect(switch.channels_for("B", "smu"))
            assert device.closed == set(switch.channels_for("B", "smu"))
        assert device.closed == set()

