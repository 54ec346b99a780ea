"""Fixtures of the protocol tests."""

from tests.protocols.example_protocol import example_protocol  # noqa: F401 (a fixture)
