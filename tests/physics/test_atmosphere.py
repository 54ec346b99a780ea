"""Gas physics against closed-form truth: the furnace tube as a stirred mixing volume
(tau = V / flow), the sample's oxygen following by chemical diffusion (Crank's slab series;
an independent finite-difference solution of Fick's law), Brouwer-type electronic
conductivity sigma_n0 pO2^-1/4 + sigma_p0 pO2^+1/4 from Park & Blumenthal's 8YSZ, and the
simulated instruments seeing the sample at the pO2 it has taken up."""

import math

import numpy as np
import pytest
from scipy.constants import atm, e, k
from scipy.linalg import solve_banded

from labctl.clock import VirtualClock
from labctl.errors import ConfigError
from labctl.simulators.physics.atmosphere import MixingVolume, SampleOxygen
from labctl.simulators.physics.sample import SampleModel
from labctl.simulators.physics.sample_file import shipped_sample
from labctl.simulators.world import SimWorld
from tests.physics.conftest import default_tables

T_800C = 1073.15


def test_the_tube_exchanges_its_gas_with_tau_volume_over_flow():
    tube = MixingVolume(volume_cm3=300.0, x0=0.2095)
    tube.set_feed("O2", 100.0, "O2", 0.0)              # tau = 300 cm^3 / 100 sccm = 180 s
    assert tube.exchange_time_s() == pytest.approx(180.0)
    assert tube.o2_fraction(180.0) == pytest.approx(1 - 0.7905 * math.exp(-1))
    tube.set_feed("N2", 300.0, "N2", 180.0)            # 100 O2 + 300 N2: x_in = 0.25, tau 45 s
    x1 = 1 - 0.7905 * math.exp(-1)
    x_in = (100 * 1.0 + 300 * 3e-6) / 400
    assert tube.o2_fraction(270.0) == pytest.approx(x_in + (x1 - x_in) * math.exp(-2))
    assert tube.pO2_Pa(1e6) == pytest.approx(x_in * atm)


def test_with_every_valve_closed_the_gas_stays():
    tube = MixingVolume(x0=0.01)
    tube.set_feed("N2", 0.0, "N2", 0.0)
    assert tube.o2_fraction(1e9) == 0.01


def crank_step(t_over_tau: float, terms: int = 20000) -> float:
    """Fraction of a step still to come: sum 8/((2m+1)^2 pi^2) exp(-(2m+1)^2 t / tau)."""
    m = 2 * np.arange(terms) + 1
    return float(np.sum(8 / (m * np.pi) ** 2 * np.exp(-m ** 2 * t_over_tau)))


@pytest.mark.parametrize("t_over_tau", [0.05, 0.3, 1.0, 3.0])
def test_a_step_of_the_tube_reaches_the_sample_as_cranks_slab_series(t_over_tau):
    tube = MixingVolume(volume_cm3=1e-9, x0=0.2095)   # exchange in ~1e-9 s: a step
    sample = SampleOxygen(tube.fractions(0.0), 0.0)
    tube.set_feed("O2", 100.0, "O2", 0.0)
    sample.advance(t_over_tau * 100.0, tube, tau_s=100.0)
    p0, p1 = 0.2095 * atm, atm
    assert sample.pO2_Pa() == pytest.approx(p1 + (p0 - p1) * crank_step(t_over_tau), rel=2e-3)


def fick_mean(u, t_end: float, tau: float, cells: int = 200, steps: int = 4000) -> float:
    """Mean concentration of a slab (thickness 1, both faces at u(t), starting at u(0))
    from Crank-Nicolson finite differences of dc/dt = D c'' with D = 1/(pi^2 tau)."""
    D, h, dt = 1 / (np.pi ** 2 * tau), 1.0 / cells, t_end / steps
    r = D * dt / h ** 2
    c = np.full(cells - 1, u(0.0))
    ab = np.zeros((3, cells - 1))
    ab[0, 1:], ab[1, :], ab[2, :-1] = -r / 2, 1 + r, -r / 2
    for n in range(steps):
        b0, b1 = u(n * dt), u((n + 1) * dt)
        rhs = (1 - r) * c
        rhs[1:] += r / 2 * c[:-1]
        rhs[:-1] += r / 2 * c[1:]
        rhs[0] += r / 2 * (b0 + b1)
        rhs[-1] += r / 2 * (b0 + b1)
        c = solve_banded((1, 1), ab, rhs)
    edge = u(t_end)
    return float((np.sum(c) + edge) * h)            # trapezoid over the slab, faces at u


def test_a_tube_that_changes_gradually_reaches_the_sample_as_ficks_law_says():
    """Tube exchange 60 s, sample 100 s: the modes' exact update against finite differences."""
    tube = MixingVolume(volume_cm3=100.0, x0=0.2095)
    sample = SampleOxygen(tube.fractions(0.0), 0.0)
    tube.set_feed("O2", 100.0, "O2", 0.0)               # tau_tube = 60 s
    for t in np.linspace(1.0, 250.0, 7):                # any slicing gives the same answer
        sample.advance(t, tube, tau_s=100.0)
    expected = fick_mean(tube.pO2_Pa, 250.0, 100.0)
    assert sample.pO2_Pa() == pytest.approx(expected, rel=2e-3)


