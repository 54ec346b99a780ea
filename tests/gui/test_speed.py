"""The simulated experiment does not depend on the GUI's speed, nor on changing it mid-run:
simulated time passes only in the run's sleeps (PacedClock), never while the host works."""

from __future__ import annotations

from dataclasses import replace

import pytest

from labctl.bench import load_bench
from labctl.gui.session import Session
from labctl.store import Store

DC = {"voltage_V": 0.5, "max_duration_s": 3600.0}


def polarize(qtbot, tmp_path, speed: float, change_to: float | None = None) -> dict:
    """A one-off DC polarization at 400 degC on a session at `speed` (set to `change_to`
    after its first points); the stored result."""
    config = load_bench("sim")
    config = replace(config, simulation={**config.simulation, "start_temperature_C": 400.0})
    db = tmp_path / f"speed-{speed:g}.sqlite"
    session = Session(config, db, speed=speed)
    try:
        future = session.one_off("dc_polarization", DC)
        if change_to is not None:
            qtbot.waitUntil(lambda: session.clock.now() > 5.0, timeout=10_000)
            session.set_speed(change_to)
        qtbot.waitUntil(future.done, timeout=60_000)
        assert future.result() == "done", session.runner.reason
        with Store.open(db) as store:
            (step,) = store.steps(session.runner.run_id)
            return step.result
    finally:
        session.close()


def test_a_polarization_gives_the_same_result_at_every_speed(qtbot, tmp_path):
    slow = polarize(qtbot, tmp_path, 300.0)
    fast = polarize(qtbot, tmp_path, 5000.0, change_to=600.0)
    assert slow["stopped"] == fast["stopped"] == "steady_state"
    assert fast["duration_s"] == pytest.approx(slow["duration_s"], rel=1e-3)
    assert fast["t_ion"] == pytest.approx(slow["t_ion"], abs=1e-4)


def test_a_bench_served_by_labctl_sim_runs_on_the_simulators_time(qtbot, tmp_path,
                                                                    monkeypatch):
    """`labctl gui --bench B.toml --speed X` on `labctl sim --speed X`: the session's
    clock and the run process's `--speed` are X (it ran on real time: a stabilization's
    window took X times longer than meant, and the time axes read X times too short)."""
    from labctl import runprocess
    from labctl.clock import ScaledClock
    from labctl.recipe import parse_recipe
    from labctl.simulators.bench import SimBench

    simulation = SimBench.from_config(load_bench("sim"), clock=ScaledClock(200.0))
    path = tmp_path / "served.toml"
    simulation.write_bench(path, simulation.serve(), load_bench("sim"))
    spawned = []

    def spawn(request, **kwargs):
        spawned.append(request)
        raise RuntimeError("not started")
    monkeypatch.setattr(runprocess, "spawn", spawn)
    session = Session(load_bench(path), tmp_path / "lab.sqlite", speed=200.0,
                      bench_name=str(path))
    try:
        world, bench = simulation.world.clock, session.bench.clock
        w0, b0 = world.now(), bench.now()
        qtbot.waitUntil(lambda: world.now() > w0 + 40.0, timeout=10_000)
        assert bench.now() - b0 == pytest.approx(world.now() - w0, rel=0.2)
        with pytest.raises(RuntimeError, match="not started"):
            session.start(parse_recipe('[sample]\nname = "p"\n[[steps]]\nprotocol = "eis"\n',
                                       session.config))
        assert spawned[0]["speed"] == 200.0
    finally:
        session.close()
        simulation.close()
