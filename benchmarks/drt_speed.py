"""Time of a 70-point spectrum's DRT (labctl.analysis.drt: gamma, lambda by GCV, peaks as
fitted processes) on one core: the shipped pellet and `--pellets` random pellets
(tests/analysis/samples.py), each at 275..450 C, 1 MHz .. 0.1 Hz, with the simulator's
noise. CPU time per spectrum (one core: BLAS limited to one thread), median and worst over
all spectra; whether bulk and grain-boundary R are within 5 % of the truth (the fastest two
processes); pyimpspec's TR-RBF (pyDRTtools' method) on the shipped pellet's spectra for
comparison. Ends with one JSON line.
Run: python benchmarks/drt_speed.py [--pellets N]
"""

from __future__ import annotations

import os

for _name in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[_name] = "1"      # one core, set before numpy loads its BLAS

import argparse  # noqa: E402
import json  # noqa: E402
import time  # noqa: E402

import numpy as np  # noqa: E402

from labctl.analysis.drt import drt  # noqa: E402
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


def within_5_percent(sample: SampleModel, T_K: float, peaks) -> bool:
    truth = sample.resistances(T_K)
    found = [p.R_Ohm for p in peaks[:2]]
    expected = [truth["bulk"], truth["grain_boundary"]]
    return len(found) == 2 and all(abs(a / b - 1) <= 0.05 for a, b in zip(found, expected))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pellets", type=int, default=20, help="random pellets (seeds 0..N-1)")
    args = parser.parse_args()
    samples = [("shipped", SampleModel.default())] + \
        [(f"random {k}", random_sample(k)) for k in range(args.pellets)]
    times, accurate, theirs, slowest = [], [], [], (0.0, "")
    for k, (name, sample) in enumerate(samples):
        for t_c in TEMPERATURES_C:
            f, z = spectrum(sample, C_to_K(t_c), k, FREQUENCIES_HZ)
            result, seconds = timed(lambda: drt(f, z))
            times.append(seconds)
            accurate.append(within_5_percent(sample, C_to_K(t_c), result.peaks))
            if seconds > slowest[0]:
                slowest = (seconds, f"{name} at {t_c} C ({len(result.areas)} gamma peaks, "
                                    f"{len(result.peaks)} processes)")
            if k == 0:
                theirs.append(pyimpspec_time(f, z))
        print(f"{name:>10}: {' '.join(f'{t * 1e3:5.0f}' for t in times[-5:])} ms")
    median, worst = float(np.median(times)), max(times)
    print(f"{len(times)} spectra: median {median * 1e3:.0f} ms, worst {worst * 1e3:.0f} ms "
          f"({slowest[1]}), target < {TARGET_S * 1e3:.0f} ms: "
          f"{'met' if worst < TARGET_S else 'NOT met'}; bulk and grain boundary within 5 %: "
          f"{sum(accurate)} of {len(accurate)}")
    measured = [t for t in theirs if t is not None]
    print(json.dumps({"points": FREQUENCIES_HZ.size, "spectra": len(times),
                      "drt_median_s": median, "drt_worst_s": worst, "target_s": TARGET_S,
                      "met": worst < TARGET_S, "within_5_percent": sum(accurate),
                      "pyimpspec_tr_rbf_median_s": float(np.median(measured)) if measured
                      else None}))


if __name__ == "__main__":
    main()
