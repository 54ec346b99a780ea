"""Solartron 1260: the bytes the driver sends for each public call, pinned against the
command set (reference instruments.md 1a: retopfenninger/ums, jackhodkinson/vtipy, manual)."""

import pytest

from labctl.drivers.solartron1260 import Solartron1260
from labctl.errors import InstrumentError

from tests.drivers.expected_protocol import expected_protocol

SETUP = [(b"TT2\n", None), (b"OP2,1\n", None), (b"OT1\n", None), (b"OS0\n", None),
         (b"SO1,3\n", None), (b"IP1,1\n", None), (b"OU1,0\n", None), (b"DC1,0\n", None),
         (b"DC3,0\n", None), (b"RA1,0\n", None), (b"RA3,0\n", None), (b"AU0\n", None),
         (b"CZ0\n", None), (b"MS 0.0000000E+0\n", None)]
IDN = (b"*IDN?\n", b"SCHLUMBERGER TECHNOLOGIES, 1260 IMPEDANCE ANALYZER, 0, 0\r\n")
RESULT_1K = b"+1.0000000E+03,+1.2345E+03,-4.5678E+01,0,00\r\n"
# (attribute, value, bytes): the generator settings by name, in one place
SETTINGS = [("frequency_Hz", 1e3, b"FR 1.0000000E+3\n"), ("amplitude_V", 0.01, b"VA 1.0000000E-2\n"),
            ("bias_V", -0.5, b"VB -5.0000000E-1\n"), ("integration_s", 2.0, b"IS 2.0000000E+0\n"),
            ("delay_s", 0.5, b"MS 5.0000000E-1\n")]


@pytest.mark.parametrize("name, value, sent", SETTINGS, ids=[s[0] for s in SETTINGS])
def test_each_setting_is_its_two_letter_command_in_e_format(name, value, sent):
    with expected_protocol(Solartron1260, [(sent, None)]) as fra:
        setattr(fra, name, value)


def test_identify_sets_up_first_then_asks():
    with expected_protocol(Solartron1260, SETUP + [IDN]) as fra:
        assert "1260" in fra.identify()


def test_measure_sets_up_then_frequency_amplitude_bias_integration_and_single():
    with expected_protocol(Solartron1260, SETUP + [
            (b"FR 1.0000000E+3\n", None), (b"VA 1.0000000E-2\n", None),
            (b"VB 0.0000000E+0\n", None), (b"IS 1.0000000E-1\n", None),
            (b"SI\n", RESULT_1K)]) as fra:
        point = fra.measure(1e3, 0.01)
    assert point.impedance_Ohm == complex(1234.5, -45.678)


def test_above_10_MHz_the_amplitude_goes_first_and_polar_is_cz1():
    polar = [(b"CZ1\n", None) if sent == b"CZ0\n" else (sent, reply) for sent, reply in SETUP]
    with expected_protocol(Solartron1260, polar + [
            (b"VA 5.0000000E-1\n", None), (b"FR 2.0000000E+7\n", None),
            (b"VB 0.0000000E+0\n", None), (b"IS 1.0000000E-1\n", None),
            (b"SI\n", b"+2.0000000E+07,+1.0000E+02,+9.0000E+01,0,00\r\n")],
            coordinates="polar") as fra:
        z = fra.measure(2e7, 0.5).impedance_Ohm       # |Z| 100 Ohm at 90 degrees
    assert z == pytest.approx(100j)


def test_a_stale_result_line_is_skipped_and_an_error_code_raised():
    stale = b"+5.0000000E+02,+1.0000E+03,-1.0000E+01,0,00\r\n"
    overload = b"+1.0000000E+03,+1.2345E+03,-4.5678E+01,3,00\r\n"
    with expected_protocol(Solartron1260, SETUP + [
            (b"FR 1.0000000E+3\n", None), (b"VA 1.0000000E-2\n", None),
            (b"VB 0.0000000E+0\n", None), (b"IS 1.0000000E-1\n", None),
            (b"SI\n", stale + overload)]) as fra:
        with pytest.raises(InstrumentError, match="current input overload"):
            fra.measure(1e3, 0.01)


def test_safe_state_zeroes_amplitude_and_bias_then_confirms_by_a_round_trip():
    with expected_protocol(Solartron1260, [(b"VA 0.0000000E+0\n", None),
                                           (b"VB 0.0000000E+0\n", None), *SETUP, IDN]) as fra:
        fra.safe_state()
