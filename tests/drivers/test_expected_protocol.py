"""The byte-pinning helper itself: a wrong byte, an unscripted write or a scripted message
never sent fails the test."""

import pytest

from labctl.instrument import Instrument

from tests.drivers.expected_protocol import expected_protocol


def test_the_scripted_exchanges_pass_and_replies_are_read():
    with expected_protocol(Instrument, [(b"*IDN?\n", b"ACME,1\n")]) as instrument:
        assert instrument.identify() == "ACME,1"


def test_one_wrong_byte_fails():
    with pytest.raises(AssertionError, match="sent b'\\*IDN\\?\\\\n', expected b'\\*IDN\\?\\\\r\\\\n'"):
        with expected_protocol(Instrument, [(b"*IDN?\r\n", b"ACME,1\n")]) as instrument:
            instrument.identify()


def test_a_write_after_the_script_fails():
    with pytest.raises(AssertionError, match="after the end of the script"):
        with expected_protocol(Instrument, []) as instrument:
            instrument.write("*RST")


def test_a_scripted_message_never_sent_fails():
    with pytest.raises(AssertionError, match="not sent"):
        with expected_protocol(Instrument, [(b"*RST\n", None)]):
            pass
