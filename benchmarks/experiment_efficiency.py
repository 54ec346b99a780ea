"""Experiment time against its physical limit and against fixed-soak practice, with accuracy.

Three schedules of the same program (`examples/arrhenius.toml`, or --recipe), all on the
built-in simulated bench (`sim`: the shipped default sample in the simulated furnace):

- labctl: the recipe through the runner (`labctl run`), on the virtual clock.
- limit: computed from the simulator's ground truth, nothing measured. Per plateau the
  ramp at the recipe's rate plus the time until the *sample* (not the thermocouple) first
  enters and then stays within the recipe's band (`ControlLoop` + `Furnace` of
  labctl/simulators/physics/furnace.py, the firmware the simulated Eurotherm runs, started like
  the bench's); per spectrum the Solartron 1260's own minimum time per point over the
  requested frequencies (whole cycles of at least its shortest integration time, plus its
  settling); per polarization the time until |I(t) - I_ss| <= min(0.001 I_0, 0.05 I_ss) in
  the sample's exact step response (I_0 = V/R_ion + V/R_e, I_ss = V/R_e: t_ion and sigma_e
  to the protocol's default tolerances); per stability sweep the
  range between the true onsets (where the decomposition current density reaches the
  threshold) over the scan rate. Between plateaus the furnace holds while the limit's
  measurements take their time, so the next ramp starts from the state they leave.
- fixed soak, as labs do it, run by this script directly on the bench's drivers (not a
  recipe: a fixed soak and a fixed-length polarization are not protocol options): after
  each ramp 60 min at the set-point; the spectra over the full frequency list (the
  recipe's eis parameters with the adaptive low-frequency end off, by the eis_sweep
  protocol); the polarization 60 min at the recipe's voltage on the protocol's sampling
  grid, I_ss = the last current; the stability window as the recipe's.

Accuracy, the same estimator for both runs: `labctl analyze` (labctl.analysis.analyze) on
each plateau's first spectrum and its polarization, for labctl from the store
(`dataset.from_store`), for the fixed soak from the same quantities kept in memory (the
plateau temperature: the mean furnace reading during the spectrum, as from the store).
Ea: the Arrhenius fit of sigma_total, relative error against the same fit to the true
sigma of the ionic path (bulk + grain boundary) at the set-points; t_ion: Wagner with the
fitted R_ion and I_ss, the largest |t_ion - true t_ion| over the plateaus.
Run: python benchmarks/experiment_efficiency.py [--recipe PATH]
Last line: {"labctl_s": ..., "limit_s": ..., "fixed_soak_s": ..., "labctl_over_limit": ...,
            "soak_over_labctl": ..., "Ea_err_labctl": ..., "Ea_err_soak": ...,
            "t_ion_err_labctl": ..., "t_ion_err_soak": ...}
"""

from __future__ import annotations

import argparse
import copy
import dataclasses
import itertools
import json
import math
import tempfile
import time
from pathlib import Path

import numpy as np
from scipy.optimize import brentq

SOAK_S = 3600.0                 # fixed soak after each ramp, fixed polarization length
T_ION_ACCURACY = 1e-3           # the limit's polarization ends at |I - I_ss| <= this * I_0
ISS_ACCURACY = 0.05             # and <= this * I_ss
EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "arrhenius.toml"


@dataclasses.dataclass
class Schedule:
    """Simulated time per recipe position (and in total); what `labctl analyze` reads."""

    name: str
    step_s: dict[str, float] = dataclasses.field(default_factory=dict)
    total_s: float = 0.0
    dataset: object = None            # labctl.analysis.dataset.Dataset


# -- labctl ------------------------------------------------------------------------------
def run_labctl(recipe, config, tmp: Path) -> Schedule:
    """The recipe through the runner; step times: the bench clock at the runner's step
    events (subscribers run on the worker thread, in step)."""
    from labctl import events as ev
    from labctl.bench import open_bench
    from labctl.analysis.dataset import from_store
    from labctl.runner import Runner
    from labctl.store import Store

    schedule, started = Schedule("labctl"), {}

    def on_event(event) -> None:
        if isinstance(event, ev.StepStarted):
            started[event.path] = bench.clock.now()
        elif isinstance(event, ev.StepFinished):
            schedule.step_s[event.path] = bench.clock.now() - started[event.path]

    db = tmp / "labctl.sqlite"
    with open_bench(config) as bench, Runner(recipe, bench, db) as runner:
        runner.subscribe(on_event)
        t0 = bench.clock.now()
        status = runner.start().result()
        schedule.total_s = bench.clock.now() - t0
    if status != "done":
        raise SystemExit(f"the labctl run ended {status!r}: {runner.reason}")
    with Store.open(db, create=False) as store:
        schedule.dataset = from_store(store, runner.run_id)
    return schedule


