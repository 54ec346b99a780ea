"""Ionic transference number by the EMF method: an oxygen concentration cell, corrected for
electrode polarization by a variable load (Gorelov's method).

The cell: the sample as the membrane between the furnace tube's gas (test side, its pO2 read
by the oxygen sensor, role `o2sensor`) and a reference gas of known pO2
(`reference_pO2_Pa`, default dry air). Wagner: the open-circuit EMF is E = t_ion E_N, t_ion
the mean over the pO2 gradient, E_N = RT/(4F) ln(p_ref / p_test) the Nernst voltage at the
cell temperature (role `furnace`). The electrodes' polarization resistance R_eta lowers the
EMF the terminals show, so E/E_N underestimates t_ion (reported as `t_ion_uncorrected`).
Correction (V. P. Gorelov, Elektrokhimiya 24 (1988) 1380): the cell is E_N behind R_ion +
R_eta, shunted by the electronic resistance R_e; loaded by R_m its voltage V obeys
E_N / V - 1 = (R_ion + R_eta) (1/R_e + 1/R_m), a line in 1/R_m whose intercept/slope is
1/R_e. With R_o = R_ion || R_e, the ionic arcs' resistance of this plateau's impedance
spectrum (protocol `eis`, needed before), t_ion = 1 - R_o / R_e (also Liu & Hu, J.
Electrochem. Soc. 143 (1996) L109, from the same circuit).
What is done: a high-impedance voltmeter (role `voltmeter`) reads the EMF every `poll_s`
with the oxygen sensor and the furnace, until steady by the `emf` protocol's drift
criterion (a line over the last `window_s` with |dE/dt| below `max_drift_V_per_s`; no
fixed time; at `max_wait_s` a warning). Then the source-meter (role `load`) holds the
terminals at `loads` voltages from (1 - (1 - min_load_fraction)/loads) E down to
min_load_fraction E, the cell discharging into it (R_m = -V/I), `readings_per_load`
readings each; its output is off when the protocol returns or fails.
Result: t_ion with its standard error (from the line's covariance and the Nernst voltage's
from the pO2 readings; R_o's own error is not included: the spectrum's valley lies 1-2 %
above the high-frequency intercept where the grain-boundary arc meets the electrode's, which
moves t_ion by 1-2 % of 1 - t_ion, as it moves the DC polarization's), the uncorrected
E/E_N, E, E_N, R_e, R_ion, R_eta, the steady pO2 and temperature, the time waited. With
E_N below 1 mV (tube gas as the reference) there is no result (an error).
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, replace

import numpy as np
from scipy.constants import gas_constant

from labctl.analysis.cell_thermodynamics import FARADAY
from labctl.capabilities import OxygenSensor, SourceMeter, TemperatureController, Voltmeter
from labctl.errors import LabctlError
from labctl.preflight import CURRENT_LIMIT
from labctl.protocol import EMF_TRANSFERENCE, ProtocolSpec, Role, StoredResult, Summary, dc
from labctl.protocols import eis_sweep
from labctl.protocols._params import param
from labctl.protocols.emf import DriftParams, read_until_steady

KIND = "emf_tion"
MIN_NERNST_V = 1e-3      # below it, E/E_N is mostly noise


@dataclass(frozen=True)
class Params(DriftParams):
    reference_pO2_Pa: float = param(21228.0, low=1e-30, high=1e8,
                                    doc="reference side's pO2 (dry air 21228 Pa)")
    loads: int = param(5, low=2, high=100, doc="load voltages on the line")
    min_load_fraction: float = param(0.3, low=0.01, high=0.95,
                                     doc="lowest load voltage, as a fraction of the EMF")
    readings_per_load: int = param(3, low=1, high=1000, doc="current readings averaged per load")
    current_limit_A: float = param(0.01, low=1e-9, high=1.0, doc="compliance of the load")


@dataclass(frozen=True)
class Result(StoredResult):
    t_ion: float
    t_ion_std: float
    t_ion_uncorrected: float    # E / E_N, polarization not corrected
    emf_V: float
    emf_std_V: float
    nernst_V: float
    nernst_std_V: float
    pO2_Pa: float               # test side, mean over the window
    reference_pO2_Pa: float
    temperature_K: float
    temperature_std_K: float
    R_o_Ohm: float              # from this plateau's spectrum
    R_e_Ohm: float
    R_ion_Ohm: float
    R_eta_Ohm: float
    steady: bool
    drift_V_per_s: float
    waited_s: float


@dataclass(frozen=True)
class Line:
    """Gorelov's line E_N/V - 1 = a + b/R_m: a = (R_ion + R_eta)/R_e, b = R_ion + R_eta."""
    a: float
    b: float
    cov: np.ndarray

    @classmethod
    def fit(cls, nernst_V: float, emf_V: float, volts, amps) -> "Line":
        """From the open-circuit EMF and the load points (terminal V, current into the
        reference-side terminal: negative while the cell discharges)."""
        volts, amps = np.asarray(volts, dtype=float), np.asarray(amps, dtype=float)
        x = np.r_[0.0, -amps / volts]
        y = np.r_[nernst_V / emf_V, nernst_V / volts] - 1
        (b, a), cov = np.polyfit(x, y, 1, cov=True)
        return cls(float(a), float(b), cov[::-1, ::-1])

    @property
    def R_e_Ohm(self) -> float:
        return self.b / self.a

    def t_ion(self, R_o_Ohm: float, nernst_rel_std: float = 0.0) -> tuple[float, float]:
        """t_ion = 1 - R_o a / b and its standard error (the line's covariance; a relative
        error e of E_N moves t_el by t_el e / a)."""
        t_el = R_o_Ohm * self.a / self.b
        (va, cab), (_, vb) = self.cov
        var = t_el ** 2 * (va / self.a ** 2 + vb / self.b ** 2 - 2 * cab / (self.a * self.b)
                           + (nernst_rel_std / self.a) ** 2)
        return 1 - t_el, math.sqrt(max(var, 0.0))


