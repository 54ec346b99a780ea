"""A toy SCPI instrument and its driver, to test the framework itself end to end."""

from __future__ import annotations

from labctl.errors import InstrumentError
from labctl.instrument import Instrument, raise_scpi_errors
from labctl.setting import Setting, in_range, one_of, parse_bool, parse_float
from labctl.transport import LinkSettings
from labctl.simulators.scpi import ScpiDevice, parse_float as scpi_float


class ToySource(ScpiDevice):
    """A voltage source: `:VOLT`, `:OUTP`, `:MEAS?` taking `measure_time_s`."""

    idn = "LABCTL,TOY,42,1.0"

    def __init__(self, clock, options=None):
        super().__init__(clock)
        self.measure_time_s = 0.5
        self.reset()
        self.log: list[str] = []
        self.command(":VOLTage", lambda v: setattr(self, "voltage", scpi_float(v, -10, 10)))
        self.command(":VOLTage?", lambda: f"{self.voltage:+.6E}")
        self.command(":OUTPut", lambda v: setattr(self, "on", v.upper() in ("1", "ON")))
        self.command(":OUTPut?", lambda: "1" if self.on else "0")
        self.command(":MODE", lambda v: setattr(self, "mode", v))
        self.command(":MEASure?", self._measure)

    def reset(self) -> None:
        self.voltage, self.on, self.mode = 0.0, False, "FAST"

    def handle(self, line: str):
        self.log.append(line)
        return super().handle(line)

    def _measure(self) -> None:
        self.reply(f"{self.voltage if self.on else 0.0:+.6E}", delay=self.measure_time_s)


class ToyDriver(Instrument):
    """Driver for `ToySource`."""

    link = LinkSettings(timeout_s=1.0)
    limit_keys = {"voltage_V": "max |voltage|"}

    voltage = Setting(":VOLT?", ":VOLT {:g}", check=in_range(-10, 10, "V"))
    mode = Setting(None, ":MODE {}", check=one_of("FAST", "SLOW"))
    output_on = Setting(":OUTP?", parse=parse_bool)

    def __init__(self, transport, *, name="toy", limits=None, clock=None, channel: int = 1):
        super().__init__(transport, name=name, limits=limits, clock=clock)
        self.channel = channel

    def set_voltage(self, volts: float) -> None:
        self.limits.check_max("voltage_V", volts, "voltage", "V")
        self.voltage = volts

    def measure(self) -> float:
        return parse_float(self.query(":MEAS?"))

    def check_errors(self) -> None:
        raise_scpi_errors(self)

    def safe_state(self) -> None:
        """Output off and 0 V, confirmed by reading the output state back."""
        self.write(":OUTP OFF")
        self.write(":VOLT 0")
        if parse_bool(self.query(":OUTP?")):
            raise InstrumentError("output still on after OUTP OFF", instrument=self.name)
