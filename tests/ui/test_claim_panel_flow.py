"""The claim panel in a working session: Esc, room for the list, history, the claim text."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from tests.ui.test_main_window import close_window, make_window, seed, wait_saved
from ui.evidence_view import HtmlRole
from ui.main_window import MainWindow
from workbench.models import Status


@pytest.fixture
def window(qtbot: QtBot, db_path: Path, errors: list[str]) -> Iterator[MainWindow]:
    seed(db_path)
    win = make_window(qtbot, db_path)
    qtbot.waitUntil(lambda: win.workspace.article is not None)
    win.workspace.select_claim(win.workspace.claims[0].id)
    yield win
    close_window(win)


def test_escape_leaves_the_note_and_keys_work_again(qtbot: QtBot, window: MainWindow) -> None:
    panel = window.claim_panel
    window.article_view.setFocus()
    qtbot.keyClick(window.article_view, "e")
    qtbot.waitUntil(panel.note.hasFocus)
    qtbot.keyClicks(panel.note, "j1 typed")  # shortcuts are text while in the note
    qtbot.keyClick(panel.note, Qt.Key.Key_Escape)
    wait_saved(qtbot, window)
    assert window.article_view.hasFocus()
    claim = window.workspace.claims[0]
    assert claim.note == "j1 typed" and claim.status is Status.UNCHECKED
    qtbot.keyClick(window.article_view, "2")  # back in the article: keys are shortcuts
    wait_saved(qtbot, window)
    assert window.workspace.claims[0].status is Status.DISPUTED


def test_escape_leaves_the_claimant_field_saving_it(qtbot: QtBot, window: MainWindow) -> None:
    panel = window.claim_panel
    panel.claimant.setFocus()
    qtbot.keyClicks(panel.claimant, "The minister")
    qtbot.keyClick(panel.claimant, Qt.Key.Key_Escape)
    wait_saved(qtbot, window)
    assert window.article_view.hasFocus()
    assert window.workspace.claims[0].claimant == "The minister"


@pytest.mark.parametrize("field", ["claimant", "tags"])
def test_one_undo_takes_back_a_field_left_with_escape(
    qtbot: QtBot, window: MainWindow, field: str
) -> None:
    """Esc saved the field, then the focus leaving it saved it again: a second step that
    changed nothing, so the first Ctrl+Z seemed to do nothing."""
    panel = window.claim_panel
    edit = getattr(panel, field)
    edit.setFocus()
    qtbot.keyClicks(edit, "The minister")
    qtbot.keyClick(edit, Qt.Key.Key_Escape)
    wait_saved(qtbot, window)
    claim = window.workspace.claims[0]
    assert (claim.claimant, claim.tags) != ("", [])
    window.workspace.undo_group.undo()
    wait_saved(qtbot, window)
    claim = window.workspace.claims[0]
    assert (claim.claimant, list(claim.tags)) == ("", [])
    assert edit.text() == ""


def test_claim_text_is_not_wrapped_in_extra_quotes(qtbot: QtBot, window: MainWindow) -> None:
    text = window.claim_panel.claim_text.text()
    assert text == window.workspace.claims[0].text
    assert not text.startswith("“")


def test_empty_editors_leave_the_room_to_the_claim_list(qtbot: QtBot, window: MainWindow) -> None:
    panel = window.claim_panel
    assert not panel.evidence_list.isVisibleTo(panel)  # no links: no empty box
    assert not panel.remove_evidence_button.isVisibleTo(panel)
    empty_height = panel.note.height()
    assert empty_height < 5 * panel.note.fontMetrics().lineSpacing() + 20
    panel.note.setPlainText("\n".join(f"line {i}" for i in range(8)))
    assert panel.note.height() > empty_height  # grows with its text
    window.workspace.add_evidence(window.workspace.claims[0].id, "https://example.org/e")
    wait_saved(qtbot, window)
    assert panel.evidence_list.isVisibleTo(panel) and panel.remove_evidence_button.isVisibleTo(
        panel
    )
    list_box, tabs = panel.splitter.sizes()
    assert list_box >= tabs  # the list of claims gets at least half the height


def test_history_tab_lists_changes_newest_first(qtbot: QtBot, window: MainWindow) -> None:
    panel = window.claim_panel
    claim_id = window.workspace.claims[0].id
    window.workspace.set_status(claim_id, Status.DISPUTED)
    wait_saved(qtbot, window)
    window.workspace.add_evidence(claim_id, "https://example.org/proof")
    wait_saved(qtbot, window)
    rows = [panel.history.item(i).text() for i in range(panel.history.count())]
    assert rows[0].startswith("evidence added: https://example.org/proof")
    assert rows[1].startswith("status: unchecked → disputed")
    history_tab = panel.tabs.indexOf(panel.history)
    assert panel.tabs.tabText(history_tab) == "History (2)"
    window.workspace.select_claim(window.workspace.claims[1].id)
    assert panel.history.count() == 0 and panel.tabs.tabText(history_tab) == "History"


@pytest.mark.qt_log_ignore("This plugin does not support")  # offscreen: the popup menu
def test_a_cleared_note_can_be_copied_back_from_the_history(
    qtbot: QtBot, window: MainWindow
) -> None:
    """The history line shows 60 characters; the whole text before the change is kept."""
    panel = window.claim_panel
    claim_id = window.workspace.claims[0].id
    note = "Called the ministry <b>twice</b>; " + "the spokesperson confirmed the figure. " * 5
    window.workspace.set_note(claim_id, note)
    wait_saved(qtbot, window)
    window.workspace.set_note(claim_id, "")
    wait_saved(qtbot, window)
    cleared = panel.history.item(0)
    assert cleared.text().startswith("note cleared")
    assert "&lt;b&gt;twice" in cleared.toolTip()  # shown as text, not as bold

    def copy_before() -> None:
        menu = QApplication.activePopupWidget()
        assert menu is not None
        before, after = menu.actions()
        assert not after.isEnabled()  # nothing after a clear
        before.trigger()
        menu.close()

    QTimer.singleShot(0, copy_before)
    point = panel.history.visualItemRect(cleared).center()
    panel.history.customContextMenuRequested.emit(point)
    assert QApplication.clipboard().text() == note


def test_a_library_passage_is_cited_with_one_key(
    qtbot: QtBot, window: MainWindow, tmp_path: Path
) -> None:
    """Register a folder, open the Evidence tab, press Enter: the passage becomes evidence
    with its quote, its document kept in the vault."""
    folder = tmp_path / "trusted"
    folder.mkdir()
    passage = "Intelligence services counted some 12,000 North Korean troops sent to Russia."
    (folder / "briefing.txt").write_text(f"Briefing\n\n{passage}\n", encoding="utf-8")
    # The day's first backup, started with the window, says so in the status bar too:
    # on a loaded machine its line came after the indexer's.
    qtbot.waitUntil(lambda: not window.maintenance.busy, timeout=60_000)
    with qtbot.waitSignal(window.indexer.finished, timeout=60_000):
        window.indexer.add_folder(str(folder))
    assert "1 read" in window.statusBar().currentMessage()
    panel = window.claim_panel
    panel.tabs.setCurrentWidget(panel.evidence_view)
    view = panel.evidence_view
    qtbot.waitUntil(lambda: view.model.rowCount() >= 1)
    view.list.setFocus()
    view.list.setCurrentIndex(view.model.index(0, 0))
    qtbot.keyClick(view.list, Qt.Key.Key_Return)
    wait_saved(qtbot, window)
    [evidence] = window.workspace.claims[0].evidence
    assert evidence.file is not None and evidence.file.original_name == "briefing.txt"
    assert evidence.quote is not None and evidence.quote.text == passage
    assert panel.tabs.currentIndex() == 0  # back on the verdict, the evidence in view
    assert "✓ cited" in str(view.model.index(0, 0).data(HtmlRole))


def test_a_claim_selected_before_its_row_is_laid_out_is_scrolled_into_view(
    qtbot: QtBot, tmp_path: Path, errors: list[str]
) -> None:
    """The list lays out a long article's rows a hundred at a time, and Qt's ``scrollTo``
    does nothing for a row it has not reached: the claim selected on reopening such an
    article, or after its claims were read again, stayed out of sight."""
    from ui.claim_panel import CLAIM_LIST_BATCH
    from workbench.models import ArticleDraft, DetectedClaim
    from workbench.store import Store

    said = "Exports to market {} grew {} percent in 2023, the ministry said."
    texts = [said.format(n, n) for n in range(8 * CLAIM_LIST_BATCH)]
    claims, at = [], 0
    for text in texts:
        claims.append(DetectedClaim(at, at + len(text), text, 0.9, ()))
        at += len(text) + 1
    db = tmp_path / "long.db"
    with Store(db) as store:
        store.add_article(ArticleDraft(" ".join(texts), title="Exports"), claims)
    window = make_window(qtbot, db)
    view = window.claim_panel.claim_list

    def in_sight() -> bool:
        rect = view.visualRect(view.currentIndex())
        return rect.isValid() and view.viewport().rect().intersects(rect)

    workspace = window.workspace
    try:
        workspace.reload()  # the list is filled again, and laid out from its first rows
        workspace.select_claim(workspace.claims[-2].id)
        assert view.currentIndex().row() == len(texts) - 2
        qtbot.waitUntil(in_sight, timeout=30_000)
    finally:
        close_window(window)
