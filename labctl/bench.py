"""Bench files: which instruments a bench has, how to reach them, and their safety limits.

```toml
[instruments.smu]
driver = "keithley2450"                      # a registered driver name
resource = "TCPIP::192.168.1.20::5025::SOCKET"
options = { timeout_s = 5.0 }                # link settings and driver options
limits = { voltage_V = 5.0, current_A = 0.01 }
interlocks = { compliance = { max_s = 60, action = "pause" } }   # see labctl.interlocks

[positions.A]                                # a switched bench: a pellet position's
temperature_offset_K = -1.8                  #   calibration (labctl.positions)

[simulation]                                 # optional: for `sim://NAME` resources
sample = "my-sample.toml"                    # default: the shipped sample
seed = 0
```
A resource `sim://NAME` is the simulated instrument of the driver's model, in process on
a virtual clock. The bench name `sim` is the built-in simulated bench. Validation reports
every error with file, line and `table.key` before any instrument is opened.
"""

from __future__ import annotations

import inspect
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterator


from labctl.capabilities import TemperatureController
from labctl.claims import Claims
from labctl.clock import Clock, RealClock
from labctl.configfile import Problems, is_number, parse_toml, read_text, unknown
from labctl.errors import (BenchOpenError, ConfigError, InstrumentError, LabctlError,
                           RangeError, SafeStateError, reason_of)
from labctl.interlocks import parse as parse_interlocks
from labctl.positions import read_positions
from labctl.registry import load_driver
from labctl.routing import Wiring
from labctl.simulators import builtin_benches
from labctl.transport import LinkSettings, resource_problem
from labctl.units import C_to_K, K_to_C

SIM_SCHEME = "sim://"
INSTRUMENT_KEYS = {"driver", "resource", "options", "limits", "interlocks"}
SIMULATION_KEYS = {"sample", "seed", "start_temperature_C", "pellets", "fixture",
                   "concentration_cell"}
# options of every instrument, handled by the bench: false accepts an instrument whose
# identity is not one of the driver's models (a compatible model)
BENCH_OPTIONS = {"check_identity": True}


@dataclass(frozen=True)
class InstrumentSpec:
    name: str
    driver: str
    resource: str
    options: dict[str, Any] = field(default_factory=dict)
    limits: dict[str, float] = field(default_factory=dict)
    interlocks: dict[str, dict[str, Any]] = field(default_factory=dict)   # kind -> settings

    @property
    def simulated(self) -> bool:
        return self.resource.startswith(SIM_SCHEME)


@dataclass(frozen=True)
class BenchConfig:
    source: str
    instruments: dict[str, InstrumentSpec]
    simulation: dict[str, Any] = field(default_factory=dict)
    temperature_offsets_K: dict[str, float] = field(default_factory=dict)   # pellet -> K
    text: str = field(default="", repr=False, compare=False)  # to locate errors found later

    @property
    def simulated(self) -> bool:
        return any(spec.simulated for spec in self.instruments.values())


def parse_bench(text: str, source: str = "<bench>") -> BenchConfig:
    """Validate bench TOML text completely; ConfigError lists every problem."""
    return bench_from_data(parse_toml(text, source), source, text)


def bench_from_data(data: dict[str, Any], source: str, text: str = "") -> BenchConfig:
    """Validate parsed bench data (`text` lets errors name their lines)."""
    errors = Problems(source, text)
    for key in unknown(data, {"instruments", "simulation", "positions"}):
        errors.add("unknown table (expected [instruments.NAME], [positions.PELLET] or "
                   "[simulation])", key)
    simulation = data.get("simulation", {})
    if not isinstance(simulation, dict):
        errors.add("must be a table", "simulation")
        simulation = {}
    for key in unknown(simulation, SIMULATION_KEYS):
        errors.add(f"unknown key (expected one of {', '.join(sorted(SIMULATION_KEYS))})", "simulation", key)
    for key, (valid, expected) in SIMULATION_TYPES.items():
        if key in simulation and not valid(simulation[key]):
            errors.add(f"must be {expected}", "simulation", key)
    tables = data.get("instruments")
    instruments: dict[str, InstrumentSpec] = {}
    if not isinstance(tables, dict) or not tables:
        errors.add("a bench needs at least one [instruments.NAME] table", "instruments")
    else:
        for name, table in tables.items():
            spec = _instrument(name, table, errors)
            if spec is not None:
                instruments[name] = spec
        for spec in instruments.values():
            for key, problem in load_driver(spec.driver).bench_problems(
                    spec.options, set(instruments)):
                table, _, key = f"instruments.{spec.name}.options.{key}".rpartition(".")
                errors.add(problem, table, key)
    offsets = read_positions(data.get("positions"), Wiring.of(instruments).pellets(), errors)
    errors.raise_if_any()
    return BenchConfig(source, instruments, simulation, offsets, text)


