"""Several pellets in the simulated furnace, reached through a simulated switch: the FRA
measures the pellet the matrix routes to it, at that pellet's temperature, through the
channels' parasitics; nothing routed is an open input."""

import math

import pytest

from labctl.bench import open_bench, parse_bench
from labctl.clock import VirtualClock
from labctl.simulators.physics.pellets import Lead
from labctl.simulators.physics.sample import SampleModel
from labctl.simulators.physics.sample_file import locate
from labctl.simulators.world import OPEN_INPUT_F

BENCH = """
[instruments.fra]
driver = "solartron1260"
resource = "sim://fra"

[instruments.matrix]
driver = "keithley7001"
resource = "sim://matrix"

[instruments.matrix.options.channels]
"1!1" = { sample = "A", terminal = "fra.hi" }
"1!11" = { sample = "A", terminal = "fra.lo" }
"1!2" = { sample = "B", terminal = "fra.hi" }
"1!12" = { sample = "B", terminal = "fra.lo" }

[simulation]
start_temperature_C = 700.0

[simulation.pellets.A]
sample = "ysz"
offset_K = -4.0

[simulation.pellets.B]
sample = "gdc10"
offset_K = 3.0
lag_s = 300.0
"""
# two 7011 channels in the path (hi and lo): 2 x 0.5 Ohm, 30 pF, 2 x 0.4 uH (the simulator's)
PATH = Lead(series_R_Ohm=1.0, stray_C_F=30e-12, lead_L_H=0.8e-6)


@pytest.fixture
def bench(tmp_path):
    path = tmp_path / "bench.toml"
    path.write_text(BENCH)
    with open_bench(parse_bench(BENCH, str(path)), clock=VirtualClock()) as opened:
        yield opened


def truth(name, frequency_Hz, T_K):
    sample = SampleModel.from_toml(locate({"A": "ysz", "B": "gdc10"}[name]))
    return complex(PATH.measured(sample.impedance(frequency_Hz, T_K), frequency_Hz))


def test_the_fra_measures_the_pellet_the_matrix_routes_to_it(bench):
    world = bench.simulation.world
    furnace_K = world.sample_temperature_K()
    matrix, fra = bench["matrix"], bench["fra"]
    for name, offset_K in (("A", -4.0), ("B", 3.0), ("A", -4.0)):
        matrix.connect(matrix.channels_for(name, "fra"))
        z = fra.measure(1e3, 0.05).impedance_Ohm
        assert z == pytest.approx(truth(name, 1e3, furnace_K + offset_K), rel=0.02)
    other = truth("B", 1e3, furnace_K + 3.0)
    assert abs(z - other) > 0.2 * abs(other)          # the pellets are told apart


def test_the_channels_parasitics_bend_the_high_frequency_end(bench):
    world = bench.simulation.world
    matrix = bench["matrix"]
    matrix.connect(matrix.channels_for("A", "fra"))
    T = world.sample_temperature_K() - 4.0
    own = complex(world.pellets["A"].sample.impedance(1e6, T))
    seen = complex(world.impedance_seen("fra", 1e6))
    assert seen == pytest.approx(truth("A", 1e6, T), rel=1e-9)
    assert abs(seen - own) > 0.01 * abs(own)


def test_nothing_routed_is_an_open_input(bench):
    world = bench.simulation.world
    matrix = bench["matrix"]
    matrix.connect(matrix.channels_for("B", "fra"))
    matrix.safe_state()
    assert complex(world.impedance_seen("fra", 1e3)) == pytest.approx(
        1 / (2j * math.pi * 1e3 * OPEN_INPUT_F))


def test_a_bad_pellet_table_is_named(tmp_path):
    from labctl.errors import ConfigError

    with pytest.raises(ConfigError, match=r"simulation\.pellets"):
        parse_bench(BENCH.replace("lag_s = 300.0", "lag_s = -1.0"), "bench.toml")


def test_a_pellet_on_the_hi_terminal_only_is_not_measured(bench):
    world = bench.simulation.world
    bench["matrix"].connect({"1!1"})
    assert complex(world.impedance_seen("fra", 1e3)) == pytest.approx(
        1 / (2j * math.pi * 1e3 * OPEN_INPUT_F))


def test_bench_check_names_the_line_of_a_terminal_on_a_missing_instrument():
    from labctl.errors import ConfigError

    text = BENCH.replace('"1!12" = { sample = "B", terminal = "fra.lo" }',
                        '"1!12" = { sample = "B", terminal = "smu.lo" }')
    with pytest.raises(ConfigError) as info:
        parse_bench(text, "bench.toml")
    line = text.splitlines().index('"1!12" = { sample = "B", terminal = "smu.lo" }') + 1
    assert str(info.value) == (f"bench.toml:{line} [instruments.matrix.options.channels.1!12]: "
                               "terminal 'smu.lo': no instrument 'smu' on this bench")
