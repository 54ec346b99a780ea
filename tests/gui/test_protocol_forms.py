"""The GUI reads the protocols' declarations: its forms are generated from them (their
defaults are the `Params` defaults, and a newly installed protocol gets its fields in the
recipe form and a one-off form on the bench panel without any GUI change), and the event
log shows a finished measurement's declared summary."""

from __future__ import annotations

import dataclasses
from dataclasses import MISSING

from labctl import events as ev
from labctl import registry
from PySide6.QtWidgets import QLabel

from labctl.bench import load_bench
from tests.protocols.example_protocol import KIND


def _defaults(kind: str) -> dict[str, float]:
    return {f.name: f.default for f in dataclasses.fields(registry.protocol(kind).Params)}


def test_form_defaults_are_the_protocols_defaults(qtbot):
    from labctl.gui.recipe_form import RecipeForm

    form = RecipeForm(load_bench("sim-full"))
    qtbot.addWidget(form)
    for spec in form.protocols:
        defaults = _defaults(spec.kind)
        for name in spec.form:
            text = form.edits[f"{spec.kind}.{name}"].text()
            default = defaults[name]
            assert (float(text) if text else default if default in (None, MISSING) else text) \
                == default
    assert form.edits["eis.amplitude_V"].text() == "0.01"   # was 0.02
    assert form.edits["hebb_wagner.area_m2"].text() == ""   # required: no default


def test_a_new_protocol_gets_its_recipe_form_group_and_one_off_form(
        qtbot, example_protocol, window):
    form, panel = window.run_panel.form, window.bench_panel
    assert form.edits[f"{KIND}.frequency_Hz"].text() == "1000"
    assert set(panel.forms[KIND]) == {"frequency_Hz", "amplitude_V"}
    recipe = window.run_panel.validate()
    assert recipe is not None
    assert [s.path for s in recipe.steps if s.kind == KIND] == \
        ["program[1]/z_at_frequency", "program[2]/z_at_frequency"]
    form.edits[f"{KIND}.amplitude_V"].setText("0.9")    # the bench's limit: 0.5
    assert window.run_panel.validate() is None
    assert "exceeds the limit amplitude_V" in form.errors[f"{KIND}.amplitude_V"].text()


def test_an_unmeasured_protocol_is_left_out_and_problems_still_find_their_field(qtbot, window):
    form = window.run_panel.form
    first = "eis"
    form.measure[first].setChecked(False)
    form.edits["dc_polarization.voltage_V"].setText("50")     # the smu's limit: 5 V
    assert window.run_panel.validate() is None    # its problem is program.body[1] in the TOML
    assert "exceeds the limit voltage_V = 5 of 'smu'" in \
        form.errors["dc_polarization.voltage_V"].text()
    form.edits["dc_polarization.voltage_V"].setText("0.1")
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


def test_a_required_parameter_starts_empty_and_its_protocol_refuses_to_start_naming_it(
        qtbot, window):
    form, panel = window.run_panel.form, window.run_panel
    assert not form.measure["hebb_wagner"].isChecked()      # its defaults are not complete
    assert form.edits["hebb_wagner.area_m2"].placeholderText() == "required"
    form.measure["hebb_wagner"].setChecked(True)
    assert panel.form_area.verticalScrollBar().value() == 0
    panel.buttons["start"].click()
    assert window.session.runner.state == "idle"
    assert form.errors["hebb_wagner.area_m2"].text() == \
        "required: blocking electrode area (area_m2)"
    assert "(L_eff_m)" in form.errors["hebb_wagner.L_eff_m"].text()
    assert not form.errors["eis.start_Hz"].text()
    assert panel.log.item(panel.log.count() - 1).text().endswith(
        "fields to correct: Hebb-Wagner polarization: area_m2, "
        "Hebb-Wagner polarization: L_eff_m")
    area = form.edits["hebb_wagner.area_m2"]      # scrolled to the first of them
    assert panel.form_area.viewport().rect().contains(
        area.mapTo(panel.form_area.viewport(), area.rect().center()))
    form.edits["hebb_wagner.area_m2"].setText("1e-5")
    form.edits["hebb_wagner.L_eff_m"].setText("2e-3")
    recipe = panel.validate()
    assert recipe is not None and not form.errors["hebb_wagner.area_m2"].isVisibleTo(form)
    (step, *_) = [s for s in recipe.steps if s.kind == "hebb_wagner"]
    assert (step.params.area_m2, step.params.L_eff_m) == (1e-5, 2e-3)


def test_a_protocol_the_bench_cannot_run_is_unticked_and_disabled_with_the_reason(qtbot):
    from labctl.gui.recipe_form import RecipeForm

    sim, full = load_bench("sim"), load_bench("sim-full")
    form = RecipeForm(sim)
    qtbot.addWidget(form)
    for kind, role in (("emf", "voltmeter"), ("atmosphere", "o2")):
        assert not form.measure[kind].isChecked() and not form.measure[kind].isEnabled()
        assert f"role {role!r}" in form.findChild(QLabel, f"{kind}.unavailable").text()
    recipe = form.recipe(sim)
    assert recipe is not None and {"emf", "atmosphere"}.isdisjoint(s.kind for s in recipe.steps)
    form = RecipeForm(full)          # an instrument for every role: emf is ticked there
    qtbot.addWidget(form)
    assert form.measure["emf"].isChecked() and not form.unavailable
    recipe = form.recipe(full)
    assert recipe is not None and "emf" in {s.kind for s in recipe.steps}


def test_an_either_or_left_open_is_not_ticked_and_once_ticked_says_what_to_give(qtbot):
    from labctl.gui.recipe_form import RecipeForm

    full = load_bench("sim-full")
    form = RecipeForm(full)
    qtbot.addWidget(form)
    assert form.measure["atmosphere"].isEnabled() and not form.measure["atmosphere"].isChecked()
    form.measure["atmosphere"].setChecked(True)
    assert form.recipe(full) is None
    assert "or target_pO2_Pa" in form.errors["atmosphere.o2_flow_sccm"].text()
    form.edits["atmosphere.target_pO2_Pa"].setText("2000")
    recipe = form.recipe(full)
    assert recipe is not None
    assert {s.params.target_pO2_Pa for s in recipe.steps if s.kind == "atmosphere"} == {2000.0}
