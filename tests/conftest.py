"""Test-wide settings: Qt offscreen, hypothesis profile for CI."""

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from hypothesis import settings  # noqa: E402

settings.register_profile("ci", deadline=None, max_examples=60)
settings.load_profile("ci")
