"""Test helper for the temperature-controller tests: a simulator port that records what
the host sent, to prove that a refused command never reached the wire."""

from labctl.simulators.port import SimulatorPort


class RecordingPort(SimulatorPort):
    """The simulator's in-process port, remembering every write of the host."""

    def __init__(self, device):
        super().__init__(device)
        self.sent = []

    def write(self, data):
        self.sent.append(bytes(data))
        return super().write(data)


def bench_check(tmp_path, capsys, table: str) -> str:
    """`labctl bench check` on a bench file holding `table`; returns what it printed."""
    from labctl.cli import main

    bench = tmp_path / "bench.toml"
    bench.write_text(table)
    assert main(["bench", "check", str(bench)]) == 0
    return capsys.readouterr().out
