"""Small dialogs, each behind a classmethod such as ``ask`` that tests can replace."""

from __future__ import annotations

import re
from collections.abc import Sequence

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLineEdit,
    QMessageBox,
    QPlainTextEdit,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from ui.safe_text import message_box, plain_label, shown_field
from workbench.errors import ValidationError
from workbench.store import validate_url
from workbench.textsafety import without_controls

_BARE_ADDRESS = re.compile(r"(?i)(?:www\.)?[a-z0-9-]+(?:\.[a-z0-9-]+)*\.[a-z]{2,}(?:[/?#]\S*)?$")
"""An address typed without its scheme (``example.org/page``): https is assumed.
Anything with a scheme of its own (``javascript:``) never matches: it has no dot before
its colon, so it is checked, and refused, as it is."""


class EvidenceDialog(QDialog):
    """Ask for an evidence link: URL (http or https), title and note.

    For a file kept in the vault (``file_name``) the URL is the address it came from,
    which it may not have: left empty, it is accepted.
    """

    def __init__(
        self,
        parent: QWidget | None = None,
        *,
        url: str = "",
        title: str = "",
        note: str = "",
        file_name: str = "",
    ) -> None:
        super().__init__(parent)
        self.file_name = file_name
        self.setWindowTitle("Evidence file" if file_name else "Evidence link")
        self.setMinimumWidth(480)
        self.url = QLineEdit(url, self)
        self.url.setPlaceholderText(
            "Where it came from: https://… (optional)" if file_name else "https://…"
        )
        self.title_edit = QLineEdit(title, self)
        self.title_edit.setPlaceholderText(
            f"What the {'document' if file_name else 'page'} is (optional)"
        )
        self.note = QPlainTextEdit(note, self)
        self.note.setPlaceholderText("What it shows (optional)")
        self.note.setTabChangesFocus(True)
        self.note.setMaximumHeight(90)
        self.problem = plain_label(parent=self)
        self.problem.setObjectName("problem")
        self.problem.setWordWrap(True)
        self.problem.hide()
        form = QFormLayout()
        if file_name:
            form.addRow("File", plain_label(shown_field(file_name), self))
        form.addRow("URL", self.url)
        form.addRow("Title", self.title_edit)
        form.addRow("Note", self.note)
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel, self
        )
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.problem)
        layout.addWidget(buttons)

    def accept(self) -> None:
        typed = self.url.text().strip()
        if not typed and self.file_name:
            self.url.clear()
            super().accept()
            return
        if _BARE_ADDRESS.match(typed):
            typed = f"https://{typed}"  # as a browser's address bar does: en.yna.co.kr/view/…
        try:
            self.url.setText(validate_url(typed))
        except ValidationError as exc:
            self.problem.setText(str(exc))
            self.problem.show()
            self.url.setFocus()
            return
        super().accept()

    def values(self) -> tuple[str, str, str]:
        return self.url.text(), self.title_edit.text().strip(), self.note.toPlainText()

    @classmethod
    def ask(
        cls,
        parent: QWidget | None,
        *,
        url: str = "",
        title: str = "",
        note: str = "",
        file_name: str = "",
    ) -> tuple[str, str, str] | None:
        """Return ``(url, title, note)``, or None if the user cancelled."""
        dialog = cls(parent, url=url, title=title, note=note, file_name=file_name)
        return dialog.values() if dialog.exec() == QDialog.DialogCode.Accepted else None


class ShortcutsDialog(QDialog):
    """Help > Keyboard shortcuts: every shortcut the window defines, in one table."""

    def __init__(self, rows: Sequence[tuple[str, str]], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Keyboard shortcuts")
        self.setMinimumSize(460, 520)
        table = QTableWidget(len(rows), 2, self)
        table.setObjectName("shortcuts_table")
        table.setHorizontalHeaderLabels(["Keys", "Action"])
        table.verticalHeader().hide()
        table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        for row, (keys, action) in enumerate(rows):
            table.setItem(row, 0, QTableWidgetItem(keys))
            table.setItem(row, 1, QTableWidgetItem(action))
        table.resizeColumnsToContents()
        table.horizontalHeader().setStretchLastSection(True)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close, self)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(table)
        layout.addWidget(buttons)
        self.table = table

    @classmethod
    def show_for(cls, rows: Sequence[tuple[str, str]], parent: QWidget | None) -> None:
        cls(rows, parent).exec()


def menu_item(text: str) -> str:
    """Outside text (a file's path, an article's title) as a menu item's text that shows
    it as it is: "&" doubled (Qt reads "Q&A" as a mnemonic and shows "QA") and a tab as a
    space (Qt shows what follows a tab in the shortcut column)."""
    return text.replace("&", "&&").replace("\t", " ")


def menu_text(text: str) -> str:
    """A menu item's text as a person reads it: no "&" mnemonic marks, no ellipsis."""
    return text.replace("&&", "\0").replace("&", "").replace("\0", "&").replace("…", "")


class Messages:
    """The one path for user-facing problems: a known problem becomes a clear dialog."""

    @classmethod
    def confirm(
        cls, parent: QWidget | None, title: str, question: str, details: str, *, action: str
    ) -> bool:
        """Ask before something drastic; the safe answer (Cancel) is the default."""
        box = message_box(QMessageBox.Icon.Question, title, question, parent)
        box.setInformativeText(without_controls(details))
        go = box.addButton(action, QMessageBox.ButtonRole.DestructiveRole)
        cancel = box.addButton(QMessageBox.StandardButton.Cancel)
        box.setDefaultButton(cancel)
        box.exec()
        return box.clickedButton() is go

    @classmethod
    def error(cls, parent: QWidget | None, title: str, message: str) -> None:
        message_box(QMessageBox.Icon.Warning, title, message, parent).exec()

    @classmethod
    def warning(cls, parent: QWidget | None, title: str, message: str) -> QMessageBox:
        """A notice that does not wait for an answer: the work goes on behind it."""
        box = message_box(QMessageBox.Icon.Warning, title, message, parent)
        box.setObjectName("notice")
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        box.open()
        return box
