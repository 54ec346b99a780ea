"""EIS sweep on the simulated bench: the recorded spectrum is the physics, checks flag
a changing sample, the adaptive end keeps R_ion and saves the slow points."""

import numpy as np
import pytest

from labctl.capabilities import ImpedancePoint
from labctl.context import Aborted
from labctl.protocols import _params, eis_sweep
from tests.protocols.simbench import FRAS, sim_context


def test_recorded_spectrum_equals_the_physics_within_the_noise(tmp_path):
    with sim_context(tmp_path) as (ctx, bench):
        result = eis_sweep.run(ctx, eis_sweep.Params(start_Hz=1e6, stop_Hz=0.1))
        world = bench.simulation.world
        (m,) = ctx.of_kind("eis")
        f = np.array([p.frequency_Hz for p in m.points])
        z = np.array([p.impedance_Ohm for p in m.points])
        truth = world.sample.impedance(f, world.sample_temperature_K())
    np.testing.assert_allclose(f, np.logspace(6, -1, 71), rtol=1e-6)
    deviation = np.abs(z / truth - 1)
    assert deviation.max() < 5 * np.sqrt(2) * world.sample.noise.relative
    assert m.status == "done" and m.result == result.to_dict()
    assert result.kk_ok and result.drift_ok and result.skipped_below_Hz is None
    assert result.temperature_drift_K == pytest.approx(0, abs=0.05)
    assert len(result.kk_residuals_real) == 71


@pytest.mark.parametrize("fra", FRAS)
def test_every_fra_records_the_physics_and_r_ion(tmp_path, fra):
    """Every instrument that can play the FRA, over its own frequency range (ends
    included: a logspace grid once missed the EmStat's 200 kHz by rounding)."""
    with sim_context(tmp_path, roles={"fra": fra}) as (ctx, bench):
        low, high = ctx.instrument("fra").frequency_range_Hz
        start, stop = min(high, 1e6), max(low, 0.1)
        result = eis_sweep.run(ctx, eis_sweep.Params(start_Hz=start, stop_Hz=stop))
        world = bench.simulation.world
        (m,) = ctx.of_kind("eis")
        f = np.array([p.frequency_Hz for p in m.points])
        z = np.array([p.impedance_Ohm for p in m.points])
        T_K = world.sample_temperature_K()
        truth = world.sample.impedance(f, T_K)
        r = world.sample.resistances(T_K)
    assert f[0] == start and f[-1] == stop
    assert np.abs(z / truth - 1).max() < 5 * np.sqrt(2) * world.sample.noise.relative
    if stop < 10:           # the valley between the sample's arcs and the electrode's
        assert result.r_ion_Ohm == pytest.approx(r["bulk"] + r["grain_boundary"], rel=0.02)


@pytest.mark.parametrize("T_K", [573.15, 673.15, 773.15])
def test_adaptive_end_gives_the_full_spectrums_r_ion_in_less_time(tmp_path, T_K):
    with sim_context(tmp_path, start_K=T_K) as (ctx, bench):
        times = []
        for adaptive in (False, True):
            start = bench.clock.now()
            eis_sweep.run(ctx, eis_sweep.Params(adaptive_low_frequency=adaptive,
                                                start_Hz=1e6, stop_Hz=0.01))
            times.append(bench.clock.now() - start)
        full, cut = (m.result for m in ctx.of_kind("eis"))
        sample = bench.simulation.world.sample
        r = sample.resistances(T_K)
        r_parallel = 1 / (1 / (r["bulk"] + r["grain_boundary"]) + 1 / r["electronic"])
    assert cut["skipped_below_Hz"] is not None and full["skipped_below_Hz"] is None
    assert cut["r_ion_Ohm"] == pytest.approx(full["r_ion_Ohm"], rel=0.005)
    assert full["r_ion_Ohm"] == pytest.approx(r_parallel, rel=0.03)
    assert times[1] < times[0] / 3
    assert cut["kk_ok"]


