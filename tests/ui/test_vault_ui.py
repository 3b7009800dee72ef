"""Documents kept as evidence in the app: drop, open without network, quote, altered files."""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import QMimeData, Qt, QTimer, QUrl
from PySide6.QtGui import QColor, QDropEvent, QImage, QImageReader, QTextCursor
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from tests.ui.test_main_window import close_window, make_window, seed, wait_saved
from ui.claim_panel import ClaimPanel
from ui.dialogs import EvidenceDialog
from ui.document_view import DocumentDialog
from ui.main_window import MainWindow
from workbench import vault

REPORT = (
    "Annual report of the ministry.\n\n"
    "In October, 10,000 troops were sent to the border, the report says.\n\n"
    "Spending rose by 4 percent. <script>alert(1)</script>"
)


@pytest.fixture
def window(qtbot: QtBot, db_path: Path, errors: list[str]) -> Iterator[MainWindow]:
    seed(db_path)
    win = make_window(qtbot, db_path)
    qtbot.waitUntil(lambda: win.workspace.article is not None)
    win.workspace.select_claim(win.workspace.claims[0].id)
    yield win
    close_window(win)


@pytest.fixture
def report(tmp_path: Path) -> Path:
    path = tmp_path / "ministry.txt"
    path.write_text(REPORT, encoding="utf-8")
    return path


def drop(panel: object, path: Path) -> None:
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(path))])
    event = QDropEvent(
        panel.rect().center().toPointF(),  # type: ignore[attr-defined]
        Qt.DropAction.CopyAction,
        mime,
        Qt.MouseButton.NoButton,
        Qt.KeyboardModifier.NoModifier,
    )
    panel.dropEvent(event)  # type: ignore[attr-defined]


def test_a_dropped_file_is_kept_opened_and_quoted(
    qtbot: QtBot, window: MainWindow, report: Path
) -> None:
    panel = window.claim_panel
    drop(panel, report)
    wait_saved(qtbot, window)
    qtbot.waitUntil(lambda: panel.evidence_model.rowCount() == 1)
    item = panel.evidence_model.item(0)
    assert item.file is not None and item.quote is None
    assert "File: ministry.txt" in panel.evidence_model.index(0, 0).data()
    dialog = DocumentDialog(window.workspace, item, window)
    qtbot.addWidget(dialog)
    qtbot.waitUntil(lambda: bool(dialog.text.toPlainText()))
    text = dialog.text.toPlainText()
    assert "<script>alert(1)</script>" in text  # shown as text, never run
    cursor = dialog.text.textCursor()
    start = text.index("10,000 troops")
    cursor.setPosition(start)
    cursor.setPosition(start + len("10,000 troops were sent"), QTextCursor.MoveMode.KeepAnchor)
    dialog.text.setTextCursor(cursor)
    dialog.quote_selection()
    wait_saved(qtbot, window)
    qtbot.waitUntil(lambda: panel.evidence_model.item(0).quote is not None)
    quoted = panel.evidence_model.item(0)
    assert quoted.quote is not None and quoted.quote.text == "10,000 troops were sent"
    assert "“10,000 troops were sent”" in panel.evidence_model.index(0, 0).data()
    again = DocumentDialog(window.workspace, quoted, window)
    qtbot.addWidget(again)
    qtbot.waitUntil(lambda: again.quoted_span() is not None)
    assert again.quoted_span() == (start, start + len("10,000 troops were sent"))
    window.workspace.undo_stack.undo()  # the quote
    wait_saved(qtbot, window)
    qtbot.waitUntil(lambda: panel.evidence_model.item(0).quote is None)


