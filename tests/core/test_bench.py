"""Bench files: validation with file/line/field, the driver registry, opening a bench."""

from importlib.metadata import EntryPoint

import pytest
from hypothesis import given, strategies as st

from labctl import registry
from labctl.bench import bench_from_data, load_bench, open_bench, parse_bench
from labctl.configfile import ConfigProblems
from labctl.errors import ConfigError
from tests.core.toy import ToyDriver, ToySource

GOOD = """\
[instruments.src]
driver = "toy"
resource = "socket://127.0.0.1:5025"
options = { channel = 2, timeout_s = 5.0 }
limits = { voltage_V = 5.0 }
"""


@pytest.fixture(autouse=True)
def toy_registered(monkeypatch):
    points = dict(registry.driver_entry_points())
    points["toy"] = EntryPoint("toy", "tests.core.toy:ToyDriver", registry.GROUP)
    monkeypatch.setattr(registry, "driver_entry_points", lambda: points)


def test_valid_bench():
    config = parse_bench(GOOD, "b.toml")
    spec = config.instruments["src"]
    assert (spec.driver, spec.options["channel"], spec.limits) == ("toy", 2, {"voltage_V": 5.0})
    assert not config.simulated


@pytest.mark.parametrize("text, field, line, message", [
    (GOOD.replace('driver = "toy"', 'driver = "nope"'), "instruments.src.driver", 2,
     "unknown driver 'nope'"),
    (GOOD.replace("channel = 2", "chanel = 2"), "instruments.src.options.chanel", 4,
     "unknown option"),
    (GOOD.replace("voltage_V", "volts"), "instruments.src.limits.volts", 5, "unknown limit"),
    (GOOD.replace("voltage_V = 5.0", 'voltage_V = "high"'), "instruments.src.limits.voltage_V", 5,
     "must be a number"),
    (GOOD.replace('resource = "socket://127.0.0.1:5025"\n', ""), "instruments.src.resource", 1,
     "required"),
    (GOOD + "colour = 3\n", "instruments.src.colour", 6, "unknown key"),
    (GOOD.replace("timeout_s = 5.0", "timeout_s = -1"), "instruments.src.options.timeout_s", 4,
     "must be a number of seconds > 0"),
    (GOOD.replace("timeout_s = 5.0", 'parity = "sometimes"'), "instruments.src.options.parity", 4,
     "must be one of"),
    ("[instruments]\n", "instruments", 1, "at least one"),
])
def test_each_problem_names_file_line_and_field(text, field, line, message):
    with pytest.raises(ConfigError) as info:
        parse_bench(text, "b.toml")
    error = info.value
    assert (error.file, error.field, error.line) == ("b.toml", field, line)
    assert message in str(error)
    assert str(error).startswith(f"b.toml:{line} [{field}]")


def test_every_problem_is_reported_at_once():
    text = GOOD.replace('driver = "toy"', 'driver = 3') + "\n[instruments.b]\nresource = 1\n"
    with pytest.raises(ConfigProblems) as info:
        parse_bench(text, "b.toml")
    fields = {p.field for p in info.value.problems}
    assert fields == {"instruments.src.driver", "instruments.b.driver", "instruments.b.resource"}


def test_toml_syntax_error_has_line_and_column():
    with pytest.raises(ConfigError) as info:
        parse_bench(GOOD + "limits = {\n", "b.toml")
    assert info.value.line == 6 and info.value.column is not None
    assert "TOML syntax error" in str(info.value)


def test_missing_file_is_a_config_error(tmp_path):
    with pytest.raises(ConfigError, match="cannot read bench file"):
        load_bench(tmp_path / "absent.toml")


toml_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=8),
    lambda children: st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=6), children, max_size=3),
    max_leaves=8)


@given(st.text(max_size=200))
def test_garbage_text_gives_config_error_never_a_traceback(text):
    try:
        config = parse_bench(text, "g.toml")
    except ConfigError as exc:
        assert exc.file == "g.toml" and str(exc).startswith("g.toml")
        return
    assert all(spec.driver in registry.driver_entry_points()   # accepted: a valid bench
               for spec in config.instruments.values())


@given(st.dictionaries(st.sampled_from(["driver", "resource", "options", "limits", "x"]),
                       toml_values, max_size=5),
       st.dictionaries(st.text(max_size=6), toml_values, max_size=2))
def test_garbage_bench_data_gives_config_error(table, top):
    data = {"instruments": {"a": table}, **top}
    try:
        config = bench_from_data(data, "g.toml")
    except ConfigError:
        return
    assert config.instruments["a"].driver in registry.driver_entry_points()


