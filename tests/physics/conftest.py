"""Samples for the physics tests: the shipped default, and variants of it."""

import tomllib

import pytest

from labctl.simulators.physics.sample import SampleModel
from labctl.simulators.physics.sample_file import shipped_sample


def default_tables(name: str = "default") -> dict:
    """A shipped sample file (the default one unless `name`) as parsed TOML (a fresh copy)."""
    return tomllib.loads(shipped_sample(name).read_text())


def sample_with(base: str = "default", **changes: float) -> SampleModel:
    """A shipped sample with `table__key=value` changes, e.g. electrode__n=1.0."""
    data = default_tables(base)
    for key, value in changes.items():
        table, name = key.split("__")
        data[table][name] = value
    return SampleModel.from_dict(data, source="test")


@pytest.fixture
def sample() -> SampleModel:
    return SampleModel.default()


@pytest.fixture
def capacitor_sample() -> SampleModel:
    """All CPE exponents 1 (pure capacitors): the circuit has closed-form transients."""
    return sample_with(grain_boundary__n=1.0, electrode__n=1.0)
