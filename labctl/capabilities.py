"""What protocols may ask of instruments: small interfaces in SI units.

Protocols depend on these `typing.Protocol`s, never on drivers; any driver that has these
methods fits. Quantities: Hz, V (rms for AC amplitudes), A, Ohm (complex impedance
Z = Z' + jZ'', capacitive Z'' < 0), K, K/s, s (on the bench clock's timeline), Pa; gas
flows in sccm (standard cm^3/min, the unit every mass-flow controller is specified in:
1 sccm = 7.44e-7 mol/s at 0 degC and 1 atm).
"""

from __future__ import annotations

import inspect
import math
from dataclasses import dataclass
from typing import Iterable, Iterator, Protocol, runtime_checkable


@dataclass(frozen=True)
class ImpedancePoint:
    """One impedance measurement."""

    time_s: float          # clock time when the point was completed
    frequency_Hz: float
    impedance_Ohm: complex
    amplitude_V: float     # AC amplitude (rms) applied
    bias_V: float = 0.0


@dataclass(frozen=True)
class CurrentReading:
    """One DC reading of a source-measure unit."""

    time_s: float
    voltage_V: float       # applied (or read-back) voltage
    current_A: float
    resolution_A: float = 0.0   # the smallest |current| the reading tells from zero on its
    #                             range (0: not reported); below it the value is no number


@dataclass(frozen=True)
class TemperatureReading:
    """State of a temperature control loop."""

    time_s: float
    temperature_K: float   # process value (thermocouple / sensor)
    setpoint_K: float      # working set-point (follows the ramp)
    output_percent: float  # heater output


@dataclass(frozen=True)
class GasReading:
    """The atmosphere at one moment of a measurement: the oxygen sensor's pO2 and the flow of
    each gas line (NaN: no such line, or not following its set-point)."""

    time_s: float
    pO2_Pa: float
    o2_flow_sccm: float = math.nan
    n2_flow_sccm: float = math.nan
    co_flow_sccm: float = math.nan
    co2_flow_sccm: float = math.nan


@dataclass(frozen=True)
class FlowReading:
    """State of one mass-flow controller (one gas line)."""

    time_s: float
    flow_sccm: float       # measured flow
    setpoint_sccm: float   # the set-point it controls to (0 with the valve held closed)
    gas: str               # the gas it is calibrated for / set to (e.g. "O2", "N2")
    valve_closed: bool     # the valve is held closed (the safe state)


@dataclass(frozen=True)
class OxygenReading:
    """One reading of a zirconia oxygen sensor."""

    time_s: float
    emf_V: float           # cell voltage, reference side positive for pO2 < p_ref
    temperature_K: float   # sensor temperature used in the Nernst equation
    pO2_Pa: float          # oxygen partial pressure of the measured gas


@runtime_checkable
class Instrument(Protocol):
    name: str

    def identify(self) -> str:
        """The instrument's identity string (maker, model, serial, firmware)."""

    def safe_state(self) -> None:
        """Put the instrument into its safe state (outputs off / heater safe)."""

    def close(self) -> None:
        """Release the connection (after `safe_state`)."""


@runtime_checkable
class ImpedanceAnalyzer(Instrument, Protocol):
    frequency_range_Hz: tuple[float, float]

    def measure(self, frequency_Hz: float, amplitude_V: float,
                bias_V: float = 0.0) -> ImpedancePoint:
        """Measure Z at one frequency (blocks for the integration time)."""

    def sweep(self, frequencies_Hz: Iterable[float], amplitude_V: float,
              bias_V: float = 0.0) -> Iterator[ImpedancePoint]:
        """Measure Z at each frequency in order, yielding each point as it completes."""


