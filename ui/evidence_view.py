"""The Evidence tab: passages of the evidence library for the selected claim, and citing one.

Suggestions are computed off the UI thread, a :class:`~ui.jobs.JobRunner` job on its own
connection (a newer selection supersedes an older one's); they are computed when the
tab is shown, for the claim selected then, and kept per claim until the library
changes. Each shows the document's title and where the passage is, the passage with
the words, numbers and names it shares with the claim in bold, and a ⚠ line when it
gives another figure or date. Enter, or the Cite button, asks for the suggestion to be
cited (:attr:`EvidenceView.cite_requested`).

:class:`LibraryIndexer` registers folders and indexes the library in the background
(:func:`workbench.evidence_library.index_library`), with progress and cancel.
"""

from __future__ import annotations

import html
import logging
import threading
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QEvent, QModelIndex, QObject, QPersistentModelIndex, QSize, Qt, Signal
from PySide6.QtGui import (
    QAbstractTextDocumentLayout,
    QKeyEvent,
    QPainter,
    QPalette,
    QShowEvent,
    QTextDocument,
)
from PySide6.QtWidgets import (
    QApplication,
    QHBoxLayout,
    QListView,
    QPushButton,
    QStyle,
    QStyledItemDelegate,
    QStyleOptionViewItem,
    QVBoxLayout,
    QWidget,
)

from ui.file_dialogs import existing_folder
from ui.item_models import _ListModel
from ui.jobs import JobContext, JobRunner
from ui.past_checks import marked_html
from ui.safe_text import plain_label, shown_field, shown_title, tooltip
from ui.workspace import Workspace
from workbench.engine import Engine
from workbench.models import Claim
from workbench.store import Store
from workbench.store.batches import WaitingEdits

if TYPE_CHECKING:
    # Imported where they are used: the library's search loads numpy and rapidfuzz,
    # which the window must not wait for (tests/ui/test_lazy_imports.py).
    from workbench.evidence_library import EvidenceSuggestion, LibraryIndexReport, LibraryStatus

log = logging.getLogger("ui.evidence_view")

SUGGESTIONS = 10
"""Suggestions shown for a claim."""
HtmlRole = Qt.ItemDataRole.UserRole + 2
"""A suggestion as the list draws it: escaped HTML with our own tags only."""

Index = QModelIndex | QPersistentModelIndex

EMPTY_LIBRARY = (
    "Your evidence library is empty. Register a folder of documents you trust (official"
    " statistics, reports, court rulings, press releases, earlier articles: .txt, .md,"
    " .html, .docx, .pdf) and the passages that bear on the selected claim appear here."
)
NOTHING_INDEXED = (
    "The evidence library has no passages yet: its folders are still being read, or hold"
    " no document that can be read."
)
NO_CLAIM = "Select a claim to see passages from your evidence library."
LEXICAL = "Passages are found by their words until the library's embeddings are computed."


def suggestion_html(suggestion: EvidenceSuggestion, *, cited: bool = False) -> str:
    """One suggestion as HTML: every piece of text escaped; the only tags are ours.
    ``cited``: the claim has this passage as evidence already."""
    where = ["✓ cited"] if cited else []
    where.append(shown_field(Path(suggestion.path).name))  # no U+202E to reverse the rest
    if suggestion.page:
        where.append(f"page {suggestion.page}")
    where.append(f"score {suggestion.score:.2f}")
    passage = marked_html(
        suggestion.text,
        [span for term in suggestion.shared for span in term.archive_spans],
        [c.archive_span for c in suggestion.conflicts],
    ).replace("\n", "<br>")
    rows = [
        f"<b>{html.escape(shown_title(suggestion.title or Path(suggestion.path).stem))}</b>",
        f"<br><span class='where'>{html.escape(' · '.join(where))}</span>",
        f"<br>{passage}",
    ]
    if suggestion.conflicts:
        differences = "; ".join(html.escape(str(c)) for c in suggestion.conflicts)
        rows.append(f"<br><span class='warning'>⚠ The passage differs: {differences}</span>")
    return "".join(rows)


