"""The simulated SMU through sim-multi's matrix sources into the pellet routed to it, each
pellet with its own history: a pellet reached after another one was polarized starts as
fresh as on a bench that never polarized the other."""

from __future__ import annotations

import pytest

from labctl.bench import open_bench, parse_bench
from labctl.clock import VirtualClock
from tests.runner.test_multisample import BENCH


def first_current_A(tmp_path, pellet, polarized_before=None):
    """The current 1 s after a 0.5 V step on `pellet` (after 600 s at 0.5 V on another)."""
    config = parse_bench(BENCH, str(tmp_path / "bench.toml"))
    with open_bench(config, clock=VirtualClock()) as bench:
        matrix, smu = bench["matrix"], bench["smu"]
        smu.configure(current_limit_A=1e-3)
        smu.set_voltage(0.5)
        for name, hold_s in ((polarized_before, 600.0), (pellet, 1.0)):
            if name is None:
                continue
            matrix.connect(matrix.channels_for(name, "smu"))
            smu.output(True)
            bench.clock.sleep(hold_s)
            current = smu.read().current_A
            smu.output(False)
        return current


def test_a_pellet_reached_after_another_was_polarized_starts_fresh(tmp_path):
    fresh = first_current_A(tmp_path, "B")
    after = first_current_A(tmp_path, "B", polarized_before="A")
    assert after == pytest.approx(fresh, rel=0.02)
    assert first_current_A(tmp_path, "A") != pytest.approx(fresh, rel=0.2)   # told apart


def test_nothing_routed_is_an_open_circuit(tmp_path):
    config = parse_bench(BENCH, str(tmp_path / "bench.toml"))
    with open_bench(config, clock=VirtualClock()) as bench:
        smu = bench["smu"]
        smu.configure(current_limit_A=1e-3)
        smu.set_voltage(0.5)
        smu.output(True)
        bench.clock.sleep(1.0)
        assert abs(smu.read().current_A) < 1e-9
