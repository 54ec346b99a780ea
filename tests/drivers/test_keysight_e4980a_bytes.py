"""Keysight E4980A: the bytes the driver sends for each public call, pinned against the
command set (reference instruments.md 1b: pymeasure agilentE4980.py, the manual)."""

import pytest

from labctl.clock import VirtualClock
from labctl.drivers.keysight_e4980a import KeysightE4980A
from labctl.errors import InstrumentError

from tests.drivers.expected_protocol import ScriptedPort, expected_protocol

NO_ERROR = (b":SYST:ERR?\n", b'0,"No error"\n')
SETUP = [(b"*RST;*CLS\n", None), (b":FORM ASC\n", None), (b":FUNC:IMP:TYPE ZTD\n", None),
         (b":APER MED,1\n", None), (b":TRIG:SOUR BUS\n", None), (b":INIT:CONT ON\n", None),
         NO_ERROR]


def test_setup_resets_and_selects_ascii_function_aperture_and_bus_trigger():
    with expected_protocol(KeysightE4980A, SETUP) as lcr:
        lcr.setup()


def test_measure_sets_the_point_checks_the_bias_triggers_and_fetches():
    with expected_protocol(KeysightE4980A, SETUP + [
            (b":FREQ:CW 1000\n", None), (b":VOLT:LEV 0.5\n", None),
            (b":BIAS:VOLT:LEV 0\n", None), (b":BIAS:STAT 0\n", None), NO_ERROR,
            (b":BIAS:VOLT:LEV?\n", b"+0.00000E+00\n"), (b":TRIG:IMM\n", None),
            (b":FETC?\n", b"+1.00000E+03,+0.00000E+00,+0\n")]) as lcr:
        point = lcr.measure(1e3, 0.5)
    assert point.impedance_Ohm == 1000.0


def test_a_fetch_status_is_an_error():
    with expected_protocol(KeysightE4980A, [(b":FETC?\n", b"+9.90000E+37,+9.90000E+37,+1\n")]) \
            as lcr:
        with pytest.raises(InstrumentError, match="overload"):
            lcr.fetch()


def test_safe_state_zeroes_level_and_bias_and_reads_them_back():
    with expected_protocol(KeysightE4980A, [
            (b":VOLT:LEV 0\n", None), (b":BIAS:VOLT:LEV 0\n", None), (b":BIAS:STAT 0\n", None),
            (b":BIAS:STAT?\n", b"0\n"), (b":VOLT:LEV?\n", b"+0.00000E+00\n")]) as lcr:
        lcr.safe_state()


def test_identify_and_the_ztr_function():
    with expected_protocol(KeysightE4980A, [
            (b"*IDN?\n", b"Keysight Technologies,E4980A,MY12345678,A.02.20\n"),
            (b":FUNC:IMP:TYPE ZTR\n", None)], function="ZTR") as lcr:
        assert ",E4980A," in lcr.identify()
        lcr.function = "ZTR"


def test_open_reads_the_installed_options():
    port = ScriptedPort([(b"*OPT?\n", b"001\n")])
    lcr = KeysightE4980A.open(port, clock=VirtualClock())
    assert lcr.option_001 and not port.pending and not port.problems
