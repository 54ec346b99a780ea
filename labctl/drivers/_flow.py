"""What the mass-flow-controller drivers share (Bronkhorst, Alicat).

`FlowControllerBase` implements the `FlowController` capability on four instrument hooks
(`_read`, `_write_setpoint`, `_close_valve`, `_instrument_gas`) and one attribute
(`full_scale_sccm`). Per gas line the bench gives the gas (option `gas`, checked against
the instrument's) and limits: `max_flow_sccm` (the highest set-point accepted, e.g. to keep
the O2 line of a hydrogen rig small). A set-point above the instrument's full scale is a
`RangeError`, above the line's limit a `SafetyLimitError`; nothing is sent then. The safe
state holds the valve closed (not merely set-point 0: a controller at 0 still regulates
and a leaky valve passes gas).

`FollowCheck` notices a flow that does not follow its set-point (valve stuck, empty
cylinder, blocked line): `NotFollowed` from `read` once the flow has stayed outside the
band for the follow window; the interlock `flow_not_followed` (labctl.interlocks, declared
here, switchable in the bench file) then pauses or aborts the run.
"""

from __future__ import annotations

import math
from typing import Mapping

from labctl.capabilities import FlowReading
from labctl.clock import Clock
from labctl.errors import ConfigError, InstrumentError, NotFollowed, RangeError
from labctl.instrument import Instrument
from labctl.transport import Transport

LIMIT_KEYS = {"max_flow_sccm": "highest flow set-point accepted on this gas line (sccm)"}
FULL_SCALE_BAND = 0.02   # follow band: 2 % of full scale ...
SETPOINT_BAND = 0.05     # ... plus 5 % of the set-point (MFC accuracy is ~0.5 % Rd + 0.1 % FS)
DEFAULT_FOLLOW_S = 30.0  # MFCs settle within seconds; 30 s off the band is a fault


class FollowCheck:
    """Raise `NotFollowed` once |flow - set-point| has stayed above the band for
    `window_s` (0 disables the check). A new set-point restarts the window."""

    def __init__(self, window_s: float = DEFAULT_FOLLOW_S):
        self.window_s = window_s
        self.off_since_s: float | None = None   # when the flow left the band (None: within)
        self._setpoint: float | None = None

    @staticmethod
    def band_sccm(setpoint_sccm: float, full_scale_sccm: float) -> float:
        return FULL_SCALE_BAND * full_scale_sccm + SETPOINT_BAND * abs(setpoint_sccm)

    def check(self, reading: FlowReading, full_scale_sccm: float, instrument: str) -> None:
        if reading.setpoint_sccm != self._setpoint:
            self._setpoint, self.off_since_s = reading.setpoint_sccm, None
        band = self.band_sccm(reading.setpoint_sccm, full_scale_sccm)
        if self.window_s <= 0 or abs(reading.flow_sccm - reading.setpoint_sccm) <= band:
            self.off_since_s = None
            return
        if self.off_since_s is None:
            self.off_since_s = reading.time_s
        elif reading.time_s - self.off_since_s >= self.window_s:
            what = "valve held closed" if reading.valve_closed else \
                f"set-point {reading.setpoint_sccm:g} sccm"
            raise NotFollowed(
                f"{reading.gas} flow {reading.flow_sccm:g} sccm does not follow its {what} "
                f"(band {band:.3g} sccm) for {reading.time_s - self.off_since_s:.0f} s: "
                f"valve stuck, empty cylinder or blocked line", instrument=instrument)


class FlowControllerBase(Instrument):
    """A mass-flow controller on one gas line: limits, gas check, safe state, follow check."""

    limit_keys = LIMIT_KEYS
    full_scale_sccm: float
    interlocks = {"flow_not_followed": {"action": "abort"}}   # labctl.interlocks, defaults

    def __init__(self, transport: Transport, *, name: str, limits: Mapping[str, float] | None,
                 clock: Clock | None, gas: str | None, follow_window_s: float):
        super().__init__(transport, name=name, limits=limits, clock=clock)
        if not (math.isfinite(follow_window_s) and follow_window_s >= 0):
            raise ConfigError(f"{name}: follow_window_s must be >= 0 s, got {follow_window_s!r}")
        self.gas = gas or ""
        self.follow = FollowCheck(follow_window_s)
        self._gas_checked = False

    # -- capability -----------------------------------------------------------------------
    def read(self) -> FlowReading:
        """Flow, set-point, gas and valve state; `InstrumentError` when the flow has not
        followed its set-point for the follow window."""
        self._check_gas()
        reading = self._read()
        if not (math.isfinite(reading.flow_sccm) and math.isfinite(reading.setpoint_sccm)):
            raise InstrumentError(f"invalid reading: flow {reading.flow_sccm} sccm, set-point "
                                  f"{reading.setpoint_sccm} sccm", instrument=self.name)
        self.follow.check(reading, self.full_scale_sccm, self.name)
        return reading

    def set_flow(self, flow_sccm: float) -> None:
        flow = self.check_flow(flow_sccm)
        self._check_gas()
        self._write_setpoint(flow)

    def check_flow(self, flow_sccm: float) -> float:
        f = float(flow_sccm)
        if not (math.isfinite(f) and f >= 0):
            raise RangeError(f"{self.name}: flow {f!r} sccm must be >= 0")
        if f > self.full_scale_sccm:
            raise RangeError(f"{self.name}: flow {f:g} sccm exceeds the instrument's full "
                             f"scale {self.full_scale_sccm:g} sccm")
        self.limits.check_max("max_flow_sccm", f, f"{self.gas or 'gas'} flow", "sccm")
        return f

    def safe_state(self) -> None:
        """Valve held closed."""
        self._close_valve()

    def _check_gas(self) -> None:
        """Once per connection: the instrument carries the bench's gas (a line calibrated for
        N2 but fed O2 meters wrongly; a swapped cable feeds the wrong gas)."""
        if self._gas_checked:
            return
        actual = self._instrument_gas()
        if self.gas and actual.strip().upper() != self.gas.upper():
            raise InstrumentError(f"instrument is set for gas {actual.strip()!r}, the bench "
                                  f"says this line carries {self.gas!r}", instrument=self.name)
        self.gas = self.gas or actual.strip()
        self._gas_checked = True

    # -- instrument hooks -----------------------------------------------------------------
    def _read(self) -> FlowReading:
        raise NotImplementedError

    def _write_setpoint(self, flow_sccm: float) -> None:
        """Control to `flow_sccm` (releasing a held-closed valve)."""
        raise NotImplementedError

    def _close_valve(self) -> None:
        raise NotImplementedError

    def _instrument_gas(self) -> str:
        """The gas the instrument is set for (Alicat: selects the bench's gas first)."""
        raise NotImplementedError

    def close(self) -> None:
        self._gas_checked = False
        super().close()


def check_positive(name: str, key: str, value: float) -> float:
    """A bench option that must be a positive number (ConfigError naming it)."""
    if not (isinstance(value, (int, float)) and math.isfinite(value) and value > 0):
        raise ConfigError(f"{name}: {key} must be a positive number, got {value!r}")
    return float(value)