def _instrument(name: str, table: Any, errors: Problems) -> InstrumentSpec | None:
    where = f"instruments.{name}"
    if not isinstance(table, dict):
        errors.add("must be a table", where)
        return None
    count = len(errors.items)
    for key in unknown(table, INSTRUMENT_KEYS):
        errors.add(f"unknown key (expected one of {', '.join(sorted(INSTRUMENT_KEYS))})", where, key)
    for key in ("driver", "resource"):
        if not isinstance(table.get(key), str) or not table.get(key).strip():
            errors.add("required, a non-empty string", where, key)
    options, limits = table.get("options", {}), table.get("limits", {})
    for key, value in (("options", options), ("limits", limits)):
        if not isinstance(value, dict):
            errors.add("must be a table", where, key)
    if len(errors.items) > count:
        return None
    if problem := resource_problem(table["resource"]):
        errors.add(problem, where, "resource")
    try:
        driver = load_driver(table["driver"])
    except ConfigError as exc:
        errors.add(exc.reason, where, "driver")
        return None
    allowed_options = LinkSettings.keys() | driver.driver_options() | BENCH_OPTIONS.keys()
    for key in unknown(options, allowed_options):
        errors.add(f"unknown option for driver {table['driver']!r} (known: "
                   f"{', '.join(sorted(allowed_options))})", f"{where}.options", key)
    for key in [k for k in options if k in LinkSettings.keys()]:
        try:
            driver.link.updated({key: options[key]})
        except ConfigError as exc:
            errors.add(exc.reason, f"{where}.options", key)
    for key in [k for k in options if k in allowed_options and k not in LinkSettings.keys()]:
        problem = _driver_option_problem(driver, key, options[key])
        if problem:
            errors.add(problem, f"{where}.options", key)
    for key, value in limits.items():
        if key not in driver.limit_keys:
            errors.add(f"unknown limit for driver {table['driver']!r} (known: "
                       f"{', '.join(sorted(driver.limit_keys)) or 'none'})", f"{where}.limits", key)
        elif not is_number(value):   # a NaN limit would compare False: no limit at all
            errors.add(f"must be a number (finite), got {value!r}", f"{where}.limits", key)
        elif problem := physical_problem(key, value):
            errors.add(problem, f"{where}.limits", key)
        elif key.startswith("safe_") and is_number(highest := limits.get(f"max_{key[5:]}")) \
                and value > highest:   # the safe state itself would be refused
            errors.add(f"must not exceed max_{key[5:]} = {highest:g}", f"{where}.limits", key)
    interlocks = parse_interlocks(driver, table.get("interlocks", {}), f"{where}.interlocks",
                                  errors)
    if len(errors.items) > count:
        return None
    return InstrumentSpec(name, table["driver"], table["resource"], dict(options),
                          {k: float(v) for k, v in limits.items()}, interlocks)


def physical_problem(key: str, value: float) -> str | None:
    """What makes no physical sense in a limit (or setting) named `key`, judged by its unit:
    a temperature (`..._C`) below absolute zero, a rate (`..._per_...`) that is not
    positive, a negative magnitude (any other limit bounds |value|)."""
    if key.endswith("_C"):
        if C_to_K(value) < 0:
            return f"must not be below absolute zero ({K_to_C(0):g} C), got {value:g}"
    elif "_per_" in key:
        if value <= 0:
            return f"must be a rate > 0, got {value:g}"
    elif value < 0:
        return f"must be >= 0 (a limit on a magnitude), got {value:g}"
    return None


def _pellets_valid(value: Any) -> bool:
    """[simulation.pellets.NAME]: sample (a sample file), offset_K, lag_s >= 0, fixture."""
    return isinstance(value, dict) and all(
        isinstance(p, dict) and set(p) <= {"sample", "offset_K", "lag_s", "fixture"}
        and isinstance(p.get("sample"), str) and is_number(p.get("offset_K", 0.0))
        and is_number(p.get("lag_s", 0.0)) and p.get("lag_s", 0.0) >= 0
        and _fixture_valid(p.get("fixture", "open"))
        for p in value.values())


def _fixture_valid(value: Any) -> bool:
    """A simulated fixture in a sample's place: "open", "short" or a load resistance > 0."""
    return value in ("open", "short") or (is_number(value) and value > 0)