def nernst_V(temperature_K: float, test_Pa: float, reference_Pa: float) -> float:
    """E_N = RT/(4F) ln(p_ref / p_test)."""
    return gas_constant * temperature_K / (4 * FARADAY) * math.log(reference_Pa / test_Pa)


def run(ctx, params: Params) -> Result:
    """Wait for a steady EMF, run the load line, output off; t_ion by Gorelov's line."""
    meter, load = ctx.instrument("voltmeter"), ctx.instrument("load")
    sensor, furnace = ctx.instrument("o2sensor"), ctx.instrument("furnace")
    eis = ctx.previous(eis_sweep.KIND)
    if eis is None:
        raise LabctlError(f"emf_tion needs an impedance spectrum (protocol "
                          f"{eis_sweep.KIND!r}) earlier at this plateau: its ionic resistance "
                          "R_o corrects the EMF for electrode polarization")
    r_o = eis_sweep.SPEC.result(eis).r_ion_Ohm
    with ctx.measurement(KIND, asdict(params)) as m:
        read = read_until_steady(ctx, meter, furnace, m, params, lambda: sensor.read().pO2_Pa)
        level = read.level_V
        temps, gases = read.temperature_K[read.window], np.array(read.each)[read.window]
        T, p = float(temps.mean()), float(gases.mean())
        e_n = nernst_V(T, p, params.reference_pO2_Pa)
        e_n_std = gas_constant * T / (4 * FARADAY) * float(gases.std()) / math.sqrt(gases.size) / p
        if abs(e_n) < MIN_NERNST_V:
            raise LabctlError(f"emf_tion: no oxygen gradient across the cell (E_N = "
                              f"{e_n * 1e3:.3f} mV at pO2 {p:.4g} Pa against "
                              f"{params.reference_pO2_Pa:.4g} Pa): set the tube's gas apart "
                              "from the reference")
        volts, amps = load_line(ctx, load, m, level, params)
        line = Line.fit(e_n, level, volts, amps)
        t_ion, t_ion_std = line.t_ion(r_o, e_n_std / e_n)
        r_ion = r_o * line.R_e_Ohm / (line.R_e_Ohm - r_o)
        result = Result(t_ion, t_ion_std, level / e_n, level, read.level_std_V, e_n, e_n_std, p,
                        params.reference_pO2_Pa, T, float(temps.std()), r_o, line.R_e_Ohm,
                        r_ion, line.b - r_ion, read.steady, read.drift_V_per_s, read.waited_s)
        m.finish(result.to_dict())
    return result


def load_line(ctx, load, m, emf_V: float, params: Params) -> tuple[list[float], list[float]]:
    """Terminal voltages and mean currents at the load voltages below `emf_V`."""
    fractions = np.linspace(1.0, params.min_load_fraction, params.loads + 1)[1:]
    volts, amps = [], []
    load.configure(current_limit_A=params.current_limit_A)
    try:
        for fraction in fractions:
            ctx.checkpoint()
            load.set_voltage(float(fraction * emf_V))
            load.output(True)
            readings = [load.read() for _ in range(params.readings_per_load)]
            for r in readings:
                m.record(r)
            volts.append(float(np.mean([r.voltage_V for r in readings])))
            amps.append(float(np.mean([r.current_A for r in readings])))
    finally:
        load.output(False)
    return volts, amps


SPEC = ProtocolSpec(
    KIND, "t_ion by EMF (Gorelov)", Params, Result, run,
    roles=(Role("voltmeter", Voltmeter), Role("load", SourceMeter),
           Role("o2sensor", OxygenSensor), Role("furnace", TemperatureController)),
    limits={"current_limit_A": replace(CURRENT_LIMIT, role="load")},
    streams=(dc(None),), provides=EMF_TRANSFERENCE,
    summary=(Summary("t_ion", "t_ion", std="t_ion_std"),
             Summary("t_ion_uncorrected", "E/E_N"),
             Summary("R_eta_Ohm", "R_eta", "Ohm"), Summary("steady", "steady")),
    order=45, doc=__doc__)   # no GUI form: it needs a gas bench and a spectrum first
