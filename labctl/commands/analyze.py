"""`labctl analyze RUN_ID | FILE ...`: fit every spectrum, derive conductivities,
activation energies, t_ion and the stability window; write a report folder. A
chronoamperometry file instead: `labctl.commands.analyze_chrono`."""

from __future__ import annotations

import argparse

from labctl.commands.runs import DB_HELP


def register(subparsers) -> None:
    parser = subparsers.add_parser(
        "analyze", help="fit a run's spectra and write a report (or analyze spectrum files)",
        description="Fits each temperature's impedance spectrum with an equivalent circuit, "
                    "assigns the arcs by frequency (capacitance as a check), and writes Nyquist/Bode/Arrhenius/"
                    "polarization/stability plots, summary.csv and index.html into --out; "
                    "a run with several samples per sample (--out/NAME/, each with its own "
                    "geometry) with an Arrhenius overlay of all in --out. "
                    "Instead of a run id, spectrum files may be given: ZView .z (ZPlot2, "
                    "ZPlotW), Gamry .DTA, EC-Lab .mpt text, CSV/TXT tables (temperatures from "
                    "--temperatures-C, labctl's comments, or names like 'x_350C.z', "
                    "'x-140deg.txt'). "
                    "A chronoamperometry file (BioLogic .mpt, Gamry .DTA, CSV with t_s and "
                    "I_A columns) is a DC polarization: the live stop rule replayed, I_ss, "
                    "t_ion (I_0 from --i0-A, else the first reading) and the tail model.")
    parser.add_argument("source", nargs="+", metavar="RUN_ID | FILE | CA FILE",
                        help="run id (see `labctl runs`), spectrum files or a "
                             "chronoamperometry file")
    parser.add_argument("--db", metavar="PATH", help=DB_HELP)
    parser.add_argument("--circuit", help="circuit string (default: the pellet circuit "
                        "p(p(R1,CPE1)-p(R2,CPE2)-CPE3,R4); for a run with Li+ transference "
                        "steps bulk + interface, p(R1,CPE1)-p(R2,CPE2))")
    parser.add_argument("--out", metavar="DIR", help="report folder (default: "
                        "analysis-run<ID> or analysis-<first file>)")
    parser.add_argument("--json", action="store_true", help="print the results as JSON")
    parser.add_argument("--temperatures-C", metavar="T1,T2,...",
                        help="file input: one temperature per file, in degC")
    parser.add_argument("--thickness-m", type=float, help="file input: sample thickness "
                        "(default: from labctl's comments in the files)")
    parser.add_argument("--area-m2", type=float, help="file input: electrode area")
    parser.add_argument("--voltage-V", type=float,
                        help="chronoamperometry: the step voltage, when the file lacks it")
    parser.add_argument("--i0-A", type=float,
                        help="chronoamperometry: I_0 = V/R_ion (e.g. from a spectrum)")
    parser.add_argument("--drt", action="store_true", help="also the distribution of "
                        "relaxation times per temperature: drt.png (stacked, coloured by "
                        "temperature), drt.json, a note where it and the circuit disagree; "
                        "its processes seed one more start of each circuit fit")
    parser.add_argument("--carrier-density-per-m3", type=float,
                        help="mobile-ion density: adds the Nernst-Einstein D")
    parser.set_defaults(func=handler)


def handler(args: argparse.Namespace) -> int:
    import json
    from pathlib import Path

    from labctl.analysis import overview
    from labctl.commands import analyze_chrono
    from labctl.errors import LabctlError

    if analyze_chrono.is_chrono_source(args.source):
        return analyze_chrono.handler(args)
    extras = _extras(args)
    try:
        datasets, default_out = _datasets(args)
    except LabctlError:
        if not any(extras.values()):
            raise
        datasets, default_out = {}, f"analysis-run{_run_id(args):04d}"
    samples = list(datasets) + [s for s, e in extras.items() if e and s not in datasets]
    out = Path(args.out or default_out)
    results, jsons = {}, {}
    try:
        for sample in samples:
            folder = overview.folder_of(out, sample)
            plots = extras[sample].plots(folder) if sample in extras else []
            if sample in datasets:
                results[sample] = _analyzed(args, datasets[sample], folder, sample, plots)
            jsons[sample] = {**(results[sample][1] if sample in results else {}),
                             **(extras[sample].to_json() if sample in extras else {})}
        index = (None if not results else results[None][3] if None in results
                 else overview.write({s: r[0] for s, r in results.items()}, out,
                                     f"run {_run_id(args)}"))
    except OSError as exc:
        raise LabctlError(f"{out}: cannot write the report: {exc.strerror}") from exc
    if args.json:
        print(json.dumps(jsons[None] if None in jsons
                         else {"run_id": _run_id(args), "samples": jsons}))
        return 0
    for sample in samples:
        if sample is not None:
            offset = datasets[sample].temperature_offset_K if sample in datasets else 0.0
            print(f"sample {sample}:" + (f" (at thermocouple {offset:+.2f} K, its position's "
                                         f"calibration)" if offset else ""))
        if sample in results:
            _print_results(*results[sample][:3])
        for line in extras[sample].lines() if sample in extras else ():
            print(line)
    if index:
        print(f"report: {index}")
    return 0


