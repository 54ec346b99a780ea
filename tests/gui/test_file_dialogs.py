"""Issue 23: the GUI's file dialogs list the database's folder without opening its files, so
the process keeps its SQLite locks (a closed descriptor drops them all)."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import QFileInfo, Qt, QTimer
from PySide6.QtWidgets import QApplication, QFileDialog, QFileSystemModel, QPushButton, QWidget

import labctl.gui
from labctl.gui.filedialogs import KindIcons
from labctl.store import Store
from labctl.store.guard import sqlite_lock_held

BUTTONS = {"recipe Open…": ("run_panel", "Open…"), "plot Export…": ("plots", "Export…"),
           "runs Export CSV…": ("browser", "Export CSV…"),
           "runs Analyze…": ("browser", "Analyze…")}


def button(widget: QWidget, text: str) -> QPushButton:
    return next(b for b in widget.findChildren(QPushButton) if b.text() == text)


def database(tmp_path):
    db = tmp_path / "lab.sqlite"
    with Store.open(db) as store:
        store.finish_run(store.create_run("listed", "", {}, {}), "done")
    return db


def test_the_icon_provider_reads_no_file(tmp_path, qtbot):
    db = database(tmp_path)
    with Store.open(db) as store:
        icons = KindIcons()
        for name in (db, f"{db}-wal", f"{db}-shm"):
            assert icons.type(QFileInfo(str(name))).endswith("file")
            assert not icons.icon(QFileInfo(str(name))).isNull()
        assert sqlite_lock_held(store.path)


def shown(model: QFileSystemModel, folder) -> int:
    """Ask for every column and role of the folder's rows, as the dialog's view does."""
    root = model.index(str(folder))
    for row in range(model.rowCount(root)):
        for column in range(model.columnCount(root)):
            for role in (Qt.DisplayRole, Qt.DecorationRole, Qt.ToolTipRole):
                model.index(row, column, root).data(role)
    return model.rowCount(root)


@pytest.mark.parametrize("action", BUTTONS)
def test_a_dialog_in_the_database_folder_leaves_the_sqlite_locks(window, tmp_path, qtbot,
                                                                  action):
    db = database(tmp_path)
    (tmp_path / "exports").mkdir()
    window.browser.refresh()
    window.browser.table.selectRow(0)
    assert sqlite_lock_held(db)                     # the window's stores hold it
    listed = []

    def cancel_once_listed() -> None:
        """Go to the database's folder, show all files (a file dialog) or folders, wait
        until the database (a file dialog) or a folder is listed, show every entry, cancel."""
        box = QApplication.activeModalWidget()
        model = box.findChild(QFileSystemModel)
        box.setDirectory(str(tmp_path))
        entry = tmp_path / "exports"
        if box.fileMode() != QFileDialog.FileMode.Directory:
            box.setNameFilters([*box.nameFilters(), "All files (*)"])
            box.selectNameFilter("All files (*)")
            entry = db
        qtbot.waitUntil(lambda: model.index(str(entry)).isValid())
        listed.append((shown(model, tmp_path), isinstance(box.iconProvider(), KindIcons),
                       box.testOption(QFileDialog.Option.DontUseNativeDialog)))
        box.reject()

    QTimer.singleShot(0, cancel_once_listed)
    where, text = BUTTONS[action]
    button(getattr(window, where), text).click()
    assert listed and listed[0][0] >= 1 and listed[0][1:] == (True, True)
    assert sqlite_lock_held(db)


def test_no_other_gui_module_opens_a_qt_file_dialog():
    """A QFileDialog of its own (a native one, or Qt's with its MIME-sniffing icons) would
    probe the database's folder again: every dialog comes from labctl.gui.filedialogs."""
    modules = [p for p in Path(labctl.gui.__file__).parent.glob("*.py")
               if p.name != "filedialogs.py"]
    assert len(modules) > 10
    assert [p.name for p in modules if "QFileDialog" in p.read_text()] == []


def test_the_plots_right_click_menu_has_no_pyqtgraph_export(window):
    """pyqtgraph's own export dialog is a QFileDialog with MIME-sniffing icons."""
    scenes = [panel.graphics.scene() for panel in window.plots.panels]
    assert len(scenes) >= 4 and all(scene.contextMenu == [] for scene in scenes)