@pytest.mark.parametrize("reference_Hz", [None, 100.0])
def test_a_heating_sample_is_flagged_and_measured_again(tmp_path, reference_Hz):
    with sim_context(tmp_path, start_K=623.15) as (ctx, bench):
        furnace = bench["furnace"]
        furnace.set_ramp_rate(10 / 60)
        furnace.set_setpoint(700.0)
        result = eis_sweep.run(ctx, eis_sweep.Params(remeasure=1, stop_Hz=1.0,
                                                     reference_Hz=reference_Hz))
    spectra = ctx.of_kind("eis")
    assert len(spectra) == 2 and [m.result["attempt"] for m in spectra] == [0, 1]
    assert not result.drift_ok and result.temperature_drift_K > 1.0
    assert result.reference_drift > 0.01
    assert [level for level, _ in ctx.events].count("warning") == 2


def test_abort_leaves_the_generator_off_and_the_measurement_aborted(tmp_path):
    with sim_context(tmp_path) as (ctx, bench):
        ctx.abort("operator")
        with pytest.raises(Aborted):
            eis_sweep.run(ctx, eis_sweep.Params(amplitude_V=0.05, bias_V=0.2))
        device = bench.simulation.devices["fra"]
        assert device.numbers["VA"] == 0 and device.numbers["VB"] == 0
    (m,) = ctx.of_kind("eis")
    assert m.status == "aborted" and len(m.points) == 1


def test_a_steady_sample_with_a_reference_frequency_passes(tmp_path):
    with sim_context(tmp_path) as (ctx, _):
        result = eis_sweep.run(ctx, eis_sweep.Params(stop_Hz=1.0, reference_Hz=100.0))
    assert result.drift_ok and result.reference_drift < 0.005


def test_adaptive_needs_a_descending_sweep():
    assert [k for k, _ in _params.problems(eis_sweep.Params, {
        "start_Hz": 0.1, "stop_Hz": 1e6, "adaptive_low_frequency": True})] \
        == ["adaptive_low_frequency"]
    assert eis_sweep.frequencies(_params.build(eis_sweep.Params, {
        "start_Hz": 10, "stop_Hz": 1000, "points_per_decade": 5}))[-1] == pytest.approx(1000)


def synthetic(z_of_f):
    f = np.logspace(4, -1, 51)
    return [ImpedancePoint(0.0, fi, z_of_f(fi), 0.01) for fi in f]


@pytest.mark.parametrize("electrode, established", [
    (lambda w: 1 / (1e-6 * (1j * w) ** 0.85), True),          # a blocking CPE: the spike
    (lambda w: 1 / (1e-6 * (1j * w) ** 0.85) * (1 + 1e2 / w), False),   # |Z| ~ f^-1.85
])
def test_spike_needs_a_power_law_below_the_valley(electrode, established):
    def z(f):
        w = 2 * np.pi * f
        return 1e4 / (1 + 1j * w * 1e4 * 1e-8) + electrode(w)
    points = synthetic(z)
    assert eis_sweep.spike_established(points, eis_sweep.Params()) is established
    assert not eis_sweep.spike_established(points[:20], eis_sweep.Params())  # before the valley


def test_repeats_and_an_explicit_ascending_list(tmp_path):
    with sim_context(tmp_path) as (ctx, _):
        eis_sweep.run(ctx, eis_sweep.Params(frequencies_Hz=(10.0, 100.0, 1e3, 1e4), repeats=2))
    spectra = ctx.of_kind("eis")
    assert [m.result["repeat"] for m in spectra] == [0, 1]
    assert [p.frequency_Hz for p in spectra[1].points] == [10.0, 100.0, 1e3, 1e4]


def test_remaining_time_estimate_tracks_the_slow_low_frequency_points(tmp_path):
    with sim_context(tmp_path) as (ctx, bench):
        start = bench.clock.now()
        eis_sweep.run(ctx, eis_sweep.Params(start_Hz=1e6, stop_Hz=0.1))
        total = bench.clock.now() - start
    (m,) = ctx.of_kind("eis")
    t_end = m.points[-1].time_s
    # once the sweep is below 20 Hz the estimate is the actual time left within 25 %
    k = next(i for i, p in enumerate(m.points) if p.frequency_Hz < 20.0)
    estimate = ctx.progress_updates[k][1]
    actual = t_end - m.points[k].time_s
    assert actual > 0.9 * total                    # the slow points are still ahead
    assert estimate == pytest.approx(actual, rel=0.25)
