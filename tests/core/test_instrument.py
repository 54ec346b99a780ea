"""The driver base: declarative properties, validation before sending, limits, safe state."""

import pytest

from labctl.clock import VirtualClock
from labctl.errors import InstrumentError, RangeError, ReplyError, SafetyLimitError
from labctl.simulators.port import SimulatorPort
from labctl.instrument import MAX_QUEUED_ERRORS, parse_scpi_error
from labctl.setting import parse_word
from tests.core.toy import ToyDriver, ToySource


@pytest.fixture
def toy():
    clock = VirtualClock()
    device = ToySource(clock)
    driver = ToyDriver.open(SimulatorPort(device), name="src", clock=clock,
                            limits={"voltage_V": 5.0}, options={"channel": 2, "timeout_s": 0.5})
    return driver, device


def test_property_get_and_set_speak_the_command_table(toy):
    driver, device = toy
    driver.voltage = 2.5
    assert driver.voltage == 2.5
    assert device.log[-2:] == [":VOLT 2.5", ":VOLT?"]


def test_options_split_into_link_settings_and_driver_options(toy):
    driver, _ = toy
    assert driver.channel == 2
    assert driver.transport.settings.timeout_s == 0.5
    assert ToyDriver.driver_options() == {"channel"}


def test_out_of_range_is_refused_before_sending(toy):
    driver, device = toy
    sent = len(device.log)
    with pytest.raises(RangeError, match=r"src.voltage = 12 V is outside .* -10 .. 10 V"):
        driver.voltage = 12
    with pytest.raises(RangeError, match="not one of"):
        driver.mode = "TURBO"
    assert len(device.log) == sent


def test_safety_limit_is_refused_before_sending(toy):
    driver, device = toy
    sent = len(device.log)
    with pytest.raises(SafetyLimitError, match="voltage -6 V exceeds the limit voltage_V = 5"):
        driver.set_voltage(-6.0)
    assert len(device.log) == sent
    driver.set_voltage(4.0)
    assert device.voltage == 4.0


def test_write_only_and_read_only_properties(toy):
    driver, device = toy
    with pytest.raises(AttributeError, match="mode cannot be read"):
        _ = driver.mode
    sent = len(device.log)
    with pytest.raises(AttributeError, match="output_on cannot be set"):
        driver.output_on = True
    assert len(device.log) == sent and driver.output_on is False


def test_unparseable_reply_is_an_error(toy):
    driver, device = toy
    device.inject("garble")
    with pytest.raises(ReplyError):
        _ = driver.voltage


def test_instrument_error_queue_surfaces_its_text(toy):
    driver, _ = toy
    driver.write(":VOLT 99")  # bypasses the driver's check: the instrument refuses it
    with pytest.raises(InstrumentError, match="Data out of range") as info:
        driver.check_errors()
    assert info.value.code == -222
    driver.check_errors()  # queue now empty


def test_context_manager_leaves_safe_state_even_on_error(toy):
    driver, device = toy
    driver.set_voltage(3.0)
    driver.write(":OUTP ON")
    with pytest.raises(RuntimeError):
        with driver:
            assert device.on
            raise RuntimeError("experiment failed")
    assert not device.on and device.voltage == 0.0


def test_identify(toy):
    driver, _ = toy
    assert driver.identify() == "LABCTL,TOY,42,1.0"


@pytest.mark.parametrize("value", [float("nan"), float("inf"), "5", True])
def test_a_limit_must_be_a_finite_number(value):
    from labctl.errors import ConfigError
    from labctl.instrument import Limits

    with pytest.raises(ConfigError, match="src.limits.voltage_V"):
        Limits("src", {"voltage_V": value})


@pytest.mark.parametrize("reply, parsed", [
    ('0,"No error"', (0, "No error")),
    ('-222,"Data out of range"\n', (-222, "Data out of range")),
    ('-113,"Undefined header;1;2026/11/28 10:00:00.000"', (-113, "Undefined header")),  # 2450
    ('+0,"No error;0;0 0"', (0, "No error")),
])
def test_scpi_error_replies(reply, parsed):
    assert parse_scpi_error(reply) == parsed


@pytest.mark.parametrize("reply", ['-222,Data out of range', '"x",-222', '', '-222,"a" x'])
def test_scpi_error_reply_that_does_not_parse(reply):
    with pytest.raises(ReplyError, match="error queue"):
        parse_scpi_error(reply)


def test_error_queue_drain_counts_the_rest_and_is_bounded(toy):
    driver, device = toy
    driver.write(":VOLT 99;:MODE;:VOLT 98")
    with pytest.raises(InstrumentError, match=r"error -222: Data out of range \(\+2 more\)"):
        driver.check_errors()
    device.command(":SYSTem:ERRor[:NEXT]?", lambda: '-350,"Queue overflow"')  # never empties
    sent = len(device.log)
    with pytest.raises(InstrumentError, match=f"not empty after {MAX_QUEUED_ERRORS} reads"):
        driver.check_errors()
    assert len(device.log) - sent == MAX_QUEUED_ERRORS


@pytest.mark.parametrize("reply, word", [("ZTD\n", "ZTD"), (" SCPI ", "SCPI")])
def test_word_replies(reply, word):
    assert parse_word(reply) == word
    for bad in ("", "two words", "A\x00"):
        with pytest.raises(ReplyError):
            parse_word(bad)