@runtime_checkable
class SourceMeter(Instrument, Protocol):
    def configure(self, current_limit_A: float, nplc: float = 1.0,
                  current_range_A: float | None = None) -> None:
        """Voltage source, current measure, compliance `current_limit_A`; None = autorange."""

    def set_voltage(self, voltage_V: float) -> None:
        """Program the source voltage (applied when/while the output is on)."""

    def output(self, on: bool) -> None:
        """Switch the output on or off."""

    def read(self) -> CurrentReading:
        """One reading of the current at the present voltage."""

    def record(self, duration_s: float, interval_s: float) -> Iterator[CurrentReading]:
        """Readings every `interval_s` for `duration_s`, yielded as they arrive."""

    def record_log(self, first_interval_s: float, max_interval_s: float,
                   points_per_decade: int, duration_s: float) -> Iterator[CurrentReading]:
        """Readings at the present voltage at `labctl.sampling.log_schedule` times since the
        call (the step), yielded as they arrive: one uninterrupted hold of the voltage.
        Closing the iterator early ends it (the output may go off)."""

    def linear_sweep(self, start_V: float, stop_V: float, step_V: float,
                     scan_rate_V_per_s: float) -> Iterator[CurrentReading]:
        """A voltage sweep from `start_V` to `stop_V` at `scan_rate_V_per_s`, one reading per
        `step_V` (the first at `start_V`), yielded as they arrive; the voltage is held
        throughout. Closing the iterator early ends it (the output may go off)."""


@runtime_checkable
class TemperatureController(Instrument, Protocol):
    def read(self) -> TemperatureReading:
        """Process value, working set-point and output."""

    def set_setpoint(self, temperature_K: float) -> None:
        """Target set-point; the controller ramps to it at the configured rate."""

    def set_ramp_rate(self, rate_K_per_s: float) -> None:
        """Set-point ramp rate limit; 0 = step."""

    def check_setpoint(self, temperature_K: float) -> float:
        """The set-point if the controller and the bench allow it, else RangeError /
        SafetyLimitError; nothing is sent."""


@runtime_checkable
class FlowController(Instrument, Protocol):
    gas: str               # the gas of this line

    def read(self) -> FlowReading:
        """Flow, set-point and valve state; `InstrumentError` when the flow has not followed
        its set-point for the line's follow window (a stuck valve, an empty cylinder)."""

    def set_flow(self, flow_sccm: float) -> None:
        """Control to `flow_sccm` (0 keeps the valve controlling at zero; `safe_state`
        holds it closed), checked against the line's limits before anything is sent."""

    def check_flow(self, flow_sccm: float) -> float:
        """The flow if the instrument and the gas line allow it, else RangeError /
        SafetyLimitError; nothing is sent."""


@runtime_checkable
class OxygenSensor(Instrument, Protocol):
    def read_emf_V(self) -> float:
        """The cell's EMF in V (what tells a sensor from other instruments that `read`)."""

    def read(self, temperature_K: float | None = None) -> OxygenReading:
        """The sensor's EMF and the pO2 it means at `temperature_K` (None: the sensor's own
        temperature, from its bench options)."""


@dataclass(frozen=True)
class SwitchState:
    """A switch's closed channels as read back, each with where its channel map says it
    leads: (channel, sample, instrument terminal such as 'fra.hi'), in card order."""

    closed: tuple[tuple[str, str, str], ...]


@runtime_checkable
class Switch(Instrument, Protocol):
    def read(self) -> SwitchState:
        """Read back which channels are closed (the matrix state shown to people)."""

    def channels_for(self, sample: str, instrument: str) -> frozenset[str]:
        """The channels joining `sample` to bench instrument `instrument` (its channel map)."""

    def check_connect(self, channels: Iterable[str]) -> frozenset[str]:
        """The channels if the bench allows them closed together (no instrument shorted to
        another, no two samples in parallel), else SafetyLimitError; nothing is sent."""

    def connect(self, channels: Iterable[str]) -> None:
        """Exactly `channels` closed, break-before-make, confirmed by read-back
        (`InstrumentError` naming a relay that did not follow)."""

    def confirm(self, channels: Iterable[str]) -> None:
        """Read back; `InstrumentError` unless exactly `channels` are closed."""


class Voltmeter(Instrument, Protocol):
    def read_emf_V(self) -> float:
        """One open-circuit voltage reading at high input impedance (V)."""


def methods(capability: type) -> set[str]:
    """Public methods a capability Protocol asks for (its own and inherited)."""
    return {name for cls in capability.__mro__ if cls.__module__ == __name__
            for name, value in vars(cls).items()
            if not name.startswith("_") and inspect.isfunction(value)}
