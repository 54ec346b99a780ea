"""The SCPI parser of simulated instruments."""

import pytest

from labctl.clock import VirtualClock
from labctl.simulators.scpi import compile_pattern, normalize_header, split_args
from tests.core.toy import ToySource


@pytest.mark.parametrize("pattern, header, matches", [
    (":SOURce:VOLTage[:LEVel]", "SOUR:VOLT", True),
    (":SOURce:VOLTage[:LEVel]", ":source:voltage:level", True),
    (":SOURce:VOLTage[:LEVel]", ":SOUR:VOLTA", False),
    (":SOURce:VOLTage[:LEVel]", ":SOUR:VOLT?", False),
    ("[:SENSe]:CURRent:NPLCycles", "CURR:NPLC", True),
    ("[:SENSe]:CURRent:NPLCycles", "SENS:CURR:NPLCYCLES", True),
    (":SYSTem:ERRor[:NEXT]?", "SYST:ERR?", True),
    ("*IDN?", "*idn?", True),
    ("*IDN?", "*IDN", False),
])
def test_header_patterns(pattern, header, matches):
    assert bool(compile_pattern(pattern).match(normalize_header(header))) is matches


def test_split_args_keeps_quoted_commas():
    assert split_args('"defbuffer1", READ, REL') == ['"defbuffer1"', "READ", "REL"]
    assert split_args('  ') == []


def run(device, line):
    device.feed(line.encode() + b"\n")
    return device.take_ready().decode()


def test_semicolon_joined_commands_and_replies():
    device = ToySource(VirtualClock())
    assert run(device, ":VOLT 1.5;:VOLT?;*IDN?") == "+1.500000E+00;LABCTL,TOY,42,1.0\n"


def test_error_queue_codes_and_order():
    device = ToySource(VirtualClock())
    run(device, ":BOGUS 1")
    run(device, ":VOLT 11")
    run(device, ":VOLT abc")
    run(device, ":VOLT")
    assert run(device, "SYST:ERR?") == '-113,"Undefined header"\n'
    assert run(device, "SYST:ERR?") == '-222,"Data out of range"\n'
    assert run(device, "SYST:ERR?") == '-104,"Data type error"\n'
    assert run(device, "SYST:ERR?") == '-109,"Missing parameter"\n'
    assert run(device, "SYST:ERR?") == '0,"No error"\n'


def test_rst_and_cls():
    device = ToySource(VirtualClock())
    run(device, ":VOLT 3;:BOGUS")
    run(device, "*RST;*CLS")
    assert device.voltage == 0.0 and not device.errors