def test_an_altered_file_is_not_shown(qtbot: QtBot, window: MainWindow, report: Path) -> None:
    panel = window.claim_panel
    window.workspace.add_file_evidence(window.workspace.claims[0].id, str(report))
    wait_saved(qtbot, window)
    qtbot.waitUntil(lambda: panel.evidence_model.rowCount() == 1)
    item = panel.evidence_model.item(0)
    assert item.file is not None
    path = vault.file_path(window.workspace.store.path, item.file.sha256)
    os.chmod(path, 0o644)
    path.write_text(REPORT.replace("10,000", "90,000"), encoding="utf-8")
    dialog = DocumentDialog(window.workspace, item, window)
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.waitUntil(lambda: "cannot be shown" in dialog.status.text())
    assert "altered" in dialog.status.text() and dialog.text.toPlainText() == ""
    # Said under the file's name and hash, not alone in the middle of an empty dialog.
    qtbot.waitExposed(dialog)
    qtbot.waitUntil(lambda: dialog.status.geometry().bottom() < dialog.height() // 3)


def test_the_title_of_a_kept_file_can_be_edited_without_an_address(
    qtbot: QtBot, window: MainWindow, report: Path, errors: list[str]
) -> None:
    """A file added from the disk has no address. Edit… asked for it as for a link and
    refused OK ("an evidence link must be an http or https URL, not ''"): the title and
    note of a kept file could not be changed, and what was typed was lost on Cancel."""
    panel = window.claim_panel
    window.workspace.add_file_evidence(window.workspace.claims[0].id, str(report))
    wait_saved(qtbot, window)
    qtbot.waitUntil(lambda: panel.evidence_model.rowCount() == 1)
    panel.evidence_list.setCurrentIndex(panel.evidence_model.index(0, 0))
    seen: list[str] = []

    def rename() -> None:
        dialog = QApplication.activeModalWidget()
        try:
            assert isinstance(dialog, EvidenceDialog)
            seen.append(dialog.windowTitle())
            dialog.title_edit.setText("Ministry annual report")
            dialog.accept()
            seen.append(dialog.problem.text())
        finally:
            dialog.close()  # a failed check must fail the test, not hang it

    QTimer.singleShot(0, rename)
    panel.edit_evidence_button.click()
    assert seen == ["Evidence file", ""]
    wait_saved(qtbot, window)
    qtbot.waitUntil(lambda: panel.evidence_model.item(0).title == "Ministry annual report")
    item = panel.evidence_model.item(0)
    assert item.url == "" and item.file is not None and errors == []


def kept_image(qtbot: QtBot, window: MainWindow, path: Path, width: int, height: int) -> ClaimPanel:
    """A red PNG of that size kept as the first claim's evidence: the claim panel, listing it."""
    image = QImage(width, height, QImage.Format.Format_RGB32)
    image.fill(QColor("red"))
    assert image.save(str(path))
    window.workspace.add_file_evidence(window.workspace.claims[0].id, str(path))
    wait_saved(qtbot, window)
    panel = window.claim_panel
    qtbot.waitUntil(lambda: panel.evidence_model.rowCount() == 1)
    return panel


def test_an_image_is_shown_from_the_vault(qtbot: QtBot, window: MainWindow, tmp_path: Path) -> None:
    panel = kept_image(qtbot, window, tmp_path / "chart.png", 40, 20)
    dialog = DocumentDialog(window.workspace, panel.evidence_model.item(0), window)
    qtbot.addWidget(dialog)
    qtbot.waitUntil(lambda: "matches its hash" in dialog.status.text())
    assert dialog.image.pixmap().width() == 40


def test_an_image_is_decoded_off_the_ui_thread_and_shown_at_most_4096_wide(
    qtbot: QtBot, window: MainWindow, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A 76 KB PNG of 8,000 x 8,000 pixels held the window 1.1 s: it was decoded (and
    turned into a pixmap at full size) on the UI thread when the dialog showed it."""
    panel = kept_image(qtbot, window, tmp_path / "wide.png", 5_000, 50)
    decoded_on: list[bool] = []
    read = QImageReader.read

    def spy(reader: QImageReader) -> QImage:
        decoded_on.append(threading.current_thread() is threading.main_thread())
        return read(reader)

    def no_decoding_here(*args: object) -> QImage:
        raise AssertionError("QImage.fromData holds the event loop, even on a worker")

    monkeypatch.setattr(QImageReader, "read", spy)
    monkeypatch.setattr(QImage, "fromData", staticmethod(no_decoding_here))
    dialog = DocumentDialog(window.workspace, panel.evidence_model.item(0), window)
    qtbot.addWidget(dialog)
    qtbot.waitUntil(lambda: "matches its hash" in dialog.status.text())
    assert decoded_on == [False]
    assert (dialog.image.pixmap().width(), dialog.image.pixmap().height()) == (4_096, 40)


def test_a_refused_file_says_why_and_adds_nothing(
    qtbot: QtBot, window: MainWindow, tmp_path: Path, errors: list[str]
) -> None:
    bad = tmp_path / "program.pdf"
    bad.write_bytes(b"MZ\x90\x00 not a pdf")
    drop(window.claim_panel, bad)
    wait_saved(qtbot, window)
    qtbot.waitUntil(lambda: bool(errors))
    assert "is not a pdf file" in errors[0]
    assert window.claim_panel.evidence_model.rowCount() == 0


def test_a_file_being_copied_into_the_vault_holds_up_no_edit(
    qtbot: QtBot, window: MainWindow, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The copy ran on the writer: ten files of 190 MB held every edit queued behind them,
    and Quit, for 3.8 s. It now runs on its own thread; only the record is a write."""
    import threading

    from workbench.models import Status

    release = threading.Event()
    store_file = vault.store_file

    def slow(db_path: Path, path: Path) -> vault.StoredFile:
        release.wait(timeout=30)
        return store_file(db_path, path)

    monkeypatch.setattr(vault, "store_file", slow)
    source = tmp_path / "register.txt"
    source.write_text("Housing register: 4,000 new homes in 2023.\n", encoding="utf-8")
    workspace = window.workspace
    first, second = workspace.claims[0].id, workspace.claims[1].id
    workspace.add_file_evidence(first, str(source))
    workspace.set_status(second, Status.DISPUTED)  # queued after the file, written at once
    qtbot.waitUntil(lambda: window.writer.pending == 0)
    claim = workspace.claim(second)
    assert claim is not None and claim.status is Status.DISPUTED
    assert workspace.vault_copies.busy  # the copy still waits
    release.set()
    wait_saved(qtbot, window)
    recorded = workspace.claim(first)
    assert recorded is not None and [e.file.original_name for e in recorded.evidence if e.file] == [
        "register.txt"
    ]
