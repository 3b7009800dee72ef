"""What the fact-checker sees after an export, in the past checks and in the archive:
a file that cannot be opened is said so; dates read as dates, speakers as names; the
archive's counts follow the embedder."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import Qt, QUrl
from PySide6.QtGui import QDesktopServices, QTextDocument
from PySide6.QtWidgets import QDialog
from pytestqt.qtbot import QtBot

from tests.ui.test_main_window import answer_export, close_window, key, make_window, seed
from ui.export_dialog import ExportChoice, ExportDialog, finish_export
from ui.item_models import ArchiveListModel, MatchListModel
from ui.main_window import MainWindow
from ui.past_checks import explanation_html
from workbench.models import (
    ArchiveClaim,
    ArchiveRecord,
    Claim,
    ClaimOrigin,
    Match,
    MatchStrength,
    Status,
)
from workbench.reports import FORMATS, ExportResult
from workbench.store import Store

STORED_DATE = "2021-03-12T00:00:00Z"
SHOWN_DATE = "12 Mar 2021"
SLUG = "rick-santorum"
NAME = "Rick Santorum"


@pytest.fixture
def window(qtbot: QtBot, db_path: Path, errors: list[str]) -> Iterator[MainWindow]:
    seed(db_path)
    win = make_window(qtbot, db_path)
    qtbot.waitUntil(lambda: win.workspace.article is not None)
    yield win
    close_window(win)


def result_for(path: Path) -> ExportResult:
    return ExportResult(path, FORMATS["pdf"], articles=1, claims=3, items=3, size=10)


# -- "Open when done" -----------------------------------------------------------------------


def test_an_export_that_cannot_be_opened_says_why(tmp_path: Path) -> None:
    path = tmp_path / "report.pdf"
    path.write_bytes(b"%PDF-1.7")
    asked: list[QUrl] = []

    def refuse(url: QUrl) -> bool:
        asked.append(url)
        return False

    message = finish_export(result_for(path), open_after=True, open_url=refuse)
    assert asked == [QUrl.fromLocalFile(str(path))]
    assert message == (
        f"Exported 3 claims to {path}, but it could not be opened:"
        " no application is set to open .pdf files."
    )
    path.unlink()  # removed before it could be opened
    message = finish_export(result_for(path), open_after=True, open_url=refuse)
    assert message.endswith("but it could not be opened: the file is no longer there.")


def test_an_export_that_opens_or_is_not_opened_just_says_where(tmp_path: Path) -> None:
    path = tmp_path / "report.pdf"
    path.write_bytes(b"%PDF-1.7")
    opened: list[QUrl] = []

    def open_it(url: QUrl) -> bool:
        opened.append(url)
        return True

    done = finish_export(result_for(path), open_after=True, open_url=open_it)
    assert done == f"Exported 3 claims to {path}" and len(opened) == 1
    assert finish_export(result_for(path), open_after=False, open_url=open_it) == done
    assert len(opened) == 1  # not asked to open: not opened


def test_the_status_bar_says_when_the_export_cannot_be_opened(
    qtbot: QtBot, window: MainWindow, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    out = tmp_path / "report.html"
    answer_export(monkeypatch, ExportChoice("html", out, False, True))
    monkeypatch.setattr(QDesktopServices, "openUrl", staticmethod(lambda url: False))
    with qtbot.waitSignal(window.exporter.finished, timeout=20_000):
        window.ask_export()
    message = window.statusBar().currentMessage()
    assert message.startswith(f"Exported 3 claims to {out}")
    assert "could not be opened: no application is set to open .html files" in message


def test_a_failed_export_is_not_still_under_way_in_the_status_bar(
    qtbot: QtBot,
    window: MainWindow,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    errors: list[str],
) -> None:
    """ClaimReview without the organisation set: the dialog says why, and "Exporting
    report.jsonld …" does not stay in the status bar for the rest of the session."""
    out = tmp_path / "report.jsonld"
    answer_export(monkeypatch, ExportChoice("claimreview", out, False, False))
    with qtbot.waitSignal(window.exporter.failed, timeout=20_000):
        window.ask_export()
    assert len(errors) == 1 and "organisation" in errors[0]
    assert window.statusBar().currentMessage() == "Could not export report.jsonld."
    assert not out.exists()