class SuggestionListModel(_ListModel["EvidenceSuggestion"]):
    """The suggestions for the selected claim, best first."""

    cited: frozenset[str] = frozenset()
    """The passages the claim quotes already (their text)."""

    def set_cited(self, quotes: frozenset[str]) -> None:
        if quotes != self.cited:
            self.cited = quotes
            if self.rowCount():
                self.dataChanged.emit(self.index(0, 0), self.index(self.rowCount() - 1, 0))

    def _data(self, item: EvidenceSuggestion, role: int) -> Any:
        if role == Qt.ItemDataRole.DisplayRole:
            conflict = (
                f"\n⚠ differs: {'; '.join(map(str, item.conflicts))}" if item.conflicts else ""
            )
            return f"{item.title}\n{item.text}{conflict}"
        if role == HtmlRole:
            return suggestion_html(item, cited=item.text in self.cited)
        if role == Qt.ItemDataRole.ToolTipRole:
            return tooltip(item.path)
        return None


class _HtmlDelegate(QStyledItemDelegate):
    """Draws a row's :data:`HtmlRole` (made by :func:`suggestion_html`), word-wrapped."""

    def __init__(self, view: QListView) -> None:
        super().__init__(view)
        self._view = view

    def _document(self, index: Index, width: int, *, selected: bool = False) -> QTextDocument:
        document = QTextDocument()
        document.setDocumentMargin(4)
        # Grey and red are unreadable on the selection's colour: there, the text's own.
        document.setDefaultStyleSheet(
            "" if selected else ".where { color: gray } .warning { color: #c0392b }"
        )
        document.setHtml(str(index.data(HtmlRole) or ""))
        document.setTextWidth(max(width, 50))
        return document

    def paint(self, painter: QPainter, option: QStyleOptionViewItem, index: Index) -> None:
        item = QStyleOptionViewItem(option)
        self.initStyleOption(item, index)
        item.text = ""
        widget = item.widget
        style = widget.style() if widget is not None else QApplication.style()
        style.drawControl(QStyle.ControlElement.CE_ItemViewItem, item, painter, widget)
        rect = item.rect
        selected = bool(item.state & QStyle.StateFlag.State_Selected)
        document = self._document(index, rect.width(), selected=selected)
        context = QAbstractTextDocumentLayout.PaintContext()
        if selected:
            palette = item.palette
            context.palette.setColor(
                QPalette.ColorRole.Text, palette.color(QPalette.ColorRole.HighlightedText)
            )
        painter.save()
        painter.translate(rect.topLeft())
        document.documentLayout().draw(painter, context)
        painter.restore()

    def sizeHint(self, option: QStyleOptionViewItem, index: Index) -> QSize:
        # The view's spacing is around each item: no wider, or a scroll bar appears.
        width = self._view.viewport().width() - 2 * self._view.spacing()
        document = self._document(index, width)
        return QSize(width, int(document.size().height()) + 2)


