"""File dialogs that never open a file of the folder they list.

Qt's dialogs tell each listed file's type by reading its first bytes (MIME sniffing for
the icons and the Type column), and a native dialog (GTK, KDE) does so in this process
too. Opening and closing the database file that way drops the process's SQLite locks
(issue 23; see labctl.store.guard). These are Qt's own widget dialogs with an icon
provider that goes by the kind of entry only; every file dialog of the GUI is one of them.
"""

from __future__ import annotations

from PySide6.QtCore import QFileInfo
from PySide6.QtGui import QAbstractFileIconProvider, QIcon
from PySide6.QtWidgets import QApplication, QFileDialog, QStyle, QWidget

OPTIONS = (QFileDialog.Option.DontUseNativeDialog | QFileDialog.Option.DontResolveSymlinks
           | QFileDialog.Option.DontUseCustomDirectoryIcons)


class KindIcons(QAbstractFileIconProvider):
    """A folder or a file icon and type, from the directory entry alone (no reading)."""

    def __init__(self):
        super().__init__()
        style = QApplication.style()
        self._folder = style.standardIcon(QStyle.StandardPixmap.SP_DirIcon)
        self._file = style.standardIcon(QStyle.StandardPixmap.SP_FileIcon)

    def icon(self, what) -> QIcon:
        if isinstance(what, QFileInfo):
            return self._folder if what.isDir() else self._file
        return self._folder if what == QAbstractFileIconProvider.IconType.Folder else self._file

    def type(self, info: QFileInfo) -> str:
        if info.isDir():
            return "Folder"
        return f"{info.suffix()} file" if info.suffix() else "File"


def dialog(parent: QWidget | None, caption: str, folder: str = "") -> QFileDialog:
    """A file dialog on `folder` that does not open the files it lists."""
    box = QFileDialog(parent, caption, folder)
    box.setOptions(OPTIONS)
    box.setIconProvider(KindIcons())
    return box


def open_file(parent: QWidget | None, caption: str, name_filter: str) -> str:
    """An existing file's path, or '' when cancelled."""
    box = dialog(parent, caption)
    box.setFileMode(QFileDialog.FileMode.ExistingFile)
    box.setNameFilter(name_filter)
    return _chosen(box)


def save_file(parent: QWidget | None, caption: str, name: str,
              name_filter: str) -> tuple[str, str]:
    """(a path to write to, the name filter chosen), or ('', '') when cancelled."""
    box = dialog(parent, caption)
    box.setAcceptMode(QFileDialog.AcceptMode.AcceptSave)
    box.setNameFilter(name_filter)
    box.selectFile(name)
    path = _chosen(box)
    return (path, box.selectedNameFilter()) if path else ("", "")


def folder(parent: QWidget | None, caption: str) -> str:
    """An existing folder's path, or '' when cancelled."""
    box = dialog(parent, caption)
    box.setFileMode(QFileDialog.FileMode.Directory)
    box.setOption(QFileDialog.Option.ShowDirsOnly)
    return _chosen(box)


def _chosen(box: QFileDialog) -> str:
    try:
        return box.selectedFiles()[0] if box.exec() == QFileDialog.DialogCode.Accepted else ""
    finally:
        box.deleteLater()
