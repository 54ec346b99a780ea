"""The GUI's form and one-off commands are checked like a recipe file, before anything
moves: out-of-range values are refused with the instrument's range, and the simulated
instruments never see a command."""

from __future__ import annotations

import pytest
from labctl.capabilities import TemperatureController


def test_one_offs_outside_the_instruments_ranges_touch_no_instrument(qtbot, window):
    panel, session = window.bench_panel, window.session
    furnace = session.bench.find(TemperatureController)[0]
    fra = session.bench.simulation.devices["fra"]
    def held():                  # on the runner's worker, the instruments' one I/O owner
        return session.runner.call(
            lambda: (furnace.target_setpoint_K, furnace.ramp_rate_K_per_s)).result(60)

    setpoint, rate = held()
    generator = dict(fra.numbers)
    panel.setpoint.setText("-50")
    panel.ramp.setText("7")
    panel.set_furnace()
    assert "-50 degC is outside what 'furnace' (eurotherm3216) can reach: 25 .. 900 degC " \
           "(heating only" in panel.message.text()
    panel.forms["eis"]["start_Hz"].setText("5e7")
    panel.one_off("eis")
    assert "5e+07 Hz is outside what 'fra' (solartron1260) can do" in panel.message.text()
    assert session.runner.state == "idle"
    assert held() == pytest.approx((setpoint, rate), abs=1e-3)
    assert fra.numbers == generator


def test_the_form_refuses_a_temperature_below_ambient(qtbot, window):
    form = window.run_panel.form
    form.edits["program.temperatures_C"].setText("-50, 300")
    assert window.run_panel.validate() is None
    assert "heating only" in form.errors["program.temperatures_C"].text()
    assert window.session.runner.state == "idle"
