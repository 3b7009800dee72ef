"""Article, archive and user text is shown as text: markup in it is never rendered.

A claim holding ``<img src=...>`` or ``<font color=white>`` must show those characters,
not load a local file or hide words. Each check asks what the user would see: the text
as Qt displays it (rich text rendered to plain, plain text as is) must hold the markup
verbatim.
"""

from __future__ import annotations

import html
from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import QAbstractItemModel, QEvent, Qt, QTimer
from PySide6.QtGui import QHelpEvent, QTextDocument
from PySide6.QtGui import Qt as GuiQt
from PySide6.QtWidgets import QApplication, QLabel, QMessageBox, QToolTip, QWidget
from pytestqt.qtbot import QtBot

from tests.ui.test_main_window import close_window, make_window
from ui.article_header import _LinkLabel
from ui.database_dialogs import DatabaseProblemDialog
from ui.dialogs import EvidenceDialog, Messages
from ui.item_models import ArchiveListModel, EvidenceListModel, ItemRole, MatchListModel
from ui.main_window import MainWindow
from workbench.models import (
    ArchiveClaim,
    ArchiveRecord,
    ArticleDraft,
    DetectedClaim,
    Evidence,
    Match,
    MatchStrength,
    Status,
)
from workbench.store import Store

IMG = '<img src="/tmp/x.png">'
FONT = "<font color=white>hidden</font>"
BOLD = "<b>bold</b>"
LINK = '<a href="file:///etc/passwd">x</a>'
HOSTILE = (IMG, FONT, BOLD, LINK)
ALL = " ".join(HOSTILE)

CLAIM = f"North Korea sent some 12,000 troops to Russia, the minister said {ALL}."
TEXT = f"{CLAIM}\n\nThe weather was mild."
PAST = f"North Korea sent 10,000 troops to Russia, Ukraine's minister said {ALL}."


def seed(path: Path) -> None:
    with Store(path) as store:
        start = TEXT.index(CLAIM)
        detected = [DetectedClaim(start, start + len(CLAIM), CLAIM, 0.8, (f"number {BOLD}",))]
        draft = ArticleDraft(TEXT, title=f"Troops {ALL}", source=f"Outlet {BOLD}", author=FONT)
        claim = store.add_article(draft, detected).claims[0]
        store.update_claim(claim.id, note=f"Note {ALL}", claimant=f"Minister {ALL}")
        store.add_evidence(
            claim.id, f"https://evidence.example/?q={BOLD}", title=f"Source {ALL}", note=ALL
        )
        store.import_archive_records(
            [
                ArchiveRecord(
                    text=PAST,
                    external_id="pf-1",
                    title=f"Troops {ALL}",
                    verdict=f"false {BOLD}",
                    url=f"https://factcheck.example/nk?{BOLD}",
                    date="2024-11-01",
                    speaker=f"Speaker {ALL}",
                    publisher=f"Checks {ALL}",
                )
            ],
            source=f"desk {BOLD}",
        )


def displayed(text: str, fmt: Qt.TextFormat = Qt.TextFormat.AutoText) -> str:
    """What Qt shows for ``text`` in a label (or, at AutoText, a tooltip or message box)."""
    rich = fmt == Qt.TextFormat.RichText or (
        fmt == Qt.TextFormat.AutoText and GuiQt.mightBeRichText(text)
    )
    if not rich:
        return text
    doc = QTextDocument()
    doc.setHtml(text)
    return doc.toPlainText()


def holds_user_text(text: str) -> bool:
    return any(h in text or html.escape(h) in text for h in HOSTILE)


def assert_labels_show_markup(widget: QWidget) -> list[QLabel]:
    """Every label under ``widget`` that holds user text shows its markup verbatim."""
    labels = [label for label in widget.findChildren(QLabel) if holds_user_text(label.text())]
    for label in labels:
        shown = displayed(label.text(), label.textFormat())
        for fragment in HOSTILE:
            if fragment in label.text() or html.escape(fragment) in label.text():
                assert fragment in shown, (label.objectName(), label.text())
    return labels


def assert_tooltip_shows_markup(tip: str) -> None:
    shown = displayed(tip)
    for fragment in HOSTILE:
        if fragment in tip or html.escape(fragment) in tip:
            assert fragment in shown, tip


