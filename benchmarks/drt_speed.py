"""Time of a 70-point spectrum's DRT (labctl.analysis.drt: gamma, lambda by GCV, peaks as
fitted processes) on one core, against pyimpspec's TR-RBF (pyDRTtools' method) on the
same spectra. Spectra: the shipped default pellet, simulated with its noise at 275..450 C,
1 MHz .. 0.1 Hz. Median of `--repeat` runs per spectrum; ends with one JSON line.
Run: python benchmarks/drt_speed.py [--repeat N]
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

TARGET_S = 0.2
FREQUENCIES_HZ = np.logspace(6, -1, 70)
TEMPERATURES_C = (275, 325, 375, 425, 450)


def median_time(call, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        call()
        times.append(time.perf_counter() - start)
    return float(np.median(times))


def pyimpspec_time(f, z) -> float | None:
    """One TR-RBF run (its own lambda choice), or None without pyimpspec and cvxopt."""
    try:
        from pyimpspec import DataSet
        from pyimpspec.analysis.drt import calculate_drt_tr_rbf
        start = time.perf_counter()
        calculate_drt_tr_rbf(DataSet(f, z), num_procs=1)
    except Exception:        # noqa: BLE001  (not installed, or no convex optimizer for it)
        return None
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    sample = SampleModel.default()
    rng = np.random.default_rng(0)
    ours, theirs = [], []
    print(f"{'T (C)':>6} {'labctl (ms)':>12} {'peaks':>6} {'pyimpspec TR-RBF (ms)':>22}")
    for t_c in TEMPERATURES_C:
        z = sample.add_noise(sample.impedance(FREQUENCIES_HZ, C_to_K(t_c)), rng)
        result = drt(FREQUENCIES_HZ, z)
        ours.append(median_time(lambda: drt(FREQUENCIES_HZ, z), args.repeat))
        theirs.append(pyimpspec_time(FREQUENCIES_HZ, z))
        other = "-" if theirs[-1] is None else f"{theirs[-1] * 1e3:.0f}"
        print(f"{t_c:>6} {ours[-1] * 1e3:>12.0f} {len(result.peaks):>6} {other:>22}")
    worst = max(ours)
    print(f"worst {worst * 1e3:.0f} ms, target < {TARGET_S * 1e3:.0f} ms: "
          f"{'met' if worst < TARGET_S else 'NOT met'}")
    measured = [t for t in theirs if t is not None]
    print(json.dumps({"points": FREQUENCIES_HZ.size, "drt_median_s": float(np.median(ours)),
                      "drt_worst_s": worst, "target_s": TARGET_S, "met": worst < TARGET_S,
                      "pyimpspec_tr_rbf_median_s": float(np.median(measured)) if measured
                      else None}))


if __name__ == "__main__":
    main()
