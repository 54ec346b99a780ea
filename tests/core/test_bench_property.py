"""Property: any bench file and sample file a user can write (here generated, from valid to
absurd values) goes through validation and `labctl bench check` on the simulated
instruments to success or to a labctl error (exit 1), never to anything else."""

from __future__ import annotations

import tomllib
from importlib import resources

import tomli_w
from hypothesis import HealthCheck, given, settings, strategies as st

from labctl.bench import BENCH_OPTIONS
from labctl.cli import main
from labctl.registry import load_driver
from labctl.transport import LinkSettings
from labctl.registry import simulated_drivers

SAMPLE = tomllib.loads(resources.files("labctl.simulators").joinpath("samples/default.toml").read_text())

values = st.one_of(
    st.integers(-10**6, 10**6), st.sampled_from([10**400, -10**400, 2**63, 0, 1, -1]),
    st.floats(allow_nan=True, allow_infinity=True), st.booleans(),
    st.sampled_from(["", "ascii", "hex", "\r\n", "N", "odd", "HR", "XX", "@py"]),
    st.text(max_size=4))


@st.composite
def instrument(draw, driver: str) -> dict:
    cls = load_driver(driver)
    option_keys = sorted(LinkSettings.keys() | cls.driver_options() | BENCH_OPTIONS.keys())
    table = {"driver": driver, "resource": f"sim://{driver}"}
    options = draw(st.dictionaries(st.sampled_from(option_keys + ["colour"]), values, max_size=3))
    limits = draw(st.dictionaries(st.sampled_from(sorted(cls.limit_keys) + ["speed"]), values,
                                  max_size=3))
    if options:
        table["options"] = options
    if limits:
        table["limits"] = limits
    return table


@st.composite
def bench_and_sample(draw) -> tuple[dict, dict]:
    drivers = draw(st.lists(st.sampled_from(simulated_drivers()), min_size=1, max_size=3,
                            unique=True))
    bench = {"instruments": {d: draw(instrument(d)) for d in drivers}}
    simulation = draw(st.dictionaries(st.sampled_from(["seed", "start_temperature_C", "x"]),
                                      values, max_size=2))
    sample = {table: dict(keys) for table, keys in SAMPLE.items()}
    table = draw(st.sampled_from(sorted(sample)))
    sample[table][draw(st.sampled_from(sorted(sample[table])))] = draw(values)
    bench["simulation"] = {**simulation, "sample": "sample.toml"}
    return bench, sample


@settings(max_examples=30, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                  HealthCheck.too_slow])
@given(bench_and_sample())
def test_bench_check_ends_in_success_or_a_labctl_error(tmp_path, capsys, files):
    bench, sample = files
    (tmp_path / "sample.toml").write_text(tomli_w.dumps(sample))
    (tmp_path / "bench.toml").write_text(tomli_w.dumps(bench))
    code = main(["bench", "check", str(tmp_path / "bench.toml")])   # raises on anything else
    out, err = capsys.readouterr()
    assert (code, err) == (0, "") if "left in their safe state" in out else \
        code == 1 and err.startswith("labctl: error: ")
