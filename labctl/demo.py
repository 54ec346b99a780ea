"""`labctl demo`: a complete experiment on the built-in simulated bench.

The shipped simulated pellet (an oxide-ion conductor with blocking electrodes) sits in a furnace run by a (simulated) Eurotherm 3216; at
each temperature of a small program the furnace ramps at 10 K/min, the run waits until the
temperature is stable, then a Solartron 1260 measures an impedance spectrum (1 MHz ..
0.1 Hz) and a Keithley 2450 a DC polarization (0.5 V step, I(t) to steady state). Every
point goes to the store as it is measured; at the end the spectra are exported as ZView
`.z` files and CSV, and plots are written. All of it runs on the virtual clock: hours of
experiment in seconds.

The numbers reported are quick estimates, not fits: R_ion is Z' at the valley between the
grain-boundary arc and the electrode spike, sigma = L/(R A),
t_ion = 1 - I_ss/I_0 with I_0 = V/R_ion from the spectrum. They are compared with the
simulated sample's ground truth.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from scipy.constants import Boltzmann, elementary_charge, zero_Celsius

from labctl.bench import Bench, load_bench, open_bench
from labctl.errors import LabctlError
from labctl.store.export import export_csv, export_z
from labctl.store.store import Store
from protocols.eis_sweep import ionic_resistance

TEMPERATURES_C = (300.0, 350.0, 400.0)
RAMP_K_PER_S = 10.0 / 60.0
STABLE_BAND_K = 0.5
STABLE_FOR_S = 600.0
POLL_S = 10.0
FREQUENCIES_HZ = np.logspace(6, -1, 36)
AMPLITUDE_V = 0.05
STEP_V = 0.5
POLARIZATION_S = 600.0
INTERVAL_S = 2.0


@dataclass(frozen=True)
class PlateauResult:
    temperature_K: float
    r_ion_Ohm: float
    sigma_S_per_m: float
    t_ion: float
    true_sigma_S_per_m: float
    true_t_ion: float


def run(out_dir: Path, db_path: Path, temperatures_C=TEMPERATURES_C, progress=None,
        checkpoint=None) -> tuple[int, list[PlateauResult]]:
    """Run the demo experiment; returns the run id and the per-temperature results.
    `checkpoint()` is called between points and may raise to stop (e.g. `StopSignals.check`);
    a KeyboardInterrupt (such as `labctl.shutdown.Stopped`) ends the run 'aborted', after
    the bench is in its safe state."""
    say = progress or (lambda message: None)
    check = checkpoint or (lambda: None)
    out_dir.mkdir(parents=True, exist_ok=True)
    config = load_bench("sim")
    with open_bench(config) as bench, Store.open(db_path) as store:
        sample = bench.simulation.world.sample
        run_id = store.create_run(
            f"demo: EIS + DC polarization at {', '.join(f'{t:g}' for t in temperatures_C)} C",
            recipe_text=__doc__, bench_snapshot=_snapshot(bench),
            sample={"name": sample.sample.name, "thickness_m": sample.sample.thickness_m,
                    "area_m2": sample.sample.area_m2}, operator="labctl demo")
        results = []
        try:
            for t_C in temperatures_C:
                target_K = t_C + zero_Celsius
                say(f"{t_C:g} C: ramping at {RAMP_K_PER_S * 60:g} K/min and waiting for stability")
                _stabilize(bench, store, run_id, target_K, check)
                store.log_event(run_id, "info", f"stable at {t_C:g} C (within "
                                f"{STABLE_BAND_K:g} K for {STABLE_FOR_S:g} s)")
                say(f"{t_C:g} C: impedance sweep 1 MHz .. 0.1 Hz ({len(FREQUENCIES_HZ)} points)")
                r_ion = _impedance(bench, store, run_id, target_K, check)
                say(f"{t_C:g} C: DC polarization {STEP_V:g} V for {POLARIZATION_S:g} s")
                i_ss = _polarization(bench, store, run_id, target_K, check)
                geometry = sample.sample
                results.append(PlateauResult(
                    target_K, r_ion, geometry.thickness_m / (r_ion * geometry.area_m2),
                    1.0 - i_ss / (STEP_V / r_ion),
                    _true_sigma(sample, target_K), sample.ionic_transference_number(target_K)))
                r = results[-1]
                store.log_event(run_id, "info", f"{t_C:g} C: R_ion ~ {r.r_ion_Ohm:.4g} Ohm, "
                                f"sigma ~ {r.sigma_S_per_m:.4g} S/m, t_ion ~ {r.t_ion:.5f}")
            store.finish_run(run_id, "done")
        except KeyboardInterrupt as stop:
            _abort(bench, store, run_id, getattr(stop, "signame", "KeyboardInterrupt"))
            raise
        except BaseException:
            store.finish_run(run_id, "failed")
            raise
        say("exporting spectra (.z, CSV) and plotting")
        export_z(store, run_id, out_dir)
        export_csv(store, run_id, out_dir)
        _plots(store, run_id, results, out_dir)
    return run_id, results


def activation_energy_eV(results: list[PlateauResult], attr: str = "sigma_S_per_m") -> float:
    """Ea from the slope of ln(sigma T) against 1/T (`attr`: measured or true sigma)."""
    T = np.array([r.temperature_K for r in results])
    sigma = np.array([getattr(r, attr) for r in results])
    slope = np.polyfit(1.0 / T, np.log(sigma * T), 1)[0]
    return -slope * Boltzmann / elementary_charge


def _snapshot(bench: Bench) -> dict[str, Any]:
    return {name: {**inst.settings(), "identity": inst.identify()}
            for name, inst in bench.instruments.items()}


def _abort(bench: Bench, store: Store, run_id: int, cause: str) -> None:
    """Bench safe first, then the run 'aborted' with an event naming the cause and what the
    instruments report after their safe state."""
    problems = bench.safe_state()
    try:
        after = (f"smu output {'on' if bench['smu'].output_on else 'off'}, furnace set-point "
                 f"{bench['furnace'].target_setpoint_K - zero_Celsius:.1f} C")
    except LabctlError as exc:
        problems.append(exc)
        after = "state not read back"
    store.log_event(run_id, "error" if problems else "warning",
                    "; ".join([f"stopped by {cause}; after the safe state: {after}",
                               *map(str, problems)]))
    store.finish_run(run_id, "aborted")


def _stabilize(bench: Bench, store: Store, run_id: int, target_K: float, check) -> None:
    furnace, clock = bench["furnace"], bench.clock
    furnace.set_ramp_rate(RAMP_K_PER_S)
    furnace.set_setpoint(target_K)
    stable_since = None
    while True:
        check()
        reading = furnace.read()
        store.add_temperature(run_id, [reading])
        if abs(reading.temperature_K - target_K) > STABLE_BAND_K:
            stable_since = None
        elif stable_since is None:
            stable_since = reading.time_s
        elif reading.time_s - stable_since >= STABLE_FOR_S:
            return
        clock.sleep(POLL_S)


def _impedance(bench: Bench, store: Store, run_id: int, target_K: float, check) -> float:
    step = store.start_step(run_id, "eis", {"amplitude_V": AMPLITUDE_V,
                                            "frequencies_Hz": FREQUENCIES_HZ.tolist()}, target_K)
    points = []
    for point in bench["fra"].sweep(FREQUENCIES_HZ, AMPLITUDE_V):
        store.add_impedance(step, [point], temperature_K=target_K)
        points.append(point)
        check()
    store.finish_step(step, "done")
    return ionic_resistance(np.array([p.impedance_Ohm for p in points]))


def _polarization(bench: Bench, store: Store, run_id: int, target_K: float, check) -> float:
    smu = bench["smu"]
    step = store.start_step(run_id, "dc_polarization",
                            {"voltage_V": STEP_V, "duration_s": POLARIZATION_S}, target_K)
    smu.configure(current_limit_A=1e-3)
    smu.set_voltage(STEP_V)
    smu.output(True)
    try:
        readings = []
        for reading in smu.record(POLARIZATION_S, INTERVAL_S):
            store.add_dc(step, [reading], temperature_K=target_K)
            readings.append(reading)
            check()
    finally:
        smu.output(False)
    store.finish_step(step, "done")
    tail = [r.current_A for r in readings[-max(3, len(readings) // 20):]]
    return float(np.mean(tail))


def _true_sigma(sample: Any, T_K: float) -> float:
    r = sample.resistances(T_K)
    return sample.sample.thickness_m / ((r["bulk"] + r["grain_boundary"]) * sample.sample.area_m2)


def _plots(store: Store, run_id: int, results: list[PlateauResult], out_dir: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    eis = [step for step in store.steps(run_id) if step.kind == "eis"]
    dc = [step for step in store.steps(run_id) if step.kind != "eis"]
    fig, axes = plt.subplots(1, len(eis) + 1, figsize=(4.2 * (len(eis) + 1), 4.2))
    for ax, step, result in zip(axes, eis, results):
        z = store.impedance(step.id)["impedance_Ohm"]
        span = 1.4 * result.r_ion_Ohm
        ax.plot(z.real, -z.imag, "o-", ms=3)
        ax.axvline(result.r_ion_Ohm, color="gray", ls=":", label=f"R_ion = {result.r_ion_Ohm:.3g} Ohm")
        ax.set(xlim=(0, span), ylim=(0, span * 0.6), aspect="equal", xlabel="Z' / Ohm",
               ylabel="-Z'' / Ohm", title=f"Nyquist, {step.temperature_K - zero_Celsius:.0f} C")
        ax.ticklabel_format(style="sci", scilimits=(0, 0))
    current = axes[-1]
    for step in dc:
        points = store.dc(step.id)
        current.loglog(points["time_s"] - points["time_s"][0] + INTERVAL_S, points["current_A"],
                       label=f"{step.temperature_K - zero_Celsius:.0f} C")
    current.set(xlabel="t since step / s", ylabel="I / A", title=f"DC polarization, {STEP_V:g} V")
    for ax in axes:
        ax.legend(fontsize=8)
        ax.grid(alpha=0.3)
    fig.tight_layout()
    fig.savefig(out_dir / "nyquist_and_polarization.png", dpi=100)
    plt.close(fig)

    fig, ax = plt.subplots(figsize=(6, 4.5))
    inv_T = 1000.0 / np.array([r.temperature_K for r in results])
    for attr, style, label in (("sigma_S_per_m", "o", "measured (estimate)"),
                               ("true_sigma_S_per_m", "x--", "simulated sample (truth)")):
        sigma_T = np.array([getattr(r, attr) * r.temperature_K for r in results])
        ax.semilogy(inv_T, sigma_T, style, label=label)
    ax.set(xlabel="1000 / T  (1/K)", ylabel="sigma T / (S K / m)", title="Arrhenius")
    ax.legend()
    ax.grid(alpha=0.3)
    fig.tight_layout()
    fig.savefig(out_dir / "arrhenius.png", dpi=110)
    plt.close(fig)