def _print_results(analysis, result, drts) -> None:
    from labctl.analysis import drt_report
    from labctl.units import K_to_C

    _print_summary(analysis)
    for entry in drt_report.to_json(analysis, drts):
        peaks = "  ".join(f"{k['R_ohm']:.4g} Ohm @ {k['frequency_Hz']:.3g} Hz"
                          for k in entry["peaks"] if not k["at_edge"])
        note = f"  ({entry['note']})" if entry["note"] else ""
        print(f"{K_to_C(entry['temperature_K']):7.1f} C  DRT: {peaks or 'no peaks'}{note}")
    for k, line in enumerate(result.get("drt_arrhenius", [])):
        if line["Ea_eV"] is not None:
            err = "" if line["Ea_std_eV"] is None else f" +- {line['Ea_std_eV']:.3f}"
            print(f"DRT process {k + 1} {line['label']}: Ea {line['Ea_eV']:.4f}{err} eV "
                  f"from {len(line['temperatures_K'])} temperatures")


def _analyzed(args, dataset, out, sample: str | None, plots=()):
    """Analyze one sample's dataset and write its report into `out` (linking `plots`, the
    files already there): (analysis, its JSON, DRTs, index.html)."""
    import sys

    from labctl.analysis import drt_report, report
    from labctl.analysis.analysis import analyze

    prefix = "" if sample is None else f"sample {sample}: "
    for note in dataset.notes:
        print(f"labctl: warning: {prefix}{note}", file=sys.stderr)
    drts = drt_report.compute(dataset) if args.drt else []
    analysis = analyze(dataset, args.circuit, args.carrier_density_per_m3, drts or None)
    if not any(p.fit.success for p in analysis.plateaus):
        print(f"labctl: warning: {prefix}no spectrum could be fitted", file=sys.stderr,
              flush=True)
    out.mkdir(parents=True, exist_ok=True)
    extra = (_transference_plots(args.db, _run_id(args), sample, out)
             if _run_id(args) is not None else [])
    if args.drt:
        extra += drt_report.write(analysis, drts, out)
    index = report.write(analysis, out, extra + list(plots))
    result = analysis.to_json()
    if args.drt:
        result["drt"] = drt_report.to_json(analysis, drts)
        result["drt_arrhenius"] = drt_report.arrhenius_json(drt_report.processes(analysis, drts))
    return analysis, result, drts, index


def _run_id(args) -> int | None:
    """The run id given as the source, None for files."""
    return int(args.source[0]) if len(args.source) == 1 and args.source[0].isdigit() else None


def _datasets(args):
    """{sample: Dataset} (the key None for a one-sample run or files; of a run with several
    samples those with spectra), the default report folder."""
    import sys
    from pathlib import Path

    from labctl.analysis.dataset import from_files, run_datasets
    from labctl.errors import LabctlError
    from labctl.store import Store, db_path
    from labctl.units import C_to_K

    run_id = _run_id(args)
    if run_id is not None:
        with Store.open(db_path(args.db), create=False) as store:
            datasets, left_out = run_datasets(store, run_id)
        for why in left_out:
            print(f"labctl: warning: {why}", file=sys.stderr)
        return datasets, f"analysis-run{run_id:04d}"
    paths = [Path(s) for s in args.source]
    temperatures = None
    if args.temperatures_C:
        try:
            temperatures = [C_to_K(float(t)) for t in args.temperatures_C.split(",")]
        except ValueError:
            raise LabctlError(f"--temperatures-C: not a list of numbers: "
                              f"{args.temperatures_C!r}") from None
    return ({None: from_files(paths, temperatures, args.thickness_m, args.area_m2)},
            f"analysis-{paths[0].stem}")


def _extras(args) -> dict:
    """{sample: Extras} of the run, read in one store session (None: a one-sample run's);
    none for files."""
    from labctl import runsamples
    from labctl.analysis import extras
    from labctl.store import Store, db_path

    run_id = _run_id(args)
    if run_id is None:
        return {None: extras.Extras()}
    with Store.open(db_path(args.db), create=False) as store:
        return {sample: extras.read(store, run_id, sample)
                for sample in runsamples.names(store.run(run_id)) or [None]}


def _transference_plots(db, run_id: int, sample: str | None, out) -> list[str]:
    """transference-stepNNN.png: I(t) with I_0 and I_ss, and both spectra, per t+ step
    (of `sample`)."""
    from labctl import runsamples
    from labctl.analysis import transference
    from labctl.store import Store, db_path

    with Store.open(db_path(db), create=False) as store:
        return [transference.plot(store, step, out / f"transference-step{step.seq:03d}.png").name
                for step in transference.steps_of(runsamples.finished(store, run_id, sample))]


def _print_summary(analysis) -> None:
    from labctl.units import K_to_C

    for p in analysis.plateaus:
        fit = p.fit.state if p.fit.success else f"fit failed: {p.fit.message}"
        t_ion = "" if p.t_ion is None else f"  t_ion {p.t_ion:.4f}"
        li = p.plateau.transference
        t_plus = "" if li is None else f"  t+ {li['t_plus']:.3f} +- {li['t_plus_std']:.3f}"
        arcs = "  ".join(f"{arc.label} {arc.resistance} {arc.R_Ohm:.5g} Ohm @ {arc.apex_Hz:.3g} Hz"
                         + ("" if not arc.flags else " (" + "; ".join(arc.flags) + ")")
                         for arc in p.arcs)
        print(f"{K_to_C(p.temperature_K):7.1f} C  {arcs or 'no arcs'}{t_ion}{t_plus}  ({fit})")
    for c, line in analysis.arrhenius.items():
        if line:
            print(f"Ea {c}: {line.Ea_eV:.4f} +- {line.Ea_std_eV:.4f} eV")
    for note in analysis.notes:
        print(f"note: {note}")
