"""Fixtures of the protocol tests."""

from tests.protocols.example_protocol import example_protocol, installed  # noqa: F401