def model_tooltips(model: QAbstractItemModel) -> list[str]:
    tips = (
        model.index(row, 0).data(Qt.ItemDataRole.ToolTipRole) for row in range(model.rowCount())
    )
    return [tip for tip in tips if isinstance(tip, str) and tip]


@pytest.fixture
def window(qtbot: QtBot, db_path: Path, errors: list[str]) -> Iterator[MainWindow]:
    seed(db_path)
    win = make_window(qtbot, db_path)
    qtbot.waitUntil(lambda: win.workspace.article is not None)
    qtbot.waitUntil(lambda: bool(win.workspace.matches))
    win.workspace.select_claim(win.workspace.claims[0].id)
    yield win
    close_window(win)
    assert not errors


def test_claim_panel_and_past_checks_show_markup_as_text(qtbot: QtBot, window: MainWindow) -> None:
    panel = window.claim_panel
    assert CLAIM in panel.claim_text.text()
    panel.tabs.setCurrentWidget(panel.past_checks)
    past = panel.past_checks
    qtbot.waitUntil(lambda: past.model.rowCount() == 1)
    past.list.setCurrentIndex(past.model.index(0, 0))
    labels = assert_labels_show_markup(window)
    assert panel.claim_text in labels
    assert panel.reasons in labels
    # The explanation is HTML built on purpose: the user text in it is escaped.
    explanation = past.explanation.toPlainText()
    assert PAST in explanation and CLAIM in explanation
    assert "FALSE <B>BOLD</B>" in explanation
    assert f"Speaker {ALL}" in explanation
    assert "<img" not in past.explanation.toHtml()


def test_archive_panel_shows_collection_names_as_text(qtbot: QtBot, window: MainWindow) -> None:
    window.side_tabs.setCurrentWidget(window.archive)
    window.archive.refresh()
    qtbot.waitUntil(lambda: BOLD in window.archive.summary.text())
    assert window.archive.summary in assert_labels_show_markup(window)


def test_tooltips_with_user_text_show_markup_as_text(qtbot: QtBot, window: MainWindow) -> None:
    panel = window.claim_panel
    window.archive.refresh()
    qtbot.waitUntil(lambda: window.archive.model.rowCount() > 0)
    tips = [
        tip
        for model in (
            window.library.model,
            panel.claim_model,
            panel.evidence_model,
            panel.past_checks.model,
            window.archive.model,
        )
        for tip in model_tooltips(model)
    ]
    tips += [w.toolTip() for w in window.findChildren(QWidget) if w.toolTip()]
    assert len([t for t in tips if holds_user_text(t)]) >= 5
    for tip in tips:
        assert_tooltip_shows_markup(tip)


@pytest.mark.qt_log_ignore("This plugin does not support")  # offscreen: tooltip windows
def test_article_tooltip_shows_the_past_check_as_text(window: MainWindow) -> None:
    view = window.article_view
    claim = window.workspace.claims[0]
    assert view.seen_claim_ids() == [claim.id]
    spot = view._claim_rects(claim)[0].center().toPoint()
    local = view.viewport().mapTo(view, spot)
    QApplication.sendEvent(view, QHelpEvent(QEvent.Type.ToolTip, local, view.mapToGlobal(local)))
    tip = QToolTip.text()
    assert f"Checks {ALL}" in displayed(tip)
    assert_tooltip_shows_markup(tip)
    QToolTip.hideText()


def test_message_boxes_show_file_names_and_errors_as_text(
    qtbot: QtBot, monkeypatch: pytest.MonkeyPatch
) -> None:
    box = Messages.warning(None, "Could not open", f"Could not open {ALL}.docx")
    assert_labels_show_markup(box)
    assert box.textFormat() == Qt.TextFormat.PlainText
    box.close()

    seen: list[list[QLabel]] = []

    def close_modal() -> None:
        modal = QApplication.activeModalWidget()
        assert isinstance(modal, QMessageBox)
        try:
            seen.append(assert_labels_show_markup(modal))
        finally:
            modal.close()  # a failed check must fail the test, not hang it

    QTimer.singleShot(0, close_modal)
    Messages.error(None, "Could not save the change", f"database error near {ALL}")
    assert len(seen) == 1 and len(seen[0]) == 1