def ysz() -> SampleModel:
    return SampleModel.from_toml(shipped_sample("8ysz-po2"))


def test_electronic_conductivity_is_park_and_blumenthals_law():
    """sigma_n = 1.31e7 exp(-3.88 eV/kT) pO2^-1/4 S/cm, sigma_p = 2.35e2 exp(-1.67 eV/kT)
    pO2^+1/4 S/cm [PB89], at 700 degC and pO2 = 1e-2 atm."""
    T, x = 973.15, 1e-2
    sample = ysz().at_pO2(x * atm)
    n, p = sample.electronic_parts(T)
    kT = k * T / e
    assert n == pytest.approx(100 * 1.31e7 * math.exp(-3.88 / kT) * x ** -0.25, rel=1e-3)
    assert p == pytest.approx(100 * 2.35e2 * math.exp(-1.67 / kT) * x ** 0.25, rel=1e-3)
    assert sample.sigma("electronic", T) == pytest.approx(n + p)


def test_the_electronic_parts_have_slopes_of_a_quarter_in_log_pO2():
    lo, hi = ysz().at_pO2(1e-20 * atm), ysz().at_pO2(1e-16 * atm)
    (n_lo, p_lo), (n_hi, p_hi) = lo.electronic_parts(T_800C), hi.electronic_parts(T_800C)
    assert math.log10(n_hi / n_lo) == pytest.approx(-1.0)      # 4 decades x -1/4
    assert math.log10(p_hi / p_lo) == pytest.approx(+1.0)
    r = hi.resistances(T_800C)
    assert r["electronic"] == pytest.approx(1e-3 / ((n_hi + p_hi) * 1e-4))


def test_a_sample_file_with_both_electronic_tables_is_refused_by_name():
    data = default_tables("8ysz-po2")
    data["electronic"] = {"sigma_ref_S_per_m": 1e-9, "T_ref_K": 573.15, "Ea_eV": 1.6}
    with pytest.raises(ConfigError, match="electronic.*either"):
        SampleModel.from_dict(data, source="both.toml")


def test_old_sample_files_do_not_depend_on_the_gas():
    world = SimWorld.create(clock=VirtualClock())
    before = world.sample.resistances(T_800C)["electronic"]
    world.set_feed("O2", 500.0, "O2")
    world.clock.advance_to(3600.0)
    assert world.sample.resistances(T_800C)["electronic"] == before


def test_the_world_lets_the_sample_take_up_each_mix_in_turn():
    """Two changes of the feed while the sample still lags: the sample follows each segment
    of the tube (the world advances it before every change)."""
    world = SimWorld.create(clock=VirtualClock(), sample_path=shipped_sample("8ysz-po2"),
                            start_temperature_K=T_800C)
    tau = float(ysz().chemical_diffusion_time_s(world.sample_temperature_K()))
    tube = MixingVolume(x0=0.2095)
    reference = SampleOxygen(tube.fractions(0.0), 0.0)
    for t, flow_o2, flow_n2 in ((0.0, 300.0, 0.0), (50.0, 0.0, 300.0), (80.0, 100.0, 100.0)):
        world.clock.advance_to(t)
        reference.advance(t, tube, tau)
        for gas, flow in (("O2", flow_o2), ("N2", flow_n2)):
            world.set_feed(gas, flow, gas)
            tube.set_feed(gas, flow, gas, t)
    world.clock.advance_to(150.0)
    reference.advance(150.0, tube, tau)
    assert world.sample_pO2_Pa() == pytest.approx(reference.pO2_Pa(), rel=1e-6)


def test_the_simulated_instruments_see_the_sample_at_the_oxygen_it_has_taken_up():
    world = SimWorld.create(clock=VirtualClock(), sample_path=shipped_sample("8ysz-po2"),
                            start_temperature_K=T_800C)
    world.set_feed("O2", 300.0, "O2")                   # tube: 60 s; sample: tau(T) ~ 100 s
    tau = ysz().chemical_diffusion_time_s(world.sample_temperature_K())
    world.clock.advance_to(60.0)
    lagging = world.sample_pO2_Pa()
    assert world.pO2_Pa() > lagging > 0.2095 * atm      # behind the tube, ahead of air
    world.clock.advance_to(20 * tau + 1200.0)
    assert world.sample_pO2_Pa() == pytest.approx(world.pO2_Pa(), rel=1e-6)
    T = world.sample_temperature_K()
    n, p = ysz().at_pO2(world.pO2_Pa()).electronic_parts(T)
    assert world.sample.resistances(T)["electronic"] == pytest.approx(1e-3 / ((n + p) * 1e-4))
