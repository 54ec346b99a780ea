"""DC polarization with ion-blocking electrodes (Wagner): ionic transference number.

What is measured: the current I(t) after a voltage step `voltage_V` (keep it inside the
stability window), sampled densely just after the step and sparser later (log-spaced).
Ions carry the initial current I_0 = V/R_ion + V/R_e; the blocking electrodes then charge
and only electrons flow: I_ss = V/R_e. So t_ion = 1 - I_ss/I_0.
I_0 is V/R_ion from the preceding impedance spectrum at this plateau when there is one
(the first samples are spoiled by electrode charging), else extrapolated to the step.
The measurement stops at steady state, not after a fixed time: the tail is fitted with
I(t) = I_ss + A t^-a (a CPE electrode's power-law charging, `protocols._tail`), and the
polarization stops when the uncertainty of t_ion falls below `t_ion_tolerance`, or at
`max_duration_s` (with a warning). The output is off when the protocol returns or fails.
"""

from __future__ import annotations

from dataclasses import dataclass

from protocols._params import param

KIND = "dc_polarization"


@dataclass(frozen=True)
class Params:
    voltage_V: float = param(0.1, low=-10.0, high=10.0, doc="voltage step")
    current_limit_A: float = param(1e-3, low=1e-9, high=1.0, doc="compliance")
    t_ion_tolerance: float = param(0.001, low=1e-6, high=0.5,
                                   doc="stop when the 1-sigma uncertainty of t_ion is below")
    max_duration_s: float = param(86400.0, low=1.0, high=1e7, doc="stop (warning) after")
    first_interval_s: float = param(0.1, low=1e-3, high=100.0,
                                    doc="sampling interval just after the step")
    max_interval_s: float = param(60.0, low=1e-3, high=3600.0,
                                  doc="longest sampling interval (late, sparse)")
    points_per_decade: int = param(20, low=2, high=200, doc="log-spaced sampling density")
    i0_from_eis: bool = param(True, doc="I_0 = V/R_ion from this plateau's spectrum")

    def problems(self) -> list[tuple[str, str]]:
        found = []
        if self.voltage_V == 0:
            found.append(("voltage_V", "must not be 0"))
        if self.max_interval_s < self.first_interval_s:
            found.append(("max_interval_s", "must be >= first_interval_s"))
        return found