def test_the_export_dialog_asks_for_the_organisation_claimreview_names(qtbot: QtBot) -> None:
    """It could only be set with ``workbench settings set``: from the app, a ClaimReview
    export could only fail."""
    dialog = ExportDialog(Path("/tmp"), "Troops", organisation=("", ""))
    qtbot.addWidget(dialog)
    dialog.format.setCurrentIndex(dialog.format.findData("claimreview"))
    dialog.accept()
    assert dialog.result() != QDialog.DialogCode.Accepted
    assert dialog.problem.text().startswith("ClaimReview names the organisation")
    dialog.organisation.setText("  Desk Checks ")
    dialog.organisation_url.setText("javascript:alert(1)")
    dialog.accept()
    assert dialog.result() != QDialog.DialogCode.Accepted
    assert "must be an http or https URL" in dialog.problem.text()
    dialog.organisation_url.setText("https://desk.example/")
    dialog.accept()
    assert dialog.result() == QDialog.DialogCode.Accepted
    assert dialog.choice().organisation == ("Desk Checks", "https://desk.example/")
    same = ExportDialog(Path("/tmp"), "Troops", organisation=("Desk Checks", ""))
    qtbot.addWidget(same)
    same.accept()  # HTML, the organisation as stored: nothing to keep
    assert same.choice().organisation is None


