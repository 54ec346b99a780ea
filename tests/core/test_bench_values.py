"""Values that make no physical sense, or that no float or link can hold, are refused at
validation with file, line and key: never accepted, never a traceback later."""

import pytest

from labctl.bench import open_bench, parse_bench
from labctl.errors import ConfigError
from labctl.simulators.physics.sample import SampleModel

HUGE = "1" + "0" * 400          # a TOML integer too large for a float

SMU = '[instruments.smu]\ndriver = "keithley2450"\nresource = "sim://smu"\n'
FURNACE = '[instruments.furnace]\ndriver = "eurotherm3216"\nresource = "sim://furnace"\n'


@pytest.mark.parametrize("text, field, message", [
    (SMU + "limits = { voltage_V = -5.0 }\n", "limits.voltage_V", "must be >= 0"),
    (SMU + "limits = { current_A = -0.01 }\n", "limits.current_A", "must be >= 0"),
    (FURNACE + "limits = { max_ramp_C_per_min = -10 }\n", "limits.max_ramp_C_per_min",
     "must be a rate > 0"),
    (FURNACE + "limits = { max_ramp_C_per_min = 0 }\n", "limits.max_ramp_C_per_min",
     "must be a rate > 0"),
    (FURNACE + "limits = { safe_temperature_C = -300 }\n", "limits.safe_temperature_C",
     "absolute zero"),
    (FURNACE + "limits = { max_temperature_C = -274 }\n", "limits.max_temperature_C",
     "absolute zero"),
    (FURNACE + "limits = { max_temperature_C = 100, safe_temperature_C = 200 }\n",
     "limits.safe_temperature_C", "must not exceed max_temperature_C = 100"),
    (SMU + f"limits = {{ voltage_V = {HUGE} }}\n", "limits.voltage_V", "finite"),
    (SMU + f"options = {{ timeout_s = {HUGE} }}\n", "options.timeout_s", "seconds > 0"),
    (FURNACE + f"options = {{ heater_check_s = {HUGE} }}\n", "options.heater_check_s",
     "must be a number"),
    (FURNACE + f"options = {{ baudrate = {HUGE} }}\n", "options.baudrate", "from 50 to"),
    (FURNACE + "options = { baudrate = 10000000000 }\n", "options.baudrate", "from 50 to"),
    (SMU + 'options = { encoding = "hex" }\n', "options.encoding", "text encoding"),
    (SMU + 'options = { encoding = "rot13" }\n', "options.encoding", "text encoding"),
    (SMU.replace("sim://smu", "TCPIP::127.0.0.1::99999::SOCKET"), "resource", "1..65535"),
    (SMU.replace("sim://smu", "socket://localhost:70000"), "resource", "1..65535"),
])
def test_instrument_values_are_refused_with_file_line_and_key(text, field, message):
    with pytest.raises(ConfigError) as info:
        parse_bench(text, "b.toml")
    error, name = info.value, text[len("[instruments."):text.index("]")]
    assert (error.file, error.field) == ("b.toml", f"instruments.{name}.{field}")
    assert error.line == (3 if field == "resource" else 4)
    assert message in str(error)


@pytest.mark.parametrize("line, message", [
    ("seed = -1", "an integer >= 0"),
    ("start_temperature_C = -300", "above absolute zero"),
    (f"start_temperature_C = {HUGE}", "must be a number"),
])
def test_simulation_values_are_refused(line, message):
    with pytest.raises(ConfigError, match=message) as info:
        parse_bench(SMU + f"\n[simulation]\n{line}\n", "b.toml")
    assert info.value.line == 6


def test_an_option_the_simulator_cannot_use_names_the_table():
    text = '\n[instruments.pstat]\ndriver = "emstat4"\nresource = "sim://pstat"\n' \
           'options = { model = "XX" }\n'
    with pytest.raises(ConfigError, match="XX") as info:
        open_bench(parse_bench(text, "b.toml"))
    assert (info.value.file, info.value.line, info.value.field) == ("b.toml", 2, "instruments.pstat")


def test_a_sample_value_too_large_for_a_float_is_refused(tmp_path):
    from importlib import resources
    shipped = resources.files("labctl.simulators").joinpath("samples/default.toml").read_text()
    key, _, rest = shipped.partition("thickness_m = ")
    sample = tmp_path / "s.toml"
    sample.write_text(key + f"thickness_m = {HUGE}\n" + rest.partition("\n")[2])
    with pytest.raises(ConfigError, match="thickness_m"):
        SampleModel.from_toml(sample)