def test_a_message_naming_a_file_is_not_reversed_by_its_name(qtbot: QtBot) -> None:
    """Citing a library document since moved away: "Could not save the change" said
    "/docs/yrotcerid ro elif hcus oN :txt.tropeR exe.txt", its name holding U+202E."""
    name = "/docs/\u202etxt.exe Report.txt"
    box = Messages.warning(None, "Could not save \u202ethe change", f"{name}: No such file")
    assert box.text() == "/docs/txt.exe Report.txt: No such file"
    assert box.windowTitle() == "Could not save the change"
    box.close()


def test_dialogs_show_user_text_as_text(qtbot: QtBot) -> None:
    problem = DatabaseProblemDialog(f"/home/me/{BOLD}/work.db is not a database {FONT}", [])
    qtbot.addWidget(problem)
    assert len(assert_labels_show_markup(problem)) == 1

    evidence = EvidenceDialog(url=f"file:///etc/{BOLD}")
    qtbot.addWidget(evidence)
    evidence.accept()
    assert evidence.problem in assert_labels_show_markup(evidence)


@pytest.mark.parametrize(
    ("typed", "kept"),
    [("en.yna.co.kr/view/AEN2024", "https://en.yna.co.kr/view/AEN2024"),
     ("www.example.org", "https://www.example.org"),
     ("javascript:alert(1)", None), ("data:text/html,<b>x</b>", None)],
)  # fmt: skip
def test_a_link_typed_without_https_gets_it_and_others_stay_refused(
    qtbot: QtBot, typed: str, kept: str | None
) -> None:
    dialog = EvidenceDialog(url=typed)
    qtbot.addWidget(dialog)
    dialog.accept()
    if kept is None:
        assert not dialog.problem.isHidden() and dialog.result() == 0
    else:
        assert dialog.problem.isHidden() and dialog.values()[0] == kept


def test_import_progress_shows_the_file_name_as_text(
    qtbot: QtBot, window: MainWindow, tmp_path: Path
) -> None:
    name = "<font color=white>hidden <b>bold <img src=x.png>.jsonl"  # no "/" in a file name
    archive = tmp_path / name
    archive.write_text('{"id": "a1", "text": "The moon landing was staged in 1969."}\n')
    window.import_archive(str(archive))
    dialog = window.import_progress
    assert dialog is not None
    labels = [label for label in dialog.findChildren(QLabel) if name in label.text()]
    assert len(labels) == 1
    assert name in displayed(labels[0].text(), labels[0].textFormat())
    qtbot.waitUntil(lambda: window.workspace.store.archive_count() == 2, timeout=10_000)


def test_a_title_with_a_right_to_left_override_cannot_reverse_the_apps_own_text(
    qtbot: QtBot, tmp_path: Path
) -> None:
    """Stored before titles were cleaned on import (or typed with 'article edit')."""
    db = tmp_path / "bidi.db"
    with Store(db) as store:
        store.add_article(
            ArticleDraft("North Korea sent troops.", title="Minister\u202etroper"), []
        )
    window = make_window(qtbot, db)
    qtbot.waitUntil(lambda: window.workspace.article is not None)
    shown = window.library.model.index(0, 0).data()
    assert "\u202e" not in shown and shown.startswith("Ministertroper\n")
    assert "\u202e" not in window.windowTitle() and "\u202e" not in window.header.headline.text()
    close_window(window)


def test_a_look_alike_host_is_shown_with_its_real_name(qapp: QApplication) -> None:
    """ "https://аpple.com/" (a Cyrillic "а") read as apple.com in the evidence list."""
    model = EvidenceListModel()
    url = "https://аpple.com/login"
    model.set_items([Evidence(1, 1, url, "", "", "2026-12-01T10:00:00+00:00")])
    index = model.index(0, 0)
    assert index.data() == f"{url} [xn--pple-43d.com]"
    assert "[xn--pple-43d.com]" in index.data(Qt.ItemDataRole.ToolTipRole)
    header = _LinkLabel()
    header.set_url(url)
    assert "xn--pple-43d.com" in header.text() and "xn--pple-43d.com" in header.toolTip()