def test_claimreview_from_the_app_keeps_the_organisation_typed_in_the_dialog(
    qtbot: QtBot, window: MainWindow, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from workbench.reports.settings import SETTING_ORGANISATION, SETTING_ORGANISATION_URL

    out = tmp_path / "report.jsonld"
    typed = ("Desk Checks", "https://desk.example/")
    answer_export(monkeypatch, ExportChoice("claimreview", out, False, False, typed))
    key(qtbot, window, "j2")  # a verdict to publish
    with qtbot.waitSignal(window.exporter.finished, timeout=20_000):
        window.ask_export()
    assert '"name": "Desk Checks"' in out.read_text(encoding="utf-8")
    # Not "Exported 3 claims": the file holds one review, of the one claim checked.
    message = window.statusBar().currentMessage()
    assert message == f"Exported 1 ClaimReview (the checked claims of 3) to {out}"
    store = window.workspace.store
    assert (store.setting(SETTING_ORGANISATION), store.setting(SETTING_ORGANISATION_URL)) == typed


def test_an_organisation_that_cannot_be_kept_is_not_replaced_by_the_stored_one(
    qtbot: QtBot,
    window: MainWindow,
    errors: list[str],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The organisation typed in the dialog reaches the report only through the settings:
    when writing them failed (another program holding the database), the export still ran
    and published a ClaimReview in the name of the organisation stored before."""
    from workbench.errors import DatabaseLockedError
    from workbench.reports.settings import SETTING_ORGANISATION

    store = window.workspace.store
    store.set_setting(SETTING_ORGANISATION, "Old Desk")
    out = tmp_path / "report.jsonld"
    typed = ("New Desk", "")
    answer_export(monkeypatch, ExportChoice("claimreview", out, False, False, typed))
    set_setting = Store.set_setting

    def locked(self: Store, key: str, value: str) -> None:
        if key == SETTING_ORGANISATION:
            raise DatabaseLockedError("the database is locked by another program")
        set_setting(self, key, value)

    monkeypatch.setattr(Store, "set_setting", locked)
    key(qtbot, window, "j2")  # a verdict to publish
    window.ask_export()
    qtbot.waitUntil(lambda: bool(errors))
    qtbot.waitUntil(lambda: window.writer.pending == 0 and not window.exporter.runner.busy)
    assert not out.exists()
    assert errors == ["the database is locked by another program"]
    assert window.statusBar().currentMessage() == "Could not export report.jsonld."
    assert store.setting(SETTING_ORGANISATION) == "Old Desk"


# -- dates and speakers -------------------------------------------------------------------


def past_check(**fields: object) -> ArchiveClaim:
    values: dict[str, object] = {
        "id": 1,
        "external_id": "pf-1",
        "source": "politifact",
        "text": "Unemployment fell to 4.1% in October.",
        "title": "Did unemployment fall?",
        "verdict": "true",
        "url": "https://factcheck.example/1",
        "date": STORED_DATE,
        "speaker": SLUG,
        "publisher": "PolitiFact",
        "claim_id": None,
        "imported_at": "2024-12-01T10:00:00+00:00",
    }
    values.update(fields)
    return ArchiveClaim(**values)  # type: ignore[arg-type]


def a_match(**fields: object) -> Match:
    return Match(past_check(**fields), 0.9, MatchStrength.STRONG)


def shown(html: str) -> str:
    document = QTextDocument()
    document.setHtml(html)
    return document.toPlainText()


def test_past_check_explanation_shows_a_date_and_a_name() -> None:
    claim = Claim(
        1, 1, 0, 10, "Unemployment fell to 4.1%.", 0.9, (), Status.UNCHECKED, "", "",
        ClaimOrigin.DETECTOR, "", "",
    )  # fmt: skip
    text = shown(explanation_html(claim, a_match()))
    assert f"TRUE · PolitiFact · {NAME} · {SHOWN_DATE}" in text
    assert "T00:00" not in text and SLUG not in text
    # A speaker already written as a name, and a date the archive gave as words, stay.
    text = shown(explanation_html(claim, a_match(speaker="bell hooks", date="March 2021")))
    assert "bell hooks · March 2021" in text


def test_archive_rows_show_a_date_and_a_name(qtbot: QtBot) -> None:
    model = ArchiveListModel()
    model.set_items([past_check(date="2021-03-12T18:00:00-05:00")])
    index = model.index(0, 0)
    assert index.data().endswith(f"TRUE · PolitiFact · {SHOWN_DATE}")
    tip = index.data(Qt.ItemDataRole.ToolTipRole)
    assert NAME in tip and SLUG not in tip


def test_past_check_rows_show_a_date(qtbot: QtBot) -> None:
    model = MatchListModel()
    model.set_items([a_match(date="March 12, 2021")])  # not ISO: not cut to "March 12, "
    assert "· March 12, 2021\n" in model.index(0, 0).data()


# -- the archive's counts -------------------------------------------------------------------


def seed_archive(db_path: Path) -> None:
    with Store(db_path) as store:
        store.import_archive_records(
            [
                ArchiveRecord(
                    "North Korea sent 10,000 troops to Russia.", "pf-1", date=STORED_DATE
                ),
                ArchiveRecord("Bananas are the most popular fruit in Norway.", "pf-2"),
            ],
            source="desk-archive",
        )


def test_archive_counts_follow_the_embedder(
    qtbot: QtBot, window: MainWindow, db_path: Path
) -> None:
    panel = window.archive
    qtbot.waitUntil(lambda: not window.embedder.running)  # the start's run, on no archive
    seed_archive(db_path)
    window.side_tabs.setCurrentWidget(panel)
    qtbot.waitUntil(
        lambda: (
            panel.summary.text()
            == (
                "2 past checks: desk-archive (2). 0 of them are ready for matching by meaning."
                " newest first."
            )
        )
    )
    panel.view.setCurrentIndex(panel.model.index(1, 0))
    # The line ui/main_window.py is asked to add (see the report); twice is harmless.
    with qtbot.waitSignal(window.embedder.finished, timeout=60_000):
        window.embedder.start()
    qtbot.waitUntil(lambda: "All are ready for matching by meaning." in panel.summary.text())
    assert panel.summary.text().startswith("2 past checks: desk-archive (2).")
    assert panel.view.currentIndex().row() == 1  # the list was left alone


def test_the_window_passes_embedding_progress_to_the_archive(window: MainWindow) -> None:
    window.archive._counts_timer.stop()
    window.embedder.progressed.emit(1, 2)
    assert window.archive._counts_timer.isActive()  # a recount is on its way
