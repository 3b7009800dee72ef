"""A document kept in the evidence vault, shown without any network: its text, or the image.

The file is checked against its hash before anything of it is shown (an altered or
missing file says so instead). A text document is read with the app's readers, in the
background, and shown as plain text with the evidence's quote highlighted; the
fact-checker can select another passage and quote it. An image is decoded from the
verified bytes and shown scaled.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QImage, QPixmap, QTextCharFormat, QTextCursor
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QLabel,
    QPlainTextEdit,
    QPushButton,
    QScrollArea,
    QTextEdit,
    QVBoxLayout,
    QWidget,
)

from ui.item_models import MAX_SHOWN_URL
from ui.jobs import JobContext, JobRunner
from ui.safe_text import plain_label, shown_field
from ui.workspace import Workspace
from workbench.display import display_date
from workbench.models import Evidence
from workbench.textsafety import shown_url

QUOTE_TINT = "#ffe58a"


def _load(db_path: Path, item: Evidence) -> tuple[str, bytes]:
    """("text", the document's text) or ("image", its verified bytes)."""
    from workbench import quotes, vault

    assert item.file is not None
    if quotes.has_text(item.file):
        return "text", quotes.document_text(db_path, item.file).encode("utf-8")
    return "image", vault.open_verified(db_path, item.file.sha256, item.file.size)


class DocumentDialog(QDialog):
    """One vaulted document: what it is, where it came from, and its content."""

    def __init__(self, workspace: Workspace, item: Evidence, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        assert item.file is not None, "only a vaulted document is shown here"
        self.workspace = workspace
        self.item = item
        file = item.file
        name = shown_field(file.original_name)
        self.setWindowTitle(f"Evidence: {name}")
        self.resize(760, 640)
        source = f" · from {shown_field(shown_url(item.url), MAX_SHOWN_URL)}" if item.url else ""
        self.details = plain_label(
            f"{name} · {file.size:,} bytes · captured"
            f" {display_date(file.captured_at)}{source}\nSHA-256 {file.sha256}",
            self,
        )
        self.details.setWordWrap(True)
        self.details.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.status = plain_label("Checking the file against its hash and reading it…", self)
        self.status.setObjectName("document_status")
        self.status.setWordWrap(True)
        self.text = QPlainTextEdit(self)
        self.text.setObjectName("document_text")
        self.text.setReadOnly(True)
        self.text.hide()
        self.image = QLabel(self)
        self.image.setObjectName("document_image")
        self.image.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.image_scroll = QScrollArea(self)
        self.image_scroll.setWidget(self.image)
        self.image_scroll.setWidgetResizable(True)
        self.image_scroll.hide()
        self.quote_button = QPushButton("Quote the selected passage", self)
        self.quote_button.setObjectName("quote_selection")
        self.quote_button.setEnabled(False)
        self.quote_button.clicked.connect(self.quote_selection)
        self.text.selectionChanged.connect(
            lambda: self.quote_button.setEnabled(self.text.textCursor().hasSelection())
        )
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close, self)
        buttons.rejected.connect(self.reject)
        buttons.addButton(self.quote_button, QDialogButtonBox.ButtonRole.ActionRole)
        self.quote_button.hide()
        layout = QVBoxLayout(self)
        layout.addWidget(self.details)
        layout.addWidget(self.status)
        layout.addWidget(self.text, 1)
        layout.addWidget(self.image_scroll, 1)
        layout.addWidget(buttons)
        self.runner = JobRunner("document", self)
        path = workspace.store.path

        def work(context: JobContext) -> tuple[str, bytes]:
            return _load(path, item)

        self.runner.submit(work, done=self._show, failed=self._fail)
        self.finished.connect(lambda _: self.runner.shutdown())

    def _show(self, loaded: tuple[str, bytes]) -> None:
        kind, data = loaded
        if kind == "image":
            image = QImage.fromData(data)
            if image.isNull():
                self._fail("the image cannot be decoded")
                return
            self.image.setPixmap(QPixmap.fromImage(image))
            self.image_scroll.show()
            self.status.setText("The file matches its hash.")
            return
        self.text.setPlainText(data.decode("utf-8"))
        self.text.show()
        self.quote_button.show()
        self.status.setText(
            "The file matches its hash. Select a passage and quote it as the evidence."
        )
        self._highlight_quote()

    def _highlight_quote(self) -> None:
        from workbench.quotes import locate

        quote = self.item.quote
        if quote is None:
            return
        span = locate(self.text.toPlainText(), quote)
        if span is None:
            self.status.setText(
                "The quoted passage is no longer found in this reading of the file."
            )
            return
        cursor = QTextCursor(self.text.document())
        cursor.setPosition(span[0])
        cursor.setPosition(span[1], QTextCursor.MoveMode.KeepAnchor)
        selection = QTextEdit.ExtraSelection()
        selection.cursor = cursor
        selection.format = QTextCharFormat()
        selection.format.setBackground(QColor(QUOTE_TINT))
        self.text.setExtraSelections([selection])
        view = QTextCursor(self.text.document())
        view.setPosition(span[0])
        self.text.setTextCursor(view)
        self.text.centerCursor()

    def quoted_span(self) -> tuple[int, int] | None:
        """Where the quote is in the text shown (for tests and the highlight)."""
        selections = self.text.extraSelections()
        if not selections:
            return None
        cursor = selections[0].cursor
        return cursor.selectionStart(), cursor.selectionEnd()

    def quote_selection(self) -> None:
        passage = self.text.textCursor().selectedText().replace("\u2029", "\n")
        if passage.strip():
            self.workspace.quote_evidence(self.item.id, passage)
            self.accept()

    def _fail(self, message: str) -> None:
        self.status.setText(f"This file cannot be shown: {message}")
        self.status.setStyleSheet("color: #a40000;")
