"""PalmSens EmStat4: the bytes the driver sends for each public call, pinned against
MethodSCRIPT (reference instruments.md 2: PalmSens/MethodSCRIPT_Examples example_eis.mscr,
example_CA.mscr, palmsens/instrument.py): host commands `t`, `i`, `Z`, and `e` + script +
blank line, each script ending `on_finished: cell_off`."""

import pytest

from labctl.drivers.palmsens_emstat import EmStat4
from labctl.errors import InstrumentError

from tests.drivers.expected_protocol import expected_protocol

HEAD = ["e", "var f", "var r", "var j", "var p", "var i", "var t", "set_pgstat_chan 0"]
TAIL = ["on_finished:", "  cell_off", "", ""]     # the blank line ends the script
END = b"*\n\n"                                      # end of the loop, end of the script


def script(*lines: str) -> bytes:
    return "\n".join(HEAD + list(lines) + TAIL).encode()


def packet(*fields: tuple[str, int, str]) -> bytes:
    """`P` + type, 7 hex digits of mantissa + 2**27, SI prefix; `;` between variables."""
    return b"P" + ";".join(f"{kind}{m + 2 ** 27:07X}{prefix}" for kind, m, prefix in fields) \
        .encode() + b"\n"


def packets_loop(*names: str) -> list[str]:
    return ["  pck_start", *[f"  pck_add {n}" for n in names], "  pck_end", "endloop"]


def test_identify_asks_firmware_then_serial():
    with expected_protocol(EmStat4, [(b"t\n", b"tes4_hr1.2\nR1234*\n"),
                                     (b"i\n", b"iES4HR0042\n")]) as pstat:
        assert pstat.identify() == "PalmSens EmStat4 HR, firmware es4_hr1.2 R1234, serial ES4HR0042"


def test_an_impedance_sweep_is_one_meas_loop_eis_script():
    sent = script("set_pgstat_mode 3", "set_range ba 100m", "set_autoranging ba 100n 100m",
                  "set_e 0", "cell_on", "meas_loop_eis f r j 10m 1k 100 2 0",
                  *packets_loop("f", "r", "j"))
    reply = (b"e\nM0012\n" + packet(("dc", 1, "k"), ("cc", 1, "k"), ("cd", -500, " "))
             + packet(("dc", 100, " "), ("cc", 2, "k"), ("cd", -1, "k")) + END)
    with expected_protocol(EmStat4, [(sent, reply)]) as pstat:
        points = list(pstat.sweep([1e3, 100.0], 0.01))
    assert [p.impedance_Ohm for p in points] == [1000 - 500j, 2000 - 1000j]


def test_record_is_one_meas_loop_ca_script_at_the_programmed_voltage():
    sent = script("set_pgstat_mode 2", "set_range ba 100m", "set_autoranging ba 100n 100m",
                  "set_e 100m", "cell_on", "timer_start", "meas_loop_ca p i 100m 500m 1",
                  "  timer_get t", *packets_loop("t", "p", "i"))
    reading = packet(("eb", 500, "m"), ("da", 100, "m"), ("ba", 25, "u"))
    with expected_protocol(EmStat4, [(sent, b"e\nM0007\n" + reading + reading + END)]) \
            as pstat:
        pstat.output(True)
        pstat.set_voltage(0.1)
        got = list(pstat.record(1.0, 0.5))
    assert [(r.voltage_V, r.current_A) for r in got] == [(0.1, pytest.approx(25e-6))] * 2


def test_linear_sweep_is_one_meas_loop_lsv_script_with_the_configured_range():
    sent = script("set_pgstat_mode 2", "set_range ba 1m", "set_autoranging ba 1m 1m",
                  "set_e 0", "cell_on", "timer_start", "meas_loop_lsv p i 0 1 10m 100m",
                  "  timer_get t", *packets_loop("t", "p", "i"))
    with expected_protocol(EmStat4, [(sent, b"e\nM0008\n" + END)]) as pstat:
        pstat.configure(1e-3, current_range_A=1e-3)
        assert list(pstat.linear_sweep(0.0, 1.0, 0.01, 0.1)) == []


def test_safe_state_aborts_then_confirms_a_cell_off_script():
    with expected_protocol(EmStat4, [(b"Z\n", b"Z!0006\n"),
                                     (b"e\ncell_off\n\n", b"e\n\n")]) as pstat:
        pstat.safe_state()


def test_a_script_error_is_raised_after_a_cell_off_script():
    sent = script("set_pgstat_mode 3", "set_range ba 100m", "set_autoranging ba 100n 100m",
                  "set_e 0", "cell_on", "meas_loop_eis f r j 10m 1k 1k 1 0",
                  *packets_loop("f", "r", "j"))
    with expected_protocol(EmStat4, [(sent, b"e\n!0011\n"),
                                     (b"e\ncell_off\n\n", b"e\n\n")]) as pstat:
        with pytest.raises(InstrumentError, match="frequency outside"):
            pstat.measure(1e3, 0.01)
