"""A bench whose instruments cannot be reached: `labctl bench check` and `labctl run` say
first, for every instrument that failed, why (no such port, connection refused), not a
headline about the safe state; the instruments that did open are left safe."""

from __future__ import annotations

import re

import pytest

from labctl.cli import main
from tests.core.test_claims import closed_port

RECIPE = """
[sample]
name = "pellet"
[program]
temperatures_C = [300]
ramp_C_per_min = 10.0
[[program.body]]
protocol = "eis"
start_Hz = 1e5
stop_Hz = 10.0
"""


@pytest.fixture
def unreachable(served, tmp_path):
    """The served bench with its furnace on a serial port that does not exist and its FRA
    and SMU on TCP ports nobody listens on; the EmStat (`smu` of the served bench) is the
    one reachable instrument."""
    bench = served("emstat4")
    text = bench.path.read_text()
    missing, refused = tmp_path / "ttyUSB0", {}
    text = text.replace(bench.servers["furnace"].resource, str(missing))
    for name, driver in (("fra", "solartron1260"), ("source", "keithley2450")):
        refused[name] = f"127.0.0.1:{closed_port()}"
        host, port = refused[name].split(":")
        text += f'\n[instruments.{name}]\ndriver = "{driver}"\n' \
                f'resource = "TCPIP::{host}::{port}::SOCKET"\n'
    text = text.replace(f'[instruments.fra]\ndriver = "solartron1260"\n'
                        f'resource = "{bench.servers["fra"].resource}"\n', "", 1)
    path = tmp_path / "unreachable.toml"
    path.write_text(text)
    bench.bench.close()                  # (the served bench's own claims)
    bench.bench = None
    return path, str(missing), refused


@pytest.mark.parametrize("command", [
    ["bench", "check", "{bench}"],
    ["run", "recipe.toml", "--bench", "{bench}", "--db", "lab.sqlite"],
], ids=["bench check", "run"])
def test_every_unreachable_instrument_is_named_with_its_cause_first(
        unreachable, tmp_path, monkeypatch, capsys, command):
    path, missing, refused = unreachable
    monkeypatch.chdir(tmp_path)
    (tmp_path / "recipe.toml").write_text(RECIPE)
    assert main([arg.format(bench=path) for arg in command]) == 1
    err = capsys.readouterr().err.splitlines()
    assert err[0] == "labctl: error: cannot open 3 of the bench's instruments:"
    assert err[1].startswith(f"  furnace: {missing}: cannot open serial port: ")
    assert "No such file or directory" in err[1]
    for line, (name, address) in zip(err[2:4], refused.items()):
        assert re.fullmatch(rf"  {name}: TCPIP::{address.replace(':', '::')}::SOCKET: cannot "
                            rf"connect to {address} within [\d.]+ s: Connection refused", line)
    assert not any("safe state" in line for line in err)       # the EmStat went safe
    assert not (tmp_path / "lab.sqlite").exists()              # no run was started
