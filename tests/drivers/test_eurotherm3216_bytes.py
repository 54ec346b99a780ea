"""Eurotherm 3216: the Modbus RTU frames the driver sends for each public call, pinned against
the register map (reference instruments.md 4a: HA028651 §15.5; floats at 0x8000 + 2 x address,
FC03 read, FC16 write, address 1). The CRC is the simulator's (not minimalmodbus's, which the
driver uses), checked against the standard's example."""

import struct

import pytest

from labctl.drivers.eurotherm3216 import Eurotherm3216
from labctl.errors import InstrumentError
from labctl.simulators.eurotherm3216 import crc16

from tests.drivers.expected_protocol import expected_protocol


def test_the_crc_is_the_modbus_standards():
    assert crc16(bytes.fromhex("010300000001")) == bytes.fromhex("840a")   # read 1 register at 0


def frame(function: int, payload: bytes) -> bytes:
    body = bytes([1, function]) + payload
    return body + crc16(body)


def read_floats(address: int, *values: float) -> tuple[bytes, bytes]:
    """FC03 of the float space: 0x8000 + 2 x address, two registers per value."""
    data = struct.pack(f">{len(values)}f", *values)
    return (frame(3, struct.pack(">HH", 0x8000 + 2 * address, 2 * len(values))),
            frame(3, bytes([len(data)]) + data))


def write_float(address: int, value: float) -> tuple[bytes, bytes]:
    start = struct.pack(">HH", 0x8000 + 2 * address, 2)
    return frame(16, start + b"\x04" + struct.pack(">f", value)), frame(16, start)


def read_integer(address: int, value: int) -> tuple[bytes, bytes]:
    return (frame(3, struct.pack(">HH", address, 1)),
            frame(3, b"\x02" + struct.pack(">H", value)))


def write_integer(address: int, value: int) -> tuple[bytes, bytes]:
    start = struct.pack(">HH", address, 1)
    return frame(16, start + b"\x02" + struct.pack(">H", value)), frame(16, start)


STATUS_OK, OPERATING = read_integer(75, 0), read_integer(199, 0)

CALLS = {
    "identify": (lambda f: f.identify(), [STATUS_OK]),
    "set_setpoint": (lambda f: f.set_setpoint(573.15),
                     [OPERATING, read_floats(2, 25.0), write_float(2, 300.0),
                      read_floats(2, 300.0)]),
    "set_setpoint unchanged": (lambda f: f.set_setpoint(573.15),
                               [OPERATING, read_floats(2, 300.0)]),
    "set_ramp_rate per minute": (lambda f: f.set_ramp_rate(0.1),
                                 [read_integer(531, 0), write_float(35, 6.0)]),
    "set_ramp_rate per hour": (lambda f: f.set_ramp_rate(0.1),
                               [read_integer(531, 1), write_float(35, 360.0)]),
    "safe_state": (lambda f: f.safe_state(),
                   [read_integer(273, 1), write_integer(273, 0), read_floats(2, 300.0),
                    write_float(2, 25.0), read_floats(2, 25.0)]),
    "set_manual": (lambda f: f.set_manual(40.0), [write_integer(273, 1), write_float(3, 40.0)]),
    "set_auto": (lambda f: f.set_auto(), [write_integer(273, 0)]),
}


@pytest.mark.parametrize("call, exchanges", CALLS.values(), ids=CALLS.keys())
def test_each_call_sends_the_register_maps_frames(call, exchanges):
    with expected_protocol(Eurotherm3216, exchanges) as furnace:
        call(furnace)


def test_read_is_status_mode_and_one_block_of_five_floats():
    with expected_protocol(Eurotherm3216, [STATUS_OK, OPERATING,
                                           read_floats(1, 299.5, 300.0, 0.0, 42.0, 300.0)]) \
            as furnace:
        reading = furnace.read()
    assert (reading.temperature_K, reading.setpoint_K, reading.output_percent) == \
        (pytest.approx(572.65), pytest.approx(573.15), 42.0)


def test_ramp_running_compares_working_and_target_setpoints():
    with expected_protocol(Eurotherm3216, [read_floats(2, 300.0, 0.0, 42.0, 250.0)]) as furnace:
        assert furnace.ramp_running


def test_a_sensor_break_in_the_status_word_is_raised():
    with expected_protocol(Eurotherm3216, [read_integer(75, 1 << 5)]) as furnace:
        with pytest.raises(InstrumentError, match="sensor break"):
            furnace.check_errors()
