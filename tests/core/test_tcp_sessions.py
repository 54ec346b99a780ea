"""A served instrument holds one session: a second connection is refused at once with a
clear message, and its commands are never executed, neither then nor after the first
session ends."""

from __future__ import annotations

import socket

import pytest

from labctl.clock import RealClock
from labctl.errors import CommunicationError
from labctl.transport import LinkSettings, open_transport
from labctl.simulators.serve import BUSY_MESSAGE, TcpServer
from tests.core.toy import ToySource

FAST = LinkSettings(timeout_s=1.0)


def test_a_second_client_is_refused_at_once_and_never_executed_later():
    device = ToySource(RealClock())
    with TcpServer(device) as server:
        first = open_transport(server.resource, FAST)
        assert first.query("*IDN?") == ToySource.idn                   # holds the session
        with socket.create_connection((server.host, server.port), timeout=5) as second:
            second.sendall(b":OUTP ON\n:VOLT 7\n")
            refusal = second.makefile("rb").read()                     # until the close
        assert refusal == BUSY_MESSAGE.encode() + b"\n"
        assert first.query(":OUTP?") == "0"                            # the first goes on
        first.close()
        again = open_transport(server.resource, FAST)                  # a new session
        assert again.query(":OUTP?") == "0" and float(again.query(":VOLT?")) == 0.0
        again.close()
    assert ":OUTP ON" not in device.log and ":VOLT 7" not in device.log


def test_a_refused_labctl_client_gets_an_error_naming_the_reason():
    device = ToySource(RealClock())
    with TcpServer(device) as server:
        first = open_transport(server.resource, FAST)
        first.query("*IDN?")
        second = open_transport(server.resource, FAST)
        assert second.query("*IDN?") == BUSY_MESSAGE
        with pytest.raises(CommunicationError):
            second.query("*IDN?")                                       # closed by the server
        second.close()
        first.close()
