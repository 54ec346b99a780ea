"""A low-impedance cell overloads the analyzer's current input: the amplitude is halved, as
an operator would, in a spectrum and in the stability wait's |Z| thermometer (the shipped
Li-PEO cell, 0.23 Ohm at 400 degC: 20 mV rms drives 86 mA into the 1260's 60 mA range)."""

import tomllib
from pathlib import Path

import pytest

import labctl.simulators
from labctl.errors import Overload
from labctl.protocols import eis_sweep, stabilize
from tests.protocols.simbench import sim_context

T_K = 673.15
LI_PEO = tomllib.loads((Path(labctl.simulators.__file__).parent / "samples" / "li-peo.toml")
                       .read_text())
SPECTRUM = dict(start_Hz=1e6, stop_Hz=10.0, points_per_decade=3)


def test_a_spectrum_goes_on_at_half_the_amplitude(tmp_path):
    with sim_context(tmp_path, LI_PEO, start_K=T_K) as (ctx, bench):
        halved = eis_sweep.run(ctx, eis_sweep.Params(amplitude_V=0.02, **SPECTRUM))
        direct = eis_sweep.run(ctx, eis_sweep.Params(amplitude_V=0.01, **SPECTRUM))
    first, second = ctx.of_kind("eis")
    assert {p.amplitude_V for p in first.points} == {0.01}       # from the first point on
    assert len(first.points) == len(second.points) == 16
    assert halved.r_ion_Ohm == pytest.approx(direct.r_ion_Ohm, rel=0.01)
    assert [m for level, m in ctx.events if "amplitude halved to 0.01 V" in m] != []


def test_below_the_least_amplitude_the_overload_is_the_error(tmp_path):
    with sim_context(tmp_path, LI_PEO, start_K=T_K) as (ctx, bench):
        with pytest.raises(Overload, match="current input overload"):
            eis_sweep.run(ctx, eis_sweep.Params(amplitude_V=0.02, min_amplitude_V=0.015,
                                                **SPECTRUM))
        assert bench.simulation.devices["fra"].numbers["VA"] == 0.0     # generator off


def test_the_stability_wait_keeps_the_halved_amplitude(tmp_path):
    with sim_context(tmp_path, LI_PEO, start_K=T_K) as (ctx, bench):
        result = stabilize.run(ctx, stabilize.Params(
            target_K=T_K, ramp_rate_K_per_s=0.2, poll_s=20.0, window_s=120.0,
            reference_Hz=1e3, amplitude_V=0.02))
    (m,) = ctx.of_kind("stabilize")
    assert result.stable and {p.amplitude_V for p in m.points} == {0.01}
    assert len([m for _, m in ctx.events if "amplitude halved" in m]) == 1
