"""Dialogs for a database that cannot be used as it is, and for restoring backups."""

from __future__ import annotations

import html
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from ui.file_dialogs import save_file_name

if TYPE_CHECKING:
    from workbench.backup import Backup

DB_FILTER = "Workbench databases (*.db *.sqlite *.sqlite3);;All files (*)"


def _backup_label(backup: Backup) -> str:
    when = backup.created.astimezone().strftime("%d %b %Y, %H:%M")
    return f"{when} · {backup.reason} · {backup.size / 1_048_576:.1f} MB · {backup.path.name}"


class BackupList(QListWidget):
    def __init__(self, backups: Sequence[Backup], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("backup_list")
        for backup in backups:
            item = QListWidgetItem(_backup_label(backup))
            item.setData(256, str(backup.path))
            self.addItem(item)
        if backups:
            self.setCurrentRow(0)

    def chosen(self) -> Path | None:
        item = self.currentItem()
        return Path(str(item.data(256))) if item is not None else None


class DatabaseProblemDialog(QDialog):
    """The database cannot be opened: restore a backup, choose another file, or quit."""

    def __init__(
        self, message: str, backups: Sequence[Backup], parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle("The database cannot be opened")
        self.setMinimumWidth(560)
        self.choice: tuple[str, Path] | None = None
        text = QLabel(
            f"<p>{html.escape(message)}</p><p>The file has been left exactly as it was. You can"
            " restore a backup (the current file is kept aside, never overwritten) or open"
            " another database file.</p>",
            self,
        )
        text.setTextFormat(Qt.TextFormat.RichText)
        text.setWordWrap(True)
        self.backups = BackupList(backups, self)
        restore = QPushButton("Restore the selected backup", self)
        restore.setEnabled(bool(backups))
        restore.clicked.connect(self._restore)
        other = QPushButton("Open another file…", self)
        other.clicked.connect(self._open_other)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close, self)
        buttons.addButton(restore, QDialogButtonBox.ButtonRole.AcceptRole)
        buttons.addButton(other, QDialogButtonBox.ButtonRole.ActionRole)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(text)
        layout.addWidget(QLabel("Backups, newest first:" if backups else "No backups found.", self))
        layout.addWidget(self.backups)
        layout.addWidget(buttons)

    def _restore(self) -> None:
        chosen = self.backups.chosen()
        if chosen is not None:
            self.choice = ("restore", chosen)
            self.accept()

    def _open_other(self) -> None:
        path = save_file_name(
            self, "Open or create a database", str(Path.home()), DB_FILTER, confirm=False
        )
        if path:
            self.choice = ("open", Path(path))
            self.accept()

    @classmethod
    def ask(
        cls, parent: QWidget | None, message: str, backups: Sequence[Backup]
    ) -> tuple[str, Path] | None:
        """``("restore", backup)``, ``("open", database)``, or None to quit."""
        dialog = cls(message, backups, parent)
        dialog.exec()
        return dialog.choice


class RestoreDialog(QDialog):
    """File > Restore a backup: choose one; the app restarts on it."""

    def __init__(self, backups: Sequence[Backup], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Restore a backup")
        self.setMinimumWidth(560)
        note = QLabel(
            "The database will be replaced by the backup you choose. The current file is "
            "kept aside (nothing is deleted), and the window reopens on the restored data.",
            self,
        )
        note.setWordWrap(True)
        self.backups = BackupList(backups, self)
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel, self
        )
        buttons.button(QDialogButtonBox.StandardButton.Ok).setText("Restore")
        buttons.button(QDialogButtonBox.StandardButton.Ok).setEnabled(bool(backups))
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(note)
        layout.addWidget(self.backups)
        layout.addWidget(buttons)

    @classmethod
    def ask(cls, parent: QWidget | None, backups: Sequence[Backup]) -> Path | None:
        dialog = cls(backups, parent)
        if dialog.exec() == QDialog.DialogCode.Accepted:
            return dialog.backups.chosen()
        return None
