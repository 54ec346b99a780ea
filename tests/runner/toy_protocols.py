"""Small protocols for the runner's tests (the runner is agnostic of what a protocol does):
each has what the runner uses of a protocol declaration (kind, Params, run) and talks to
real drivers."""

from __future__ import annotations

from dataclasses import dataclass
from types import SimpleNamespace

import numpy as np

from labctl.recipe import Recipe, Step
from labctl.runcontext import Position
from tests.benches import sim_bench

ROLES = {"fra": "fra", "smu": "smu", "furnace": "furnace"}
HOT_SIM = sim_bench(start_temperature_C=400.0)   # the built-in `sim` bench, furnace at 400 degC


@dataclass(frozen=True)
class HeatParams:
    target_K: float
    band_K: float = 2.0
    poll_s: float = 10.0


def heat(ctx, p: HeatParams):
    furnace = ctx.instrument("furnace")
    furnace.set_ramp_rate(20.0 / 60.0)
    furnace.set_setpoint(p.target_K)
    with ctx.measurement("stabilize", {"target_K": p.target_K}) as m:
        while True:
            ctx.checkpoint()
            reading = furnace.read()
            ctx.record_temperature(reading)
            if abs(reading.temperature_K - p.target_K) < p.band_K:
                break
            ctx.clock.sleep(p.poll_s)
        m.finish({"target_K": p.target_K, "stable": True})


@dataclass(frozen=True)
class SweepParams:
    points: int = 12
    amplitude_V: float = 0.02


def sweep(ctx, p: SweepParams):
    fra = ctx.instrument("fra")
    with ctx.measurement("eis", {"amplitude_V": p.amplitude_V}) as m:
        z = []
        for f in np.logspace(5, -1, p.points):
            ctx.checkpoint()
            point = fra.measure(f, p.amplitude_V)
            m.record(point)
            z.append(point.impedance_Ohm)
            ctx.progress(len(z) / p.points, None, f"{f:.3g} Hz")
        m.finish({"r_ion_Ohm": float(np.real(z[len(z) // 2]))})


@dataclass(frozen=True)
class HoldParams:
    voltage_V: float = 0.2
    readings: int = 30
    interval_s: float = 5.0


def hold(ctx, p: HoldParams):
    smu = ctx.instrument("smu")
    eis = ctx.previous("eis")
    smu.configure(current_limit_A=1e-3)
    smu.set_voltage(p.voltage_V)
    smu.output(True)
    try:
        with ctx.measurement("dc_polarization", {"voltage_V": p.voltage_V}) as m:
            for _ in range(p.readings):
                ctx.checkpoint()
                m.record(smu.read())
                ctx.clock.sleep(p.interval_s)
            m.finish({"voltage_V": p.voltage_V, "r_ion_from_eis": eis and eis["r_ion_Ohm"]})
    finally:
        smu.output(False)


HEAT = SimpleNamespace(kind="stabilize", Params=HeatParams, run=heat)
SWEEP = SimpleNamespace(kind="eis", Params=SweepParams, run=sweep)
HOLD = SimpleNamespace(kind="dc_polarization", Params=HoldParams, run=hold)


def plateau_recipe(*temperatures_K: float, readings: int = 30) -> Recipe:
    """At each temperature: heat, sweep, hold."""
    steps = []
    for i, t in enumerate(temperatures_K, 1):
        group = f"program[{i}]"
        for name, protocol, params in (("stabilize", HEAT, HeatParams(t)),
                                       ("eis", SWEEP, SweepParams()),
                                       ("dc", HOLD, HoldParams(readings=readings))):
            steps.append(Step(Position(f"{group}/{name}", ROLES, t, group), protocol, params))
    return Recipe("toy plateaus", tuple(steps), operator="tests", sample={"name": "pellet"},
                  source="<toy>", text="# toy recipe")
