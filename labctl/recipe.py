"""Recipes: what a run does, read from TOML and validated against a bench before any
instrument is touched.

```toml
[run]
name = "Arrhenius series"            # default: the file name
operator = "A. Lovelace"

[sample]                             # stored with the run; geometry in SI units
                                     # (several pellets: [[samples]], labctl.recipe_samples)
name = "YSZ-1"
thickness_m = 0.5e-3
area_m2 = 1.0e-4                     # also the default of a protocol's `area_m2`

[roles]                              # optional: role -> bench instrument
fra = "fra"                          # default: the instrument named like the role, else
                                     # the only one that can play it

[program]                            # a temperature program
temperatures_C = [300, 350, 400]     # or start_C, stop_C, step_C
ramp_C_per_min = 5.0
stabilize = { band_K = 0.5 }         # the plateau protocol's other parameters

[[program.body]]                     # run at every plateau, in order
protocol = "eis"                     # a registered protocol (`labctl protocols`);
start_Hz = 1e6                       # the rest are its parameters
[[program.body]]
protocol = "stability_window"
at_C = [400]                         # only at these plateaus

[[steps]]                            # standalone steps, after the program
protocol = "eis"

[final]
cool_down = true                     # default: the furnace to its safe set-point at the end
```
What a protocol needs (roles and their capabilities, which parameter is held against which
bench limit) is its declaration (`labctl.protocol.ProtocolSpec`, found in `labctl.registry`);
the program's plateau protocol and the final one are the protocols declaring that stage.
Every problem is reported at once, each with file, line and `step.key`
(e.g. `program.body[2].amplitude_V`), among them every value outside a bench limit or the
range of the instrument playing the step's role (`labctl.preflight`); `Recipe.warnings`
lists what is accepted but probably not meant (`labctl.plausible`). Positions
(`program[3]/eis`, `steps[1]/eis`, `final/cool_down`) name the steps in the store, so a
resumed run finds where it stopped.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any, Mapping


from labctl.bench import BenchConfig
from labctl.capabilities import methods
from labctl import plausible, preflight, registry
from labctl.configfile import (Problems, in_file_order, is_number, parse_toml, read_text,
                               shown, unknown)
from labctl.errors import ConfigError
from labctl.protocol import FINAL, PLATEAU, ProtocolSpec
from labctl.protocols import _params
from labctl.recipe_samples import (SampleEntry, check_metadata, check_routes,
                                   check_temperatures, for_samples, once, read_samples,
                                   run_sample)
from labctl.runcontext import Position
from labctl.units import C_to_K

TOP = {"run", "sample", "samples", "roles", "program", "steps", "final"}
RUN_KEYS = {"name", "operator", "description"}
PROGRAM_KEYS = {"temperatures_C", "start_C", "stop_C", "step_C", "ramp_C_per_min", "body"}
#                besides the plateau protocol's table of other parameters
STEP_KEYS = {"protocol", "at_C", "samples"}   # besides the protocol's parameters
MAX_PLATEAUS = 1000


@dataclass(frozen=True)
class Step:
    """One protocol run at one recipe position."""

    position: Position
    protocol: ProtocolSpec   # kind, Params, run(ctx, params), ...
    params: Any              # its Params, validated

    @property
    def path(self) -> str:
        return self.position.path

    @property
    def kind(self) -> str:
        return self.protocol.kind


@dataclass(frozen=True)
class Recipe:
    name: str
    steps: tuple[Step, ...]
    operator: str = ""
    sample: Mapping[str, Any] = field(default_factory=dict)
    source: str = "<recipe>"
    text: str = field(default="", repr=False)
    warnings: tuple[ConfigError, ...] = ()   # accepted, probably not meant: file order


def load_recipe(path: str | Path, bench: BenchConfig) -> Recipe:
    """Read and validate a recipe file against `bench`; ConfigError lists every problem."""
    text = read_text(path, "recipe file")
    return parse_recipe(text, bench, source=str(path), name=Path(path).stem)


def parse_recipe(text: str, bench: BenchConfig, source: str = "<recipe>",
                 name: str = "recipe") -> Recipe:
    return _Reader(parse_toml(text, source), bench, Problems(source, text), name).recipe(text)


def one_step_recipe(kind: str, params: Mapping[str, Any], bench: BenchConfig,
                    roles: Mapping[str, str] | None = None,
                    sample: Mapping[str, Any] | None = None) -> Recipe:
    """A one-off protocol run (e.g. from the GUI's bench panel), validated like a recipe."""
    data = {"run": {"name": f"one-off {kind}"}, "sample": dict(sample or {"name": "-"}),
            "roles": dict(roles or {}), "steps": [{"protocol": kind, **params}],
            "final": {registry.staged(FINAL).kind: False}}
    return _Reader(data, bench, Problems(f"<one-off {kind}>", ""), data["run"]["name"]).recipe("")


def check_setpoint(bench: BenchConfig, setpoint_K: float, rate_K_per_s: float,
                   furnace: str | None = None) -> None:
    """A furnace set-point and ramp (e.g. from the GUI's bench panel) checked like a
    recipe's, before anything is sent: ConfigError naming the instrument and its range."""
    one_step_recipe(registry.staged(PLATEAU).kind,
                    {"target_K": setpoint_K, "ramp_rate_K_per_s": rate_K_per_s},
                    bench, roles={"furnace": furnace} if furnace else None)


class _Reader:
    """One pass over parsed recipe data, collecting every problem."""

    def __init__(self, data: dict[str, Any], bench: BenchConfig, errors: Problems, name: str):
        self.data, self.bench, self.errors, self.default_name = data, bench, errors, name
        self.samples: list[SampleEntry] = []
        self._hint = "[sample]"      # where a step's geometry may come from

    def recipe(self, text: str) -> Recipe:
        for key in unknown(self.data, TOP):
            self.errors.add(f"unknown table (expected one of {', '.join(sorted(TOP))})", key)
        run = self._table("run", RUN_KEYS)
        for key in RUN_KEYS & run.keys():
            if not isinstance(run[key], str):
                self.errors.add("must be a string", "run", key)
        self.samples = read_samples(self.data.get("samples"), self.errors)
        sample = self._sample()
        plan = self._program(sample) + self._standalone(sample) + self._final()
        if "program" not in self.data and not self.data.get("steps"):
            self.errors.add("a recipe needs a [program] or at least one [[steps]] table", "steps")
        roles = self._roles({role for p in plan for role in _needs(p[1], p[3])}, plan)
        steps = tuple(self._limits(*planned, roles) for planned in plan)
        if self.samples:
            check_routes(self.samples, plan, roles, self.bench, self.errors)
            sample = run_sample(self.samples, sample, str(run.get("name", self.default_name)),
                                self.bench.temperature_offsets_K)
            self.errors.items, self.errors.warnings = map(once, (self.errors.items,
                                                               self.errors.warnings))
        self.errors.raise_if_any()
        return Recipe(str(run.get("name", self.default_name)), steps,
                      str(run.get("operator", "")), sample, self.errors.source, text,
                      tuple(in_file_order(self.errors.warnings)))

    # -- tables -------------------------------------------------------------------------------
    def _table(self, name: str, keys: set[str] | None) -> dict[str, Any]:
        table = self.data.get(name, {})
        if not isinstance(table, dict):
            self.errors.add("must be a table", name)
            return {}
        for key in (unknown(table, keys) if keys is not None else ()):
            self.errors.add(f"unknown key (expected one of {', '.join(sorted(keys))})", name, key)
        return table

    def _sample(self) -> dict[str, Any]:
        """[sample]; with [[samples]] optional (the run's name for the set of them)."""
        sample = self._table("sample", None)
        if sample or not self.samples:
            check_metadata(sample, "sample", self.errors)
        return dict(sample)

    def _program(self, sample: dict[str, Any]) -> list[tuple]:
        if "program" not in self.data:
            return []
        plateau = registry.staged(PLATEAU).kind
        program = self._table("program", PROGRAM_KEYS | {plateau})
        temperatures = self._temperatures(program)
        ramp = program.get("ramp_C_per_min")
        if not (is_number(ramp) and ramp > 0):
            self.errors.add(f"required, a positive number (degC/min), got {shown(ramp)}",
                            "program", "ramp_C_per_min")
            ramp = None
        stabilize = program.get(plateau, {})
        if not isinstance(stabilize, dict):
            self.errors.add(f"must be a table of {plateau} parameters", "program", plateau)
            stabilize = {}
        for key in [k for k in ("target_K", "ramp_rate_K_per_s") if k in stabilize]:
            self.errors.add("set by the program (temperatures, ramp_C_per_min)",
                            f"program.{plateau}", key)
        body = program.get("body", [])
        if not isinstance(body, list) or not all(isinstance(b, dict) for b in body):
            self.errors.add("must be [[program.body]] tables", "program", "body")
            body = []
        entries = self._entries("program.body", body, sample, temperatures)
        check_temperatures(self.samples, temperatures, self.errors)
        plan = []
        rate = None if ramp is None else ramp / 60.0
        for i, t_C in enumerate(temperatures, 1):
            group, t_K = f"program[{i}]", C_to_K(t_C)
            here = [s for s in self.samples if s.measured_at(t_C)]
            settle = {k: v for k, v in stabilize.items()   # no pellet here: no |Z| to watch
                      if k not in ("target_K", "ramp_rate_K_per_s")
                      and not (k == "reference_Hz" and self.samples and not here)}
            params, values = (None, {}) if rate is None else self._params(
                f"program.{plateau}", plateau,
                {**settle, "target_K": t_K, "ramp_rate_K_per_s": rate}, sample, report=i == 1)
            plan.append((f"program.{plateau}", plateau, params, values,
                         Position(f"{group}/{plateau}", {}, t_K, group,
                                  samples=tuple(s.name for s in here))))
            for name in [s.name for s in here] if self.samples else [None]:
                names: dict[str, int] = {}
                for where, kind, at, only, built in entries:
                    if kind is None or (at is not None and t_C not in at) or name not in only:
                        continue
                    names[kind] = names.get(kind, 0) + 1
                    label = kind if names[kind] == 1 else f"{kind}#{names[kind]}"
                    plan.append((where, kind, *built[name], Position(
                        "/".join(filter(None, (group, name, label))), {}, t_K, group, name)))
        self._cool_rate = rate
        return plan

    def _temperatures(self, program: dict[str, Any]) -> list[float]:
        given = {k for k in ("start_C", "stop_C", "step_C") if k in program}
        if "temperatures_C" in program:
            if given:
                self.errors.add("give either temperatures_C or start_C/stop_C/step_C",
                                "program", "temperatures_C")
            values = program["temperatures_C"]
            if not (isinstance(values, list) and values and all(is_number(v) for v in values)):
                self.errors.add(f"must be a non-empty list of numbers (degC), got {shown(values)}",
                                "program", "temperatures_C")
                return []
            temperatures = [float(v) for v in values]
        elif given:
            temperatures = self._range(program)
        else:
            self.errors.add("required: temperatures_C, or start_C, stop_C and step_C",
                            "program", "temperatures_C")
            return []
        for t in temperatures:
            if C_to_K(t) <= 0:
                self.errors.add(f"{t:g} degC is below absolute zero", "program", "temperatures_C")
                return []
        if len(temperatures) > MAX_PLATEAUS:
            self.errors.add(f"{len(temperatures)} plateaus (at most {MAX_PLATEAUS})",
                            "program", "temperatures_C")
            return []
        for message in plausible.repeated(temperatures):
            self.errors.warn(message, "program", "temperatures_C")
        return temperatures

    def _range(self, program: dict[str, Any]) -> list[float]:
        values = {}
        for key in ("start_C", "stop_C", "step_C"):
            value = program.get(key)
            if not is_number(value):
                self.errors.add(f"required with start_C/stop_C/step_C, a number, "
                                f"got {shown(value)}", "program", key)
            values[key] = value
        if not all(is_number(v) for v in values.values()):
            return []
        start, stop, step = values["start_C"], values["stop_C"], values["step_C"]
        if step == 0 or (stop - start) / step < 0:
            self.errors.add("must be non-zero and lead from start_C to stop_C", "program", "step_C")
            return []
        count = int((stop - start) / step + 1e-9) + 1
        if count > MAX_PLATEAUS:
            self.errors.add(f"gives {count} plateaus (at most {MAX_PLATEAUS})", "program", "step_C")
            return []
        return [start + i * step for i in range(count)]

    def _entry(self, where: str, entry: dict[str, Any], sample: dict[str, Any],
               temperatures: list[float] | None) -> tuple:
        """(where, kind, params, values, at_C) of one step table; kind None if unusable."""
        kind = entry.get("protocol")
        if not isinstance(kind, str) or kind not in registry.protocols():
            self.errors.add(f"required, one of {', '.join(sorted(registry.protocols()))}; "
                            f"got {shown(kind)}", where, "protocol")
            return where, None, None, {}, None
        at = entry.get("at_C")
        if at is not None:
            if temperatures is None:
                self.errors.add("only in [[program.body]]", where, "at_C")
            elif not (isinstance(at, list) and all(is_number(v) for v in at)):
                self.errors.add(f"must be a list of temperatures (degC), got {shown(at)}",
                                where, "at_C")
                at = []
            else:
                for value in at:
                    if value not in temperatures:
                        self.errors.add(f"{value:g} degC is not a temperature of the program",
                                        where, "at_C")
        given = {k: v for k, v in entry.items() if k not in STEP_KEYS}
        for key, message in plausible.geometry({k: given[k] for k in plausible.LARGEST
                                                if k in given}):
            self.errors.warn(message, where, key)
        return (where, kind, *self._params(where, kind, given, sample), at)

    def _standalone(self, sample: dict[str, Any]) -> list[tuple]:
        steps = self.data.get("steps", [])
        if not isinstance(steps, list) or not all(isinstance(s, dict) for s in steps):
            self.errors.add("must be [[steps]] tables", "steps")
            return []
        plan, temperature = [], None
        for where, kind, _, only, built in self._entries("steps", steps, sample, None):
            if kind is None:
                continue
            names = [None] if registry.protocol(kind).stage == PLATEAU else only
            for name in names:
                params, values = built[name]
                if registry.protocol(kind).stage == PLATEAU and params is not None:
                    temperature = params.target_K
                plan.append((where, kind, params, values, Position(
                    "/".join(filter(None, (where, name, kind))), {}, temperature, None, name,
                    () if name else tuple(s.name for s in self.samples))))
        return plan

    def _entries(self, table: str, entries: list[dict], sample: dict[str, Any],
                 temperatures: list[float] | None) -> list[tuple]:
        """(where, kind, at_C, samples, {sample: (params, values)}) of each step table: per
        sample of [[samples]] (its geometry and own values), else for the one (None)."""
        found = []
        for i, entry in enumerate(entries, 1):
            where, built = f"{table}[{i}]", {}
            for s in self.samples or [None]:
                own = s.params.get(entry.get("protocol"), {}) if s else {}
                self._hint = s.where if s else "[sample]"
                _, kind, params, values, at = self._entry(
                    where, {**entry, **own}, s.metadata if s else sample, temperatures)
                built[s.name if s else None] = (params, values)
            found.append((where, kind, at, for_samples(self.samples, where, entry.get("samples"),
                                                        self.errors), built))
        return found

    def _final(self) -> list[tuple]:
        kind = registry.staged(FINAL).kind
        final = self._table("final", {kind})
        cool = final.get(kind, True)
        if not isinstance(cool, bool):
            self.errors.add("must be true or false", "final", kind)
        if cool is not True or "program" not in self.data:
            return []
        rate = getattr(self, "_cool_rate", None)
        if rate is None:
            return []
        params, values = self._params("final", kind, {"ramp_rate_K_per_s": rate}, {},
                                      report=False)   # the program's ramp: reported there
        return [("final", kind, params, values, Position(f"final/{kind}", {}))]

    # -- protocol parameters ------------------------------------------------------------------
    def _params(self, where: str, kind: str, given: dict[str, Any], sample: dict[str, Any],
                report: bool = True) -> tuple[Any, dict[str, Any]]:
        """The protocol's Params (None if invalid; problems reported when `report`) and the
        values in effect (defaults, then the sample's geometry, then `given`)."""
        Params = registry.protocol(kind).Params
        declared = fields(Params)
        inherited = {k: sample[k] for k in {f.name for f in declared} & sample.keys() - given.keys()}
        values = {**{f.name: f.default for f in declared}, **inherited, **given}
        found = _params.problems(Params, {**inherited, **given})
        for key, message in found if report else ():
            hint = f" (or set {key} in {self._hint})" if message == "required" and \
                key in ("thickness_m", "area_m2") else ""
            self.errors.add(message + hint, where, key)
        if found:
            return None, values
        return _params.build(Params, {**inherited, **given}), values

    # -- roles and limits ----------------------------------------------------------------------
    def _roles(self, needed: set[str], plan: list[tuple]) -> dict[str, str]:
        capabilities = registry.role_capabilities()
        given = self._table("roles", set(capabilities))
        roles = {}
        for role in sorted(capabilities):
            name = given.get(role)
            if name is not None:
                if not isinstance(name, str):
                    self.errors.add(f"must be the name of a bench instrument, got {shown(name)}",
                                    "roles", role)
                elif name not in self.bench.instruments:
                    self.errors.add(f"no instrument {shown(name)} on bench {self.bench.source} "
                                    f"(has: {', '.join(self.bench.instruments)})", "roles", role)
                elif name not in players(self.bench, role):
                    self.errors.add(f"instrument {name!r} ({self.bench.instruments[name].driver}) "
                                    f"cannot play role {role!r}", "roles", role)
                else:
                    roles[role] = name
                continue
            able = players(self.bench, role)
            if default_player(role, able) is not None:
                roles[role] = default_player(role, able)
            elif role in needed:     # roles no step needs are resolved when obvious
                users = sorted({p[0] for p in plan if role in _needs(p[1], p[3])})
                self.errors.add(f"needed by {', '.join(users)}: bench {self.bench.source} has "
                                f"{len(able) or 'no'} instrument(s) for it"
                                f"{' (' + ', '.join(able) + ')' if able else ''}; name one here",
                                "roles", role)
        return roles

    def _add_once(self, message: str, table: str, key: str) -> None:
        """A problem every plateau would repeat is reported once."""
        if not any(e.reason == message and e.field == f"{table}.{key}" for e in self.errors.items):
            self.errors.add(message, table, key)

    def _limits(self, where: str, kind: str, params: Any, values: dict[str, Any],
                position: Position, roles: dict[str, str]) -> Step | None:
        """The step with its roles, after checking its parameter values (valid or not)
        against the bench's limits and the ranges of the instruments playing its roles."""
        spec = registry.protocol(kind)
        players = {role: self.bench.instruments[roles[role]]
                   for role in spec.needs(values) if role in roles}
        for key, problem in preflight.problems(spec.limits, values, players):
            self._add_once(problem, *_source(where, key))
        if params is None:
            return None
        return Step(replace(position, roles=roles), spec, params)


def players(bench: BenchConfig, role: str) -> list[str]:
    """The bench's instruments whose drivers have the capability of `role`."""
    capability = registry.role_capabilities()[role]
    return [name for name, spec in bench.instruments.items()
            if all(callable(getattr(registry.load_driver(spec.driver), m, None))
                   for m in methods(capability))]


def default_player(role: str, able: list[str]) -> str | None:
    """The instrument playing `role` when a recipe names none: the one named like the
    role, else the only one able to (None: none or several)."""
    return role if role in able else able[0] if len(able) == 1 else None


def _needs(kind: str, values: Mapping[str, Any]) -> tuple[str, ...]:
    """Roles a step uses, as its protocol declares them."""
    return registry.protocol(kind).needs(values)


def _source(where: str, key: str) -> tuple[str, str]:
    """Table and key that set a protocol parameter (the program sets the plateaus' targets
    and every ramp rate)."""
    program = {"target_K": "temperatures_C", "ramp_rate_K_per_s": "ramp_C_per_min"}
    if where in (f"program.{registry.staged(PLATEAU).kind}", "final") and key in program:
        return "program", program[key]
    return where, key