# -- physical limit ----------------------------------------------------------------------
def physical_limit(recipe, config) -> Schedule:
    """The limit of each step from the simulator's ground truth (see the module doc)."""
    from labctl.simulators.bench import SimBench

    world = SimBench.from_config(config).world
    loop, sample = copy.deepcopy(world.loop), world.sample
    schedule, now, settled_K = Schedule("limit"), loop.time_s, None
    for step in recipe.steps:
        p = step.params
        if step.kind == "stabilize":
            loop.update(now)
            t = sample_settling_s(copy.deepcopy(loop), p.target_K, p.ramp_rate_K_per_s, p.band_K)
            loop.set_rate(p.ramp_rate_K_per_s)
            loop.set_target(p.target_K)
            seconds, settled_K = t, p.target_K
        elif step.kind == "eis":
            seconds = spectrum_s(p)
        elif step.kind == "dc_polarization":
            seconds = polarization_s(sample, p.voltage_V, settled_K)
        elif step.kind == "stability_window":
            seconds = sweep_s(sample, p)
        else:                                   # cool_down: set-point only, no wait
            seconds = 0.0
        schedule.step_s[step.path] = seconds
        now += seconds
    schedule.total_s = sum(schedule.step_s.values())
    return schedule


def sample_settling_s(loop, target_K: float, rate_K_per_s: float, band_K: float,
                      horizon_s: float = 4 * 3600.0, dt_s: float = 1.0) -> float:
    """From the set-point change: time until the sample is within `band_K` of the target
    for good (checked up to `horizon_s` after the ramp)."""
    start = loop.time_s
    loop.set_rate(rate_K_per_s)
    loop.set_target(target_K)
    ramp = abs(target_K - loop.pv_K) / rate_K_per_s if rate_K_per_s else 0.0
    times = np.arange(dt_s, ramp + horizon_s, dt_s)
    off = np.empty(times.size, dtype=bool)
    for i, t in enumerate(times):
        loop.update(start + t)
        off[i] = abs(loop.sample_K - target_K) > band_K
    if off[-1]:
        raise SystemExit(f"the sample does not settle at {target_K} K within {horizon_s} s")
    outside = np.flatnonzero(off)
    return float(times[outside[-1] + 1]) if outside.size else float(times[0])


def spectrum_s(params) -> float:
    """The Solartron 1260's minimum time for the requested frequencies: per point whole
    cycles covering its shortest integration time (at least one), then its settling."""
    from labctl.drivers.solartron1260 import whole_cycles_s
    from labctl.protocols.eis_sweep import frequencies
    from labctl.simulators.solartron1260 import NUMBERS, Solartron1260Simulator

    shortest = NUMBERS["IS"][0]
    return sum(whole_cycles_s(shortest, f) + Solartron1260Simulator.settling_s
               for f in frequencies(params))


def polarization_s(sample, voltage_V: float, T_K: float) -> float:
    """Time after the step until |I(t) - I_ss| <= T_ION_ACCURACY * I_0 and
    <= ISS_ACCURACY * I_ss for good."""
    r = sample.resistances(T_K)
    i_ss = voltage_V / r["electronic"]
    i0 = voltage_V / (r["bulk"] + r["grain_boundary"]) + i_ss
    tolerance = min(T_ION_ACCURACY * abs(i0), ISS_ACCURACY * abs(i_ss))
    excess = lambda t: abs(float(sample.step_current(voltage_V, [t], T_K)[0]) - i_ss) - tolerance  # noqa: E731
    grid = np.logspace(-4, 7, 221)
    outside = np.abs(sample.step_current(voltage_V, grid, T_K) - i_ss) > tolerance
    last = np.flatnonzero(outside)[-1]
    if last + 1 == grid.size:
        raise SystemExit(f"the current at {T_K} K does not settle within {grid[-1]:g} s")
    return brentq(excess, grid[last], grid[last + 1], xtol=1e-3)


