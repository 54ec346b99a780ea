"""A simulated bench: one `SimWorld` (sample in a furnace, clock, seeded noise) and a
simulated device per instrument, reachable in process (`port`) or served on loopback TCP
sockets and pseudo-terminals (`serve`) for programs that talk to real links.
"""

from __future__ import annotations

import importlib
from pathlib import Path
from typing import Any

from labctl.clock import Clock, VirtualClock
from labctl.errors import ConfigError
from simulators.device import SimulatedDevice
from simulators.port import SimulatorPort
from simulators.serve import PtyServer, TcpServer
from simulators.world import SimWorld
from scipy.constants import zero_Celsius

# driver name -> simulated device class ("module:Class"); each is built as Class(world, options)
SIMULATORS = {
    "keithley2450": "simulators.keithley2450:Keithley2450Simulator",
    "eurotherm3216": "simulators.eurotherm3216:Eurotherm3216Simulator",
    "lakeshore336": "simulators.lakeshore336:LakeShore336Simulator",
    "solartron1260": "simulators.solartron1260:Solartron1260Simulator",
    "keysight_e4980a": "simulators.keysight_e4980a:KeysightE4980ASimulator",
    "emstat4": "simulators.palmsens_emstat:EmStat4Simulator",
}


def simulator_class(driver: str) -> type[SimulatedDevice]:
    if driver not in SIMULATORS:
        raise ConfigError(f"no simulator for driver {driver!r}; simulated: {', '.join(SIMULATORS)}")
    module, _, cls = SIMULATORS[driver].partition(":")
    return getattr(importlib.import_module(module), cls)


class SimBench:
    """Simulated devices by instrument name, all in one world."""

    def __init__(self, world: SimWorld, instruments: dict[str, tuple[str, dict[str, Any]]]):
        self.world = world
        self.drivers = {name: driver for name, (driver, _) in instruments.items()}
        self.devices: dict[str, SimulatedDevice] = {
            name: simulator_class(driver)(world, options)
            for name, (driver, options) in instruments.items()}
        self._servers: list[Any] = []

    @classmethod
    def from_config(cls, config: Any, clock: Clock | None = None,
                    seed: int | None = None, sample: str | None = None) -> "SimBench":
        """The simulated instruments (`sim://` resources) of a bench config; sample (a path
        relative to the bench file) and seed from its [simulation] table unless given."""
        sim = config.simulation
        start_C = sim.get("start_temperature_C")
        if sample is None and "sample" in sim:  # relative to the bench file's folder
            sample = Path(config.source).parent / Path(sim["sample"]).expanduser()
        world = SimWorld.create(
            clock=clock or VirtualClock(),
            sample_path=sample,
            seed=seed if seed is not None else int(sim.get("seed", 0)),
            start_temperature_K=None if start_C is None else start_C + zero_Celsius)
        return cls(world, {s.name: (s.driver, s.options) for s in config.instruments.values()
                           if s.simulated})

    def port(self, name: str) -> SimulatorPort:
        """An in-process serial-like port to instrument `name`."""
        return SimulatorPort(self.devices[name], name=f"sim://{name}")

    def serve(self) -> dict[str, str]:
        """Serve every device on its real kind of link; returns name -> resource string."""
        served = {}
        for name, device in self.devices.items():
            server = (PtyServer if getattr(device, "link", "tcp") == "pty" else TcpServer)(device)
            self._servers.append(server.start())
            served[name] = server.resource
        return served

    def write_bench(self, path: Path, served: dict[str, str], config: Any) -> None:
        """A bench file pointing at the served resources (same drivers, options, limits)."""
        lines = ["# Written by `labctl sim`: the simulated instruments it serves.", ""]
        for name, resource in served.items():
            spec = config.instruments[name]
            lines += [f"[instruments.{name}]", f'driver = "{spec.driver}"',
                      f'resource = "{resource}"']
            for key in ("options", "limits"):
                values = getattr(spec, key)
                if values:
                    body = ", ".join(f"{k} = {_toml_value(v)}" for k, v in values.items())
                    lines.append(f"{key} = {{ {body} }}")
            lines.append("")
        Path(path).write_text("\n".join(lines), encoding="utf-8")

    def close(self) -> None:
        for server in self._servers:
            server.stop()
        self._servers.clear()


def _toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
    return repr(value)