class EvidenceView(QWidget):
    """Passages of the evidence library for the selected claim, best first."""

    cite_requested = Signal(object)
    """An :class:`~workbench.evidence_library.EvidenceSuggestion` to cite for the selected
    claim (its passage quoted, its document kept in the vault)."""
    register_requested = Signal(str)
    """A folder chosen to add to the library (the main window's indexer registers it)."""

    def __init__(self, workspace: Workspace, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("evidence_view")
        self.workspace = workspace
        self.runner = JobRunner("evidence", self)
        self.model = SuggestionListModel(self)
        self.list = QListView(self)
        self.list.setObjectName("evidence_list")
        self.list.setModel(self.model)
        self.list.setItemDelegate(_HtmlDelegate(self.list))
        self.list.setWordWrap(True)
        self.list.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.list.setUniformItemSizes(False)
        self.list.setResizeMode(QListView.ResizeMode.Adjust)
        self.list.setSpacing(2)
        self.list.setAlternatingRowColors(True)
        self.list.installEventFilter(self)
        self.list.selectionModel().currentChanged.connect(self._on_list_current)
        self.status = plain_label(parent=self)
        self.status.setObjectName("evidence_status")
        self.status.setWordWrap(True)
        self.cite_button = QPushButton("Cite", self)
        self.cite_button.setToolTip("Quote this passage as evidence for the claim (Enter)")
        self.cite_button.clicked.connect(self.cite_current)
        self.register_button = QPushButton("Register a folder…", self)
        self.register_button.setToolTip("Add a folder of documents you trust to the library")
        self.register_button.clicked.connect(self._on_register_clicked)
        buttons = QHBoxLayout()
        buttons.addWidget(self.cite_button)
        buttons.addStretch(1)
        buttons.addWidget(self.register_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.status)
        layout.addWidget(self.list, 1)
        layout.addLayout(buttons)
        self._cache: dict[tuple[int, str], tuple[LibraryStatus, list[EvidenceSuggestion]]] = {}
        self._shown: tuple[int, str] | None = None
        """The claim (id, text) whose suggestions the list holds."""
        workspace.claim_selected.connect(self._on_workspace_claim_selected)
        workspace.claim_updated.connect(self._on_workspace_claim_updated)
        workspace.article_opened.connect(self._on_workspace_article_opened)
        self._update()

    # -- what is shown

    def refresh(self) -> None:
        """Forget the suggestions computed so far (the library changed) and recompute."""
        self._cache.clear()
        self._shown = None
        self._update()

    def current_suggestion(self) -> EvidenceSuggestion | None:
        index = self.list.currentIndex()
        if not index.isValid() or not 0 <= index.row() < self.model.rowCount():
            return None
        return self.model.item(index.row())

    def cite_current(self) -> None:
        """Ask for the current suggestion to be cited for the selected claim."""
        suggestion = self.current_suggestion()
        if suggestion is not None and self.workspace.selected_claim is not None:
            self.cite_requested.emit(suggestion)

    def shutdown(self) -> None:
        self.runner.shutdown()

    @staticmethod
    def ask_folder(parent: QWidget) -> str:
        """The folder the user picks ("" if none); tests replace it."""
        return existing_folder(parent, "Register a folder of trusted documents")

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        self._update()  # computed only while the tab is in view

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if watched is self.list and event.type() == QEvent.Type.KeyPress:
            assert isinstance(event, QKeyEvent)
            if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
                self.cite_current()
                return True
        return super().eventFilter(watched, event)

    def _update(self) -> None:
        claim = self.workspace.selected_claim
        if claim is None:
            self._show(None, [], NO_CLAIM)
            self.runner.cancel_group("suggest")
            return
        key = (claim.id, claim.text)
        if key == self._shown:
            return
        cached = self._cache.get(key)
        if cached is not None:
            self._show(key, cached[1], _status_text(cached[0], cached[1]))
        elif self.isVisible():
            self._suggest(claim)

    def _suggest(self, claim: Claim) -> None:
        key = (claim.id, claim.text)
        db_path, engine = self.workspace.store.path, self.workspace.engine
        self.status.setText("Looking for passages…")

        def work(context: JobContext) -> tuple[LibraryStatus, list[EvidenceSuggestion]]:
            from workbench.evidence_library import library_status, suggest_evidence

            with Store(db_path, check=False) as store:
                status = library_status(store)
                if not status.passages or context.cancelled():
                    return status, []
                return status, suggest_evidence(store, claim.text, engine=engine, limit=SUGGESTIONS)

        self.runner.submit(
            work,
            group="suggest",
            supersede=True,
            latest_only=True,
            done=lambda result: self._on_suggestions(key, result),
            failed=self._on_failed,
        )

    def _on_suggestions(
        self, key: tuple[int, str], result: tuple[LibraryStatus, list[EvidenceSuggestion]]
    ) -> None:
        self._cache[key] = result
        claim = self.workspace.selected_claim
        if claim is not None and (claim.id, claim.text) == key:
            self._show(key, result[1], _status_text(*result))

    def _on_failed(self, message: str) -> None:
        self.status.setText(f"Could not look for passages: {message}")

    def _show(
        self, key: tuple[int, str] | None, suggestions: list[EvidenceSuggestion], text: str
    ) -> None:
        self._shown = key
        self._mark_cited()
        self.model.set_items(suggestions)
        self.status.setText(text)
        if suggestions:
            self.list.setCurrentIndex(self.model.index(0, 0))
        self._update_buttons()

    def _mark_cited(self) -> None:
        claim = self.workspace.selected_claim
        evidence = claim.evidence if claim is not None else ()
        self.model.set_cited(frozenset(e.quote.text for e in evidence if e.quote is not None))

    def _update_buttons(self) -> None:
        self.cite_button.setEnabled(self.current_suggestion() is not None)

    # -- slots

    def _on_workspace_claim_selected(self, claim_id: int | None) -> None:
        self._update()

    def _on_workspace_claim_updated(self, claim: Claim) -> None:
        if claim.id == self.workspace.selected_claim_id:
            self._mark_cited()
            self._update()  # its text may have changed (extended to sentences)

    def _on_workspace_article_opened(self, article: object) -> None:
        self._update()

    def _on_list_current(self, current: QModelIndex) -> None:
        self._update_buttons()

    def _on_register_clicked(self) -> None:
        folder = self.ask_folder(self)
        if folder:
            self.register_requested.emit(folder)


def _status_text(status: LibraryStatus, suggestions: list[EvidenceSuggestion]) -> str:
    if status.empty:
        return EMPTY_LIBRARY
    if not status.passages:
        return NOTHING_INDEXED
    if not suggestions:
        text = "No passage of the evidence library matches this claim."
    elif len(suggestions) == 1:
        text = "1 passage from the evidence library. Enter cites it."
    else:
        text = (
            f"{len(suggestions)} passages from the evidence library, best first. Enter cites one."
        )
    if status.embedded < status.passages:
        text += f"\n{LEXICAL}"
    return text


class LibraryIndexer(QObject):
    """Registers folders and indexes the evidence library in the background.

    One run at a time, on its own connection, with the engine's sentence encoder (one
    thread: the other core stays with the UI). Each batch of documents is its own short
    transaction, so edits are saved meanwhile; :meth:`cancel` stops after the step under
    way (what is done is kept, and the next run goes on from there).
    """

    progressed = Signal(str, int, int)
    """stage ("reading": files, "embedding": passages), done, total."""
    finished = Signal(object)
    """The run's :class:`~workbench.evidence_library.LibraryIndexReport`."""
    failed = Signal(str)
    """A one-line problem (the folder does not exist, is in the library already ...)."""
    folder_added = Signal(str)
    """A folder was registered (its path, resolved); indexing it follows."""
    folder_removed = Signal(str)
    busy_changed = Signal(bool)

    def __init__(
        self,
        db_path: Path,
        parent: QObject | None = None,
        *,
        engine: Engine | None = None,
        edits: WaitingEdits | None = None,
    ) -> None:
        """``edits``: the app's writer's, so that the run's batches give way to them."""
        super().__init__(parent)
        self.db_path = db_path
        self.engine = engine or Engine.default()
        self.edits = edits
        self.runner = JobRunner("library-index", self)
        self.runner.busy_changed.connect(self.busy_changed)
        self._stop = threading.Event()

    @property
    def running(self) -> bool:
        return self.runner.busy

    def index(self) -> None:
        """Read new and changed documents, forget deleted ones, embed new passages; does
        nothing while a run is under way (it does the same)."""
        if not self.running:
            self._submit(None)

    def add_folder(self, folder: str) -> None:
        """Register ``folder``, then index the library (after the run under way, if any)."""

        def register(store: Store) -> tuple[str, str]:
            from workbench.evidence_library import add_folder

            added, _ = add_folder(store, folder)
            return "added", added.path

        self._submit(register)

    def remove_folder(self, folder: str) -> None:
        """Forget ``folder`` and what was read from it (its files are not touched)."""

        def forget(store: Store, cancel: Callable[[], bool]) -> tuple[str, str]:
            from workbench.evidence_library import remove_folder

            remove_folder(store, folder, cancel=cancel)
            return "removed", folder

        self._submit(None, forget=forget)

    def cancel(self) -> None:
        """Stop after the step under way; the run still reports what it did."""
        self._stop.set()

    def shutdown(self) -> None:
        """Stop after the step under way; nothing is reported after this."""
        self._stop.set()
        self.runner.shutdown()

    def _submit(
        self,
        register: Callable[[Store], tuple[str, str]] | None,
        *,
        forget: Callable[[Store, Callable[[], bool]], tuple[str, str]] | None = None,
    ) -> None:
        if not self.running:
            self._stop = threading.Event()
        stop, engine, db_path, edits = self._stop, self.engine, self.db_path, self.edits

        def run(context: JobContext) -> LibraryIndexReport | None:
            from workbench.evidence_library import index_library

            def cancelled() -> bool:
                return stop.is_set() or context.cancelled()

            def progress(stage: str, done: int, total: int) -> None:
                context.partial(("progress", stage, done, total))

            with Store(db_path, check=False, gives_way_to=edits) as store:
                if forget is not None:
                    context.partial(forget(store, cancelled))
                    return None
                if register is not None:
                    context.partial(register(store))
                return index_library(store, engine=engine, progress=progress, cancel=cancelled)

        self.runner.submit(
            run,
            group="library",
            done=self._on_done,
            failed=self.failed.emit,
            partial=self._on_partial,
        )

    def _on_partial(self, part: tuple[Any, ...]) -> None:
        kind, *rest = part
        if kind == "progress":
            self.progressed.emit(*rest)
        elif kind == "added":
            self.folder_added.emit(rest[0])
        elif kind == "removed":
            self.folder_removed.emit(rest[0])

    def _on_done(self, report: LibraryIndexReport | None) -> None:
        if report is not None:
            self.finished.emit(report)
