"""Every connect and every read ends within the link's timeout, whatever the peer does: a
peer that trickles bytes without a terminator, a host that never answers the handshake, a
host name that does not resolve. Each ends in a labctl error naming the resource."""

from __future__ import annotations

import select
import socket
import threading

import pytest

from labctl.errors import InstrumentConnectionError, InstrumentTimeout
from labctl.transport import LinkSettings, VisaTransport, open_transport

FAST = LinkSettings(timeout_s=0.3)


class Trickler:
    """A TCP peer that answers anything with one byte every `interval_s`, never a
    terminator, until the client closes (or `max_bytes` are sent)."""

    def __init__(self, interval_s: float = 0.05, max_bytes: int = 100):
        self.interval_s, self.max_bytes, self.sent = interval_s, max_bytes, 0
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.port = self._listener.getsockname()[1]
        self._thread = threading.Thread(target=self._run, name="Trickler")

    def _run(self) -> None:
        client, _ = self._listener.accept()
        with client:
            while self.sent < self.max_bytes:
                readable, _, _ = select.select([client], [], [], self.interval_s)
                if readable and not client.recv(4096, socket.MSG_PEEK):
                    return                                     # the client closed
                if readable:
                    client.recv(4096)
                client.sendall(b"x")
                self.sent += 1

    def __enter__(self) -> "Trickler":
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._thread.join(timeout=30)
        self._listener.close()


def test_a_read_ends_within_its_timeout_while_bytes_keep_trickling_in():
    with Trickler(interval_s=0.05, max_bytes=100) as peer:     # 5 s of trickle
        link = open_transport(f"TCPIP::127.0.0.1::{peer.port}::SOCKET", FAST)
        with pytest.raises(InstrumentTimeout, match="no reply within 0.3 s"):
            link.query("*IDN?")
        link.close()
    assert 0 < peer.sent < peer.max_bytes                      # it ended mid-trickle


@pytest.fixture
def unanswered_port():
    """A local port whose accept queue is full: a new handshake gets no answer."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(0)
    port = listener.getsockname()[1]
    queued = [socket.socket() for _ in range(3)]
    for s in queued:
        s.setblocking(False)
        s.connect_ex(("127.0.0.1", port))
    try:
        yield port
    finally:
        for s in queued + [listener]:
            s.close()


@pytest.mark.parametrize("host", ["127.0.0.1", "no-such-host.invalid"])
def test_connect_honours_the_timeout_and_names_the_resource(unanswered_port, host):
    resource = f"TCPIP::{host}::{unanswered_port}::SOCKET"
    with pytest.raises(InstrumentConnectionError) as info:
        open_transport(resource, FAST).query("*IDN?")
    assert str(info.value).startswith(f"{resource}: cannot connect to {host}:")


def test_pyvisa_failing_to_connect_is_a_connection_error():
    """pyvisa-py raises a bare Exception for a host that does not resolve."""
    resource = "TCPIP::no-such-host.invalid::5025::SOCKET"
    with pytest.raises(InstrumentConnectionError, match="cannot open VISA resource") as info:
        VisaTransport(resource, FAST).query("*IDN?")
    assert str(info.value).startswith(resource)
