"""The Evidence tab: suggestions for the selected claim, computed off the UI thread and shown
with every piece of text escaped; Enter cites one; an empty library says so; the indexer
registers folders and reports."""

from __future__ import annotations

import re
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from ui.evidence_view import EMPTY_LIBRARY, EvidenceView, HtmlRole, LibraryIndexer
from ui.store_writer import StoreWriter
from ui.workspace import Workspace
from workbench import evidence_library
from workbench.engine import Engine
from workbench.evidence_library import (
    EvidenceSuggestion,
    LibraryIndexReport,
    add_folder,
    index_library,
)
from workbench.models import ArticleDraft, DetectedClaim
from workbench.nlp.encoder import ModelLoadError, SentenceEncoder
from workbench.store import Store

TEXT = "The ministry said 300 hospital beds were closed in the north last winter."
HOSTILE = (
    "Hospital beds: the ministry said 300 hospital beds were closed <img src=x"
    " onerror=alert(1)> in the north & <b>east</b> last winter, because of"
    " <script>alert(1)</script> staff shortages."
)
ALLOWED_TAGS = {"b", "br", "span"}
"""The only tags a suggestion's HTML may hold: ours."""


def _no_encoder() -> SentenceEncoder:
    raise ModelLoadError("not in this test")


@pytest.fixture
def engine() -> Iterator[Engine]:
    with Engine(encoder=_no_encoder) as built:
        yield built


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    docs = tmp_path / "trusted"
    docs.mkdir()
    (docs / "beds.txt").write_text(HOSTILE, encoding="utf-8")
    return docs


@pytest.fixture
def workspace(db_path: Path, engine: Engine, qtbot: QtBot) -> Iterator[Workspace]:
    with Store(db_path) as store:
        claim = DetectedClaim(0, len(TEXT), TEXT, 0.9, ("number",))
        store.add_article(ArticleDraft(TEXT, title="Beds"), [claim])
    store = Store(db_path)
    writer = StoreWriter(db_path)
    space = Workspace(store, writer, engine=engine)
    yield space
    space.matcher.shutdown()
    writer.close()
    store.close()


@pytest.fixture
def view(workspace: Workspace, qtbot: QtBot) -> Iterator[EvidenceView]:
    widget = EvidenceView(workspace)
    qtbot.addWidget(widget)
    widget.resize(500, 600)
    widget.show()
    yield widget
    widget.shutdown()


def select_the_claim(workspace: Workspace) -> None:
    article = workspace.store.articles()[0]
    workspace.open_article(article.id)
    workspace.select_claim(workspace.claims[0].id)


def index(db_path: Path, folder: Path, engine: Engine) -> None:
    with Store(db_path) as store:
        add_folder(store, folder)
        index_library(store, engine=engine)


