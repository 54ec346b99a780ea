"""Simulated Keithley DMM6500 digital multimeter measuring a zirconia oxygen sensor's EMF.

SCPI (DMM6500 Reference Manual DMM6500-901-01, ch. "SENSe subsystem", ":READ?"): `*IDN?`,
`[:SENSe]:FUNCtion[:ON] "VOLT:DC"`, `[:SENSe]:VOLTage[:DC]:RANGe[:UPPer] <V>` (0.1, 1,
10, 100, 1000), `[:SENSe]:VOLTage[:DC]:INPutimpedance AUTO|MOHM10`, `:READ?` (one reading in
V; 9.9E37 when over range), `:SYSTem:ERRor?`. A reading needs the DC volts function.

The input is a zirconia cell between the furnace tube's gas and an air reference: its EMF
is the Nernst voltage (`physics.atmosphere.zirconia_emf_V`) of the world's pO2 at the sensor
temperature (option `sensor_temperature_C`: a sensor with its own heater; absent: the
sensor sits in the furnace at the sample's temperature), plus the sample file's noise.
Option `reference_pO2_Pa` (default dry air, 21 228 Pa); the options are the driver's. With
the 10 MOhm input (`MOHM10`, the power-on setting) the cell's resistance (1e5 Ohm: a zirconia
tip at 700 degC, estimate) loads the EMF as a divider; AUTO (> 10 GOhm on the 0.1..10 V
ranges) does not.

Wired to the concentration cell (bench `[simulation] concentration_cell`), the input is the
sample as an oxygen concentration cell: its terminal voltage at open circuit
(`physics.concentration_cell`), plus the sample file's noise, behind its own internal
resistance (ohms) in place of the sensor's.

When the sample file has a `galvanic_cell` table, the input is that formation cell instead
(`physics.galvanic`: its EMF at the sample temperature, settling after a temperature change,
plus the table's `noise_V`); benches without one read the zirconia sensor as before.
"""

from __future__ import annotations

from typing import Any

from scipy.constants import atm, zero_Celsius

from labctl.simulators.physics.atmosphere import O2_FRACTION, zirconia_emf_V
from labctl.simulators.physics.concentration_cell import cell_in
from labctl.simulators.physics.galvanic import SettlingEmf
from labctl.simulators.scpi import ScpiDevice, ScpiError, parse_float
from labctl.simulators.world import SimWorld

RANGES_V = (0.1, 1.0, 10.0, 100.0, 1000.0)
OVERFLOW = 9.9e37
INPUT_OHM = {"AUTO": 10e9, "MOHM10": 10e6}
CELL_OHM = 1e5


class KeithleyDMMSimulator(ScpiDevice):
    """A DMM6500 on a zirconia oxygen sensor in the world's gas."""

    idn = "KEITHLEY INSTRUMENTS,MODEL DMM6500,04512345,1.7.12b"

    def __init__(self, world: SimWorld, options: dict[str, Any]):
        super().__init__(world.clock)
        self.world = world
        temperature = options.get("sensor_temperature_C")
        self.sensor_K = None if temperature is None else float(temperature) + zero_Celsius
        self.reference_Pa = float(options.get("reference_pO2_Pa", O2_FRACTION["AIR"] * atm))
        cell = world.sample.galvanic_cell
        self.cell = None if cell is None else SettlingEmf(cell)
        self.reset()
        self.command("[:SENSe]:FUNCtion[:ON]", self._set_function)
        self.command("[:SENSe]:FUNCtion[:ON]?", lambda: f'"{self.function}"')
        self.command("[:SENSe]:VOLTage[:DC]:RANGe[:UPPer]", self._set_range)
        self.command("[:SENSe]:VOLTage[:DC]:RANGe[:UPPer]?", lambda: f"{self.range_V:g}")
        self.command("[:SENSe]:VOLTage[:DC]:INPutimpedance", self._set_input)
        self.command(":READ?", self._read)

    def reset(self) -> None:
        self.function, self.range_V, self.input = "VOLT:DC", 10.0, "MOHM10"

    def _set_function(self, name: str) -> None:
        name = name.strip("\"'").upper()
        if name not in ("VOLT:DC", "VOLT", "VOLT:AC", "RES", "CURR:DC"):
            raise ScpiError(-224, "Illegal parameter value")
        self.function = "VOLT:DC" if name == "VOLT" else name

    def _set_range(self, value: str) -> None:
        v = parse_float(value, 0.0, 1000.0)
        self.range_V = next(r for r in RANGES_V if v <= r)

    def _set_input(self, value: str) -> None:
        if value.upper() not in INPUT_OHM:
            raise ScpiError(-224, "Illegal parameter value")
        self.input = value.upper()

    def sensor_temperature_K(self) -> float:
        return self.world.sample_temperature_K() if self.sensor_K is None else self.sensor_K

    def emf_V(self) -> float:
        """The cell's open-circuit voltage now (the concentration cell's when wired to it,
        the formation cell's if the sample is one)."""
        if self.instrument in self.world.on_concentration_cell:
            return cell_in(self.world).open_circuit_V
        if self.cell is not None:
            return self.cell.read(self.world.clock.now(), self.world.sample_temperature_K())
        sensor_K = self.sensor_temperature_K()
        return zirconia_emf_V(self.world.pO2_Pa(sensor_K), sensor_K, self.reference_Pa)

    def source_Ohm(self) -> float:
        """The input's source resistance (the concentration cell's own when wired to it)."""
        if self.instrument in self.world.on_concentration_cell:
            return cell_in(self.world).thevenin_Ohm
        return CELL_OHM

    def _read(self) -> str:
        if self.function != "VOLT:DC":
            raise ScpiError(-221, "Settings conflict")
        r_in = INPUT_OHM[self.input]
        volts = float(self._noisy(self.emf_V()) * r_in / (r_in + self.source_Ohm()))
        return f"{OVERFLOW if abs(volts) > 1.2 * self.range_V else volts:.9E}"

    def _noisy(self, emf: float) -> float:
        """`emf` with the formation cell's noise (V), else the sample file's (relative)."""
        if self.cell is None:
            return self.world.add_noise(emf)
        with self.world.lock:
            return emf + float(self.world.rng.normal(0.0, self.cell.cell.noise_V))
