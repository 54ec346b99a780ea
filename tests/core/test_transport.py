"""Transports over real links: loopback TCP (pyvisa-py and pyserial socket://), a real
pseudo-terminal, pyserial's loop://, and the in-process simulator port."""

import pytest

from labctl.clock import RealClock, VirtualClock
from labctl.errors import InstrumentConnectionError, InstrumentTimeout
from labctl.transport import (LinkSettings, SerialTransport, SocketTransport, VisaTransport,
                              open_transport, serial_port_name)
from labctl.simulators.port import SimulatorPort
from labctl.simulators.serve import PtyServer, TcpServer
from tests.core.toy import ToySource

FAST = LinkSettings(timeout_s=0.3)


@pytest.fixture
def tcp_device():
    device = ToySource(RealClock())
    device.measure_time_s = 0.0
    with TcpServer(device) as server:
        yield device, server


@pytest.fixture
def pty_device():
    device = ToySource(RealClock())
    with PtyServer(device) as server:
        yield device, server


def test_visa_socket_query_roundtrip(tcp_device):
    device, server = tcp_device
    with open_transport(server.resource, FAST) as link:
        assert isinstance(link, SocketTransport)   # pyvisa-py's socket reads have no deadline
        assert link.query("*IDN?") == ToySource.idn
        link.write(":VOLT 1.5")
        assert float(link.query(":VOLT?")) == 1.5
    assert device.log[-1] == ":VOLT?"


def test_pyserial_socket_url(tcp_device):
    _, server = tcp_device
    with open_transport(f"socket://127.0.0.1:{server.port}", FAST) as link:
        assert isinstance(link, SerialTransport)
        assert link.query("*IDN?") == ToySource.idn


def test_pty_serial_roundtrip(pty_device):
    device, server = pty_device
    with SerialTransport(server.port, FAST) as link:
        assert link.query("*IDN?") == ToySource.idn
        link.write(":VOLT -2")
        assert float(link.query(":VOLT?")) == -2.0


def test_pty_through_visa_asrl_resource(pty_device):
    _, server = pty_device
    with VisaTransport(f"ASRL{server.port}::INSTR", FAST) as link:
        assert link.query("*IDN?") == ToySource.idn


def test_loop_url_echoes():
    with open_transport("loop://", FAST) as link:
        assert link.query("HELLO") == "HELLO"


def test_timeout_over_tcp_then_recovers(tcp_device):
    device, server = tcp_device
    with open_transport(server.resource, FAST) as link:
        device.inject("no_reply")
        with pytest.raises(InstrumentTimeout, match="no reply within 0.3 s"):
            link.query("*IDN?")
        assert link.query("*IDN?") == ToySource.idn


def test_timeout_over_pty(pty_device):
    device, server = pty_device
    with SerialTransport(server.port, FAST) as link:
        device.inject("no_reply")
        with pytest.raises(InstrumentTimeout):
            link.query("*IDN?")


def test_connection_dropped_mid_query_then_reconnects(tcp_device):
    device, server = tcp_device
    with open_transport(server.resource, FAST) as link:
        assert link.query("*IDN?") == ToySource.idn
        device.inject("disconnect")
        with pytest.raises((InstrumentConnectionError, InstrumentTimeout)):
            link.query("*IDN?")
        # the next call reopens the link by itself
        assert link.query("*IDN?") == ToySource.idn


def test_unreachable_resource_is_a_connection_error():
    with pytest.raises(InstrumentConnectionError):
        open_transport("/dev/does-not-exist", FAST).query("*IDN?")


def test_in_process_port_waits_on_the_virtual_clock():
    clock = VirtualClock()
    device = ToySource(clock)
    device.measure_time_s = 0.25
    link = SerialTransport(SimulatorPort(device), FAST)
    assert float(link.query(":MEAS?")) == 0.0
    assert clock.now() == pytest.approx(0.25)
    device.measure_time_s = 10.0  # longer than the timeout: a timeout, on the virtual clock
    with pytest.raises(InstrumentTimeout):
        link.query(":MEAS?")
    assert clock.now() == pytest.approx(0.85)  # + one timeout waiting for a late reply


def test_in_process_disconnect_and_reconnect():
    device = ToySource(VirtualClock())
    link = SerialTransport(SimulatorPort(device), FAST)
    device.inject("disconnect")
    with pytest.raises(InstrumentConnectionError):
        link.query("*IDN?")
    assert link.query("*IDN?") == ToySource.idn


def test_garbled_reply_keeps_framing():
    device = ToySource(VirtualClock())
    link = SerialTransport(SimulatorPort(device), FAST)
    device.inject("garble")
    garbled = link.query(":VOLT?")
    assert garbled != "+0.000000E+00" and len(garbled) == len("+0.000000E+00")
    assert link.query(":VOLT?") == "+0.000000E+00"


def test_link_settings_from_options():
    settings = LinkSettings().updated({"baudrate": 57600, "parity": "odd", "address": 3})
    assert (settings.baudrate, settings.parity) == (57600, "O")


@pytest.mark.parametrize("resource, port", [
    ("ASRL/dev/ttyUSB0::INSTR", "/dev/ttyUSB0"),
    ("/dev/ttyS1", "/dev/ttyS1"),
    ("socket://localhost:7777", "socket://localhost:7777"),
])
def test_serial_port_name(resource, port):
    assert serial_port_name(resource) == port


def test_slow_reply_fault_delays_the_reply_on_the_clock():
    clock = VirtualClock()
    device = ToySource(clock)
    link = SerialTransport(SimulatorPort(device), FAST)
    device.inject("delay", seconds=0.2)
    assert link.query("*IDN?") == ToySource.idn
    assert clock.now() == pytest.approx(0.2)
    device.inject("delay", seconds=5.0)  # beyond the timeout: a timeout
    with pytest.raises(InstrumentTimeout):
        link.query("*IDN?")


def test_queries_from_two_threads_never_interleave(tcp_device):
    import threading

    device, server = tcp_device
    link = open_transport(server.resource, LinkSettings(timeout_s=2.0))
    answers: dict[str, list[str]] = {"idn": [], "volt": []}

    def ask(key, command):
        for _ in range(50):
            answers[key].append(link.query(command))

    threads = [threading.Thread(target=ask, args=("idn", "*IDN?")),
               threading.Thread(target=ask, args=("volt", ":VOLT?"))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    link.close()
    assert answers["idn"] == [ToySource.idn] * 50
    assert answers["volt"] == ["+0.000000E+00"] * 50


def test_a_late_reply_is_never_taken_for_the_next_answer():
    device = ToySource(VirtualClock())
    device.measure_time_s = 0.0
    with SerialTransport(SimulatorPort(device), FAST) as link:
        link.write(":VOLT 2")
        device.inject("delay", seconds=0.4)                       # timeout is 0.3 s
        with pytest.raises(InstrumentTimeout):
            link.query("*IDN?")
        assert float(link.query(":VOLT?")) == 2.0                  # not the late *IDN? reply


def test_a_slow_reply_is_read_with_a_longer_timeout_for_that_read_only():
    clock = VirtualClock()
    device = ToySource(clock)
    device.measure_time_s = 1.0
    link = SerialTransport(SimulatorPort(device), FAST)
    assert float(link.query(":MEAS?", timeout_s=2.0)) == 0.0
    assert clock.now() == pytest.approx(1.0)
    with pytest.raises(InstrumentTimeout, match="within 0.3 s"):
        link.query(":MEAS?")  # the link timeout applies again
