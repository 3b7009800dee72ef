"""A document kept in the evidence vault, shown without any network: its text, or the image.

The file is checked against its hash before anything of it is shown (an altered or
missing file says so instead). A text document is read with the app's readers, in the
background, and shown as plain text with the evidence's quote highlighted; the
fact-checker can select another passage and quote it. An image is decoded from the
verified bytes and shown scaled.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QBuffer, QByteArray, QIODevice, QSize, Qt
from PySide6.QtGui import QColor, QImage, QImageReader, QPixmap, QTextCharFormat, QTextCursor
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

from ui.jobs import JobContext, JobRunner
from ui.safe_text import plain_label, shown_field, shown_link
from ui.workspace import Workspace
from workbench.display import display_date
from workbench.models import Evidence

QUOTE_TINT = "#ffe58a"


MAX_SHOWN_IMAGE_PX = 4_096
"""The longest side an image is shown at; a larger one is scaled down to it, off the UI
thread."""


def _load(db_path: Path, item: Evidence) -> str | QImage:
    """The document's text, or the image decoded from its verified bytes, at most
    :data:`MAX_SHOWN_IMAGE_PX` on its longest side (a null image when it cannot be
    decoded).

    Run on a worker, with a ``QImageReader``: a 76 KB PNG of 8,000 x 8,000 pixels took
    1.1 s to decode and was decoded on the UI thread; ``QImage.fromData`` and
    ``QImage.scaled`` on a worker still held the event loop (0.4 to 1 s), the reader
    does not.
    """
    from workbench import quotes, vault

    assert item.file is not None
    if quotes.has_text(item.file):
        return quotes.document_text(db_path, item.file)
    data = QByteArray(vault.open_verified(db_path, item.file.sha256, item.file.size))
    buffer = QBuffer(data)
    buffer.open(QIODevice.OpenModeFlag.ReadOnly)
    reader = QImageReader(buffer)
    size = reader.size()
    if max(size.width(), size.height()) > MAX_SHOWN_IMAGE_PX:
        bound = QSize(MAX_SHOWN_IMAGE_PX, MAX_SHOWN_IMAGE_PX)
        reader.setScaledSize(size.scaled(bound, Qt.AspectRatioMode.KeepAspectRatio))
    return reader.read()


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
        source = f" · from {shown_link(item.url)}" if item.url else ""
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

        def work(context: JobContext) -> str | QImage:
            return _load(path, item)

        self.runner.submit(work, done=self._show, failed=self._fail)
        self.finished.connect(lambda _: self.runner.shutdown())

    def _show(self, data: str | QImage) -> None:
        if isinstance(data, QImage):
            if data.isNull():
                self._fail("the image cannot be decoded")
                return
            self.image.setPixmap(QPixmap.fromImage(data))
            self.image_scroll.show()
            self.status.setText("The file matches its hash.")
            return
        self.text.setPlainText(data)
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
        # Neither the text nor the image takes the room left: without this stretch the two
        # lines were spread over the empty dialog, the reason alone in its middle.
        layout = self.layout()
        if isinstance(layout, QVBoxLayout):
            layout.insertStretch(layout.indexOf(self.image_scroll) + 1, 1)
