"""A simulated bench: one `SimWorld` (sample in a furnace, clock, seeded noise) and a
simulated device per instrument, reachable in process (`port`) or served on loopback TCP
sockets and pseudo-terminals (`serve`) for programs that talk to real links.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

from labctl.clock import Clock, VirtualClock
from labctl.errors import ConfigError
from labctl.outputs import writing
from labctl.interlocks import declared
from labctl.registry import load_driver, load_simulator
from labctl.simulators.device import SimulatedDevice
from labctl.simulators.physics.pellets import Pellet
from labctl.simulators.physics.sample import SampleModel
from labctl.simulators.physics.sample_file import locate
from labctl.simulators.port import SimulatorPort
from labctl.simulators.serve import PtyServer, TcpServer
from labctl.simulators.world import SimWorld
from labctl.units import C_to_K

FIXTURES = {"open": math.inf, "short": 0.0}     # bench key `fixture` -> its Z (Ohm)

def _simulator(name: str, driver: str, world: SimWorld, options: dict[str, Any]) -> SimulatedDevice:
    """The simulated device of instrument `name`; options it cannot use are a ConfigError
    naming the instrument's table (the bench locates it in its file)."""
    cls = load_simulator(driver)
    try:
        device = cls(world, options)
        device.instrument = name
        return device
    except Exception as exc:  # noqa: BLE001 - any option value a user wrote
        raise ConfigError(f"the simulated {driver} cannot use these options: "
                          f"{type(exc).__name__}: {exc}", field=f"instruments.{name}") from exc


class SimBench:
    """Simulated devices by instrument name, all in one world."""

    def __init__(self, world: SimWorld, instruments: dict[str, tuple[str, dict[str, Any]]]):
        self.world = world
        self.drivers = {name: driver for name, (driver, _) in instruments.items()}
        self.devices: dict[str, SimulatedDevice] = {
            name: _simulator(name, driver, world, options)
            for name, (driver, options) in instruments.items()}
        self._servers: dict[str, Any] = {}     # name -> its server while served

    @classmethod
    def from_config(cls, config: Any, clock: Clock | None = None,
                    seed: int | None = None, sample: str | None = None) -> "SimBench":
        """The simulated instruments (`sim://` resources) of a bench config; sample (a path
        relative to the bench file) and seed from its [simulation] table unless given."""
        sim = config.simulation
        start_C = sim.get("start_temperature_C")
        if sample is not None:
            sample = locate(sample)
        elif "sample" in sim:                   # relative to the bench file's folder
            sample = locate(sim["sample"], Path(config.source).parent)
        world = SimWorld.create(
            clock=clock or VirtualClock(),
            sample_path=sample,
            seed=seed if seed is not None else int(sim.get("seed", 0)),
            start_temperature_K=None if start_C is None else C_to_K(start_C))
        for name, entry in sim.get("pellets", {}).items():
            sample_file = locate(entry["sample"], Path(config.source).parent)
            world.pellets[name] = Pellet(name, SampleModel.from_toml(sample_file),
                                         entry.get("offset_K", 0.0), entry.get("lag_s", 0.0))
        for name, entry in [(None, sim), *sim.get("pellets", {}).items()]:
            if "fixture" in entry:
                world.fixtures[name] = FIXTURES.get(entry["fixture"], entry["fixture"])
        wired = sim.get("concentration_cell", [])
        problem = (f"the sample {world.sample.source} has no [concentration_cell] table"
                   if wired and world.sample.concentration_cell is None else
                   next((f"no instrument {n!r} on the bench" for n in wired
                         if n not in config.instruments), None))
        if problem:
            raise ConfigError(problem, file=config.source, field="simulation.concentration_cell")
        world.on_concentration_cell = frozenset(wired)
        return cls(world, {s.name: (s.driver, s.options) for s in config.instruments.values()
                           if s.simulated})

    def port(self, name: str) -> SimulatorPort:
        """An in-process serial-like port to instrument `name`."""
        return SimulatorPort(self.devices[name], name=f"sim://{name}")

    def serve(self) -> dict[str, str]:
        """Serve every device on its real kind of link; returns name -> resource string."""
        return {name: self.plug(name) for name in self.devices}

    def plug(self, name: str) -> str:
        """Serve instrument `name` (again: on its former TCP port; a pty gets a new path);
        returns its resource string."""
        old = self._servers.get(name)
        if old is not None and not old.stopped:
            return old.resource
        device = self.devices[name]
        self._servers[name] = (PtyServer(device) if getattr(device, "link", "tcp") == "pty"
                               else TcpServer(device, port=old.port if old else 0)).start()
        return self._servers[name].resource

    def resources(self) -> dict[str, str]:
        """Name -> resource string of every instrument served (or unplugged)."""
        return {name: server.resource for name, server in self._servers.items()}

    def unplug(self, name: str) -> None:
        """Instrument `name` goes away: its TCP port refuses connections, its pty closes."""
        self._servers[name].stop()

    def write_bench(self, path: Path, served: dict[str, str], config: Any) -> None:
        """A bench file pointing at the served resources (same drivers, options, limits and
        interlocks: those switched off stay off; pellet positions' calibration)."""
        import tomli_w

        instruments = {}
        for name, resource in served.items():
            spec = config.instruments[name]
            off = {kind: False for kind in declared(load_driver(spec.driver))
                   if kind not in spec.interlocks}
            instruments[name] = {"driver": spec.driver, "resource": resource,
                                 **{key: value for key, value in (
                                     ("options", dict(spec.options)),
                                     ("limits", dict(spec.limits)),
                                     ("interlocks", {**off, **spec.interlocks})) if value}}
        positions = {pellet: {"temperature_offset_K": offset}     # the holder's calibration
                     for pellet, offset in config.temperature_offsets_K.items()}
        text = "# Written by `labctl sim`: the simulated instruments it serves.\n\n" \
            + tomli_w.dumps({"instruments": instruments, **({"positions": positions}
                                                           if positions else {})})
        with writing(path, "bench file") as target:
            target.write_text(text, encoding="utf-8")

    def close(self) -> None:
        for server in self._servers.values():
            server.stop()
        self._servers.clear()
