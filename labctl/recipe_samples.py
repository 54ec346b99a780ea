"""A recipe's `[[samples]]`: several pellets measured in one furnace run.

```toml
[[samples]]
name = "YSZ-A"                 # required, unique; names the sample's steps and positions
pellet = "A"                   # the pellet as the bench's channel map names it (default: name)
thickness_m = 1.0e-3           # geometry and other metadata as in a [sample] table
area_m2 = 5.0e-5
at_C = [300, 400]              # only at these plateaus of the program (default: all)
eis = { start_Hz = 3e6 }       # this sample's own values of a protocol's parameters
```
The program stabilizes once per plateau (with `reference_Hz`, every pellet's |Z| is its
own thermometer), then runs its body for each sample measured there, in file order;
standalone [[steps]] run for every sample. A body step may name the samples it is for
(`samples = ["YSZ-A"]`). Positions carry the sample: `program[2]/YSZ-A/eis`. The run's
sample metadata is `{"name": ..., "samples": [<each table but at_C and protocol tables>]}`,
each with its pellet position's `temperature_offset_K` where the bench calibrates it
(`labctl.positions`).
Validation: each pellet must be wired to every switched instrument its steps use, and the
joins a step needs must be allowed together (`labctl.routing.Wiring`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from labctl import plausible, registry
from labctl.configfile import Problems, is_number, shown
from labctl.positions import OFFSET
from labctl.protocols import _params
from labctl.routing import Wiring

GEOMETRY = ("thickness_m", "area_m2")


@dataclass(frozen=True)
class SampleEntry:
    """One [[samples]] table."""

    index: int                        # from 1, in file order
    name: str
    pellet: str
    metadata: dict[str, Any]          # as a [sample] table: name, geometry, ...
    at_C: tuple[float, ...] | None = None
    params: dict[str, dict[str, Any]] = field(default_factory=dict)   # kind -> values

    @property
    def where(self) -> str:
        return f"samples[{self.index}]"

    def measured_at(self, t_C: float) -> bool:
        return self.at_C is None or t_C in self.at_C


def check_metadata(table: dict[str, Any], where: str, errors: Problems) -> None:
    """A [sample]-like table: a name, positive geometry, plain values."""
    if not isinstance(table.get("name"), str) or not table.get("name", "").strip():
        errors.add("required, a non-empty string", where, "name")
    for key, value in table.items():
        if key == OFFSET:
            errors.add(f"a pellet position's calibration, not the sample's: [positions.PELLET] "
                       f"{OFFSET} in the bench file", where, key)
        elif key in GEOMETRY:
            if not (is_number(value) and value > 0):
                errors.add(f"must be a positive number (SI units), got {shown(value)}",
                           where, key)
        elif not (isinstance(value, (str, bool)) or is_number(value)):
            errors.add("must be a string, number or true/false", where, key)
    for key, message in plausible.geometry(table):
        errors.warn(message, where, key)


def read_samples(data: Any, errors: Problems) -> list[SampleEntry]:
    """The [[samples]] tables (empty if none), every problem reported."""
    if data is None:
        return []
    if not isinstance(data, list) or not data or not all(isinstance(s, dict) for s in data):
        errors.add("must be [[samples]] tables", "samples")
        return []
    entries, names, pellets = [], set(), {}
    for index, table in enumerate(data, 1):
        where = f"samples[{index}]"
        protocols = {k: v for k, v in table.items() if k in registry.protocols()}
        metadata = {k: v for k, v in table.items()
                    if k not in protocols and k not in ("pellet", "at_C")}
        check_metadata(metadata, where, errors)
        name = table.get("name")
        pellet = table.get("pellet", name)
        if isinstance(pellet, str) and pellets.setdefault(pellet, index) != index:
            errors.add(f"pellet {pellet!r} is samples[{pellets[pellet]}]'s too", where,
                       "pellet" if "pellet" in table else "name")
        if isinstance(name, str):
            if "/" in name:
                errors.add("must not contain '/' (it names recipe positions)", where, "name")
            if name in names:
                errors.add(f"a second sample named {name!r}", where, "name")
            names.add(name)
        if not isinstance(pellet, str) or not pellet:
            errors.add(f"must be a pellet of the bench's channel map, got {shown(pellet)}",
                       where, "pellet")
        at = table.get("at_C")
        if at is not None and not (isinstance(at, list) and at and all(map(is_number, at))):
            errors.add(f"must be a list of temperatures of the program (degC), got {shown(at)}",
                       where, "at_C")
            at = None
        for kind, values in protocols.items():
            _check_params(kind, values, f"{where}.{kind}", errors)
        entries.append(SampleEntry(index, str(name), str(pellet), metadata,
                                   None if at is None else tuple(float(t) for t in at),
                                   {k: dict(v) for k, v in protocols.items()
                                    if isinstance(v, dict)}))
    return entries


def _check_params(kind: str, values: Any, where: str, errors: Problems) -> None:
    """A sample's own protocol values: a table of the protocol's parameters, each valid
    (what a value needs from the step's others is checked with the step)."""
    if not isinstance(values, dict):
        errors.add(f"must be a table of {kind} parameters", where)
        return
    for key, message in _params.problems(registry.protocol(kind).Params, values):
        if key in values:
            errors.add(message, where, key)


def for_samples(samples: list[SampleEntry], where: str, names: Any,
                errors: Problems) -> list[str | None]:
    """The samples a step table is for (its `samples`, default: all; None: the only one)."""
    every = [s.name for s in samples] or [None]
    if names is None:
        return every
    if not samples:
        errors.add("only with [[samples]] tables", where, "samples")
    elif not (isinstance(names, list) and names and set(names) <= set(every)):
        errors.add(f"must be a list of [[samples]] names ({', '.join(every)}), "
                   f"got {shown(names)}", where, "samples")
    else:
        return names
    return every


def check_temperatures(samples: list[SampleEntry], temperatures: list[float],
                       errors: Problems) -> None:
    for entry in samples:
        for value in entry.at_C or ():
            if value not in temperatures:
                errors.add(f"{value:g} degC is not a temperature of the program",
                           entry.where, "at_C")


def run_sample(samples: list[SampleEntry], sample: dict[str, Any], default: str,
               offsets_K: dict[str, float]) -> dict:
    """The run's sample metadata: the run-level name and every sample's table, with its
    position's temperature offset where `offsets_K` ({pellet: K}, the bench's) has one."""
    return {"name": str(sample.get("name", default)), **{k: v for k, v in sample.items()
                                                         if k != "name"},
            "samples": [dict(s.metadata, pellet=s.pellet,
                             **({OFFSET: offsets_K[s.pellet]} if s.pellet in offsets_K else {}))
                        for s in samples]}


def check_routes(samples: list[SampleEntry], plan: list[tuple], roles: dict[str, str],
                 bench: Any, errors: Problems) -> None:
    """Every planned step's switched instruments can reach its sample's pellet at once
    (a plateau step: each of its samples'), on the bench's channel maps."""
    wiring = Wiring.from_config(bench)
    if not wiring.switches:
        errors.add(f"several samples need a switch with a channel map on the bench; "
                   f"bench {bench.source} has none", "samples")
        return
    by_name = {s.name: s for s in samples}
    reported = set()
    for where, kind, _, values, position in plan:
        names = [position.sample] if position.sample else position.samples
        instruments = [roles[r] for r in registry.protocol(kind).needs(values) if r in roles]
        for entry in (by_name[n] for n in names):
            for problem in wiring.problems(entry.pellet, instruments):
                message = (f"{problem} on bench {bench.source}'s channel map, as {where} "
                           f"({kind}) needs")
                if (message, entry.where) not in reported:
                    reported.add((message, entry.where))
                    errors.add(message, entry.where, "pellet")


def once(found: list) -> list:
    """Problems (ConfigErrors) without repeats: each sample's steps find the step's own."""
    seen: set = set()
    return [e for e in found if not ((e.reason, e.field) in seen or seen.add((e.reason, e.field)))]