def test_a_long_look_alike_link_still_shows_its_real_host(qapp: QApplication) -> None:
    """The host's real name was added after the address and then the whole was cut: a
    look-alike link of over 500 characters (a session parameter will do) showed no
    "[xn--...]" in its row, nor one of over 2,000 in its tooltip, nor a past check's with
    a long title (audit), while Open went to the look-alike host."""
    url = "https://www.p\u0430ypal.com/signin?session=" + "a" * 3_000  # a Cyrillic "а"
    real = "[www.xn--pypal-4ve.com]"
    evidence = EvidenceListModel()
    evidence.set_items([Evidence(1, 1, url, "", "", "2026-12-01T10:00:00+00:00")])
    row = evidence.index(0, 0).data()
    assert row.endswith(real) and len(row) < 600
    assert real in displayed(evidence.index(0, 0).data(Qt.ItemDataRole.ToolTipRole))
    past = ArchiveClaim(
        1, "pf-1", "desk", "Troops were sent.", "T" * 3_000, "false", url, "", "", "", None, ""
    )
    matches = MatchListModel()
    matches.set_items([Match(past, 0.9, MatchStrength.STRONG)])
    archive = ArchiveListModel()
    archive.set_items([past])
    for model in (matches, archive):
        assert real in displayed(model.index(0, 0).data(Qt.ItemDataRole.ToolTipRole))
    header = _LinkLabel()
    header.set_url(url)
    assert real in displayed(header.toolTip())


def test_a_tooltip_of_a_huge_note_is_cut_and_cannot_reorder_text(
    qtbot: QtBot, tmp_path: Path
) -> None:
    """A 1 MB note's history entry made a 1 MB tooltip: Qt laid it out on the UI thread
    each time it appeared (12 s). An override in it reversed the "After:" that follows."""
    db = tmp_path / "note.db"
    note = "A long note line.\n" * 60_000
    with Store(db) as store:
        claim = store.add_article(
            ArticleDraft(TEXT, title="Troops"),
            [DetectedClaim(0, len(CLAIM), CLAIM, 0.8, ("number",))],
        ).claims[0]
        store.update_claim(claim.id, note="Said \u202eon TV")
    with Store(db) as store:  # another store: its save is a change of its own
        store.update_claim(claim.id, note=note)
    window = make_window(qtbot, db)
    qtbot.waitUntil(lambda: window.workspace.article is not None)
    window.workspace.select_claim(window.workspace.claims[0].id)
    history = window.claim_panel.history
    tips = [history.item(row).toolTip() for row in range(history.count())]
    close_window(window)
    assert len(tips) == 2
    for tip in tips:
        shown = displayed(tip)
        assert len(shown) <= 2_000 and "\u202e" not in shown
    assert displayed(tips[0]).endswith("…") and "Said on TV" in displayed(tips[1])


def test_outside_text_cannot_reverse_or_swamp_the_apps_own_words_in_rows(
    qtbot: QtBot, tmp_path: Path
) -> None:
    """U+202E in a claim reversed its row's "✓ Verified"; in a verdict, the publisher,
    date and "12,000 vs 10,000" after it; in a file's name, its ", page 3" (and
    "ministry\u202etxt.csv" read "ministryvsc.txt"). A 100,000-character verdict was
    laid out whole in the claim list's row (17 s) and in the explanation."""
    rlo = "\u202e"
    claim_text = f"Some 12,000 troops were sent in October 2024, by {rlo}official figures."
    db = tmp_path / "bidi-rows.db"
    with Store(db) as store:
        claim = store.add_article(
            ArticleDraft(f"{claim_text}\n\nThe weather was mild.", title="Troops"),
            [DetectedClaim(0, len(claim_text), claim_text, 0.95, ("number",))],
        ).claims[0]
        store.update_claim(claim.id, status=Status.VERIFIED)
        store.import_archive_records(
            [
                ArchiveRecord(
                    text=claim_text.replace("12,000", "10,000"),
                    external_id="x1",
                    title="Troops",
                    verdict=f"false{rlo} " + "very " * 20_000,
                    url="https://factcheck.example/x1",
                    date="2024-11-01",
                    publisher=f"PolitiFact{rlo}",
                )
            ],
            source="desk",
        )
    window = make_window(qtbot, db)
    qtbot.waitUntil(lambda: window.workspace.article is not None)
    claim = window.workspace.claims[0]
    window.workspace.select_claim(claim.id)
    qtbot.waitUntil(lambda: window.workspace.strong_match(claim.id) is not None)
    document = tmp_path / f"ministry{rlo}txt.csv"
    document.write_text("a,b\n1,2\n", encoding="utf-8")
    window.workspace.add_file_evidence(claim.id, str(document))
    panel = window.claim_panel
    qtbot.waitUntil(lambda: panel.evidence_model.rowCount() == 1)
    past = panel.past_checks
    qtbot.waitUntil(lambda: past.model.rowCount() == 1)
    past.list.setCurrentIndex(past.model.index(0, 0))
    window.archive.refresh()
    archive = window.archive.model
    qtbot.waitUntil(lambda: archive.rowCount() == 2)  # with the claim's own verdict
    (desk,) = (r for r in range(2) if archive.index(r, 0).data(ItemRole).source == "desk")
    rows = {
        "claim": panel.claim_filter.index(0, 0).data(),
        "past check": past.model.index(0, 0).data(),
        "archive": archive.index(desk, 0).data(),
        "evidence": panel.evidence_model.index(0, 0).data(),
        "explanation": past.explanation.toPlainText(),
    }
    close_window(window)
    for name, row in rows.items():
        assert rlo not in row, name
        assert len(row) < 2_000, name
    assert "✓ Verified" in rows["claim"] and "FALSE VERY" in rows["claim"]
    assert "ministrytxt.csv" in rows["evidence"]
    assert "PolitiFact · 1 Nov 2024" in rows["past check"]


