"""Registries: drivers by short name (`keithley2450`), the simulated instrument of a
driver (by the driver's name), protocols by kind (`eis`).

All are entry points, labctl's own registered the same way in pyproject.toml, so a
third-party package adds a driver (and its simulator) or a protocol by declaring::

    [project.entry-points."labctl.drivers"]
    mydriver = "mypackage.mydriver:MyDriver"

    [project.entry-points."labctl.simulators"]
    mydriver = "mypackage.mysim:MySimulator"    # a labctl.simulators.device.SimulatedDevice

    [project.entry-points."labctl.protocols"]
    my_kind = "mypackage.my_protocol:SPEC"      # a labctl.protocol.ProtocolSpec

The lookups are cached; `protocols.cache_clear()` forgets them (e.g. after a test put a
package on the path).
"""

from __future__ import annotations

from functools import cache
from importlib.metadata import EntryPoint, entry_points

from labctl.errors import ConfigError
from labctl.protocol import ProtocolSpec

GROUP = "labctl.drivers"
SIMULATOR_GROUP = "labctl.simulators"
PROTOCOL_GROUP = "labctl.protocols"


@cache
def _entry_points(group: str) -> dict[str, EntryPoint]:
    return {ep.name: ep for ep in entry_points(group=group)}


def driver_entry_points() -> dict[str, EntryPoint]:
    return _entry_points(GROUP)


def simulator_entry_points() -> dict[str, EntryPoint]:
    return _entry_points(SIMULATOR_GROUP)


def driver_names() -> list[str]:
    return sorted(driver_entry_points())


def simulated_drivers() -> list[str]:
    """The drivers that have a registered simulator (`sim://` resources, `labctl sim`)."""
    return sorted(simulator_entry_points())


def load_driver(name: str) -> type:
    """The driver class registered as `name` (ConfigError if unknown or broken)."""
    return _load(driver_entry_points(), name, "driver",
                 f"unknown driver {name!r}; registered: {', '.join(driver_names())}")


def load_simulator(driver: str) -> type:
    """The simulated device class registered for `driver` (ConfigError if none)."""
    return _load(simulator_entry_points(), driver, "simulator of driver",
                 f"no simulator for driver {driver!r}; simulated: "
                 f"{', '.join(simulated_drivers())}")


def _load(points: dict[str, EntryPoint], name: str, what: str, unknown: str) -> type:
    entry = points.get(name)
    if entry is None:
        raise ConfigError(unknown)
    try:
        return entry.load()
    except (ImportError, AttributeError) as exc:
        raise ConfigError(f"{what} {name!r} ({entry.value}) cannot be loaded: {exc}") from exc


@cache
def protocols() -> dict[str, ProtocolSpec]:
    """Every registered protocol by kind, in their declared `order` (ConfigError if one
    cannot be loaded or is not the ProtocolSpec of its name, or if there is none)."""
    specs = []
    for entry in entry_points(group=PROTOCOL_GROUP):
        try:
            spec = entry.load()
        except (ImportError, AttributeError) as exc:
            raise ConfigError(f"protocol {entry.name!r} ({entry.value}) cannot be loaded: "
                              f"{exc}") from exc
        if not isinstance(spec, ProtocolSpec) or spec.kind != entry.name:
            raise ConfigError(f"protocol {entry.name!r} ({entry.value}) is not the "
                              f"ProtocolSpec of kind {entry.name!r}")
        specs.append(spec)
    if not specs:
        raise ConfigError(f"no protocol is registered (entry-point group {PROTOCOL_GROUP}): "
                          "the installed labctl metadata predates it; reinstall labctl")
    return {s.kind: s for s in sorted(specs, key=lambda s: (s.order, s.kind))}


def protocol(kind: str) -> ProtocolSpec:
    """The protocol of `kind` (ConfigError naming the registered ones if unknown)."""
    found = protocols().get(kind)
    if found is None:
        raise ConfigError(f"no protocol {kind!r}; the protocols: {', '.join(sorted(protocols()))}")
    return found


def role_capabilities() -> dict[str, type]:
    """Every role a protocol declares -> the capability its instrument must have."""
    found: dict[str, type] = {}
    for spec in protocols().values():
        for role in spec.roles:
            if found.setdefault(role.name, role.capability) is not role.capability:
                raise ConfigError(f"protocol {spec.kind!r} declares role {role.name!r} with "
                                  f"{role.capability.__name__}, another with "
                                  f"{found[role.name].__name__}")
    return found


def staged(stage: str) -> ProtocolSpec:
    """The protocol a recipe runs at `stage` (`labctl.protocol.PLATEAU`, `FINAL`)."""
    found = [s for s in protocols().values() if s.stage == stage]
    if len(found) != 1:
        raise ConfigError(f"{len(found)} protocols declare stage {stage!r}; one must")
    return found[0]


def providing(what: str) -> set[str]:
    """The kinds of the protocols whose results provide `what` (`labctl.protocol.SPECTRUM`...)."""
    return {kind for kind, spec in protocols().items() if spec.provides == what}


def result_of(kind: str, stored: dict | None):
    """The typed Result (`ProtocolSpec.Result.from_dict`) of a measurement of `kind` as
    the store holds it (None for none)."""
    return protocol(kind).result(stored)