def test_a_failing_instrument_still_leaves_the_others_safe():
    from labctl.clock import RealClock
    from labctl.errors import InstrumentConnectionError, SafeStateError
    from labctl.simulators.serve import TcpServer
    from tests.core.toy import ToySource

    device = ToySource(RealClock())
    with TcpServer(device) as server, TcpServer(ToySource(RealClock())) as dying:
        text = GOOD.replace("socket://127.0.0.1:5025", server.resource) + GOOD.replace(
            "[instruments.src]", "[instruments.dead]").replace(
            "socket://127.0.0.1:5025", dying.resource)
        with pytest.raises(SafeStateError) as info:
            with open_bench(parse_bench(text, "b.toml")) as bench:
                bench["src"].set_voltage(3.0)
                bench["src"].write(":OUTP ON")
                assert bench["src"].voltage == 3.0 and device.on
                dying.stop()                       # switched off meanwhile
                bench["dead"].identify()
        assert not device.on and device.voltage == 0.0
    assert isinstance(bench["src"], ToyDriver)
    assert isinstance(info.value.__context__, InstrumentConnectionError)
    assert [p.instrument for p in info.value.problems] == ["dead"]


@pytest.mark.parametrize("text, field, message", [
    (GOOD.replace("voltage_V = 5.0", "voltage_V = nan"), "instruments.src.limits.voltage_V",
     "finite"),                                          # NaN would disable the limit
    (GOOD.replace("voltage_V = 5.0", "voltage_V = inf"), "instruments.src.limits.voltage_V",
     "finite"),
    (GOOD.replace("channel = 2", 'channel = "two"'), "instruments.src.options.channel",
     "must be an integer"),
    (GOOD.replace("channel = 2", "channel = true"), "instruments.src.options.channel",
     "must be an integer"),
    (GOOD + '[simulation]\nsample = 5\n', "simulation.sample", "must be a string"),
    (GOOD + '[simulation]\nseed = "x"\n', "simulation.seed", "must be an integer"),
    (GOOD + '[simulation]\nstart_temperature_C = "hot"\n', "simulation.start_temperature_C",
     "must be a number"),
])
def test_values_of_the_wrong_type_are_config_errors(text, field, message):
    with pytest.raises(ConfigError) as info:
        parse_bench(text, "b.toml")
    assert info.value.field == field and info.value.line is not None
    assert message in str(info.value)


def test_driver_option_types_follow_the_driver_defaults():
    text = ('[instruments.furnace]\ndriver = "eurotherm3216"\nresource = "sim://furnace"\n'
            'options = { address = "one", heater_check_s = "x" }\n')
    with pytest.raises(ConfigProblems) as info:
        parse_bench(text, "b.toml")
    assert {p.field for p in info.value.problems} == {
        "instruments.furnace.options.address", "instruments.furnace.options.heater_check_s"}
    config = parse_bench(text.replace('"one"', "2").replace('"x"', "60"), "b.toml")
    assert config.instruments["furnace"].options == {"address": 2, "heater_check_s": 60}


def test_a_driver_refusing_its_options_names_the_bench_file_and_table():
    text = ('\n[instruments.furnace]\ndriver = "eurotherm3216"\nresource = "sim://furnace"\n'
            'options = { address = 999 }\n')
    with pytest.raises(ConfigError) as info:
        open_bench(parse_bench(text, "b.toml"))
    assert (info.value.file, info.value.field, info.value.line) == (
        "b.toml", "instruments.furnace", 2)
    assert "outside 1..247" in str(info.value)


class ToyInTheWorld(ToySource):
    """A third party's simulator: built as `Class(world, options)` like labctl's own."""

    def __init__(self, world, options):
        super().__init__(world.clock, options)


def test_a_registered_simulator_serves_sim_resources_of_its_driver(monkeypatch):
    points = dict(registry.simulator_entry_points())
    points["toy"] = EntryPoint("toy", f"{__name__}:ToyInTheWorld", registry.SIMULATOR_GROUP)
    monkeypatch.setattr(registry, "simulator_entry_points", lambda: points)
    config = parse_bench(GOOD.replace("socket://127.0.0.1:5025", "sim://src"), "b.toml")
    with open_bench(config) as bench:
        assert "TOY" in bench.instruments["src"].identify()
        assert isinstance(bench.simulation.devices["src"], ToyInTheWorld)
    monkeypatch.setattr(registry, "simulator_entry_points", lambda: {})
    with pytest.raises(ConfigError, match="no simulator for driver 'toy'"):
        open_bench(config)
