"""Keithley 2450: the bytes the driver sends for each public call, pinned against the
command set (reference instruments.md 3a; 2450 Reference Manual 2450-901-01)."""

import pytest

from labctl.drivers.keithley2450 import Keithley2450
from labctl.errors import InstrumentError

from tests.drivers.expected_protocol import expected_protocol

NO_ERROR = (b':SYST:ERR?\n', b'0,"No error"\n')
APERTURE = [(b":SYST:LFR?\n", b"50\n"), (b":SENS:CURR:NPLC?\n", b"1\n")]   # 1 PLC = 20 ms
CONFIGURE = [(b"*LANG?\n", b"SCPI\n"), (b"*CLS\n", None), (b":SOUR:FUNC VOLT\n", None),
             (b":SOUR:VOLT:RANG:AUTO ON\n", None), (b":SOUR:VOLT:ILIM 0.001\n", None),
             (b":SOUR:VOLT:READ:BACK ON\n", None), (b':SENS:FUNC "CURR"\n', None),
             (b":SENS:CURR:NPLC 2\n", None)]

CALLS = {
    "identify": (lambda k: k.identify(),
                 [(b"*IDN?\n", b"KEITHLEY INSTRUMENTS,MODEL 2450,04512345,1.7.12b\n")]),
    "configure autorange": (lambda k: k.configure(1e-3, nplc=2),
                            CONFIGURE + [(b":SENS:CURR:RANG:AUTO 1\n", None),
                                         (b":SENS:CURR:RSEN 0\n", None), NO_ERROR]),
    "configure fixed range": (lambda k: k.configure(1e-3, nplc=2, current_range_A=1e-6),
                              CONFIGURE + [(b":SENS:CURR:RANG 1e-06\n", None),
                                           (b":SENS:CURR:RSEN 0\n", None), NO_ERROR]),
    "set_voltage": (lambda k: k.set_voltage(0.25), [(b":SOUR:VOLT 0.25\n", None), NO_ERROR]),
    "output on": (lambda k: k.output(True), [(b":OUTP 1\n", None), NO_ERROR]),
    "output off": (lambda k: k.output(False), [(b":OUTP 0\n", None), NO_ERROR]),
    "safe_state": (lambda k: k.safe_state(),
                   [(b":ABOR\n", None), (b":OUTP OFF\n", None), (b":SOUR:VOLT 0\n", None),
                    (b":OUTP?\n", b"0\n")]),
    "check_errors": (lambda k: k.check_errors(), [NO_ERROR]),
}


@pytest.mark.parametrize("call, exchanges", CALLS.values(), ids=CALLS.keys())
def test_each_call_sends_the_manuals_commands(call, exchanges):
    with expected_protocol(Keithley2450, exchanges) as smu:
        call(smu)


def test_read_is_one_query_of_reading_source_and_trip():
    with expected_protocol(Keithley2450, [
            (b':READ? "defbuffer1", READ, SOUR;:SOUR:VOLT:ILIM:TRIP?\n',
             b"-1.234567E-06,+2.500000E-01;0\n"), *APERTURE]) as smu:
        reading = smu.read()
    assert (reading.current_A, reading.voltage_V) == (-1.234567e-06, 0.25)
    assert reading.time_s == -0.01          # the middle of the 20 ms aperture


def test_record_loads_a_simple_loop_and_fetches_the_buffer():
    readings = b"1.0E-06,2.5E-01,0.000000,2.0E-06,2.5E-01,0.500000\n"
    with expected_protocol(Keithley2450, [
            *APERTURE, (b':TRAC:CLE "defbuffer1"\n', None),
            (b':TRIG:LOAD "SimpleLoop", 2, 0.48, "defbuffer1"\n', None), NO_ERROR,
            (b":INIT\n", None), NO_ERROR,
            (b':TRAC:ACT? "defbuffer1";:SOUR:VOLT:ILIM:TRIP?\n', b"2;0\n"),
            (b':TRAC:DATA? 1, 2, "defbuffer1", READ, SOUR, REL\n', readings)]) as smu:
        got = list(smu.record(duration_s=1.0, interval_s=0.5))
    assert [r.current_A for r in got] == [1e-6, 2e-6]


def test_an_error_in_the_queue_is_read_to_the_end_and_raised():
    with expected_protocol(Keithley2450, [(b":SYST:ERR?\n", b'-222,"Data out of range"\n'),
                                          NO_ERROR]) as smu:
        with pytest.raises(InstrumentError, match="-222: Data out of range"):
            smu.check_errors()
