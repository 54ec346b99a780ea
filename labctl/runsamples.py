"""The samples of a run: a run with several keeps them as `{"name": run, "samples": [{"name",
"thickness_m", "area_m2", ...}, ...]}` in its sample table and each step names its own;
a one-sample run's table is the sample itself and its steps name none. `finished` is the one
way analysis selects a sample's steps. A sample's table keeps its pellet position's
`temperature_offset_K` (`labctl.positions`) where the bench calibrated it."""

from __future__ import annotations

from labctl.positions import OFFSET


def names(run) -> list[str]:
    """The samples of a run with several, in the recipe's order; [] for a one-sample run."""
    return [entry["name"] for entry in run.sample.get("samples", [])]


def entry(run, sample: str | None) -> dict:
    """The sample table of `sample` in the run (the run's only one for None)."""
    if sample is None:
        return run.sample
    return next(table for table in run.sample["samples"] if table["name"] == sample)


def finished(store, run_id: int, sample: str | None = None) -> list:
    """The run's finished steps that count (done, not superseded) of `sample`: of a run
    with several, the steps naming it; of a one-sample run (None), all of them."""
    return [s for s in store.steps(run_id)
            if s.status == "done" and not s.superseded and s.sample == sample]


def temperature_offset_K(run, sample: str | None) -> float:
    """The sample's temperature minus the thermocouple's, as its position was calibrated
    when the run started (0: not calibrated, or a one-sample run)."""
    return float(entry(run, sample).get(OFFSET, 0.0))
