"""Tags, filters, saved filters and bulk actions in the claim list and the library."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import QItemSelectionModel
from pytestqt.qtbot import QtBot

from tests.ui.test_main_window import close_window, make_window, seed, wait_saved
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


def shown_claims(window: MainWindow) -> list[str]:
    f = window.claim_panel.claim_filter
    return [f.index(row, 0).data().split("\n")[0] for row in range(f.rowCount())]


def select_rows(window: MainWindow, rows: list[int]) -> None:
    panel = window.claim_panel
    selection = panel.claim_list.selectionModel()
    selection.clearSelection()
    for row in rows:
        selection.select(panel.claim_filter.index(row, 0), QItemSelectionModel.SelectionFlag.Select)


def test_tags_field_tags_the_claim_and_feeds_the_filter(qtbot: QtBot, window: MainWindow) -> None:
    panel = window.claim_panel
    first = window.workspace.claims[0]
    window.workspace.select_claim(first.id)
    panel.tags.setText("Korea, troops ")
    panel.tags.editingFinished.emit()
    wait_saved(qtbot, window)
    assert window.workspace.claim(first.id).tags == ("Korea", "troops")  # type: ignore[union-attr]
    assert [panel.tag_combo.itemText(i) for i in range(panel.tag_combo.count())] == [
        "All tags", "Korea", "troops",
    ]  # fmt: skip
    panel.tag_combo.setCurrentIndex(panel.tag_combo.findData("troops"))
    assert shown_claims(window) == [first.text]
    panel.tag_combo.setCurrentIndex(0)
    assert len(shown_claims(window)) == 3
    window.workspace.undo_stack.undo()
    wait_saved(qtbot, window)
    assert window.workspace.claim(first.id).tags == ()  # type: ignore[union-attr]
    assert panel.tags.text() == ""


def test_text_filter_and_a_named_saved_filter(qtbot: QtBot, window: MainWindow) -> None:
    panel = window.claim_panel
    panel.filter_text.setText("lawmakers thursday")
    assert shown_claims(window) == [window.workspace.claims[1].text]
    panel.show_combo.setCurrentIndex(panel.show_combo.findData("unchecked"))
    panel.by_priority.setChecked(True)
    panel.save_filter("  Thursday  votes ")
    wait_saved(qtbot, window)
    panel.filter_text.clear()
    panel.show_combo.setCurrentIndex(0)
    panel.by_priority.setChecked(False)
    assert len(shown_claims(window)) == 3
    assert panel.saved_filter_names() == ["Thursday votes"]
    panel.apply_filter("Thursday votes")
    assert panel.filter_text.text() == "lawmakers thursday"
    assert panel.show_combo.currentData() == "unchecked" and panel.by_priority.isChecked()
    assert shown_claims(window) == [window.workspace.claims[1].text]
    panel.delete_filter("Thursday votes")
    wait_saved(qtbot, window)
    assert panel.saved_filter_names() == []


def test_saved_filters_damaged_by_hand_are_none(qtbot: QtBot, window: MainWindow) -> None:
    # An audit: a setting nested too deep for json raised RecursionError when the
    # Saved filters menu opened (the crash path), not the ValueError the panel expected.
    from ui.claim_panel import SAVED_FILTERS_KEY

    panel = window.claim_panel
    for damaged in ("[" * 100_000, '{"a": 1, "b": [1, 2]}', "not json"):
        window.workspace.remember(SAVED_FILTERS_KEY, damaged)
        wait_saved(qtbot, window)
        assert panel.saved_filter_names() == []
        panel.saved_filters.menu().aboutToShow.emit()
    panel.save_filter("Again")  # and a new one replaces the damaged value
    wait_saved(qtbot, window)
    assert panel.saved_filter_names() == ["Again"]


def test_bulk_status_and_tag_on_selected_claims(
    qtbot: QtBot, window: MainWindow, db_path: Path
) -> None:
    panel = window.claim_panel
    select_rows(window, [0, 2])
    ids = panel.selected_claim_ids()
    assert ids == [window.workspace.claims[0].id, window.workspace.claims[2].id]
    window.workspace.set_statuses(ids, Status.UNVERIFIABLE)
    wait_saved(qtbot, window)
    window.workspace.tag_claims(ids, add=["follow up"])
    wait_saved(qtbot, window)
    with Store(db_path) as store:
        claims = store.claims(1)
    assert [c.status for c in claims] == [
        Status.UNVERIFIABLE,
        Status.UNCHECKED,
        Status.UNVERIFIABLE,
    ]
    assert [c.tags for c in claims] == [("follow up",), (), ("follow up",)]
    assert window.progress.value() == 2
    window.workspace.undo_stack.undo()
    window.workspace.undo_stack.undo()
    wait_saved(qtbot, window)
    with Store(db_path) as store:
        assert {(c.status, c.tags) for c in store.claims(1)} == {(Status.UNCHECKED, ())}


def test_library_filters_by_tag_and_progress(
    qtbot: QtBot, window: MainWindow, db_path: Path
) -> None:
    with Store(db_path) as store:
        other = store.add_article(ArticleDraft("Another text.", title="Other"), []).article.id
        operations.run(store, operations.set_article_tags(other, ["budget"]))
    library = window.library
    library.refresh()
    assert library.model.rowCount() == 2
    library.tag_combo.setCurrentIndex(library.tag_combo.findData("budget"))
    assert [library.model.item(r).id for r in range(library.model.rowCount())] == [other]
    library.tag_combo.setCurrentIndex(0)
    library.state_combo.setCurrentIndex(library.state_combo.findData("unchecked"))
    assert [library.model.item(r).id for r in range(library.model.rowCount())] == [1]
    assert window.workspace.article is not None and window.workspace.article.id == 1


def test_j_k_and_verdicts_stay_inside_the_filtered_list(qtbot: QtBot, window: MainWindow) -> None:
    """With the list showing unchecked claims only, J skipped to hidden claims, and a
    verdict moved the selection to the row above instead of the next claim."""
    panel = window.claim_panel
    first, second, third = window.workspace.claims
    window.workspace.set_status(second.id, Status.DISPUTED)
    wait_saved(qtbot, window)
    panel.show_combo.setCurrentIndex(panel.show_combo.findData("unchecked"))
    assert panel.shown_claim_ids() == [first.id, third.id]
    window.workspace.select_claim(first.id)
    window._step_claims(1)  # J
    assert window.workspace.selected_claim_id == third.id  # not the hidden disputed one
    window._step_claims(-1)  # K
    assert window.workspace.selected_claim_id == first.id
    window.workspace.set_status(first.id, Status.VERIFIED)  # it leaves the list
    wait_saved(qtbot, window)
    assert panel.shown_claim_ids() == [third.id]
    assert window.workspace.selected_claim_id == third.id  # the next one, in view
    assert panel.claim_list.currentIndex().row() == 0


def test_n_stays_inside_the_filtered_list(qtbot: QtBot, window: MainWindow) -> None:
    """N, the next unchecked claim, went to a claim the filter hides (the side panel then
    showed a claim the list did not), as J did before."""
    first, _hidden, third = window.workspace.claims
    window.workspace.tag_claims([first.id, third.id], add=["war"])
    wait_saved(qtbot, window)
    panel = window.claim_panel
    panel.tag_combo.setCurrentIndex(panel.tag_combo.findData("war"))
    assert panel.shown_claim_ids() == [first.id, third.id]
    window.workspace.select_claim(first.id)
    window.article_view.setFocus()
    qtbot.keyClick(window.article_view, "n")
    assert window.workspace.selected_claim_id == third.id  # not the hidden second one
    window.workspace.set_statuses([first.id, third.id], Status.VERIFIED)
    wait_saved(qtbot, window)
    qtbot.keyClick(window.article_view, "n")
    assert window.workspace.selected_claim_id == third.id  # none left in the list
    assert "shows" in window.statusBar().currentMessage()


def test_an_article_opened_under_a_filter_starts_at_a_claim_the_list_shows(
    qtbot: QtBot, window: MainWindow
) -> None:
    """The filters stay when another article opens; its first claim selected was one they
    hid (the side panel showed a claim the list did not)."""
    workspace = window.workspace
    first, _hidden, third = workspace.claims
    workspace.tag_claims([third.id], add=["war"])
    wait_saved(qtbot, window)
    workspace.select_claim(first.id)  # the place kept for this article
    article = workspace.article
    assert article is not None
    panel = window.claim_panel
    panel.tag_combo.setCurrentIndex(panel.tag_combo.findData("war"))
    workspace.open_article(None)
    workspace.open_article(article.id)
    workspace.select_first_to_check()
    assert panel.shown_claim_ids() == [third.id]
    assert workspace.selected_claim_id == third.id
