"""The Qt binding must not drop references it does not own (PySide6 6.12.0 released a
reference to None per call of a void method: on Python 3.11 a GUI crashed within minutes)."""

import sys

from PySide6.QtWidgets import QWidget


def test_void_calls_keep_the_reference_count_of_none(qtbot):
    widget = QWidget()
    qtbot.addWidget(widget)
    before = sys.getrefcount(None)
    for i in range(5000):
        widget.resize(100 + i % 50, 100)
    assert sys.getrefcount(None) > before - 500