def test_a_run_on_claim_is_shown_cut_in_the_list_and_the_panel(
    qtbot: QtBot, tmp_path: Path
) -> None:
    """A page without full stops made one claim of 236,000 characters; the claim list's
    row and the panel's label laid it out whole on the UI thread (11 s on selecting it).
    The article shows it whole."""
    words = "troops border ministry said sent October and the of " * 4_000
    text = f"{words}12,000."
    db = tmp_path / "run-on.db"
    with Store(db) as store:
        store.add_article(
            ArticleDraft(text, title="Run on"), [DetectedClaim(0, len(text), text, 0.9, ())]
        )
    window = make_window(qtbot, db)
    qtbot.waitUntil(lambda: window.workspace.article is not None)
    window.workspace.select_claim(window.workspace.claims[0].id)
    panel = window.claim_panel
    row = panel.claim_filter.index(0, 0).data()
    label = panel.claim_text.text()
    article = window.article_view.toPlainText()
    close_window(window)
    assert len(text) > 200_000 and article == text
    assert len(row.split("\n")[0]) <= 1_000 and row.split("\n")[0].endswith("…")
    assert len(label) <= 1_000 and label.startswith("troops border ministry")


def test_a_past_checks_look_alike_host_is_shown_with_its_real_name(qapp: QApplication) -> None:
    """The Past checks and Archive tooltips showed "https://www.politifаct.com/…" (a
    Cyrillic "а") as it reads, while Open link went to www.xn--politifct-6yh.com."""
    url = "https://www.politif\u0430ct.com/factchecks/troops/"
    past = ArchiveClaim(
        1, "pf-1", "desk", "Troops were sent.", "Troops", "false", url, "", "", "", None, ""
    )
    matches = MatchListModel()
    matches.set_items([Match(past, 0.9, MatchStrength.STRONG)])
    archive = ArchiveListModel()
    archive.set_items([past])
    for model in (matches, archive):
        tip = displayed(model.index(0, 0).data(Qt.ItemDataRole.ToolTipRole))
        assert "[www.xn--politifct-6yh.com]" in tip


def test_menus_show_file_names_and_titles_as_they_are(qtbot: QtBot, tmp_path: Path) -> None:
    """File > Open Recent showed "Q&A with the minister.txt" as "QA with …" (with an
    underlined A: a mnemonic), and put what follows a tab in the shortcut column."""
    db = tmp_path / "menus.db"
    with Store(db) as store:
        article = store.add_article(ArticleDraft(TEXT, title="Q&A: the minister"), []).article
    window = make_window(qtbot, db)
    qtbot.waitUntil(lambda: window.workspace.article is not None)
    name = str(tmp_path / "Q&A with the minister\tCtrl+Q.txt")
    window.settings.setValue("ui/recent_files", [name])
    window.recent_menu.aboutToShow.emit()
    recent = window.recent_menu.actions()[0].iconText()
    window.workspace.delete_article(article.id, article.title)
    qtbot.waitUntil(lambda: window.undo_delete_action.isEnabled())
    undo = window.undo_delete_action.iconText()
    close_window(window)
    assert recent == name.replace("\t", " ")
    assert "“Q&A: the minister”" in undo
