"""Checks shared by the temperature-controller drivers (labctl/drivers/_temperature.py)."""

import math

import pytest

from labctl.drivers._temperature import ControllerBase
from labctl.capabilities import TemperatureReading
from labctl.errors import InstrumentError
from labctl.transport import SerialTransport


class Replay(ControllerBase):
    """A controller whose readings are given (the checks, not a wire protocol, are tested)."""

    def __init__(self, readings):
        super().__init__(SerialTransport("loop://"), name="oven", limits=None, clock=None,
                         heater_check_s=0)
        self.readings = list(readings)

    def _read(self):
        return self.readings.pop(0)


@pytest.mark.parametrize("temperature, setpoint", [(math.nan, 500.0), (500.0, math.nan),
                                                   (math.inf, 500.0)])
def test_a_non_finite_reading_is_an_instrument_error(temperature, setpoint):
    oven = Replay([TemperatureReading(0.0, temperature, setpoint, 10.0)])
    with pytest.raises(InstrumentError, match="oven: invalid reading"):
        oven.read()


def test_a_finite_reading_passes():
    reading = TemperatureReading(0.0, 500.0, 510.0, 10.0)
    assert Replay([reading]).read() == reading
