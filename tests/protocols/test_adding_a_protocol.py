"""Adding a protocol is one file: the example of docs/adding-a-protocol.md, installed as a
third-party package, is validated in recipes, listed by `labctl protocols`, run by the
runner on the simulated bench and summarised by the run view, with no other module
changed."""

from __future__ import annotations

import io

import pytest
from rich.console import Console

from labctl import events as ev
from labctl import registry

from labctl.bench import load_bench, open_bench
from labctl.cli import main
from labctl.errors import ConfigError
from labctl.recipe import parse_recipe
from labctl.runner import Runner
from labctl.runview import RunView, result_text
from labctl.store import Store
from tests.protocols.example_protocol import KIND

RECIPE = f"""
[sample]
name = "pellet"
[[steps]]
protocol = "{KIND}"
frequency_Hz = 1000.0
repeats = 3
"""


def test_a_recipe_step_of_the_new_protocol_is_validated_against_its_declaration(
        example_protocol):
    recipe = parse_recipe(RECIPE, load_bench("sim"))
    (step,) = recipe.steps
    assert step.kind == KIND and step.params.repeats == 3 and step.params.amplitude_V == 0.01
    assert step.position.roles["fra"] == "fra"
    bad = RECIPE.replace("frequency_Hz = 1000.0", "frequency_Hz = 5e7\namplitude_V = 0.9")
    with pytest.raises(ConfigError) as caught:
        parse_recipe(bad, load_bench("sim"))
    text = str(caught.value)
    assert "steps[1].frequency_Hz" in text and "outside what 'fra' (solartron1260)" in text
    assert "steps[1].amplitude_V" in text and "exceeds the limit amplitude_V" in text


def test_labctl_protocols_lists_the_new_protocol(example_protocol, capsys):
    assert main(["protocols", KIND]) == 0
    out = capsys.readouterr().out
    assert out.startswith(f"{KIND}: Impedance at one frequency")
    assert "instruments (roles): fra (ImpedanceAnalyzer)" in out
    assert "results shown: |Z| / Ohm" in out
    row = next(line for line in out.splitlines() if line.startswith("frequency_Hz "))
    assert row.split()[:5] == ["frequency_Hz", "a", "number", "Hz", "1000"]


def test_the_runner_runs_it_and_the_run_view_shows_its_summary(example_protocol, tmp_path):
    recipe = parse_recipe(RECIPE, load_bench("sim"))
    with open_bench(load_bench("sim")) as bench:
        runner = Runner(recipe, bench, tmp_path / "lab.sqlite")
        try:
            assert runner.start().result(60) == "done"
        finally:
            runner.close()
    with Store.open(tmp_path / "lab.sqlite", create=False) as store:
        (step,) = store.steps(runner.run_id)
        assert step.kind == KIND and step.points == 3 and len(store.impedance(step.id)) == 3
        typed = example_protocol.result(step.result)
        assert typed.magnitude_Ohm > 0
        assert result_text(step.kind, step.result) == \
            f"|Z| = {typed.magnitude_Ohm:.4g} ± {typed.magnitude_std_Ohm:.4g} Ohm"


def test_the_progress_line_counts_what_the_protocols_declare_they_count(example_protocol):
    view = RunView(Console(file=io.StringIO()))
    for step_id, (kind, status) in enumerate((("eis", "done"), ("eis", "failed"),
                                              (KIND, "done"), ("dc_polarization", "done"))):
        view.subscriber(ev.MeasurementFinished(1, step_id, kind, status, {}))
    view.pump(1.0)
    assert " | 1 spectra | " in view._line()


@pytest.mark.parametrize("entry, why", [
    (f"ocv = labctl_example_z.{KIND}:SPEC", "is not the ProtocolSpec of kind 'ocv'"),
    (f"{KIND} = labctl_example_z.{KIND}:Params", "is not the ProtocolSpec"),
    (f"{KIND} = labctl_example_z.missing:SPEC", "cannot be loaded: No module named")])
def test_a_misregistered_protocol_is_refused_naming_its_entry_point(installed, entry, why):
    installed(entry)
    with pytest.raises(ConfigError, match=why):
        registry.protocols()


def test_no_registered_protocol_says_to_reinstall(monkeypatch):
    monkeypatch.setattr(registry, "PROTOCOL_GROUP", "labctl.no_such_group")
    registry.protocols.cache_clear()
    try:
        with pytest.raises(ConfigError, match="no protocol is registered .* reinstall labctl"):
            registry.protocols()
    finally:
        monkeypatch.undo()
        registry.protocols.cache_clear()