def sweep_s(sample, params) -> float:
    """(true upper onset - true lower onset) / scan rate: the onsets where the
    decomposition current density reaches the protocol's threshold."""
    def onset(sign: int, limit_V: float) -> float:
        j = lambda v: abs(float(sample.decomposition_current(v))) / params.area_m2 \
            - params.threshold_A_per_m2  # noqa: E731
        return brentq(j, sign * 1e-6, limit_V) if j(limit_V) > 0 else limit_V
    return (onset(1, params.max_voltage_V) - onset(-1, params.min_voltage_V)) \
        / params.scan_rate_V_per_s


# -- fixed soak --------------------------------------------------------------------------
def run_fixed_soak(recipe, config) -> Schedule:
    """The same program the way labs run it: fixed soaks and polarizations (module doc)."""
    from labctl.analysis.dataset import Dataset, Plateau, Polarization
    from labctl.bench import open_bench
    from labctl.context import InMemoryContext
    from labctl.protocols import eis_sweep

    schedule = Schedule("fixed soak")
    spectra, polarizations = {}, {}            # by plateau (recipe position's prefix)
    with open_bench(config) as bench:
        clock, t0 = bench.clock, bench.clock.now()
        roles = {role: bench[role] for role in ("furnace", "fra", "smu")}
        for step in recipe.steps:
            started, plateau = clock.now(), step.path.partition("/")[0]
            ctx = InMemoryContext(roles, clock)
            p = step.params
            if step.kind == "stabilize":
                furnace = roles["furnace"]
                ramp = abs(p.target_K - furnace.read().temperature_K) / p.ramp_rate_K_per_s
                furnace.set_ramp_rate(p.ramp_rate_K_per_s)
                furnace.set_setpoint(p.target_K)
                clock.sleep(ramp + SOAK_S)
            elif step.kind == "eis":
                result = eis_sweep.run(ctx, dataclasses.replace(p, adaptive_low_frequency=False))
                points = ctx.measurements[-1].points
                spectra.setdefault(plateau, Plateau(
                    float(np.mean([r.temperature_K for r in ctx.temperatures])), step.path,
                    np.array([x.frequency_Hz for x in points]),
                    np.array([x.impedance_Ohm for x in points]), result.kk_ok))
            elif step.kind == "dc_polarization":
                t, current = fixed_polarization(roles["smu"], clock, p)
                i0 = p.voltage_V / eis_sweep.ionic_resistance(spectra[plateau].impedance_Ohm)
                polarizations[plateau] = Polarization(p.voltage_V, i0, current[-1],
                                                      1 - current[-1] / i0, t, current)
            else:                               # stability_window, cool_down: as labctl
                step.protocol.run(ctx, p)
            schedule.step_s[step.path] = clock.now() - started
        schedule.total_s = clock.now() - t0
    plateaus = [dataclasses.replace(spectrum, polarization=polarizations.get(key))
                for key, spectrum in spectra.items()]
    schedule.dataset = Dataset("fixed soak", recipe.sample["thickness_m"],
                               recipe.sample["area_m2"],
                               sorted(plateaus, key=lambda p: p.temperature_K))
    return schedule


def fixed_polarization(smu, clock, params) -> tuple[np.ndarray, np.ndarray]:
    """Step to the recipe's voltage, read on the protocol's sampling grid for SOAK_S, output
    off; times since the step and currents."""
    from labctl.sampling import sample_times

    readings = []
    smu.configure(current_limit_A=params.current_limit_A)
    smu.set_voltage(params.voltage_V)
    try:
        smu.output(True)
        step = clock.now()
        grid = sample_times(params.first_interval_s, params.max_interval_s,
                            params.points_per_decade)
        for t in [*itertools.takewhile(lambda t: t < SOAK_S, grid), SOAK_S]:
            clock.sleep(max(0.0, step + t - clock.now()))
            readings.append(smu.read())
    finally:
        smu.output(False)
    return (np.array([r.time_s for r in readings]) - step,
            np.array([r.current_A for r in readings]))


