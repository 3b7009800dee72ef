"""Priorities in the app: the few claims that matter most stand out, and N goes to them."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QColor
from pytestqt.qtbot import QtBot

from tests.ui.test_main_window import close_window, make_window
from ui.item_models import ClaimFilter, ClaimListModel
from ui.main_window import MainWindow
from workbench.models import ArticleDraft, ClaimType, DetectedClaim, Status
from workbench.store import Store
from workbench.vocabulary import SETTING_HIGH

SENTENCES = {
    "North Korea sent 12,000 troops to Russia on Wednesday.": 0.97,
    "The ministry said 70 lawmakers backed the bill.": 0.65,
    "Officials met in Seoul to discuss the matter.": 0.52,
    "The war has cost Ukraine 20% of its territory.": 0.91,
}
MANUAL = "Kim was seen in Pyongyang on Friday."
TEXT = "\n\n".join([*SENTENCES, MANUAL])


@pytest.fixture
def window(qtbot: QtBot, db_path: Path, errors: list[str]) -> Iterator[MainWindow]:
    db = db_path
    with Store(db) as store:
        claims = [
            DetectedClaim(
                TEXT.index(s),
                TEXT.index(s) + len(s),
                s,
                score,
                ("number",),
                type=ClaimType.QUANTITY if "%" in s or "12,000" in s else ClaimType.EVENT,
            )
            for s, score in SENTENCES.items()
        ]
        article = store.add_article(ArticleDraft(TEXT, title="Troops"), claims).article
        store.add_claim(article.id, TEXT.index(MANUAL), len(TEXT))  # added by hand
    win = make_window(qtbot, db)
    qtbot.waitUntil(lambda: win.workspace.article is not None)
    yield win
    close_window(win)
    assert errors == []


def rows(window: MainWindow) -> list[str]:
    model = window.claim_panel.claim_list.model()
    return [str(model.index(r, 0).data()) for r in range(model.rowCount())]


def test_the_claim_list_shows_priorities_not_scores(window: MainWindow) -> None:
    shown = rows(window)
    assert any(r.startswith("North Korea sent 12,000") and "High priority" in r for r in shown)
    assert any("70 lawmakers" in r and "Medium priority" in r for r in shown)
    assert any("met in Seoul" in r and "Low priority" in r for r in shown)
    assert any(r.startswith(MANUAL) and "Added by you" in r for r in shown)
    assert not any("0.97" in r for r in shown)


def test_filter_and_sort_by_priority(qtbot: QtBot, window: MainWindow) -> None:
    panel = window.claim_panel
    panel.by_priority.setChecked(True)
    first_lines = [r.split("\n")[0] for r in rows(window)]
    assert first_lines == [
        "North Korea sent 12,000 troops to Russia on Wednesday.",
        "The war has cost Ukraine 20% of its territory.",
        MANUAL,
        "The ministry said 70 lawmakers backed the bill.",
        "Officials met in Seoul to discuss the matter.",
    ]
    panel.show_combo.setCurrentIndex(panel.show_combo.findData("urgent"))
    assert len(rows(window)) == 3 and not any("Seoul" in r for r in rows(window))
    panel.show_combo.setCurrentIndex(panel.show_combo.findData("all"))
    panel.type_combo.setCurrentIndex(panel.type_combo.findData("quantity"))
    assert {r.split("\n")[0] for r in rows(window)} == {
        "North Korea sent 12,000 troops to Russia on Wednesday.",
        "The war has cost Ukraine 20% of its territory.",
    }
    panel.type_combo.setCurrentIndex(panel.type_combo.findData(None))
    seoul = next(c for c in window.workspace.claims if "Seoul" in c.text)
    window.workspace.set_status(seoul.id, Status.DISPUTED)
    qtbot.waitUntil(lambda: window.writer.pending == 0)
    for show, expected in (("disputed", 1), ("checked", 1), ("verified", 0), ("unchecked", 4)):
        panel.show_combo.setCurrentIndex(panel.show_combo.findData(show))
        assert len(rows(window)) == expected, show
    panel.show_combo.setCurrentIndex(panel.show_combo.findData("all"))
    panel.by_priority.setChecked(False)
    assert rows(window)[-1].startswith(MANUAL)  # reading order again


def test_most_urgent_first_puts_the_claims_still_to_check_first(
    qtbot: QtBot, window: MainWindow
) -> None:
    """A verified claim stayed on top among the unchecked ones, and a level kept
    reading order whatever the scores."""
    panel, workspace = window.claim_panel, window.workspace
    korea = next(c for c in workspace.claims if c.text.startswith("North Korea"))
    workspace.set_status(korea.id, Status.VERIFIED)
    qtbot.waitUntil(lambda: window.writer.pending == 0)
    panel.by_priority.setChecked(True)
    first_lines = [r.split("\n")[0] for r in rows(window)]
    assert first_lines[0] == "The war has cost Ukraine 20% of its territory."
    assert first_lines[-1] == korea.text


def test_a_verdict_given_moves_the_claim_down_a_list_sorted_by_urgency(
    qtbot: QtBot, window: MainWindow
) -> None:
    panel, workspace = window.claim_panel, window.workspace
    panel.by_priority.setChecked(True)
    top = rows(window)[0].split("\n")[0]
    claim = next(c for c in workspace.claims if c.text == top)
    workspace.set_status(claim.id, Status.VERIFIED)
    qtbot.waitUntil(lambda: rows(window)[-1].split("\n")[0] == top)
    workspace.undo_group.undo()
    qtbot.waitUntil(lambda: rows(window)[0].split("\n")[0] == top)


def test_the_claim_list_is_kept_by_qt_not_answered_from_python() -> None:
    """The list asks its model about sixteen things per row when it measures the rows;
    a model answering in Python made a long article's list hold the window up for
    seconds while other threads ran Python. Its rows are worked out once, kept by Qt."""
    for name in ("data", "rowCount", "index", "flags"):
        assert name not in vars(ClaimListModel), name
    assert "lessThan" not in vars(ClaimFilter)


def test_n_goes_to_the_most_urgent_unchecked_claim(qtbot: QtBot, window: MainWindow) -> None:
    texts = []
    for _ in range(3):
        window.article_view.setFocus()
        qtbot.keyClick(window.article_view, "n")
        selected = window.workspace.selected_claim
        assert selected is not None
        texts.append(selected.text)
    assert texts[:2] == [
        "North Korea sent 12,000 troops to Russia on Wednesday.",
        "The war has cost Ukraine 20% of its territory.",
    ]
    assert texts[2] == texts[0]
    for claim in window.workspace.claims:
        if claim.text in texts:
            window.workspace.set_status(claim.id, Status.VERIFIED)
    qtbot.waitUntil(lambda: window.writer.pending == 0)
    qtbot.keyClick(window.article_view, "n")  # the high ones are done: yours comes next
    selected = window.workspace.selected_claim
    assert selected is not None and selected.text == MANUAL


def test_high_priority_stands_out_and_low_is_faint(window: MainWindow) -> None:
    backgrounds: dict[str, QColor] = {}
    for selection in window.article_view.highlights():
        text = selection.cursor.selectedText()
        backgrounds[text] = selection.format.background().color()
    high = backgrounds["North Korea sent 12,000 troops to Russia on Wednesday."]
    medium = backgrounds["The ministry said 70 lawmakers backed the bill."]
    low = backgrounds["Officials met in Seoul to discuss the matter."]
    assert high.lightnessF() < medium.lightnessF() < low.lightnessF()


def test_the_panel_says_added_by_you_for_a_manual_claim(qtbot: QtBot, window: MainWindow) -> None:
    manual = next(c for c in window.workspace.claims if c.text == MANUAL)
    window.workspace.select_claim(manual.id)
    assert window.claim_panel.reasons.text() == "Unchecked · added by you"
    high = next(c for c in window.workspace.claims if c.score == 0.97)
    window.workspace.select_claim(high.id)
    assert window.claim_panel.reasons.text().startswith("Unchecked · High priority (score 0.97)")


def test_thresholds_come_from_the_settings(qtbot: QtBot, window: MainWindow) -> None:
    window.workspace.store.set_setting(SETTING_HIGH, "0.95")
    assert window.workspace.article is not None
    window.workspace.open_article(window.workspace.article.id)
    assert sum("High priority" in r for r in rows(window)) == 1


def dense_window(qtbot: QtBot, tmp_path: Path) -> MainWindow:
    """The app on an article of five claims scoring 0.99 to 0.95: three can be high."""
    sentences = [f"Officials counted {n},000 troops at the border on Monday." for n in range(1, 6)]
    text = "\n\n".join(sentences)
    with Store(tmp_path / "dense.db") as store:
        claims = [
            DetectedClaim(text.index(s), text.index(s) + len(s), s, 0.99 - i * 0.01, ("number",))
            for i, s in enumerate(sentences)
        ]
        store.add_article(ArticleDraft(text, title="Border"), claims)
    window = make_window(qtbot, tmp_path / "dense.db")
    qtbot.waitUntil(lambda: window.workspace.article is not None)
    return window


def test_in_dense_news_only_the_best_scored_claims_stand_out(
    qtbot: QtBot, tmp_path: Path, errors: list[str]
) -> None:
    """Five claims all above 0.9: the three best are high, the others say why they are not."""
    window = dense_window(qtbot, tmp_path)
    shown = rows(window)
    assert ["High priority" in r for r in shown] == [True, True, True, False, False]
    assert all("Medium priority" in r for r in shown[3:])
    model = window.claim_panel.claim_list.model()
    tip = str(model.index(3, 0).data(Qt.ItemDataRole.ToolTipRole))
    assert "best-scored claims (its top 25%, at least 3, can be high)" in tip
    bold = [model.index(r, 0).data(Qt.ItemDataRole.FontRole) for r in range(5)]
    assert [f is not None and f.bold() for f in bold] == [True, True, True, False, False]
    # The library's "unchecked high-priority" count follows the same rule.
    library = window.workspace.store.articles(priorities=window.workspace.priorities)
    assert [a.urgent_count for a in library] == [3]
    close_window(window)
    assert errors == []


def test_the_fact_checker_sets_a_claims_priority_from_the_list(
    qtbot: QtBot, window: MainWindow
) -> None:
    from PySide6.QtWidgets import QMenu

    troops = next(c for c in window.workspace.claims if c.text.startswith("North Korea"))
    menu = QMenu()
    window.claim_panel._add_priority_menu(menu, [troops.id])
    (submenu,) = [a.menu() for a in menu.actions() if a.text() == "Priority"]
    actions = {a.text(): a for a in submenu.actions()}
    assert actions["As the detector scores it"].isChecked()
    actions["Low"].trigger()
    qtbot.waitUntil(lambda: window.workspace.claim(troops.id).chosen_priority == "low")
    shown = next(r for r in rows(window) if r.startswith("North Korea"))
    assert "Low priority (yours)" in shown
    assert "yours; the detector scored it 0.97" in window.claim_panel.claim_model.index(0, 0).data(
        Qt.ItemDataRole.ToolTipRole
    )
    window.workspace.undo_stack.undo()
    qtbot.waitUntil(lambda: window.workspace.claim(troops.id).chosen_priority == "")
    assert "High priority" in next(r for r in rows(window) if r.startswith("North Korea"))


def test_several_selected_claims_get_one_priority_and_one_undo(
    qtbot: QtBot, window: MainWindow
) -> None:
    """The list's menu offered a priority for one claim at a time (noticed in session 11)."""
    from PySide6.QtWidgets import QMenu

    panel, workspace = window.claim_panel, window.workspace
    first, second = workspace.claims[0].id, workspace.claims[1].id
    workspace.set_priority(first, "low")
    qtbot.waitUntil(lambda: workspace.claim(first).chosen_priority == "low")
    menu = QMenu()
    panel._add_priority_menu(menu, [first, second])
    (submenu,) = [a.menu() for a in menu.actions() if a.text() == "Priority"]
    actions = {a.text(): a for a in submenu.actions()}
    assert not any(a.isChecked() for a in actions.values())  # the two differ
    actions["Medium"].trigger()
    qtbot.waitUntil(lambda: workspace.claim(second).chosen_priority == "medium")
    assert workspace.claim(first).chosen_priority == "medium"
    menu = QMenu()
    panel._add_priority_menu(menu, [first, second])
    (submenu,) = [a.menu() for a in menu.actions() if a.text() == "Priority"]
    assert [a.text() for a in submenu.actions() if a.isChecked()] == ["Medium"]
    workspace.undo_stack.undo()
    qtbot.waitUntil(lambda: workspace.claim(second).chosen_priority == "")
    assert workspace.claim(first).chosen_priority == "low"


def test_a_priority_given_regrades_the_list_the_text_and_the_library(
    qtbot: QtBot, tmp_path: Path, errors: list[str]
) -> None:
    """The best-scored claim set low left the ranking: the fourth entered the top three
    in the text, but the list kept it medium and the library kept its count (review)."""
    from workbench.priority import Priority

    window = dense_window(qtbot, tmp_path)
    workspace = window.workspace
    workspace.set_priority(workspace.claims[3].id, "high")
    workspace.set_priority(workspace.claims[0].id, "low")
    qtbot.waitUntil(lambda: workspace.claims[0].chosen_priority == "low")
    graded = [workspace.priorities.of(c) is Priority.HIGH for c in workspace.claims]
    assert graded == [False, True, True, True, True]
    assert ["High priority" in r for r in rows(window)] == graded
    library = window.library.model
    qtbot.waitUntil(lambda: [a.urgent_count for a in library.items] == [4])
    close_window(window)
    assert errors == []
