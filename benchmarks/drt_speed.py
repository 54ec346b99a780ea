"""Time of a 70-point spectrum's DRT (labctl.analysis.drt: gamma, lambda by GCV, peaks as
fitted processes) on one core: the shipped pellet and `--pellets` random pellets
(tests/analysis/samples.py), each at 275..450 C, 1 MHz .. 0.1 Hz, with the simulator's
noise. CPU time per spectrum (one core: BLAS limited to one thread), the least of
`--repeats` runs (the machine may be shared), median and worst over all spectra; whether
bulk and grain-boundary R (the fastest two processes) are within 5 % and their tau within
10 % of the truth and of the default circuit's fit (the done-when of issue 30);
pyimpspec's TR-RBF (pyDRTtools' method) on the shipped pellet's spectra for comparison.
Ends with one JSON line. Pin it to one core: taskset -c 0 python benchmarks/drt_speed.py
Run: python benchmarks/drt_speed.py [--pellets N] [--repeats N]
"""

from __future__ import annotations

import os

for _name in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[_name] = "1"      # one core, set before numpy loads its BLAS

import argparse  # noqa: E402
import json  # noqa: E402
import time  # noqa: E402

import numpy as np  # noqa: E402

from labctl.analysis import quantities as q  # noqa: E402
from labctl.analysis.analysis import DEFAULT_CIRCUIT  # noqa: E402
from labctl.analysis.drt import drt  # noqa: E402
from labctl.analysis.fit import fit  # noqa: E402
from labctl.simulators.physics.sample import SampleModel  # noqa: E402
from labctl.units import C_to_K  # noqa: E402
from tests.analysis.samples import random_sample, spectrum  # noqa: E402

TARGET_S = 0.2
FREQUENCIES_HZ = np.logspace(6, -1, 70)
TEMPERATURES_C = (275, 325, 375, 425, 450)


def timed(call):
    start = time.process_time()
    result = call()
    return result, time.process_time() - start


def pyimpspec_time(f, z) -> float | None:
    """One TR-RBF run (its own lambda choice), or None without pyimpspec and cvxopt."""
    try:
        from pyimpspec import DataSet
        from pyimpspec.analysis.drt import calculate_drt_tr_rbf
        return timed(lambda: calculate_drt_tr_rbf(DataSet(f, z), num_procs=1))[1]
    except Exception:        # noqa: BLE001  (not installed, or no convex optimizer for it)
        return None


def agrees(peaks, reference: tuple[float, float, float, float]) -> bool:
    """The two fastest processes' R within 5 % and tau within 10 % of `reference`
    (R_bulk, R_gb, tau_bulk, tau_gb)."""
    if len(peaks) < 2:
        return False
    found = [peaks[0].R_Ohm, peaks[1].R_Ohm, peaks[0].tau_s, peaks[1].tau_s]
    return all(abs(a / b - 1) <= limit
               for a, b, limit in zip(found, reference, (0.05, 0.05, 0.1, 0.1)))


def truth(sample: SampleModel, T_K: float) -> tuple[float, float, float, float]:
    r, apex = sample.resistances(T_K), sample.apex_frequencies_Hz(T_K)
    return (r["bulk"], r["grain_boundary"], 1 / (2 * np.pi * apex["bulk"]),
            1 / (2 * np.pi * apex["grain_boundary"]))


def circuit_fit(f, z) -> tuple[float, float, float, float]:
    bulk, gb = q.arcs(fit(f, z, DEFAULT_CIRCUIT), None, f)[:2]
    return (bulk.R_Ohm, gb.R_Ohm, 1 / (2 * np.pi * bulk.apex_Hz), 1 / (2 * np.pi * gb.apex_Hz))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pellets", type=int, default=20, help="random pellets (seeds 0..N-1)")
    parser.add_argument("--repeats", type=int, default=3, help="runs per spectrum (least kept)")
    args = parser.parse_args()
    samples = [("shipped", SampleModel.default())] + \
        [(f"random {k}", random_sample(k)) for k in range(args.pellets)]
    times, vs_truth, vs_fit, theirs, slowest = [], [], [], [], (0.0, "")
    for k, (name, sample) in enumerate(samples):
        for t_c in TEMPERATURES_C:
            f, z = spectrum(sample, C_to_K(t_c), k, FREQUENCIES_HZ)
            runs = [timed(lambda: drt(f, z)) for _ in range(args.repeats)]
            result, seconds = runs[0][0], min(t for _, t in runs)
            times.append(seconds)
            vs_truth.append(agrees(result.peaks, truth(sample, C_to_K(t_c))))
            vs_fit.append(agrees(result.peaks, circuit_fit(f, z)))
            if seconds > slowest[0]:
                slowest = (seconds, f"{name} at {t_c} C ({len(result.areas)} gamma peaks, "
                                    f"{len(result.peaks)} processes)")
            if k == 0:
                theirs.append(pyimpspec_time(f, z))
        print(f"{name:>10}: {' '.join(f'{t * 1e3:5.0f}' for t in times[-5:])} ms")
    median, worst = float(np.median(times)), max(times)
    print(f"{len(times)} spectra: median {median * 1e3:.0f} ms, worst {worst * 1e3:.0f} ms "
          f"({slowest[1]}), target < {TARGET_S * 1e3:.0f} ms: "
          f"{'met' if worst < TARGET_S else 'NOT met'}; bulk and grain boundary R within 5 % "
          f"and tau within 10 %: of the circuit fit's {sum(vs_fit)}, of the truth "
          f"{sum(vs_truth)} of {len(times)}")
    measured = [t for t in theirs if t is not None]
    print(json.dumps({"points": FREQUENCIES_HZ.size, "spectra": len(times),
                      "repeats": args.repeats, "drt_median_s": median, "drt_worst_s": worst,
                      "target_s": TARGET_S, "met": worst < TARGET_S,
                      "within_circuit_fit": sum(vs_fit), "within_truth": sum(vs_truth),
                      "pyimpspec_tr_rbf_median_s": float(np.median(measured)) if measured
                      else None}))


if __name__ == "__main__":
    main()
