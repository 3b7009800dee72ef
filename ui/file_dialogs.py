"""File dialogs that list a folder without reading any file in it.

SQLite's locks on Linux and macOS are POSIX record locks, which belong to the process
and are all released when the process closes *any* descriptor of the locked file. A
file dialog that shows the database's folder reads the first bytes of ``workbench.db-wal``
and ``workbench.db-shm`` to guess their type for an icon (Qt's own dialog through
``QMimeDatabase``; GTK's and KDE's in-process ones do the same), and so dropped every lock
the app held. The next ``workbench`` command then took itself for the database's only
user: on closing it folded the log into the file and deleted the ``-wal`` and ``-shm``
the app was still writing to, and the app's later edits were lost.

These dialogs are Qt's own, always (a native one may run in the process and read
files), with an icon provider that decides by the name alone.
"""

from __future__ import annotations

import sys

from PySide6.QtCore import QFileInfo
from PySide6.QtGui import QAbstractFileIconProvider, QIcon
from PySide6.QtWidgets import QApplication, QFileDialog, QStyle, QWidget


class NameOnlyIconProvider(QAbstractFileIconProvider):
    """Icons and type names from the file's name, never from its contents."""

    def __init__(self) -> None:
        super().__init__()
        style = QApplication.style()
        self._file = style.standardIcon(QStyle.StandardPixmap.SP_FileIcon)
        self._folder = style.standardIcon(QStyle.StandardPixmap.SP_DirIcon)
        self._drive = style.standardIcon(QStyle.StandardPixmap.SP_DriveHDIcon)

    def icon(self, what: QAbstractFileIconProvider.IconType | QFileInfo) -> QIcon:
        if isinstance(what, QFileInfo):
            if what.isRoot():
                return self._drive
            return self._folder if what.isDir() else self._file
        if what in (QAbstractFileIconProvider.IconType.Drive,
                    QAbstractFileIconProvider.IconType.Computer):  # fmt: skip
            return self._drive
        if what == QAbstractFileIconProvider.IconType.File:
            return self._file
        return self._folder

    def type(self, info: QFileInfo) -> str:
        if info.isDir():
            return "Folder"
        suffix = info.suffix()
        return f"{suffix.upper()} file" if suffix else "File"


class FileDialog(QFileDialog):
    """Qt's own file dialog (never the platform's), with :class:`NameOnlyIconProvider`.

    On Windows, whose locks belong to a handle, the native dialog is safe and kept.
    """

    def __init__(self, parent: QWidget | None, caption: str, folder: str, filters: str) -> None:
        super().__init__(parent, caption, folder, filters)
        if sys.platform != "win32":
            self.setOption(QFileDialog.Option.DontUseNativeDialog, True)
            self._icons = NameOnlyIconProvider()  # kept: the dialog does not own it
            self.setIconProvider(self._icons)


def _run(dialog: FileDialog) -> list[str]:
    try:
        return dialog.selectedFiles() if dialog.exec() else []
    finally:
        dialog.deleteLater()


def open_file_name(parent: QWidget | None, caption: str, folder: str, filters: str) -> str:
    """One existing file the user picks, or "" if they cancel."""
    dialog = FileDialog(parent, caption, folder, filters)
    dialog.setFileMode(QFileDialog.FileMode.ExistingFile)
    return next(iter(_run(dialog)), "")


def open_file_names(parent: QWidget | None, caption: str, folder: str, filters: str) -> list[str]:
    """The existing files the user picks (none if they cancel)."""
    dialog = FileDialog(parent, caption, folder, filters)
    dialog.setFileMode(QFileDialog.FileMode.ExistingFiles)
    return _run(dialog)


def save_file_name(
    parent: QWidget | None, caption: str, folder: str, filters: str, *, confirm: bool = True
) -> str:
    """A file name to write (an existing one only after asking, unless not ``confirm``)."""
    dialog = FileDialog(parent, caption, folder, filters)
    dialog.setAcceptMode(QFileDialog.AcceptMode.AcceptSave)
    dialog.setFileMode(QFileDialog.FileMode.AnyFile)
    dialog.setOption(QFileDialog.Option.DontConfirmOverwrite, not confirm)
    return next(iter(_run(dialog)), "")


def existing_folder(parent: QWidget | None, caption: str, folder: str = "") -> str:
    """A folder the user picks, or "" if they cancel."""
    dialog = FileDialog(parent, caption, folder, "")
    dialog.setFileMode(QFileDialog.FileMode.Directory)
    dialog.setOption(QFileDialog.Option.ShowDirsOnly, True)
    return next(iter(_run(dialog)), "")
