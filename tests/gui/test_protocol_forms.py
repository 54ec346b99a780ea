"""The GUI reads the protocols' declarations: its forms are generated from them (their
defaults are the `Params` defaults, and a newly installed protocol gets its fields in the
recipe form and a one-off form on the bench panel without any GUI change), and the event
log shows a finished measurement's declared summary."""

from __future__ import annotations

import dataclasses

from labctl import events as ev
from labctl import registry
from tests.protocols.example_protocol import KIND


def _defaults(kind: str) -> dict[str, float]:
    return {f.name: f.default for f in dataclasses.fields(registry.protocol(kind).Params)}


def test_form_defaults_are_the_protocols_defaults(qtbot):
    from labctl.gui.recipe_form import RecipeForm

    form = RecipeForm()
    qtbot.addWidget(form)
    for i, spec in enumerate(form.protocols, 1):
        defaults = _defaults(spec.kind)
        for name in spec.form:
            assert float(form.edits[f"program.body[{i}].{name}"].text()) == defaults[name]
    assert form.edits["program.body[1].amplitude_V"].text() == "0.01"   # eis: was 0.02


def test_a_new_protocol_gets_its_recipe_form_group_and_one_off_form(
        qtbot, example_protocol, window):
    form, panel = window.run_panel.form, window.bench_panel
    (i,) = [i for i, s in enumerate(form.protocols, 1) if s.kind == KIND]
    assert form.edits[f"program.body[{i}].frequency_Hz"].text() == "1000"
    assert set(panel.forms[KIND]) == {"frequency_Hz", "amplitude_V"}
    recipe = window.run_panel.validate()
    assert recipe is not None
    assert [s.path for s in recipe.steps if s.kind == KIND] == \
        ["program[1]/z_at_frequency", "program[2]/z_at_frequency"]
    form.edits[f"program.body[{i}].amplitude_V"].setText("0.9")    # the bench's limit: 0.5
    assert window.run_panel.validate() is None
    assert "exceeds the limit amplitude_V" in form.errors[f"program.body[{i}].amplitude_V"].text()


def test_an_unmeasured_protocol_is_left_out_and_problems_still_find_their_field(qtbot, window):
    form = window.run_panel.form
    first = form.protocols[0].kind
    form.measure[first].setChecked(False)
    form.edits["program.body[2].voltage_V"].setText("50")     # the smu's limit: 5 V
    assert window.run_panel.validate() is None    # its problem is program.body[1] in the TOML
    assert "exceeds the limit voltage_V = 5 of 'smu'" in \
        form.errors["program.body[2].voltage_V"].text()
    form.edits["program.body[2].voltage_V"].setText("0.1")
    recipe = window.run_panel.validate()
    assert recipe is not None and first not in {s.kind for s in recipe.steps}


def test_the_event_log_shows_the_declared_summary_of_a_measurement(qtbot, window):
    panel = window.run_panel
    panel.handle(ev.MeasurementFinished(1, 7, "eis", "done", {
        "r_ion_Ohm": 1.5e4, "kk_ok": True, "kk_mu": 0.3, "kk_residuals_real": [0.1]}))
    panel.handle(ev.MeasurementFinished(1, 8, "dc_polarization", "failed", {}))
    texts = [panel.log.item(i).text() for i in range(panel.log.count())]
    assert texts[-2].endswith("eis done: R_ion = 1.5e+04 Ohm, KK ok = True")
    assert texts[-1].endswith("dc_polarization failed")
