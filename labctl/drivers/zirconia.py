"""A zirconia (YSZ) oxygen sensor read by a Keithley DMM6500 / DMM7510 as a high-impedance
DC voltmeter, implementing `OxygenSensor`.

The sensor is an oxygen concentration cell: measured gas | YSZ | reference gas (air). Its
open-circuit EMF is the Nernst voltage E = RT/(4F) ln(p_ref / pO2) (a pure oxide-ion
conductor; positive when the gas holds less oxygen than the reference), so
pO2 = p_ref exp(-4FE / (RT)) at the sensor temperature T: the sensor's own heater
(option `sensor_temperature_C`) or, for a sensor inside the furnace, the furnace
temperature the protocol passes to `read`. R and F from scipy.constants.

Meter (DMM6500 Reference Manual DMM6500-901-01, SENSe subsystem): `:SENS:FUNC "VOLT:DC"`,
range 10 V (EMFs reach ~1 V at pO2 = 1e-20 bar and 700 degC), input impedance AUTO
(> 10 GOhm on the 0.1..10 V ranges: a zirconia cell of 10-100 kOhm would be loaded by 1 % by the
10 MOhm input), set once per connection and checked through the error queue; `:READ?`
takes one reading (9.9E37 = over range).

Limits (bench): `min_pO2_Pa`, `max_pO2_Pa`: a reading outside is `OxygenOutOfRange`
(sensor or its heater failed, reference air lost, gas supply wrong); the interlock
`pO2_out_of_range` (labctl.interlocks, declared here) then pauses or aborts the run.
"""

from __future__ import annotations

import math
from typing import Mapping

from scipy.constants import atm, gas_constant, physical_constants, zero_Celsius

from labctl.capabilities import OxygenReading
from labctl.clock import Clock
from labctl.errors import ConfigError, InstrumentError, OxygenOutOfRange, RangeError
from labctl.instrument import Instrument, raise_scpi_errors
from labctl.setting import parse_float
from labctl.transport import Transport

FARADAY = physical_constants["Faraday constant"][0]
AIR_PO2_PA = 0.2095 * atm          # dry air, ISO 2533
OVER_RANGE_V = 1e37                # the DMM's 9.9E37
LIMIT_KEYS = {"min_pO2_Pa": "lowest plausible oxygen partial pressure (Pa)",
              "max_pO2_Pa": "highest plausible oxygen partial pressure (Pa)"}


def nernst_pO2_Pa(emf_V: float, temperature_K: float, reference_Pa: float = AIR_PO2_PA) -> float:
    """pO2 = p_ref exp(-4FE / (RT))."""
    return reference_Pa * math.exp(-4 * FARADAY * emf_V / (gas_constant * temperature_K))


class ZirconiaSensor(Instrument):
    """Zirconia oxygen sensor on a Keithley DMM6500/DMM7510."""

    models = (r"KEITHLEY INSTRUMENTS,MODEL DMM(6500|7510)",)
    limit_keys = LIMIT_KEYS
    interlocks = {"pO2_out_of_range": {"action": "abort"}}   # labctl.interlocks, defaults

    def __init__(self, transport: Transport, *, name: str = "o2sensor",
                 limits: Mapping[str, float] | None = None, clock: Clock | None = None,
                 sensor_temperature_C: float | None = None,
                 reference_pO2_Pa: float = AIR_PO2_PA):
        super().__init__(transport, name=name, limits=limits, clock=clock)
        if not (isinstance(reference_pO2_Pa, (int, float)) and reference_pO2_Pa > 0):
            raise ConfigError(f"{name}: reference_pO2_Pa must be > 0, got {reference_pO2_Pa!r}")
        self.sensor_temperature_K = None if sensor_temperature_C is None \
            else float(sensor_temperature_C) + zero_Celsius
        self.reference_Pa = float(reference_pO2_Pa)
        self._configured = False

    def configure(self) -> None:
        """DC volts, 10 V range, high input impedance; the error queue must stay empty."""
        self.write(':SENS:FUNC "VOLT:DC";:SENS:VOLT:RANG 10;:SENS:VOLT:INP AUTO')
        raise_scpi_errors(self)
        self._configured = True

    def read_emf_V(self) -> float:
        if not self._configured:
            self.configure()
        volts = parse_float(self.query(":READ?"))
        if abs(volts) > OVER_RANGE_V:
            raise InstrumentError("voltmeter over range: sensor disconnected?", instrument=self.name)
        return volts

    def read(self, temperature_K: float | None = None) -> OxygenReading:
        """EMF and pO2 at `temperature_K` (None: the sensor's own temperature)."""
        t = self.sensor_temperature_K if temperature_K is None else float(temperature_K)
        if t is None or not (math.isfinite(t) and t > 0):
            raise RangeError(f"{self.name}: no sensor temperature (pass the furnace's, or set "
                             f"the option sensor_temperature_C), got {t!r}")
        emf = self.read_emf_V()
        reading = OxygenReading(self.clock.now(), emf, t, nernst_pO2_Pa(emf, t, self.reference_Pa))
        low, high = self.limits.get("min_pO2_Pa"), self.limits.get("max_pO2_Pa")
        if (low is not None and reading.pO2_Pa < low) or (high is not None and reading.pO2_Pa > high):
            raise OxygenOutOfRange(f"oxygen sensor out of range: pO2 {reading.pO2_Pa:.3g} Pa "
                                  f"(EMF {emf * 1e3:.1f} mV at {t:.1f} K) outside "
                                  f"{low or 0:g}..{high or math.inf:g} Pa", instrument=self.name)
        return reading


    def close(self) -> None:
        self._configured = False
        super().close()
