"""Electrical model of a solid-electrolyte pellet between ion-blocking or reversible electrodes.

Equivalent circuit (SI units throughout):

    R_e  in parallel with  [ (R_b || C_b) - (R_gb || CPE_gb) - electrode ]

electrode = CPE_el (ion-blocking; for a mixed conductor with a `chemical_diffusion` table
    in parallel with the stoichiometry polarization, see `_blocking_interface`: the current
    then relaxes by chemical diffusion, exponentially with tau = L^2 / (pi^2 D~), where the
    CPE alone gives a power law), or for non-blocking (reversible, e.g. Li) electrodes
    (R_i || CPE_dl) - Z_D,  Z_D(s) = R_D tanh(sqrt(s tau_D)) / sqrt(s tau_D),
a finite-length diffusion element for the salt concentration gradient between the two
electrodes (antisymmetric profile: half-cell length L/2, tau_D = L^2 / (4 D)), with
R_D = R_el (1 - t+) / t+ (R_el = R_b + R_gb; dilute ideal electrolyte, Bruce & Vincent 1987),
so the DC resistance of the ionic path is R_el / t+ + R_i. A potential step dV gives
I_0 = dV / (R_el + R_i) once the arcs have charged, then the gradient builds up and
I -> I_ss = dV / (R_el / t+ + R_i) as a series of decaying modes exp(-y_k^2 t / tau_D), where
tan(y_k) = -(R_el + R_i) y_k / R_D; as R_D / (R_el + R_i) -> 0 the slowest time constant is
L^2 / (pi^2 D) (`diffusion_time_s`). R_i may drift with the age of the cell (passivation
growth, Evans, Vincent & Bruce 1987): `at_age` gives the sample at an age; the simulated
world serves the sample at its clock's age, so every response is quasi-static in the drift
(exact when the drift is slow against the diffusion time). Without a `grain_boundary` table
R_gb = 0.

- each resistive path (bulk, grain boundary, electronic) follows
  sigma(T) = sigma_ref * (T_ref/T) * exp(-Ea/k_B * (1/T - 1/T_ref)), i.e. sigma*T is Arrhenius,
  and R = thickness / (sigma * area) (apparent, geometric sigma for the grain boundary);
- with a `brouwer` table the electronic path depends on the oxygen partial pressure the
  sample is equilibrated with (`pO2_Pa`, `at_pO2`; the simulated world lags it behind the
  furnace tube's by chemical diffusion, `physics.atmosphere.SampleOxygen`):
  sigma_e = sigma_n(T) (pO2/atm)^(-1/4) + sigma_p(T) (pO2/atm)^(+1/4), plain Arrhenius;
- with a `hebb_wagner_cell` table as well the cell is a Hebb-Wagner cell: one electrode blocks
  ions, the other is reversible and fixes pO2 at its side (sigma_n, sigma_p at that pO2),
  and the steady electronic current at voltage E is (`hebb_wagner_current`)
  I = (R T A / (F L)) [sigma_n (1 - exp(-E F / R T)) + sigma_p (exp(E F / R T) - 1)]
  (Hebb 1952, Wagner 1957), its slope at E = 0 the linear path's V/R_e. The transients
  are those of the blocking cell (electrode charging, chemical diffusion), and the
  excess over V/R_e follows the terminal voltage at once (`static_current`);
- C_b = eps_0 * eps_r * area / thickness;
- a constant-phase element has Z = 1 / (Q * (j*omega)**n), Q in F*s**(n-1);
- optional imperfections (`sample_file`: Leads, Accuracy, ElectrodeExponent): the impedance
  is measured through leads (+ R + j omega L, not in the time-domain currents), with the
  analyzer's accuracy chart as its noise (`add_noise` given the frequency), and the
  blocking electrodes' CPE exponent may depend on temperature (`electrode_n`); with
  `contact` the electrodes lose contact with each thermal cycle (`at_cycles`,
  `contact_fraction`: the electrolyte's resistances grow by constriction, the blocking
  CPE's Q shrinks).

Time-domain currents (`step_current`, `step_charge`, `sweep_current`) are computed exactly
for this circuit by inverting I(s) = V(s) * Y(s) numerically (fixed Talbot, see
`simulators.physics.laplace`); the electronic path V/R_e is added in closed form, so the
long-time limit I -> V/R_e is exact. Parameters come from a sample TOML file
(`labctl/simulators/samples/default.toml`, schema documented there); `sample_file` validates it.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
from scipy.constants import R as _R, atm, e as _e, epsilon_0, k as _k_B, physical_constants

from labctl.simulators.physics import laplace, sample_file
from labctl.simulators.physics.sample_file import (
    Accuracy, Aging, Brouwer, Bulk, ChemicalDiffusion, ConcentrationCell, Contact, Electronic, ElectrodeExponent, GalvanicCell, Geometry, GrainBoundary,
    HebbWagner, Interface, Leads, Mains, NonBlockingInterface, Noise, Stability, Transference)

K_B_EV = _k_B / _e   # Boltzmann constant in eV/K
PATHS = ("bulk", "grain_boundary", "electronic")
AIR_PO2_PA = 0.2095 * atm
FARADAY = physical_constants["Faraday constant"][0]


@dataclass(frozen=True)
class SampleModel:
    """A sample: its geometry, conduction paths, interfaces, stability window and noise;
    with non-blocking electrodes also its salt transport, at cell age `age_s`."""

    sample: Geometry
    bulk: Bulk
    grain_boundary: GrainBoundary | None
    electrode: Interface | NonBlockingInterface
    electronic: Electronic
    stability: Stability
    noise: Noise
    transference: Transference | None = None
    chemical_diffusion: ChemicalDiffusion | None = None
    leads: Leads | None = None
    accuracy: Accuracy | None = None
    electrode_exponent: ElectrodeExponent | None = None
    aging: Aging | None = None
    mains: Mains | None = None
    contact: Contact | None = None
    brouwer: Brouwer | None = None
    galvanic_cell: GalvanicCell | None = None
    hebb_wagner_cell: HebbWagner | None = None
    concentration_cell: ConcentrationCell | None = None
    source: str = "<dict>"
    age_s: float = 0.0
    pO2_Pa: float = AIR_PO2_PA     # the oxygen activity the sample is equilibrated with
    thermal_cycles: int = 0        # heat-up and cool-down cycles it has been through

    # -- construction ------------------------------------------------------------------
    @classmethod
    def from_dict(cls, data: object, source: str = "<dict>") -> SampleModel:
        """Build from parsed TOML tables; any problem raises ConfigError naming `table.key`."""
        return cls(**sample_file.tables(data, source), source=source)

    @classmethod
    def from_toml(cls, path: str | Path) -> SampleModel:
        """Read a sample file; errors carry `table.key` and line (and column for syntax)."""
        data, text = sample_file.read_toml(path)
        return cls(**sample_file.tables(data, str(path), text), source=str(path))

    @classmethod
    def default(cls) -> SampleModel:
        """The shipped demo sample (`labctl/simulators/samples/default.toml`)."""
        return cls.from_toml(sample_file.shipped_sample("default"))

    @property
    def non_blocking(self) -> bool:
        """Reversible electrodes (a `transference` table), not ion-blocking ones."""
        return isinstance(self.electrode, NonBlockingInterface)

    def at_age(self, age_s: float) -> SampleModel:
        """This sample `age_s` seconds after the cell was assembled (R_i drift, aging)."""
        return replace(self, age_s=age_s) if self.non_blocking or self.aging else self

    def at_cycles(self, cycles: int) -> SampleModel:
        """This sample after `cycles` thermal cycles (matters with a `contact` table)."""
        return replace(self, thermal_cycles=cycles) if self.contact else self

    @property
    def contact_fraction(self) -> float:
        """Fraction of the electrode area still in contact: (1 - loss_per_cycle)^cycles."""
        return (1 - self.contact.loss_per_cycle) ** self.thermal_cycles if self.contact else 1.0

    def at_pO2(self, pO2_Pa: float) -> SampleModel:
        """This sample equilibrated with oxygen at `pO2_Pa` (matters with a `brouwer` table)."""
        return replace(self, pO2_Pa=pO2_Pa) if self.brouwer else self

    # -- DC quantities -----------------------------------------------------------------
    def _has(self, path: str) -> bool:
        return getattr(self, path) is not None or (path == "electronic" and bool(self.brouwer))

    def electronic_parts(self, T_K) -> tuple[float, float]:
        """(sigma_n, sigma_p) in S/m at T_K and the sample's pO2 (`brouwer` table); in a
        Hebb-Wagner cell at the pO2 its reversible electrode fixes."""
        b, T = self.brouwer, np.asarray(T_K, dtype=float)
        x = (self.hebb_wagner_cell.reference_pO2_Pa if self.hebb_wagner_cell else self.pO2_Pa) / atm
        n = b.sigma_n0_S_per_m * np.exp(-b.Ea_n_eV / K_B_EV * (1 / T - 1 / b.T_ref_K)) * x ** -0.25
        p = b.sigma_p0_S_per_m * np.exp(-b.Ea_p_eV / K_B_EV * (1 / T - 1 / b.T_ref_K)) * x ** 0.25
        return n, p

    def sigma(self, path: str, T_K):
        """Conductivity (S/m) of `path` ('bulk', 'grain_boundary', 'electronic') at T_K."""
        if path not in PATHS or not self._has(path):
            raise ValueError(f"no conduction path {path!r} in this sample; paths: {PATHS}")
        if path == "electronic" and self.brouwer:
            return sum(self.electronic_parts(T_K))
        p = getattr(self, path)
        T = np.asarray(T_K, dtype=float)
        return p.sigma_ref_S_per_m * (p.T_ref_K / T) * np.exp(
            -p.Ea_eV / K_B_EV * (1.0 / T - 1.0 / p.T_ref_K))

    def resistances(self, T_K) -> dict[str, float]:
        """Ohmic resistance (Ohm) of each path: thickness / (sigma * area) (grain boundary 0
        when the sample has none; bulk and grain boundary grown by `aging` and by a
        `contact`'s constriction, `sigma` being the as-assembled one); with non-blocking electrodes also 'interface' (R_i at
        this age) and 'diffusion' (R_D = (R_b + R_gb) (1 - t+) / t+)."""
        d, area = self.sample.thickness_m, self.sample.area_m2
        r = {path: d / (self.sigma(path, T_K) * area) if self._has(path)
             else 0.0 * np.asarray(T_K, dtype=float) for path in PATHS}
        grown = 1.0
        if self.aging:
            grown *= 1 + self.aging.fraction * -np.expm1(-self.age_s / self.aging.time_s)
        if self.contact:
            grown *= 1 + self.contact.constriction_length_m / d * (1 / self.contact_fraction - 1)
        r["bulk"], r["grain_boundary"] = r["bulk"] * grown, r["grain_boundary"] * grown
        if self.non_blocking:
            el, t_plus = self.electrode, self.transference.t_plus
            drift = 1 + el.drift_fraction * -np.expm1(-self.age_s / el.drift_time_s)
            r["interface"] = el.asr_ref_Ohm_m2 / area * drift * _arrhenius(-el.Ea_eV, el.T_ref_K, T_K)
            r["diffusion"] = (r["bulk"] + r["grain_boundary"]) * (1 - t_plus) / t_plus
        return r

    def diffusion_coefficient(self, T_K):
        """Salt diffusion coefficient D(T) (m^2/s), Arrhenius around the file's T_ref."""
        tr = self.transference
        return tr.D_ref_m2_per_s * _arrhenius(tr.Ea_eV, tr.T_ref_K, T_K)

    def diffusion_time_s(self, T_K):
        """L^2 / (pi^2 D): the slowest relaxation time of the salt concentration gradient."""
        return self.sample.thickness_m ** 2 / (np.pi ** 2 * self.diffusion_coefficient(T_K))

    def chemical_diffusion_time_s(self, T_K):
        """L^2 / (pi^2 D~): the slowest relaxation time of a mixed conductor's
        stoichiometry polarization between blocking electrodes."""
        cd = self.chemical_diffusion
        d_chem = cd.D_ref_m2_per_s * _arrhenius(cd.Ea_eV, cd.T_ref_K, T_K)
        return self.sample.thickness_m ** 2 / (np.pi ** 2 * d_chem)

    @property
    def bulk_capacitance_F(self) -> float:
        """Geometric capacitance eps_0 * eps_r * area / thickness."""
        return epsilon_0 * self.bulk.eps_r * self.sample.area_m2 / self.sample.thickness_m

    def apex_frequencies_Hz(self, T_K: float) -> dict[str, float]:
        """Arc apex frequencies: 1/(2 pi R_b C_b), and 1/(2 pi (R Q)**(1/n)) of the grain
        boundary and (non-blocking electrodes) of the interface, when the sample has them."""
        r = self.resistances(T_K)
        apex = {"bulk": 1.0 / (2 * np.pi * r["bulk"] * self.bulk_capacitance_F)}
        cpes = {}
        if self.grain_boundary:
            cpes["grain_boundary"] = (self.grain_boundary.Q, self.grain_boundary.n)
        if self.non_blocking:
            cpes["interface"] = (self._double_layer_Q(T_K), self.electrode.n)
        for arc, (q, n) in cpes.items():
            apex[arc] = 1.0 / (2 * np.pi * (r[arc] * q) ** (1 / n))
        return apex

    def ionic_transference_number(self, T_K: float) -> float:
        """t_ion = G_ion / (G_ion + G_e) with G_ion = 1/(R_b + R_gb): the DC-polarization limit."""
        r = self.resistances(T_K)
        g_ion, g_e = 1.0 / (r["bulk"] + r["grain_boundary"]), 1.0 / r["electronic"]
        return float(g_ion / (g_ion + g_e))

    # -- AC and transient response -----------------------------------------------------
    def _double_layer_Q(self, T_K):
        """Q of the non-blocking interfaces' double-layer CPE at T_K."""
        el = self.electrode
        return el.Q * _arrhenius(el.Q_Ea_eV, el.T_ref_K, T_K)

    def _ionic_admittance(self, T_K: float):
        """Y_ion(s) of the ionic branch, for complex s (principal branch of s**n and sqrt)."""
        r = {key: float(v) for key, v in self.resistances(T_K).items()}
        tau_b = r["bulk"] * self.bulk_capacitance_F
        gb, el = self.grain_boundary, self.electrode

        def electrolyte(s):
            z = r["bulk"] / (1 + s * tau_b)
            return z + r["grain_boundary"] / (1 + r["grain_boundary"] * gb.Q * s ** gb.n) if gb else z

        if not self.non_blocking:
            return lambda s: 1 / (electrolyte(s) + self._blocking_interface(T_K, s))
        r_i, q_dl = r["interface"], float(self._double_layer_Q(T_K))
        tau_d = self.sample.thickness_m ** 2 / (4 * float(self.diffusion_coefficient(T_K)))

        def admittance(s):
            x = np.sqrt(s * tau_d)
            z_d = r["diffusion"] * np.tanh(x) / x
            return 1 / (electrolyte(s) + r_i / (1 + r_i * q_dl * s ** el.n) + z_d)
        return admittance

    def electrode_n(self, T_K: float) -> float:
        """CPE exponent of the blocking electrodes at T_K (see ElectrodeExponent)."""
        ex = self.electrode_exponent
        if ex is None:
            return self.electrode.n
        return float(np.clip(self.electrode.n + ex.dn_per_K * (T_K - ex.T_ref_K), 0.3, 1.0))

    def _blocking_interface(self, T_K: float, s):
        """Z of the ion-blocking interfaces: the CPE, in parallel (with `chemical_diffusion`)
        with the stoichiometry polarization Z_chem = R_el g / (1 - g), g = tanh(y) / y,
        y = (pi/2) sqrt(s tau), tau = L^2 / (pi^2 D~): in series with R_el it gives the
        Wagner relaxation I_ion(t) = (V/R_el) sum 8/(m pi)^2 exp(-m^2 t / tau), m odd."""
        y_cpe = self.contact_fraction * self.electrode.Q * s ** self.electrode_n(T_K)
        if self.chemical_diffusion is None:
            return 1 / y_cpe
        r = self.resistances(T_K)
        y = np.pi / 2 * np.sqrt(s * float(self.chemical_diffusion_time_s(T_K)))
        g = np.tanh(y) / y
        return 1 / (y_cpe + (1 - g) / (float(r["bulk"] + r["grain_boundary"]) * g))

    def impedance(self, frequency_Hz, T_K: float) -> np.ndarray:
        """Complex impedance Z(f) (Ohm, Z'' < 0 capacitive) at temperature T_K; f > 0; with
        `leads`, as measured through them (+ R + j omega L)."""
        f = np.asarray(frequency_Hz, dtype=float)
        if np.any(~(f > 0)):
            raise ValueError("frequencies must be > 0 Hz")
        y = self._ionic_admittance(T_K)(2j * np.pi * f) + 1.0 / self.resistances(T_K)["electronic"]
        leads = self.leads
        return 1.0 / y + (leads.series_resistance_Ohm + 2j * np.pi * f * leads.inductance_H
                          if leads else 0.0)

    def _transient(self, T_K: float, t_s, power: int) -> np.ndarray:
        """Inverse Laplace transform of Y_ion(s) / s**power at times t_s > 0."""
        y_ion = self._ionic_admittance(T_K)
        return laplace.invert(lambda s: y_ion(s) / s ** power, t_s)

    def step_current(self, voltage_V: float, t_s, T_K: float) -> np.ndarray:
        """Current (A) at times t_s > 0 after a voltage step 0 -> voltage_V at t = 0.

        I(t) = V/R_e + L^-1[V * Y_ion(s) / s]: a capacitive spike (C_b, CPE_gb), the plateau
        ~V/(R_b + R_gb) + V/R_e once they are charged, then the blocking electrode charges and
        I -> V/R_e, so 1 - I_ss/I_0 -> t_ion (non-blocking: the interface arc charges, then the
        salt gradient builds and I -> V/R_e + V/(R_el/t+ + R_i)). Decomposition current is not included (a DC
        polarization stays inside the stability window); ~0.1 ms per call for 100 times.
        t_s must be > 0: at t = 0 the ideal step meets uncharged capacitors (I is infinite).
        """
        t = np.asarray(t_s, dtype=float)
        g_e = 1.0 / self.resistances(T_K)["electronic"]
        return voltage_V * (g_e + self._transient(T_K, t, 1))

    def step_charge(self, voltage_V: float, t_s, T_K: float) -> np.ndarray:
        """Charge (C) passed from t = 0 to t_s after the step: mean current over an aperture
        [t1, t2] is (q(t2) - q(t1)) / (t2 - t1), finite even at t1 = 0."""
        t = np.asarray(t_s, dtype=float)
        if np.any(~(t >= 0)):
            raise ValueError("times must be >= 0")
        q = np.zeros_like(t)
        q[t > 0] = self._transient(T_K, t[t > 0], 2)
        g_e = 1.0 / self.resistances(T_K)["electronic"]
        return voltage_V * (g_e * t + q)

    def sweep_current(self, voltage_V, t_s, T_K: float) -> np.ndarray:
        """Current (A) at times t_s under the piecewise-linear V(t) through (0 s, 0 V) and
        the points (t_s[i], voltage_V[i]); t_s strictly increasing, t_s[0] > 0 (or = 0 at 0 V,
        where the current is its left limit, 0). Cost grows with (points x slope changes).

        I = V/R_e + I_ionic + I_decomposition, where
        - I_ionic charges the blocking ionic branch: V(t) is a sum of ramps
          dA_k * (t - t_k)+ starting at each slope change, so I_ionic = sum dA_k g(t - t_k) with
          g = L^-1[Y_ion(s)/s**2] (exact for the CPEs; a linear sweep costs one ramp);
        - I_decomposition = area * j(V), Tafel-like beyond each end of the stability window:
          j = +j_on * (10**((V - V_ox)/b) - 10**(-V_ox/b)) for V > 0,
          j = -j_on * (10**((V_red - V)/b) - 10**(V_red/b)) for V < 0,
          so |j| = j_on at the onset voltages, grows a decade per b beyond them and I(0) = 0.
          The cell voltage drives it directly (no ohmic or mass-transport limitation), so it
          overflows to +-inf some 40 V beyond the window: the instrument's compliance limits it.
        """
        t = np.asarray(t_s, dtype=float)
        v = np.asarray(voltage_V, dtype=float)
        if t.ndim != 1 or t.shape != v.shape or t.size == 0:
            raise ValueError("voltage_V and t_s must be 1-d arrays of the same length")
        if t[0] == 0.0 and v[0] != 0.0:
            raise ValueError("the sweep starts at 0 V at t = 0 (use step_current for a step)")
        knots_t, knots_v = (t, v) if t[0] == 0.0 else (np.r_[0.0, t], np.r_[0.0, v])
        if np.any(~(np.diff(knots_t) > 0)):
            raise ValueError("t_s must be strictly increasing and >= 0")
        slopes = np.diff(knots_v) / np.diff(knots_t)
        kinks = np.diff(np.r_[0.0, slopes])
        keep = np.abs(kinks) > 1e-9 * np.abs(slopes).max(initial=0.0)
        start, kink = knots_t[:-1][keep], kinks[keep]
        ionic = np.zeros_like(t)
        rows, cols = np.nonzero(t[:, None] > start[None, :])
        if rows.size:
            g = self._transient(T_K, t[rows] - start[cols], 2)
            np.add.at(ionic, rows, kink[cols] * g)
        electronic = v / self.resistances(T_K)["electronic"]
        return electronic + ionic + self.static_current(v, T_K)

    def decomposition_current(self, voltage_V) -> np.ndarray:
        """Faradaic decomposition current (A) at cell voltage V (formula: see sweep_current)."""
        v = np.asarray(voltage_V, dtype=float)
        st = self.stability
        b, v_ox, v_red = st.tafel_slope_V_per_decade, st.oxidation_onset_V, st.reduction_onset_V
        with np.errstate(over="ignore"):
            ox = 10.0 ** ((np.maximum(v, 0) - v_ox) / b) - 10.0 ** (-v_ox / b)
            red = 10.0 ** ((v_red - np.minimum(v, 0)) / b) - 10.0 ** (v_red / b)
        return self.sample.area_m2 * st.onset_current_density_A_per_m2 * (ox - red)

    def hebb_wagner_current(self, voltage_V, T_K: float) -> np.ndarray:
        """Steady electronic current (A) of the Hebb-Wagner cell at voltage E (formula: see
        the module docstring; L the thickness, A the area)."""
        n, p = self.electronic_parts(T_K)
        x = np.asarray(voltage_V, dtype=float) * FARADAY / (_R * T_K)
        scale = _R * T_K * self.sample.area_m2 / (FARADAY * self.sample.thickness_m)
        return scale * (n * -np.expm1(-x) + p * np.expm1(x))

    def static_current(self, voltage_V, T_K: float) -> np.ndarray:
        """The current that follows the terminal voltage V at once beyond the linear
        response: the decomposition current, and in a Hebb-Wagner cell the electronic
        current's excess over V/R_e."""
        i = self.decomposition_current(voltage_V)
        if self.hebb_wagner_cell:
            v = np.asarray(voltage_V, dtype=float)
            i = i + self.hebb_wagner_current(v, T_K) - v / self.resistances(T_K)["electronic"]
        return i

    # -- measurement noise -------------------------------------------------------------
    def relative_error(self, value, frequency_Hz=None):
        """1-sigma relative error of a reading: noise.relative, or for an impedance measured
        at `frequency_Hz` with an `accuracy` table, the accuracy chart's (see Accuracy)."""
        rel, acc = self.noise.relative, self.accuracy
        if acc is None or frequency_Hz is None:
            return rel
        z = np.abs(value)
        return rel * (1 + z / acc.impedance_scale_Ohm) + (
            2 * np.pi * np.asarray(frequency_Hz) * acc.stray_capacitance_F * z)

    def add_noise(self, value, rng: np.random.Generator, frequency_Hz=None):
        """value * (1 + relative * N(0, 1)), relative from `relative_error`; complex values
        get independent real and imaginary factors, i.e. relative noise on |Z| and
        ~relative rad on the phase; with `mains`, impedance readings near its harmonics
        get the pickup at a random phase."""
        x = np.asarray(value)
        rel = self.relative_error(x, frequency_Hz)
        if np.iscomplexobj(x):
            factor = 1 + rel * (rng.standard_normal(x.shape) + 1j * rng.standard_normal(x.shape))
        else:
            factor = 1 + rel * rng.standard_normal(x.shape)
        noisy = x * factor
        if self.mains and frequency_Hz is not None and np.iscomplexobj(x):
            phase = np.exp(2j * np.pi * rng.random(x.shape))
            noisy = noisy + x * self.mains_error(x, frequency_Hz) * phase
        return noisy if noisy.ndim else noisy[()]

    def mains_error(self, value, frequency_Hz):
        """Relative size of the mains pickup in an impedance reading (see Mains; 0 without)."""
        m, f = self.mains, np.asarray(frequency_Hz, dtype=float)
        if m is None:
            return np.zeros_like(f)
        leak = sum(np.abs(np.sinc(m.integration_cycles * (f - k * m.frequency_Hz) / f)) / k
                   for k in (1, 2, 3))
        return m.pickup_current_A * np.abs(value) / m.excitation_V * leak


def _arrhenius(Ea_eV: float, T_ref_K: float, T_K):
    """exp(-Ea/k_B (1/T - 1/T_ref)): the factor of an Arrhenius law relative to T_ref."""
    return np.exp(-Ea_eV / K_B_EV * (1.0 / np.asarray(T_K, dtype=float) - 1.0 / T_ref_K))
