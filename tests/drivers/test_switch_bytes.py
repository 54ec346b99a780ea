"""The bytes the switch drivers send, pinned against the manuals (Keithley 7001
Instruction Manual, ROUTe subsystem; Keysight 34980A Programmer's Reference)."""

from labctl.drivers.keithley7001 import Keithley7001
from labctl.drivers.keysight34980a import Keysight34980A
from tests.drivers.expected_protocol import expected_protocol

OK = b'0,"No error"\n'
MAP_7001 = {"1!1": {"sample": "A", "terminal": "fra.hi"},
            "1!11": {"sample": "A", "terminal": "fra.lo"},
            "1!2": {"sample": "B", "terminal": "fra.hi"},
            "1!12": {"sample": "B", "terminal": "fra.lo"}}
MAP_34980A = {"1001": {"sample": "A", "terminal": "fra.hi"},
              "1002": {"sample": "B", "terminal": "fra.hi"}}
ALL_34980A = ("(@" + ",".join(f"1{n:03d}" for n in range(1, 41)) + ")").encode()


def states(*closed):
    return (",".join("1" if f"1{n:03d}" in closed else "0" for n in range(1, 41)) + "\n").encode()


def test_7001_moves_pellet_a_to_b_break_before_make():
    with expected_protocol(Keithley7001, [
            (b":ROUT:CLOS:STAT?\n", b"(@1!1,1!11)\n"),
            (b":ROUT:OPEN (@1!1,1!11)\n", None),
            (b":SYST:ERR?\n", OK),
            (b":ROUT:CLOS:STAT?\n", b"(@)\n"),
            (b":ROUT:CLOS (@1!2,1!12)\n", None),
            (b":SYST:ERR?\n", OK),
            (b":ROUT:CLOS:STAT?\n", b"(@1!2,1!12)\n")], channels=MAP_7001) as switch:
        switch.connect({"1!2", "1!12"})


def test_7001_reads_ranges_back_and_opens_all_for_its_safe_state():
    with expected_protocol(Keithley7001, [
            (b":ROUT:CLOS:STAT?\n", b"(@1!1:1!2)\n"),
            (b":ROUT:OPEN ALL\n", None),
            (b":ROUT:CLOS:STAT?\n", b"(@)\n")], channels=MAP_7001) as switch:
        assert switch.closed() == {"1!1", "1!2"}
        switch.safe_state()


def test_34980a_closes_reads_back_every_channel_and_reports_wear():
    with expected_protocol(Keysight34980A, [
            (b"ROUT:CLOS? " + ALL_34980A + b"\n", states()),
            (b"ROUT:CLOS (@1001)\n", None),
            (b"SYST:ERR?\n", OK),
            (b"ROUT:CLOS? " + ALL_34980A + b"\n", states("1001")),
            (b"DIAG:REL:CYCL? (@1001,1002)\n", b"12,7\n"),
            (b"ROUT:OPEN:ALL\n", None),
            (b"ROUT:CLOS? " + ALL_34980A + b"\n", states())], channels=MAP_34980A) as switch:
        switch.connect({"1001"})
        assert switch.relay_cycles({"1002", "1001"}) == {"1001": 12, "1002": 7}
        switch.safe_state()
