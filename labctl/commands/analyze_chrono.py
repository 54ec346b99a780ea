"""`labctl analyze FILE` for a chronoamperometry file (BioLogic .mpt, Gamry .DTA, t,I CSV):
the DC polarization replayed through the live stop rule (`labctl.analysis.chrono`)."""

from __future__ import annotations

import argparse
import json
from pathlib import Path


def is_chrono_source(sources: list[str]) -> bool:
    """Whether the sources are a chronoamperometry file (by content)."""
    from labctl.analysis.chrono_files import is_chrono

    return len(sources) == 1 and not sources[0].isdigit() and is_chrono(Path(sources[0]))


def handler(args: argparse.Namespace) -> int:
    from labctl.analysis import chrono, chrono_files
    from labctl.errors import LabctlError

    path = Path(args.source[0])
    analysis = chrono.analyze(chrono_files.read(path), args.voltage_V, args.i0_A,
                              args.thickness_m, args.area_m2)
    out = Path(args.out or f"analysis-{path.stem}")
    try:
        chrono.plot(analysis, out / "chrono.png")
        (out / "chrono.json").write_text(json.dumps(analysis.json, indent=1))
    except OSError as exc:
        raise LabctlError(f"{out}: cannot write the report: {exc.strerror}") from exc
    j = analysis.json
    if args.json:
        print(json.dumps(j))
        return 0
    relation = "<=" if j["I_ss_is_bound"] else "="
    failed = f" (model failed: {j['model_failed']})" if j["model_failed"] else ""
    steady = f"steady at {j['steady_at_s']:.4g} s" if j["steady"] else f"not steady{failed}"
    print(f"{path.name}: {steady}; model {j['model']}; I_ss {relation} {j['I_ss_A']:.4g} A "
          f"(+- {j['I_ss_std_A']:.2g}); t_ion {'>=' if j['I_ss_is_bound'] else '='} "
          f"{j['t_ion']:.5f} (I_0 {j['I0_source']})")
    print(f"report: {out / 'chrono.png'}")
    return 0
