"""`labctl demo`: the example recipe on the built-in simulated bench, exported and plotted.

`examples/arrhenius.toml` runs through the runner exactly as `labctl run` would run it:
the shipped simulated pellet (an oxide-ion conductor with blocking electrodes) sits in a
furnace run by a simulated Eurotherm 3216; at five temperatures the furnace ramps, the run
waits until the temperature is stable, a simulated Solartron 1260 measures impedance
spectra and a Keithley 2450 a DC polarization; at the hottest plateau a stability-window
sweep follows. Every point goes to the store as it is measured, on the virtual clock
(hours of experiment in seconds). Then the spectra are exported (ZView `.z`, CSV) and
plotted, and the protocols' results (R_ion of each plateau's first spectrum, t_ion of its
polarization) are compared with the simulated sample's ground truth:
sigma = L / (R_ion A) with the recipe's sample geometry. Last, `labctl analyze` fits
every plateau's spectrum with the pellet circuit and writes its report into
`OUT/analysis/` (index.html).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

import numpy as np
from scipy.constants import Boltzmann, elementary_charge

from labctl import registry
from labctl.commands.run import Outcome, execute
from labctl.protocol import POLARIZATION, SPECTRUM
from labctl.store.export import export_csv, export_z
from labctl.store.store import Store
from labctl.units import K_to_C

EXAMPLE = Path(str(resources.files("labctl").joinpath("examples", "arrhenius.toml")))


@dataclass(frozen=True)
class PlateauResult:
    temperature_K: float
    r_ion_Ohm: float
    sigma_S_per_m: float
    t_ion: float
    true_sigma_S_per_m: float
    true_t_ion: float


def run(out_dir: Path, db_path: Path | None = None, recipe: Path = EXAMPLE, console=None
        ) -> tuple[Outcome, list[PlateauResult], Path]:
    """Run `recipe` on `sim` into `out_dir`; the outcome, per-plateau results and database."""
    out_dir.mkdir(parents=True, exist_ok=True)
    db = db_path or out_dir / "labctl-demo.sqlite"
    outcome = execute(recipe, "sim", db=db, console=console)
    with Store.open(db, create=False) as store:
        results = plateau_results(store, outcome.run_id)
        if outcome.status == "done":
            export_z(store, outcome.run_id, out_dir)
            export_csv(store, outcome.run_id, out_dir)
            _plots(store, outcome.run_id, results, out_dir)
            _analysis(store, outcome.run_id, out_dir / "analysis", console)
    return outcome, results, db


def plateau_results(store: Store, run_id: int) -> list[PlateauResult]:
    """Each plateau's first spectrum and its polarization, next to the sample's truth."""
    from labctl.simulators.physics.sample import SampleModel

    truth = SampleModel.default()
    sample = store.run(run_id).sample
    results = []
    for eis in _firsts(store, run_id, SPECTRUM):
        group = eis.path.rpartition("/")[0]
        dc = [s for s in _firsts(store, run_id, POLARIZATION) if s.path.startswith(group + "/")]
        T, r = eis.temperature_K, registry.result_of(eis.kind, eis.result).r_ion_Ohm
        resistances = truth.resistances(T)
        true_r = resistances["bulk"] + resistances["grain_boundary"]
        geometry = sample["thickness_m"] / sample["area_m2"]
        results.append(PlateauResult(
            T, r, geometry / r,
            registry.result_of(dc[0].kind, dc[0].result).t_ion if dc else math.nan,
            truth.sample.thickness_m / (true_r * truth.sample.area_m2),
            truth.ionic_transference_number(T)))
    return results


def _firsts(store: Store, run_id: int, provides: str) -> list:
    """The finished steps whose protocol provides `provides`, each the first of its kind at
    its position group (`program[2]/eis`, not `program[2]/eis#2`)."""
    kinds = registry.providing(provides)
    return [s for s in store.steps(run_id) if s.status == "done" and not s.superseded
            and s.kind in kinds and (s.path or "").rpartition("/")[2] == s.kind]


def _analysis(store: Store, run_id: int, out_dir: Path, console) -> None:
    """`labctl analyze` on the run: circuit fits of every plateau, report in `out_dir`."""
    from labctl.analysis import report
    from labctl.analysis.analysis import analyze
    from labctl.analysis.dataset import from_store
    from labctl.simulators.physics.sample import SampleModel

    analysis = analyze(from_store(store, run_id))
    report.write(analysis, out_dir)
    if console is None:
        return
    truth = SampleModel.default()
    for key, true_Ea in (("bulk", truth.bulk.Ea_eV), ("gb", truth.grain_boundary.Ea_eV)):
        line = analysis.arrhenius[key]
        if line:
            console.print(f"Circuit fits: Ea {key} = {line.Ea_eV:.4f} +- {line.Ea_std_eV:.4f} "
                          f"eV (simulated sample: {true_Ea:.4f} eV)")


def activation_energy_eV(results: list[PlateauResult], attr: str = "sigma_S_per_m") -> float:
    """Ea from the slope of ln(sigma T) against 1/T (`attr`: measured or true sigma)."""
    T = np.array([r.temperature_K for r in results])
    sigma = np.array([getattr(r, attr) for r in results])
    slope = np.polyfit(1.0 / T, np.log(sigma * T), 1)[0]
    return -slope * Boltzmann / elementary_charge


def _plots(store: Store, run_id: int, results: list[PlateauResult], out_dir: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    steps = [s for s in store.steps(run_id) if s.status == "done" and not s.superseded]
    eis = _firsts(store, run_id, SPECTRUM)
    dc = [s for s in steps if s.kind in registry.providing(POLARIZATION)]
    columns = 3
    rows = math.ceil((len(eis) + 1) / columns)
    fig, axes = plt.subplots(rows, columns, figsize=(4.2 * columns, 4.2 * rows), squeeze=False)
    axes = axes.ravel()
    for ax, step, result in zip(axes, eis, results):
        z = store.impedance(step.id)["impedance_Ohm"]
        span = 1.4 * result.r_ion_Ohm
        ax.plot(z.real, -z.imag, "o-", ms=3)
        ax.axvline(result.r_ion_Ohm, color="gray", ls=":",
                   label=f"R_ion = {result.r_ion_Ohm:.3g} Ohm")
        ax.set(xlim=(0, span), ylim=(0, span * 0.6), aspect="equal", xlabel="Z' / Ohm",
               ylabel="-Z'' / Ohm", title=f"Nyquist, {K_to_C(step.temperature_K):.0f} C")
        ax.ticklabel_format(style="sci", scilimits=(0, 0))
    current = axes[len(eis)]
    for step in dc:
        points = store.dc(step.id)
        t = points["time_s"] - points["time_s"][0]
        current.loglog(t[1:], np.abs(points["current_A"][1:]),
                       label=f"{K_to_C(step.temperature_K):.0f} C")
    current.set(xlabel="t since step / s", ylabel="|I| / A", title="DC polarization")
    for ax in axes[:len(eis) + 1]:
        ax.legend(fontsize=8)
        ax.grid(alpha=0.3)
    for ax in axes[len(eis) + 1:]:
        ax.set_visible(False)
    fig.tight_layout()
    fig.savefig(out_dir / "nyquist_and_polarization.png", dpi=100)
    plt.close(fig)

    fig, ax = plt.subplots(figsize=(6, 4.5))
    inv_T = 1000.0 / np.array([r.temperature_K for r in results])
    for attr, style, label in (("sigma_S_per_m", "o", "measured (protocol R_ion)"),
                               ("true_sigma_S_per_m", "x--", "simulated sample (truth)")):
        sigma_T = np.array([getattr(r, attr) * r.temperature_K for r in results])
        ax.semilogy(inv_T, sigma_T, style, label=label)
    ax.set(xlabel="1000 / T  (1/K)", ylabel="sigma T / (S K / m)", title="Arrhenius")
    ax.legend()
    ax.grid(alpha=0.3)
    fig.tight_layout()
    fig.savefig(out_dir / "arrhenius.png", dpi=110)
    plt.close(fig)