SIMULATION_TYPES = {
    "concentration_cell": (lambda v: isinstance(v, list) and all(isinstance(n, str) for n in v),
                           "a list of instrument names (those wired to the concentration cell)"),
    "pellets": (_pellets_valid, "tables [simulation.pellets.NAME] of sample = FILE, "
                "offset_K (a number), lag_s (>= 0) and fixture (\"open\", \"short\" or a "
                "load in Ohm > 0)"),
    "fixture": (_fixture_valid, '"open", "short" or a load resistance in Ohm (> 0)'),
    "sample": (lambda v: isinstance(v, str) and bool(v), "a string (path of a sample TOML file)"),
    "seed": (lambda v: isinstance(v, int) and not isinstance(v, bool) and v >= 0,
             "an integer >= 0"),
    "start_temperature_C": (lambda v: is_number(v) and not physical_problem("_C", v),
                            f"a number (a temperature above absolute zero, {K_to_C(0):g} C)"),
}


def _driver_option_problem(driver: type, key: str, value: Any) -> str | None:
    """A type error of a driver option, judged by the type of the constructor's default."""
    param = inspect.signature(driver.__init__).parameters.get(key)
    default = BENCH_OPTIONS.get(key, None if param is None else param.default)
    if isinstance(default, bool):
        valid, expected = isinstance(value, bool), "true or false"
    elif isinstance(default, int):
        valid = isinstance(value, int) and not isinstance(value, bool)
        expected = "an integer"
    elif isinstance(default, float):
        valid, expected = is_number(value), "a number"
    elif isinstance(default, str):
        valid, expected = isinstance(value, str), "a string"
    else:
        return None
    return None if valid else f"must be {expected}, got {value!r}"


def load_bench(path_or_name: str | Path) -> BenchConfig:
    """Read and validate a bench file, or a built-in simulated bench by name (`sim`: the
    demo's furnace, FRA and SMU; `sim-full`: every simulated instrument)."""
    builtin = builtin_benches().get(str(path_or_name))
    if builtin is not None and not Path(path_or_name).exists():
        return parse_bench(builtin.read_text(), source=str(builtin))   # stored as name `sim`
    return parse_bench(read_text(path_or_name, "bench file"), source=str(path_or_name))


class Bench:
    """The opened instruments of a bench, by name; closing puts every one in its safe state."""

    def __init__(self, config: BenchConfig, clock: Clock, instruments: dict[str, Any],
                 simulation: Any = None, claims: Claims | None = None):
        self.config, self.clock, self.instruments = config, clock, instruments
        self.simulation = simulation  # the SimBench behind sim:// resources, if any
        self.claims = claims          # held on the instruments' resources until closed

    def __getitem__(self, name: str) -> Any:
        return self.instruments[name]

    def __iter__(self) -> Iterator[Any]:
        return iter(self.instruments.values())

    def find(self, capability: type) -> list[Any]:
        """Instruments that provide `capability` (a labctl.capabilities Protocol)."""
        return [inst for inst in self if isinstance(inst, capability)]

    def safe_state(self) -> list[LabctlError]:
        """Every instrument to its safe state, whatever any of them raises: outputs off
        first, temperature controllers last; returns the problems met, each a labctl error
        naming its instrument."""
        return self._each("safe state", lambda inst: inst.safe_state(), self._furnaces_last())

    def outputs_safe(self, also: str) -> list[LabctlError]:
        """Every instrument but the temperature controllers to its safe state, and `also`
        (an interlock's pause: the furnace keeps its temperature unless it tripped)."""
        names = [n for n in self._furnaces_last() if n == also
                 or not isinstance(self.instruments[n], TemperatureController)]
        return self._each("safe state", lambda inst: inst.safe_state(), names)

    def _furnaces_last(self) -> list[str]:
        return sorted(self.instruments, key=lambda name: isinstance(
            self.instruments[name], TemperatureController))

    def hold_for_run(self, run_id: int | None, run_name: str = "") -> None:
        """Tell a refused claimant which run (None: none now) holds the instruments."""
        if self.claims is not None:
            self.claims.hold_for_run(run_id, run_name)

    def close(self) -> list[LabctlError]:
        """Safe state, then close, for every instrument (and the simulation), then release
        the claims; returns the problems met. Never stops early: one broken instrument
        cannot keep another unsafe."""
        problems: list[LabctlError] = []
        try:
            problems += self.safe_state()
        finally:
            try:
                problems += self._each("close", lambda inst: inst.close())
                if self.simulation is not None:
                    problems += _attempt("simulation", "close", self.simulation.close)
            finally:
                if self.claims is not None:
                    self.claims.release()
        return problems

    def _each(self, what: str, action: Callable[[Any], object],
              names: list[str] | None = None) -> list[LabctlError]:
        problems: list[LabctlError] = []
        interrupted: BaseException | None = None
        for name in self.instruments if names is None else names:
            try:
                problems += _attempt(name, what, lambda: action(self.instruments[name]))
            except BaseException as exc:  # Ctrl-C: the other instruments first
                interrupted = interrupted or exc
        if interrupted is not None:
            raise interrupted
        return problems

    def __enter__(self) -> "Bench":
        return self

    def __exit__(self, exc_type: Any, exc: BaseException | None, tb: Any) -> None:
        """Close the bench; a safe state or close that failed raises `SafeStateError`
        (listing every problem, and the error that was in flight, if any)."""
        problems = self.close()
        if problems:
            raise SafeStateError(problems, after=exc) from problems[0]


