"""Simulated instruments served on their real links for tests: ptys (Eurotherm, EmStat)
and loopback TCP (the others), one server per instrument so that a test can take one
away, all on one virtual clock; a bench file and an opened bench on them."""

from __future__ import annotations

import pytest

from labctl.bench import open_bench, parse_bench
from labctl.clock import VirtualClock
from labctl.simulators.bench import SimBench
from labctl.simulators.serve import PtyServer, TcpServer
from tests.benches import sim_bench


class ServedBench:
    """Simulated instruments served on their real links (ptys, loopback TCP), one server
    per instrument so that a test can take one away; a bench opened on them."""

    def __init__(self, tmp_path, smu: str):
        config = parse_bench(sim_bench(smu, start_temperature_C=300.0), "sim.toml")
        self.simulation = SimBench.from_config(config, clock=VirtualClock())
        self.servers = {name: (PtyServer if device.link == "pty" else TcpServer)(device).start()
                        for name, device in self.simulation.devices.items()}
        self.path = path = tmp_path / "served.toml"
        self.simulation.write_bench(path, {n: s.resource for n, s in self.servers.items()}, config)
        self.bench = open_bench(parse_bench(path.read_text(), str(path)),
                                self.simulation.world.clock)

    def kill(self, name: str) -> None:
        """The instrument's link dies: its TCP server closes, or its pty master closes."""
        self.servers[name].stop()

    def smu_on(self) -> bool:
        device = self.simulation.devices["smu"]
        return device.cell.on if hasattr(device, "cell") else device.output

    def furnace_target_K(self) -> float:
        with self.simulation.world.control() as loop:
            return loop.target_K

    def close(self) -> None:
        try:
            if self.bench is not None:     # (a test may have closed it)
                self.bench.close()
        finally:
            for server in self.servers.values():
                server.stop()


@pytest.fixture
def served(tmp_path):
    made = []

    def make(smu: str = "keithley2450") -> ServedBench:
        made.append(ServedBench(tmp_path, smu))
        return made[-1]
    yield make
    for bench in made:
        bench.close()
