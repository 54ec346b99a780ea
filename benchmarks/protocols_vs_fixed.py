"""Protocols that stop on physics vs fixed-time lab practice, on the simulated bench.

Prints, against the simulated sample's truth: t_ion error and simulated duration of the
adaptive DC polarization vs a fixed 600 s hold (I_ss = mean of the last 5 %); stability
window onset errors; the gated thermal wait vs ramp + 60 min soak; adaptive vs full EIS.

Run: python benchmarks/protocols_vs_fixed.py
"""

import tempfile
from pathlib import Path

from labctl.protocols import dc_polarization, eis_sweep, stability_window, stabilize
from tests.protocols.simbench import sample_with_t_ion, sim_context
from tests.protocols.test_dc_polarization import fixed_hold_t_ion

T_K = 623.15


def polarization(t_true: float, electrode_Q: float | None = None) -> None:
    sample = sample_with_t_ion(t_true, T_K)
    if electrode_Q is not None:
        sample["electrode"]["Q"] = electrode_Q
    rows = {}
    for method in ("adaptive", "fixed 600 s"):
        with tempfile.TemporaryDirectory() as folder, \
                sim_context(Path(folder), sample, start_K=T_K) as (ctx, b):
            truth = b.simulation.world.sample.ionic_transference_number(T_K)
            eis_sweep.run(ctx, eis_sweep.Params(adaptive_low_frequency=True, stop_Hz=1e-3))
            start = b.clock.now()
            t_ion = dc_polarization.run(ctx, dc_polarization.Params(voltage_V=0.1)).t_ion \
                if method == "adaptive" else fixed_hold_t_ion(ctx, b, 0.1)
            rows[method] = (t_ion - truth, b.clock.now() - start)
    (ea, da), (ef, df) = rows["adaptive"], rows["fixed 600 s"]
    print(f"t_ion {t_true:<7g} Q_el {electrode_Q or 1e-6:g}: adaptive: error {ea:+.5f} in {da:6.1f} s | fixed: error "
          f"{ef:+.5f} in {df:6.1f} s | time ratio {df / da:5.1f}x")


def window(t_true: float, low: float, high: float) -> None:
    sample = sample_with_t_ion(t_true, T_K)
    sample["stability"].update(reduction_onset_V=low, oxidation_onset_V=high)
    with tempfile.TemporaryDirectory() as folder, sim_context(Path(folder), sample) as (ctx, b):
        start = b.clock.now()
        r = stability_window.run(ctx, stability_window.Params(
            area_m2=b.simulation.world.sample.sample.area_m2, step_V=0.01))
        print(f"window t_ion={t_true:g}: onset errors {1e3 * (r.onset_low_V - low):+.1f} mV, "
              f"{1e3 * (r.onset_high_V - high):+.1f} mV ({b.clock.now() - start:.0f} s at 0.1 mV/s)")


def thermal(start_K: float, target_K: float) -> None:
    ramp = 10 / 60
    for reference in (None, 1e3):
        with tempfile.TemporaryDirectory() as folder, \
                sim_context(Path(folder), start_K=start_K) as (ctx, b):
            r = stabilize.run(ctx, stabilize.Params(target_K=target_K, reference_Hz=reference))
            sample_error = b.simulation.world.sample_temperature_K() - target_K
        fixed = (target_K - start_K) / ramp + 3600
        print(f"stabilize {start_K:.0f}->{target_K:.0f} K, |Z| gate {reference}: "
              f"{r.waited_s:6.0f} s (ramp + 60 min soak: {fixed:.0f} s, {fixed / r.waited_s:.1f}x), "
              f"sample off by {sample_error:+.2f} K")


def spectra(T: float) -> None:
    with tempfile.TemporaryDirectory() as folder, sim_context(Path(folder), start_K=T) as (ctx, b):
        out = []
        for adaptive in (False, True):
            start = b.clock.now()
            r = eis_sweep.run(ctx, eis_sweep.Params(adaptive_low_frequency=adaptive, stop_Hz=0.01))
            out.append((r.r_ion_Ohm, b.clock.now() - start))
        sample = b.simulation.world.sample
        res = sample.resistances(T)
        truth = 1 / (1 / (res["bulk"] + res["grain_boundary"]) + 1 / res["electronic"])
    (rf, tf), (ra, ta) = out
    print(f"EIS {T:.0f} K 1 MHz..10 mHz: full {tf:6.0f} s, adaptive {ta:5.0f} s ({tf / ta:.1f}x); "
          f"R_ion adaptive/full {ra / rf - 1:+.4f}, full/truth {rf / truth - 1:+.4f}")


if __name__ == "__main__":
    for t in (0.9, 0.95, 0.99, 0.999, 0.9999):
        polarization(t)
    polarization(0.99, electrode_Q=1e-3)          # slow electrode: 600 s is not steady
    window(0.999, -1.2, 2.4)
    window(0.9, -0.7, 1.9)
    thermal(573.15, 673.15)
    for T in (573.15, 673.15, 773.15):
        spectra(T)
