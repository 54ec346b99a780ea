"""Test-wide settings: Qt offscreen, hypothesis profile for CI."""

import os
import threading

import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from hypothesis import settings  # noqa: E402

settings.register_profile("ci", deadline=None, max_examples=60)
settings.load_profile("ci")


@pytest.fixture(autouse=True, scope="session")
def no_thread_outlives_the_tests():
    """Servers and workers started by tests must be stopped by them."""
    before = set(threading.enumerate())
    yield
    left = [t.name for t in threading.enumerate() if t not in before and t.is_alive()]
    assert not left, f"threads left alive after the tests: {left}"
