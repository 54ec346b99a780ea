"""Bulk and interfacial resistance of a cell with reversible electrodes, from its spectrum.

A Li | electrolyte | Li cell shows the bulk arc (often above the frequency range), the arc
of the electrode interfaces (passivation layer and charge transfer) and, at the lowest
frequencies, the onset of the salt-diffusion impedance. Over the measured band the spectrum
is fitted with `CIRCUIT`,

    Z = R_b / (1 + j w R_b C_b) + R_i / (1 + R_i Q (j w)^n) + A_W (1 - j) / sqrt(w),

the last term being the high-frequency (semi-infinite) form of the finite diffusion element,
valid far above its characteristic frequency D / L^2 (hours for a polymer electrolyte).
The fit is the analysis' (`labctl.analysis.fit`: weights |Z|, its automatic starts from the
shape of the spectrum, standard errors from the Jacobian), with the CPE exponent held
within `EXPONENT_BOUNDS`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from labctl.analysis.fit import fit as fit_circuit
from labctl.analysis.initial import arcs
from labctl.errors import LabctlError

CIRCUIT = "p(R1,C1)-p(R2,CPE2)-W3"     # bulk, interface, onset of diffusion
EXPONENT_BOUNDS = (0.5, 1.0)            # of the interface CPE


@dataclass(frozen=True)
class CellFit:
    bulk_Ohm: float
    bulk_std_Ohm: float
    interface_Ohm: float
    interface_std_Ohm: float
    cpe_n: float
    max_residual: float     # largest |Z_fit - Z| / |Z| over the spectrum


def fit(frequency_Hz, impedance_Ohm) -> CellFit:
    """Fit the spectrum; LabctlError if it shows no interfacial arc to fit, or the fit fails."""
    f = np.asarray(frequency_Hz, dtype=float)
    z = np.asarray(impedance_Ohm, dtype=complex)
    order = np.argsort(f)[::-1]
    if not arcs(f[order], z[order]):
        raise LabctlError("the spectrum shows no interfacial arc: cannot separate the bulk "
                          "and interface resistances (extend the frequency range?)")
    result = fit_circuit(f, z, CIRCUIT, bounds={"CPE2_1": EXPONENT_BOUNDS})
    if not result.success:
        raise LabctlError(f"the cell's spectrum could not be fitted: {result.message}")
    p, e = result.params, result.errors
    return CellFit(p["R1"], e["R1"], p["R2"], e["R2"], p["CPE2_1"],
                   float(np.max(np.abs(result.impedance(f) - z) / np.abs(z))))
