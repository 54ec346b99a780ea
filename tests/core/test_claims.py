"""One bench, one owner: a process that opens instruments claims each resource; a second
claimant (another `labctl bench check`, run, gui or script) is refused before it sends a
byte, with the holder named, and the running run is not disturbed; the kernel drops a
claim whatever way its holder ends."""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys

import pytest

from labctl import events as ev
from labctl.bench import load_bench, open_bench, parse_bench
from labctl.claims import Claims, resource_key
from labctl.errors import (BenchOpenError, InstrumentBusyError, InstrumentConnectionError,
                           LabctlError)
from labctl.runner import Runner
from labctl.store import Store
from labctl.transport import LinkSettings, SerialTransport
from labctl.simulators.serve import PtyServer
from tests.processes import Child
from tests.runner.test_runner import TIMEOUT
from tests.runner.toy_protocols import plateau_recipe

BUSY = re.compile(r"(\w+) \((.+)\) is in use by (.+) \(pid (\d+), since \d\d:\d\d\)")


def bench_check(path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "labctl.cli", "bench", "check", str(path)],
                          capture_output=True, text=True, timeout=TIMEOUT)


def test_a_bench_check_beside_a_run_is_refused_and_the_run_completes(served, tmp_path):
    bench = served()
    db = tmp_path / "lab.sqlite"
    runner = Runner(plateau_recipe(573.15, readings=10), bench.bench, db)
    checks = []

    def check_while_measuring(event):   # the run waits in its first sweep meanwhile
        if isinstance(event, ev.MeasurementStarted) and event.kind == "eis" and not checks:
            checks.append(bench_check(bench.path))
    runner.subscribe(check_while_measuring)
    with runner:
        assert runner.start().result(TIMEOUT) == "done", runner.reason
    (check,) = checks
    assert check.returncode == 1
    refused = BUSY.findall(check.stderr)
    assert [(name, resource) for name, resource, *_ in refused] == [
        (name, server.resource) for name, server in bench.servers.items()]
    assert {(who, int(pid)) for *_, who, pid in refused} == {
        (f"run {runner.run_id} 'toy plateaus'", os.getpid())}
    assert "left in their safe state" not in check.stdout
    with Store.open(db) as store:
        assert not [e for e in store.events(runner.run_id) if e.level in ("error", "critical")]
    bench.bench.close()                              # the claims go with the bench
    bench.bench = None
    Claims({name: server.resource for name, server in bench.servers.items()}).release()


def test_a_claimed_resource_is_refused_before_it_is_opened():
    resource = f"TCPIP::127.0.0.1::{closed_port()}::SOCKET"   # opening it would fail
    text = f'[instruments.smu]\ndriver = "keithley2450"\nresource = "{resource}"\n'
    claims = Claims({"source": resource}, command="labctl gui")
    try:
        with pytest.raises(InstrumentBusyError) as info:
            open_bench(parse_bench(text, "b.toml"))
        assert info.value.args[0].startswith(
            f"smu ({resource}) is in use by labctl gui (pid {os.getpid()}, since ")
    finally:
        claims.release()
    with pytest.raises(BenchOpenError, match="Connection refused"):
        open_bench(parse_bench(text, "b.toml"))      # unclaimed: it is tried, and fails


def closed_port() -> int:
    """A loopback TCP port nobody listens on (connecting is refused)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_the_kernel_drops_the_claim_of_a_killed_holder():
    resource = "TCPIP::192.0.2.7::5025::SOCKET"
    holder = Child([sys.executable, "-c",
                    "import sys; from labctl.claims import Claims; "
                    f"c = Claims({{'smu': {resource!r}}}, command='a script'); "
                    "print('claimed', flush=True); sys.stdin.read()"], stdin=subprocess.PIPE)
    with holder:
        holder.read_until("claimed")
        with pytest.raises(InstrumentBusyError, match=rf"smu \({resource}\) is in use by a "
                                                       rf"script \(pid {holder.proc.pid}, since "):
            Claims({"smu": resource})
        holder.proc.kill()
        holder.wait()
    Claims({"smu": resource}).release()


def test_spellings_of_one_resource_share_one_claim(tmp_path):
    port = tmp_path / "ttyUSB0"
    port.touch()
    link = tmp_path / "usb-FTDI-if00"
    link.symlink_to(port)
    assert resource_key(f"ASRL{port}::INSTR") == resource_key(str(link)) == f"serial:{port}"
    assert resource_key("TCPIP0::LabHost::5025::SOCKET") == \
        resource_key("socket://labhost:5025") == "tcp:labhost:5025"
    claims = Claims({"a": str(link)})
    try:
        with pytest.raises(InstrumentBusyError, match=r"b \(ASRL.*\) is in use"):
            Claims({"b": f"ASRL{port}::INSTR"})
    finally:
        claims.release()


def test_instruments_of_one_bench_on_one_resource_share_its_claim():
    claims = Claims({"a": "TCPIP::192.0.2.7::5025::SOCKET", "b": "socket://192.0.2.7:5025"})
    claims.release()


def test_a_serial_port_is_opened_exclusively():
    from labctl.simulators.eurotherm3216 import Eurotherm3216Simulator
    from labctl.simulators.world import SimWorld

    with PtyServer(Eurotherm3216Simulator(SimWorld.create(), {})) as server:
        with SerialTransport(server.port, LinkSettings()) as first, \
                SerialTransport(server.port, LinkSettings()) as second:
            first.open()
            with pytest.raises(InstrumentConnectionError, match="exclusively lock"):
                second.open()


def test_in_process_simulated_benches_claim_nothing():
    with open_bench(load_bench("sim")) as one, open_bench(load_bench("sim")) as two:
        assert one.claims.resources == two.claims.resources == {}


def test_a_lock_folder_that_cannot_be_made_is_a_clear_error(tmp_path, monkeypatch):
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("")
    monkeypatch.setenv("LABCTL_LOCK_DIR", str(blocker / "locks"))
    with pytest.raises(LabctlError, match=rf"cannot claim smu \(COM3\): .*: {blocker}/locks "
                                          r"\(the lock folder is set by \$LABCTL_LOCK_DIR\)"):
        Claims({"smu": "COM3"})
