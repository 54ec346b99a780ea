"""Lake Shore 336: the bytes the driver sends for each public call, pinned against the
command set (reference instruments.md 4c: lakeshorecryotronics/python-driver model_336.py).
Every command is sent with `;*ESR?` and its event register checked."""

import pytest

from labctl.drivers.lakeshore336 import LakeShore336
from labctl.errors import InstrumentError

from tests.drivers.expected_protocol import expected_protocol


def loop(units: bytes = b"1") -> list:
    """Output 1 controlled by input A (`OUTMODE? 1`), its units (`INTYPE? A`, last field)."""
    return [(b"OUTMODE? 1\r\n", b"1,1,0\r\n"), (b"INTYPE? A\r\n", b"3,0,1,0," + units + b"\r\n")]


def command(text: bytes, esr: bytes = b"0") -> tuple[bytes, bytes]:
    return text + b";*ESR?\r\n", esr + b"\r\n"


CALLS = {
    "identify": (lambda c: c.identify(), [(b"*IDN?\r\n", b"LSCI,MODEL336,LSA1234,2.9\r\n")]),
    "set_setpoint": (lambda c: c.set_setpoint(350.0),
                     loop() + [command(b"SETP 1,350.000"), command(b"RANGE 1,3")]),
    "set_setpoint in C": (lambda c: c.set_setpoint(350.0),
                          loop(b"2") + [command(b"SETP 1,76.850"), command(b"RANGE 1,3")]),
    "set_ramp_rate": (lambda c: c.set_ramp_rate(0.1), [command(b"RAMP 1,1,6.0")]),
    "ramp off": (lambda c: c.set_ramp_rate(0.0), [command(b"RAMP 1,0,0")]),
    "safe_state": (lambda c: c.safe_state(),
                   [command(b"RANGE 1,0"), *loop(), command(b"SETP 1,298.150")]),
    "set pid": (lambda c: setattr(c, "pid", (50, 20, 0)), [command(b"PID 1,50.0,20.0,0")]),
    "manual output": (lambda c: setattr(c, "manual_output_percent", 12.5),
                      [command(b"MOUT 1,12.50")]),
    "check_errors": (lambda c: c.check_errors(), [(b"*ESR?\r\n", b"0\r\n")]),
}


@pytest.mark.parametrize("call, exchanges", CALLS.values(), ids=CALLS.keys())
def test_each_call_sends_the_manuals_commands(call, exchanges):
    with expected_protocol(LakeShore336, exchanges) as cryostat:
        call(cryostat)


def test_read_is_one_query_of_temperature_setpoint_heater_and_status():
    with expected_protocol(LakeShore336, loop() + [
            (b"KRDG? A;SETP? 1;HTR? 1;RDGST? A;HTRST? 1\r\n",
             b"+300.000;+310.000;+12.5;0;0\r\n")]) as cryostat:
        reading = cryostat.read()
    assert (reading.temperature_K, reading.setpoint_K, reading.output_percent) == \
        (300.0, 310.0, 12.5)


def test_with_a_ramp_limit_a_step_becomes_a_ramp_before_the_setpoint():
    with expected_protocol(LakeShore336, [
            (b"RAMP? 1\r\n", b"0,0.0\r\n"), command(b"RAMP 1,1,10.0"), *loop(),
            command(b"SETP 1,350.000"), command(b"RANGE 1,3")],
            limits={"max_ramp_C_per_min": 10.0}) as cryostat:
        cryostat.set_setpoint(350.0)


def test_pid_and_ramp_rate_are_read_as_the_manual_says():
    with expected_protocol(LakeShore336, [(b"PID? 1\r\n", b"+50.0,+20.0,+0\r\n"),
                                          (b"RAMP? 1\r\n", b"1,6.0\r\n")]) as cryostat:
        assert cryostat.pid == (50.0, 20.0, 0.0)
        assert cryostat.ramp_rate_K_per_s == 0.1


def test_a_command_error_bit_is_raised():
    with expected_protocol(LakeShore336, [command(b"PID 1,50.0,20.0,0", b"32")]) as cryostat:
        with pytest.raises(InstrumentError, match="command error"):
            cryostat.pid = (50, 20, 0)
