"""Samples for the physics tests: the shipped default, and variants of it."""

import tomllib

import pytest

from simulators.physics.sample import SampleModel
from simulators.physics.sample_file import shipped_sample


def default_tables() -> dict:
    """The default sample file as parsed TOML (a fresh copy)."""
    return tomllib.loads(shipped_sample("default").read_text())


def sample_with(**changes: float) -> SampleModel:
    """The default sample with `table__key=value` changes, e.g. electrode__n=1.0."""
    data = default_tables()
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