# -- report ------------------------------------------------------------------------------
@dataclasses.dataclass(frozen=True)
class Accuracy:
    Ea_error: float                  # relative
    t_ion_error: float               # largest absolute
    analysis: object                 # labctl.analysis.analysis.Analysis


def accuracy(dataset, setpoints_K: list[float]) -> Accuracy:
    """`labctl analyze` on the dataset against the simulated sample's truth at the
    set-points (the plateaus in order of temperature)."""
    from labctl.analysis.analysis import analyze
    from labctl.analysis.quantities import arrhenius, conductivity
    from labctl.simulators.physics.sample import SampleModel

    truth = SampleModel.default()
    T = np.array(sorted(setpoints_K))
    r = truth.resistances(T)
    true_sigma = conductivity(r["bulk"] + r["grain_boundary"], truth.sample.thickness_m,
                              truth.sample.area_m2)
    analysis = analyze(dataset)
    ea = analysis.arrhenius["total"].Ea_eV
    t_ion = [abs(p.t_ion - truth.ionic_transference_number(t))
             for p, t in zip(analysis.plateaus, T) if p.t_ion is not None]
    return Accuracy(abs(ea / arrhenius(T, true_sigma).Ea_eV - 1), max(t_ion), analysis)


def table(schedules: list[Schedule]) -> str:
    paths = list(schedules[0].step_s)
    rows = [f"{'step':<28}" + "".join(f"{s.name:>14}" for s in schedules)]
    for path in paths:
        rows.append(f"{path:<28}" + "".join(f"{s.step_s.get(path, math.nan):>13.0f}s"
                                            for s in schedules))
    rows.append(f"{'total':<28}" + "".join(f"{s.total_s:>13.0f}s" for s in schedules))
    return "\n".join(rows)


def main() -> None:
    from labctl.bench import load_bench
    from labctl.recipe import load_recipe

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--recipe", type=Path, default=EXAMPLE)
    args = parser.parse_args()
    config = load_bench("sim")
    recipe = load_recipe(args.recipe, config)
    wall = time.monotonic()
    with tempfile.TemporaryDirectory() as tmp:
        labctl = run_labctl(recipe, config, Path(tmp))
    limit = physical_limit(recipe, config)
    soak = run_fixed_soak(recipe, config)
    print(f"{args.recipe.name} on the simulated bench, simulated seconds per step "
          f"({time.monotonic() - wall:.0f} s wall)")
    print(table([labctl, limit, soak]))
    setpoints = [s.params.target_K for s in recipe.steps if s.kind == "stabilize"]
    ours, theirs = accuracy(labctl.dataset, setpoints), accuracy(soak.dataset, setpoints)
    print(f"{'':<28}{'labctl':>14}{'fixed soak':>28}")
    print(f"{'Ea_total error (relative)':<28}{ours.Ea_error:>14.4f}{theirs.Ea_error:>28.4f}")
    print(f"{'max |t_ion error|':<28}{ours.t_ion_error:>14.5f}{theirs.t_ion_error:>28.5f}")
    print("per plateau, labctl / fixed soak (labctl analyze):")
    for a, b in zip(ours.analysis.plateaus, theirs.analysis.plateaus):
        print(f"  {a.temperature_K:7.2f} K: R_ion {a.R_Ohm['total']:9.5g} / "
              f"{b.R_Ohm['total']:9.5g} Ohm, t_ion {a.t_ion:.5f} / {b.t_ion:.5f}")
    shorter = [path for path, s in labctl.step_s.items() if s < limit.step_s[path] - 0.5]
    print("labctl below the limit (spectra cut short once the electrode spike is clear, "
          "polarization tails extrapolated): " + (", ".join(shorter) or "none"))
    print(json.dumps({
        "labctl_s": round(labctl.total_s), "limit_s": round(limit.total_s),
        "fixed_soak_s": round(soak.total_s),
        "labctl_over_limit": round(labctl.total_s / limit.total_s, 3),
        "soak_over_labctl": round(soak.total_s / labctl.total_s, 3),
        "Ea_err_labctl": round(ours.Ea_error, 5), "Ea_err_soak": round(theirs.Ea_error, 5),
        "t_ion_err_labctl": round(ours.t_ion_error, 5),
        "t_ion_err_soak": round(theirs.t_ion_error, 5)}))


if __name__ == "__main__":
    main()