def _attempt(name: str, what: str, action: Callable[[], object]) -> list[LabctlError]:
    """Run one instrument's `action`; a failure of any kind (drivers and link libraries
    raise more than labctl errors: pyvisa-py a bare Exception, codecs a LookupError) comes
    back as an `InstrumentError` naming the instrument, caused by the original."""
    try:
        action()
    except Exception as exc:  # noqa: BLE001 - see above
        reason = reason_of(exc, name)
        error = InstrumentError(f"{what} failed: {reason}", instrument=name)
        error.__cause__ = exc
        return [error]
    return []


def open_bench(config: BenchConfig, clock: Clock | None = None) -> Bench:
    """Open every instrument of `config` (in-process simulators for `sim://` resources,
    all on the simulation's virtual clock). Every other resource is claimed first
    (labctl.claims): a bench in use elsewhere is refused before a byte is sent. Every
    instrument is tried; if any fails, what was opened is closed safely and the error
    names each instrument that failed and why, first (`BenchOpenError`; a single
    ConfigError, which points at its table, as it is)."""
    claims = Claims({spec.name: spec.resource for spec in config.instruments.values()
                     if not spec.simulated})
    try:
        simulation = None
        if config.simulated:
            from labctl.simulators.bench import SimBench

            with _refusals_in_file(config, "simulation"):
                simulation = SimBench.from_config(config, clock=clock)
            clock = simulation.world.clock
    except BaseException:
        claims.release()
        raise
    clock = clock or RealClock()
    opened: dict[str, Any] = {}
    bench = Bench(config, clock, opened, simulation, claims)
    failed: dict[str, Exception] = {}
    try:
        for spec in config.instruments.values():
            resource = simulation.port(spec.name) if spec.simulated else spec.resource
            try:
                opened[spec.name] = _open_instrument(config, spec, resource, clock)
            except Exception as exc:  # noqa: BLE001 - the others are tried: every cause told
                failed[spec.name] = exc
    except BaseException as exc:  # Ctrl-C while opening
        bench.__exit__(type(exc), exc, exc.__traceback__)
        raise
    if failed:
        problems = bench.close()
        first = next(iter(failed.values()))
        if len(failed) == 1 and isinstance(first, ConfigError) and not problems:
            raise first
        raise BenchOpenError(failed, problems) from first
    return bench


def _open_instrument(config: BenchConfig, spec: InstrumentSpec, resource: Any,
                     clock: Clock) -> Any:
    """Open one instrument's link (a port or host out of reach shows now, whether or not
    the driver asks for an identity) and check its identity (`check_identity`, by default
    true); a value the driver refuses is a ConfigError pointing at the instrument's table."""
    options = dict(spec.options)
    check_identity = options.pop("check_identity", True)
    with _refusals_in_file(config, f"instruments.{spec.name}"):
        instrument = load_driver(spec.driver).open(
            resource, name=spec.name, limits=spec.limits, clock=clock, options=options)
        try:
            instrument.transport.open()
            if check_identity and instrument.models:
                instrument.check_identity()
        except BaseException:
            instrument.close()  # no safe state: it may be another kind of instrument
            raise
    return instrument


@contextmanager
def _refusals_in_file(config: BenchConfig, field: str) -> Iterator[None]:
    """A value refused below (a ConfigError or RangeError naming no file) becomes a
    ConfigError at its table in the bench file: `field`, unless the error names one."""
    try:
        yield
    except (ConfigError, RangeError) as exc:
        if isinstance(exc, ConfigError) and exc.file is not None:
            raise
        if isinstance(exc, ConfigError) and exc.field:
            field = exc.field
        raise ConfigError(getattr(exc, "reason", str(exc)), file=config.source, field=field,
                          line=Problems(config.source, config.text).locate(field)) from exc
