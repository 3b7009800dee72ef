"""The article as a fact-checker handles it: its header, archiving, deleting, the library."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from tests.ui.test_main_window import close_window, make_window, seed, wait_saved
from ui.article_header import ArticleDetailsDialog
from ui.dialogs import Messages
from ui.main_window import MainWindow
from workbench import operations
from workbench.models import ArticleDraft, Status
from workbench.store import Store


@pytest.fixture
def window(qtbot: QtBot, db_path: Path, errors: list[str]) -> Iterator[MainWindow]:
    seed(db_path)
    win = make_window(qtbot, db_path)
    qtbot.waitUntil(lambda: win.workspace.article is not None)
    yield win
    close_window(win)


def test_header_shows_the_article_details(qtbot: QtBot, window: MainWindow) -> None:
    header = window.header
    assert header.isVisible() and header.headline.text() == "Troops"
    assert header.details.text() == "date unknown"
    assert not header.link.isVisible()
    window.workspace.edit_article(
        source="The Ledger", author="Ann Lee", published="2024-10-23",
        url="https://ledger.example/a?x=<b>&y=\"1\"",
    )  # fmt: skip
    wait_saved(qtbot, window)
    assert header.details.text() == "The Ledger · By Ann Lee · 23 October 2024"
    assert header.link.isVisible()
    # The link's text is shown escaped and its target is the encoded http(s) address.
    assert "&lt;b&gt;" in header.link.text() and "<b>" not in header.link.text()
    assert 'href="https://ledger.example/a?x=%3Cb%3E&amp;y=%221%22"' in header.link.text()


def test_header_never_links_a_script_url(qtbot: QtBot, window: MainWindow, db_path: Path) -> None:
    with Store(db_path) as store:  # e.g. read from a hostile page's metadata
        store.conn.execute("UPDATE articles SET url = 'javascript:alert(1)'")
        store.conn.commit()
    window.workspace.open_article(1)
    assert "href" not in window.header.link.text()
    assert "javascript:alert(1)" in window.header.link.text()


def test_edit_details_is_saved_and_undone(
    qtbot: QtBot, window: MainWindow, db_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(
        ArticleDetailsDialog,
        "ask",
        classmethod(
            lambda cls, parent, article: ({"title": "Troops sent", "source": "Ledger"}, ["war"])
        ),
    )
    window.header.edit_button.click()
    wait_saved(qtbot, window)
    with Store(db_path) as store:
        assert (store.article(1).title, store.article(1).source) == ("Troops sent", "Ledger")
    assert window.header.headline.text() == "Troops sent"
    assert window.header.details.text().endswith("tags: war")
    assert "Troops sent" in window.library.model.index(0, 0).data()
    window.workspace.undo_stack.undo()  # the tags
    window.workspace.undo_stack.undo()  # the header
    wait_saved(qtbot, window)
    assert window.header.headline.text() == "Troops"
    with Store(db_path) as store:
        assert (store.article(1).title, store.article(1).source) == ("Troops", "")


def test_details_dialog_refuses_bad_links_and_dates(qtbot: QtBot, window: MainWindow) -> None:
    assert window.workspace.article is not None
    dialog = ArticleDetailsDialog(window.workspace.article, window)
    qtbot.addWidget(dialog)
    dialog.edits["url"].setText("file:///etc/passwd")
    dialog.accept()
    assert dialog.result() != dialog.DialogCode.Accepted and dialog.problem.isVisibleTo(dialog)
    assert "http or https" in dialog.problem.text()
    dialog.edits["url"].setText("https://ok.example/")
    dialog.edits["published"].setText("next week")
    dialog.accept()
    assert "not a date" in dialog.problem.text()
    dialog.edits["published"].setText("2024-02-29")
    dialog.tags.setText("fine, " + "x" * 41)
    dialog.accept()
    assert "at most 40 characters" in dialog.problem.text()
    dialog.tags.setText("fine, good ")
    dialog.accept()
    assert dialog.result() == dialog.DialogCode.Accepted
    assert dialog.changed() == {"url": "https://ok.example/", "published": "2024-02-29"}
    assert dialog.tag_list() == ["fine", "good"]


def test_archive_moves_the_article_out_of_the_list(qtbot: QtBot, window: MainWindow) -> None:
    window._archive_open_article()
    wait_saved(qtbot, window)
    assert window.library.model.rowCount() == 0
    window.library.show_archived.setChecked(True)
    assert window.library.model.rowCount() == 1
    assert "archived" in window.library.model.index(0, 0).data()
    window.workspace.undo_stack.undo()
    wait_saved(qtbot, window)
    window.library.show_archived.setChecked(False)
    assert window.library.model.rowCount() == 1


def test_delete_asks_and_undo_delete_puts_everything_back(
    qtbot: QtBot, window: MainWindow, db_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    claim_id = window.workspace.claims[0].id
    window.workspace.set_status(claim_id, Status.DISPUTED)
    wait_saved(qtbot, window)
    asked: list[str] = []
    monkeypatch.setattr(
        Messages, "confirm", classmethod(lambda c, p, t, q, d, **k: asked.append(q))
    )
    window._delete_open_article()  # declined: the confirmation returned None
    wait_saved(qtbot, window)
    assert asked and "“Troops”" in asked[0] and window.library.model.rowCount() == 1
    monkeypatch.setattr(Messages, "confirm", classmethod(lambda c, *a, **k: True))
    window._delete_open_article()
    wait_saved(qtbot, window)
    qtbot.waitUntil(lambda: window.workspace.article is None)
    assert window.library.model.rowCount() == 0 and not window.header.isVisible()
    assert window.undo_delete_action.isEnabled()
    assert "Troops" in window.undo_delete_action.text()
    window.undo_delete_action.trigger()
    wait_saved(qtbot, window)
    qtbot.waitUntil(lambda: window.workspace.article is not None)
    assert window.library.model.rowCount() == 1 and not window.undo_delete_action.isEnabled()
    assert window.workspace.claim(claim_id).status is Status.DISPUTED  # type: ignore[union-attr]
    assert len(window.article_view.highlights()) == 3
    # The status bar no longer says it was deleted (it did, for 15 s, beside the article).
    message = window.statusBar().currentMessage()
    assert "Deleted" not in message and "“Troops”" in message


def test_moving_the_library_highlight_opens_that_article(
    qtbot: QtBot, window: MainWindow, db_path: Path
) -> None:
    with Store(db_path) as store:
        second = store.add_article(ArticleDraft("Another text.", title="Second"), []).article.id
    window.library.refresh()
    view = window.library.view
    view.setFocus()
    first_row = window.library.model.row_of(1)
    view.setCurrentIndex(window.library.model.index(first_row, 0))
    other = window.library.model.row_of(second)
    qtbot.keyClick(view, Qt.Key.Key_Down if other > first_row else Qt.Key.Key_Up)
    assert window.workspace.article is not None and window.workspace.article.id == second
    assert view.currentIndex().row() == other
    qtbot.keyClick(view, Qt.Key.Key_Up if other > first_row else Qt.Key.Key_Down)
    assert window.workspace.article is not None and window.workspace.article.id == 1
    # Back on an article, work goes on at its most urgent unchecked claim, not nowhere.
    assert window.workspace.selected_claim_id is not None
    assert window.workspace.selected_claim is not None
    assert window.workspace.selected_claim.status is Status.UNCHECKED


def test_library_shows_publication_or_import_date(qtbot: QtBot, window: MainWindow) -> None:
    assert "imported 20" in window.library.model.index(0, 0).data()
    window.workspace.edit_article(published="2015-05-18")
    wait_saved(qtbot, window)
    row = window.library.model.index(0, 0).data()
    assert "2015-05-18" in row and "imported" not in row


def test_shortcuts_dialog_shows_no_mnemonic_marks(window: MainWindow) -> None:
    actions = [action for _, action in window.shortcut_rows]
    assert not [a for a in actions if "&" in a]
    assert "Undo" in actions and "Article details" in actions


def test_delete_of_an_article_shown_elsewhere_keeps_the_open_one(
    qtbot: QtBot, window: MainWindow, db_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with Store(db_path) as store:
        other = store.add_article(ArticleDraft("Another text.", title="Other"), []).article.id
        operations.run(store, operations.archive_article(other, False))
    window.library.refresh()
    window.workspace.delete_article(other, "Other")
    wait_saved(qtbot, window)
    assert window.workspace.article is not None and window.workspace.article.id == 1
    assert window.library.model.rowCount() == 1


def test_delete_key_in_the_library_deletes_the_article_not_a_claim(
    qtbot: QtBot, window: MainWindow, monkeypatch: pytest.MonkeyPatch
) -> None:
    asked: list[str] = []
    monkeypatch.setattr(
        Messages, "confirm", classmethod(lambda c, p, t, q, d, **k: asked.append(q))
    )
    window.library.view.setFocus()
    qtbot.keyClick(window.library.view, Qt.Key.Key_Delete)
    wait_saved(qtbot, window)
    assert len(asked) == 1 and "Troops" in asked[0]
    assert len(window.workspace.claims) == 3


def test_after_removing_a_claim_the_next_one_is_selected(qtbot: QtBot, window: MainWindow) -> None:
    first, second, third = (c.id for c in window.workspace.claims)
    window.workspace.select_claim(second)
    window.article_view.setFocus()
    qtbot.keyClick(window.article_view, Qt.Key.Key_Delete)
    wait_saved(qtbot, window)
    qtbot.waitUntil(lambda: len(window.workspace.claims) == 2)
    assert window.workspace.selected_claim_id == third
    window.workspace.remove_claim(third)  # the last: the one before it is selected
    wait_saved(qtbot, window)
    assert window.workspace.selected_claim_id == first


def test_a_page_read_short_opens_with_a_visible_warning(
    qtbot: QtBot, window: MainWindow, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tests.core.test_ingest_html import COLUMN_PAGE

    notices: list[tuple[str, str]] = []
    monkeypatch.setattr(Messages, "warning", classmethod(lambda c, p, t, m: notices.append((t, m))))
    page = tmp_path / "column.html"
    page.write_text(COLUMN_PAGE, encoding="utf-8")
    window.open_files([str(page)])
    qtbot.waitUntil(lambda: bool(notices), timeout=60_000)
    title, message = notices[0]
    assert title == "Check the text of column.html"
    assert message.startswith("Only ") and "check the text against the original" in message
    assert window.workspace.article is not None and window.workspace.article.id == 2


def test_escape_clears_the_library_search_then_leaves_it(qtbot: QtBot, window: MainWindow) -> None:
    library = window.library
    library.focus_search()
    qtbot.keyClicks(library.search, "troops")
    qtbot.keyClick(library.search, Qt.Key.Key_Escape)
    assert library.search.text() == "" and library.search.hasFocus()
    qtbot.keyClick(library.search, Qt.Key.Key_Escape)
    assert library.view.hasFocus()


def test_opening_the_shown_article_again_keeps_its_matches_and_place(
    qtbot: QtBot, window: MainWindow, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A real-app check: `workbench gui FILE` on the file of the article already shown
    (reopened at start) cleared its matches and matched all its claims again."""
    workspace = window.workspace
    article = workspace.article
    assert article is not None
    path = tmp_path / "again.txt"
    path.write_text(article.text, encoding="utf-8")
    selected = workspace.claims[-1].id
    workspace.select_claim(selected)
    rematched: list[int] = []
    monkeypatch.setattr(workspace, "rematch", lambda *a, **k: rematched.append(1))
    ready: list[int] = []
    window.opener.article_ready.connect(ready.append)
    window.open_files([str(path)])
    qtbot.waitUntil(lambda: bool(ready), timeout=60_000)
    assert ready == [article.id] and workspace.article.id == article.id
    assert rematched == [] and workspace.selected_claim_id == selected
