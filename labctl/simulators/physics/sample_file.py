"""The sample file: its tables as frozen dataclasses, and validation of TOML input.

Schema (all SI; see `labctl/simulators/samples/default.toml`): tables `sample`, `bulk`,
`grain_boundary`, `electrode`, `electronic`, `stability`, `noise`, each with exactly the
keys of the dataclass below. Optional imperfections, each off when its table is absent (as in
`default.toml`): `leads` (series R and inductance), `accuracy` (the analyzer's accuracy
chart), `electrode_exponent` (a temperature-dependent electrode CPE exponent), `aging` (drift
of the electrolyte's resistances with time), `mains` (pickup outliers near 50/60 Hz),
`contact` (electrodes losing contact with each thermal cycle), `galvanic_cell` (the sample
is a formation cell whose EMF a voltmeter reads, `physics.galvanic`), `concentration_cell`
(with `brouwer`: the pellet as an oxygen concentration cell, `physics.concentration_cell`).
`electrode.kind` selects the electrodes: "blocking" (the
default when absent: one CPE) or "non-blocking" (reversible Li electrodes, see
`labctl/simulators/samples/li-peo.toml`), which also needs a `transference` table; without
grain boundaries (a polymer) the `grain_boundary` table may be left out. A mixed conductor
between blocking electrodes may have a `chemical_diffusion` table (see
`labctl/simulators/samples/mixed-conductor.toml`). A `brouwer` table instead of
`electronic` makes the electronic conductivity depend on the oxygen partial pressure (see
`labctl/simulators/samples/8ysz-po2.toml`); with it a `hebb_wagner_cell` table makes the cell
a Hebb-Wagner cell (`labctl/simulators/samples/8ysz-hebb-wagner.toml`). Every problem
(unreadable file, TOML syntax, missing or
unknown key, wrong type, value out of range) raises `ConfigError` naming the file, the
`table.key` and its line (line/column for syntax errors); several problems of one file
come together as `ConfigProblems` (a ConfigError, `.problems` lists them).
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from importlib import resources
from pathlib import Path
from typing import Callable

from labctl import configfile
from labctl.configfile import Problems, is_number
from labctl.errors import ConfigError


def _rule(test: Callable[[float], bool], text: str):
    """A dataclass field whose value must pass `test` (`text` says how)."""
    return field(metadata={"test": test, "text": text})


def _positive():
    return _rule(lambda x: x > 0, "must be > 0")


def _cpe_exponent():
    return _rule(lambda x: 0 < x <= 1, "must be within 0 < n <= 1")


@dataclass(frozen=True)
class Geometry:
    name: str
    thickness_m: float = _positive()
    area_m2: float = _positive()


@dataclass(frozen=True)
class Electronic:
    """A resistive path: sigma*T Arrhenius around (T_ref_K, sigma_ref_S_per_m)."""
    sigma_ref_S_per_m: float = _positive()
    T_ref_K: float = _rule(lambda x: 1 <= x <= 5000, "must be within 1..5000 K")
    Ea_eV: float = _rule(lambda x: 0 <= x <= 5, "must be within 0..5 eV")


@dataclass(frozen=True)
class Bulk(Electronic):
    eps_r: float = _rule(lambda x: x >= 1, "must be >= 1")


@dataclass(frozen=True)
class GrainBoundary(Electronic):
    Q: float = _positive()              # CPE: Z = 1 / (Q (j omega)^n), Q in F s^(n-1)
    n: float = _cpe_exponent()


@dataclass(frozen=True)
class Interface:
    """Blocking electrode interfaces (both together) as one CPE."""
    Q: float = _positive()
    n: float = _cpe_exponent()


@dataclass(frozen=True)
class NonBlockingInterface:
    """Reversible electrode interfaces, both together: R_i || CPE_dl, with
    R_i(T) = asr(T) / area * (1 + drift_fraction * (1 - exp(-age / drift_time_s))),
    asr(T) = asr_ref * exp(Ea/k_B * (1/T - 1/T_ref)) and Q(T) = Q * exp(-Q_Ea/k_B * (1/T - 1/T_ref));
    age is the time since the simulated cell was assembled (passivation growth)."""
    asr_ref_Ohm_m2: float = _positive()
    T_ref_K: float = _rule(lambda x: 1 <= x <= 5000, "must be within 1..5000 K")
    Ea_eV: float = _rule(lambda x: 0 <= x <= 5, "must be within 0..5 eV")
    Q: float = _positive()
    n: float = _cpe_exponent()
    Q_Ea_eV: float = _rule(lambda x: -5 <= x <= 5, "must be within -5..5 eV")
    drift_fraction: float = _rule(lambda x: -1 < x <= 100, "must be within -1 < x <= 100")
    drift_time_s: float = _positive()


@dataclass(frozen=True)
class Transference:
    """Salt transport between reversible electrodes: cation transference number t_plus
    (dilute ideal electrolyte) and salt diffusion coefficient D(T), Arrhenius around T_ref."""
    t_plus: float = _rule(lambda x: 0 < x <= 1, "must be within 0 < t_plus <= 1")
    D_ref_m2_per_s: float = _positive()
    T_ref_K: float = _rule(lambda x: 1 <= x <= 5000, "must be within 1..5000 K")
    Ea_eV: float = _rule(lambda x: 0 <= x <= 5, "must be within 0..5 eV")


@dataclass(frozen=True)
class Stability:
    reduction_onset_V: float = _rule(lambda x: x < 0, "must be < 0")
    oxidation_onset_V: float = _rule(lambda x: x > 0, "must be > 0")
    onset_current_density_A_per_m2: float = _positive()
    tafel_slope_V_per_decade: float = _positive()


@dataclass(frozen=True)
class Noise:
    relative: float = _rule(lambda x: 0 <= x < 1, "must be within 0 <= relative < 1")


@dataclass(frozen=True)
class ChemicalDiffusion:
    """Stoichiometry polarization of a mixed conductor between ion-blocking electrodes:
    chemical diffusion coefficient D~(T), Arrhenius around T_ref; `source` says where the
    value comes from."""
    D_ref_m2_per_s: float = _positive()
    T_ref_K: float = _rule(lambda x: 1 <= x <= 5000, "must be within 1..5000 K")
    Ea_eV: float = _rule(lambda x: 0 <= x <= 5, "must be within 0..5 eV")
    source: str


@dataclass(frozen=True)
class Brouwer:
    """Electronic conductivity of an acceptor-doped oxide against oxygen partial pressure
    (Brouwer regime of fixed oxygen vacancies): sigma_e = sigma_n(T) (pO2/p0)^(-1/4) +
    sigma_p(T) (pO2/p0)^(+1/4), p0 = 1 atm, each sigma = sigma_0 exp(-Ea/k_B (1/T - 1/T_ref))
    (plain Arrhenius, as the literature reports them); replaces the `electronic` table."""
    sigma_n0_S_per_m: float = _positive()     # n-type at T_ref and pO2 = 1 atm
    Ea_n_eV: float = _rule(lambda x: 0 <= x <= 10, "must be within 0..10 eV")
    sigma_p0_S_per_m: float = _positive()     # p-type at T_ref and pO2 = 1 atm
    Ea_p_eV: float = _rule(lambda x: 0 <= x <= 10, "must be within 0..10 eV")
    T_ref_K: float = _rule(lambda x: 1 <= x <= 5000, "must be within 1..5000 K")
    source: str


@dataclass(frozen=True)
class HebbWagner:
    """A Hebb-Wagner cell: an ion-blocking electrode against a reversible one (e.g. Ni/NiO)
    that fixes the oxygen partial pressure `reference_pO2_Pa` at its side; the steady
    electronic current is then nonlinear in the applied voltage (needs `brouwer`)."""
    reference_pO2_Pa: float = _positive()
    source: str


@dataclass(frozen=True)
class Leads:
    """Leads and fixture in series with the sample: Z_measured = Z + R + j omega L, the
    inductive tail a real cell shows at MHz (impedance only: the DC and transient responses
    leave them out, R << the sample's)."""
    series_resistance_Ohm: float = _rule(lambda x: x >= 0, "must be >= 0")
    inductance_H: float = _rule(lambda x: x >= 0, "must be >= 0")


@dataclass(frozen=True)
class Accuracy:
    """The analyzer's accuracy chart as relative 1-sigma error of Z:
    noise.relative * (1 + |Z| / impedance_scale_Ohm) + 2 pi f stray_capacitance_F |Z|
    (the current range's floor at high |Z|; the uncompensated stray capacitance across the
    cell, whose share of the current grows with f |Z|)."""
    impedance_scale_Ohm: float = _positive()
    stray_capacitance_F: float = _rule(lambda x: x >= 0, "must be >= 0")


@dataclass(frozen=True)
class ElectrodeExponent:
    """A blocking electrode whose CPE exponent depends on temperature:
    n(T) = electrode.n + dn_per_K (T - T_ref_K), kept within 0.3..1 (interfaces that
    smooth or roughen as they are heated)."""
    dn_per_K: float = _rule(lambda x: -0.01 <= x <= 0.01, "must be within -0.01..0.01 per K")
    T_ref_K: float = _rule(lambda x: 1 <= x <= 5000, "must be within 1..5000 K")


@dataclass(frozen=True)
class Mains:
    """Mains pickup: a current pickup_current_A at frequency_Hz and its 2nd and 3rd
    harmonics (amplitude 1/k) flows through the cell; the analyzer's correlation over
    integration_cycles periods of the test frequency f rejects it by sinc(N (f - k f_m) / f),
    so readings near 50/60 Hz and harmonics are outliers of relative size
    pickup_current_A |Z| / excitation_V at a random phase."""
    frequency_Hz: float = _rule(lambda x: 1 <= x <= 1000, "must be within 1..1000 Hz")
    pickup_current_A: float = _rule(lambda x: x >= 0, "must be >= 0")
    excitation_V: float = _positive()
    integration_cycles: float = _rule(lambda x: x >= 1, "must be >= 1")


@dataclass(frozen=True)
class Contact:
    """Electrodes that lose contact with the pellet as it is thermally cycled (the film's and
    the ceramic's thermal expansion differ: cracks and delamination open on cooling). Each
    thermal cycle (a rise and then a fall of at least swing_K, `physics.cycling`) keeps
    1 - loss_per_cycle of the contact area left, so after N cycles the contacted fraction
    is phi = (1 - loss_per_cycle)^N. The current constricts to the contacted spots, which
    adds the electrolyte's resistance over constriction_length_m (1/phi - 1) (the spreading
    region under spots about a constriction length apart: Fleig & Maier, Solid State Ionics
    86-88 (1996) 1351, a partly contacted electrode enlarges the electrolyte's arcs), and
    the blocking electrodes' CPE Q shrinks to phi Q (double layer only where in contact)."""
    loss_per_cycle: float = _rule(lambda x: 0 <= x < 1, "must be within 0 <= x < 1")
    swing_K: float = _positive()
    constriction_length_m: float = _positive()


@dataclass(frozen=True)
class Aging:
    """Non-stationarity: the bulk and grain-boundary resistances grow with the sample's age
    (time since the simulated cell was assembled) as R * (1 + fraction (1 - exp(-age /
    time_s))), so a spectrum drifts while it is measured."""
    fraction: float = _rule(lambda x: -1 < x <= 100, "must be within -1 < x <= 100")
    time_s: float = _positive()


@dataclass(frozen=True)
class GalvanicCell:
    """A formation cell M, MO_x | electrolyte | O2 (reference_pO2_Pa) instead of a pellet
    between electrodes for a voltmeter (`physics.galvanic`): the reaction's electrons and
    standard enthalpy and entropy (p0 = 1 bar), the EMF's settling time after a
    temperature change and the reading noise (V, 1 sigma)."""
    reaction: str
    electrons: float = _rule(lambda x: x > 0, "must be > 0")
    dH_J_per_mol: float = _rule(lambda x: abs(x) < 1e7, "must be within -1e7..1e7 J/mol")
    dS_J_per_mol_K: float = _rule(lambda x: abs(x) < 1e4, "must be within -1e4..1e4 J/(mol K)")
    reference_pO2_Pa: float = _positive()
    settling_s: float = _positive()
    noise_V: float = _rule(lambda x: x >= 0, "must be >= 0")


@dataclass(frozen=True)
class ConcentrationCell:
    """An oxygen concentration cell: the pellet as the membrane between a reference gas
    (`reference_pO2_Pa`, one face) and the furnace tube's gas (the other face), with
    reversible porous electrodes of polarization resistance asr(T) = electrode_asr_Ohm_m2
    exp(Ea/k_B (1/T - 1/T_ref)) per area, both together (`physics.concentration_cell`;
    needs `brouwer`)."""
    reference_pO2_Pa: float = _positive()
    electrode_asr_Ohm_m2: float = _positive()
    T_ref_K: float = _rule(lambda x: 1 <= x <= 5000, "must be within 1..5000 K")
    Ea_eV: float = _rule(lambda x: 0 <= x <= 5, "must be within 0..5 eV")
    source: str


TABLES = {"sample": Geometry, "bulk": Bulk, "grain_boundary": GrainBoundary,
          "electrode": Interface, "electronic": Electronic, "stability": Stability,
          "noise": Noise}
ELECTRODES = {"blocking": Interface, "non-blocking": NonBlockingInterface}
OPTIONAL = {"transference": Transference, "chemical_diffusion": ChemicalDiffusion,
            "leads": Leads, "accuracy": Accuracy, "electrode_exponent": ElectrodeExponent,
            "aging": Aging, "mains": Mains, "contact": Contact, "brouwer": Brouwer,
            "galvanic_cell": GalvanicCell, "hebb_wagner_cell": HebbWagner,
            "concentration_cell": ConcentrationCell}
WHEN_PRESENT = ("grain_boundary", "leads", "accuracy", "aging", "mains", "brouwer",
                "galvanic_cell")   # read when present, else None


def shipped_sample(name: str) -> Path:
    """Path of a sample file shipped in `labctl/simulators/samples/` (package data)."""
    return Path(str(resources.files("labctl.simulators").joinpath("samples", f"{name}.toml")))


def shipped_names() -> list[str]:
    folder = resources.files("labctl.simulators").joinpath("samples")
    return sorted(e.name.removesuffix(".toml") for e in folder.iterdir() if e.name.endswith(".toml"))


def locate(value: str | Path, folder: Path | None = None) -> Path:
    """A sample file: the name of a shipped sample (`ysz`, `li-peo`, ...), else a path,
    relative to `folder` when given."""
    if str(value) in shipped_names():
        return shipped_sample(str(value))
    path = Path(value).expanduser()
    return folder / path if folder is not None and not path.is_absolute() else path


def read_toml(path: str | Path) -> tuple[dict, str]:
    """Parsed TOML and its text; unreadable or malformed files raise ConfigError."""
    return configfile.read_toml(path, "sample file")


def tables(data: object, source: str, text: str = "") -> dict[str, object]:
    """Validate parsed TOML against the schema; returns {table name: dataclass instance},
    None for an absent optional table. All problems are reported together, each at its
    line in `text` when given."""
    if not isinstance(data, dict):
        raise ConfigError("a sample file is a set of TOML tables", file=source)
    problems = Problems(source, text)
    for key in [k for k in data if k not in TABLES and k not in OPTIONAL]:
        problems.add(f"unknown table (expected: {', '.join([*TABLES, *OPTIONAL])})", key)
    classes = {**TABLES, "electrode": _electrode_class(data, problems), **OPTIONAL}
    present = {name: cls for name, cls in classes.items()
               if cls is not None and _required(name, data, problems)}
    values = {name: _table(cls, name, data.get(name), problems) for name, cls in present.items()}
    problems.raise_if_any()
    return {name: present[name](**values[name]) if name in present else None
            for name in classes}


def _electrode_class(data: dict, problems: Problems) -> type | None:
    """The electrode dataclass `electrode.kind` asks for (blocking when absent); None (and
    a problem) for an unknown kind."""
    electrode = data.get("electrode")
    kind = electrode.get("kind", "blocking") if isinstance(electrode, dict) else "blocking"
    if isinstance(kind, str) and kind in ELECTRODES:
        return ELECTRODES[kind]
    problems.add(f"must be one of {', '.join(map(repr, ELECTRODES))}, got {kind!r}",
                 "electrode", "kind")
    return None


def _required(name: str, data: dict, problems: Problems) -> bool:
    """Whether table `name` is read: those of WHEN_PRESENT when present; `transference`
    with, and only with, non-blocking electrodes; `chemical_diffusion`,
    `electrode_exponent` and `contact` when present, only with blocking ones; `hebb_wagner_cell` when
    present, only with those and `brouwer`; `electronic` unless `brouwer` replaces it;
    every other table always."""
    electrode = data.get("electrode")
    non_blocking = isinstance(electrode, dict) and electrode.get("kind") == "non-blocking"
    if name in WHEN_PRESENT:
        return name in data
    if name == "hebb_wagner_cell":
        fits = "brouwer" in data and not non_blocking
        if name in data and not fits:
            problems.add("needs a [brouwer] table and ion-blocking electrodes", name)
        return name in data and fits
    if name == "concentration_cell":
        if name in data and "brouwer" not in data:
            problems.add("needs a [brouwer] table (t_ion across the pO2 gradient)", name)
        return name in data and "brouwer" in data
    if name == "electronic" and "brouwer" in data:
        if name in data:
            problems.add("give either [electronic] or [brouwer] (pO2-dependent), not both", name)
        return False
    if name in ("chemical_diffusion", "electrode_exponent", "contact"):
        if name in data and non_blocking:
            problems.add("only with ion-blocking electrodes", name)
        return name in data and not non_blocking
    if name == "transference":
        if name in data and not non_blocking:
            problems.add('only with non-blocking electrodes ([electrode] kind = "non-blocking")',
                         name)
        return non_blocking
    return True


def _table(cls, name: str, data: object, problems: Problems) -> dict[str, object]:
    if not isinstance(data, dict):
        problems.add("missing table" if data is None else "must be a table", name)
        return {}
    keys = [f.name for f in fields(cls)]
    allowed = ["kind", *keys] if name == "electrode" else keys
    for key in [k for k in data if k not in allowed]:
        problems.add(f"unknown key (expected: {', '.join(allowed)})", name, str(key))
    values = {}
    for f in fields(cls):
        if f.name not in data:
            problems.add("missing key", name, f.name)
        else:
            values[f.name] = value = data[f.name]
            reason = _problem(value, f)
            if reason:
                problems.add(reason, name, f.name)
    return values


def _problem(value: object, f) -> str | None:
    """What is wrong with `value` for field `f`, or None."""
    if f.type == "str":
        return None if isinstance(value, str) and value.strip() else "must be a non-empty string"
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return f"must be a number, got {type(value).__name__}"
    if not is_number(value) or not f.metadata["test"](value):
        return f"{f.metadata['text']}, got {value!r}"
    return None