def test_suggestions_arrive_from_a_worker_with_every_text_escaped(
    qtbot: QtBot,
    view: EvidenceView,
    workspace: Workspace,
    folder: Path,
    engine: Engine,
    db_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    index(db_path, folder, engine)
    threads: list[str] = []
    original = evidence_library.suggest_evidence

    def recorded(*args: object, **kwargs: object) -> list[EvidenceSuggestion]:
        threads.append(threading.current_thread().name)
        return original(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(evidence_library, "suggest_evidence", recorded)
    select_the_claim(workspace)
    qtbot.waitUntil(lambda: view.model.rowCount() == 1)
    assert threads and threading.main_thread().name not in threads
    shown = view.model.data(view.model.index(0, 0), HtmlRole)
    assert "&lt;img src=x onerror=alert(1)&gt;" in shown
    assert "&lt;script&gt;" in shown and "&amp;" in shown and "&lt;b&gt;east&lt;/b&gt;" in shown
    assert {tag.lower() for tag in re.findall(r"</?\s*([a-zA-Z]+)", shown)} <= ALLOWED_TAGS
    assert "<b>hospital</b>" in shown and "<b>300</b>" in shown  # shared terms in bold
    assert "1 passage" in view.status.text()


def test_a_differing_figure_gets_a_warning_line(
    qtbot: QtBot,
    view: EvidenceView,
    workspace: Workspace,
    folder: Path,
    engine: Engine,
    db_path: Path,
) -> None:
    (folder / "beds.txt").write_text(TEXT.replace("300", "450"), encoding="utf-8")
    index(db_path, folder, engine)
    select_the_claim(workspace)
    qtbot.waitUntil(lambda: view.model.rowCount() == 1)
    shown = view.model.data(view.model.index(0, 0), HtmlRole)
    assert "⚠ The passage differs: 300 vs 450" in shown


def test_enter_and_the_cite_button_ask_to_cite_the_suggestion(
    qtbot: QtBot,
    view: EvidenceView,
    workspace: Workspace,
    folder: Path,
    engine: Engine,
    db_path: Path,
) -> None:
    index(db_path, folder, engine)
    select_the_claim(workspace)
    qtbot.waitUntil(lambda: view.model.rowCount() == 1)
    view.list.setFocus()
    with qtbot.waitSignal(view.cite_requested) as cited:
        qtbot.keyClick(view.list, Qt.Key.Key_Return)
    [suggestion] = cited.args
    assert isinstance(suggestion, EvidenceSuggestion)
    assert Path(suggestion.path) == folder / "beds.txt"
    assert suggestion.text == HOSTILE[suggestion.start : suggestion.end]
    with qtbot.waitSignal(view.cite_requested) as cited:
        qtbot.mouseClick(view.cite_button, Qt.MouseButton.LeftButton)
    assert cited.args[0] == suggestion


def test_an_empty_library_says_so_and_offers_to_register_a_folder(
    qtbot: QtBot,
    view: EvidenceView,
    workspace: Workspace,
    folder: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    select_the_claim(workspace)
    qtbot.waitUntil(lambda: view.status.text() == EMPTY_LIBRARY)
    assert view.model.rowCount() == 0 and not view.cite_button.isEnabled()
    monkeypatch.setattr(EvidenceView, "ask_folder", staticmethod(lambda parent: str(folder)))
    with qtbot.waitSignal(view.register_requested) as chosen:
        qtbot.mouseClick(view.register_button, Qt.MouseButton.LeftButton)
    assert chosen.args == [str(folder)]


def test_the_indexer_registers_a_folder_and_the_view_shows_its_passages(
    qtbot: QtBot,
    view: EvidenceView,
    workspace: Workspace,
    folder: Path,
    engine: Engine,
    db_path: Path,
) -> None:
    select_the_claim(workspace)
    qtbot.waitUntil(lambda: view.status.text() == EMPTY_LIBRARY)
    indexer = LibraryIndexer(db_path, engine=engine)
    stages: list[str] = []
    indexer.progressed.connect(lambda stage, done, total: stages.append(stage))
    reports: list[LibraryIndexReport] = []
    indexer.finished.connect(reports.append)
    indexer.finished.connect(lambda report: view.refresh())
    with qtbot.waitSignals([indexer.folder_added, indexer.finished], order="strict"):
        indexer.add_folder(str(folder))
    assert reports[0].read == 1 and "reading" in stages
    qtbot.waitUntil(lambda: view.model.rowCount() == 1)
    with qtbot.waitSignal(indexer.failed) as failed:
        indexer.add_folder(str(folder / "nowhere"))
    assert failed.args[0].endswith("does not exist")
    indexer.shutdown()


def test_a_file_name_cannot_reverse_the_suggestions_own_words(
    qtbot: QtBot, view: EvidenceView, workspace: Workspace, tmp_path: Path, engine: Engine,
    db_path: Path,
) -> None:  # fmt: skip
    """A document named "beds\u202e.txt" made its row's "· score 0.55" read backwards
    ("55.0 erocs ·"): the name was escaped but kept its right-to-left override."""
    docs = tmp_path / "named"
    docs.mkdir()
    (docs / "beds\u202e\u2066.txt").write_text(HOSTILE, encoding="utf-8")
    index(db_path, docs, engine)
    select_the_claim(workspace)
    qtbot.waitUntil(lambda: view.model.rowCount() == 1)
    shown = view.model.data(view.model.index(0, 0), HtmlRole)
    assert "beds.txt · score" in shown
    assert not {"\u202e", "\u2066"} & set(shown)
