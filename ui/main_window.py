"""The main window: builds the panels, the menus and shortcuts, and connects them.

Behaviour lives in the panels and the workspace; this class only composes.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import (
    QByteArray,
    QEvent,
    QMimeData,
    QObject,
    QSettings,
    Qt,
    QTimer,
    Signal,
)
from PySide6.QtGui import (
    QAction,
    QCloseEvent,
    QDragEnterEvent,
    QDropEvent,
    QGuiApplication,
    QKeyEvent,
    QKeySequence,
)
from PySide6.QtWidgets import (
    QApplication,
    QInputDialog,
    QLabel,
    QLineEdit,
    QMainWindow,
    QMenu,
    QProgressBar,
    QProgressDialog,
    QSplitter,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from ui.file_dialogs import open_file_name, open_file_names

if TYPE_CHECKING:
    from ui.jobs import JobContext, JobRunner
    from workbench.archive import ArchiveImportReport
    from workbench.backup import Backup
    from workbench.engine import Engine
    from workbench.evidence_library import LibraryIndexReport
    from workbench.models import Status
    from workbench.reports import ExportResult
    from workbench.semantic import EmbedReport
    from workbench.store import Store

log = logging.getLogger("ui.main_window")

ARCHIVE_FILTER = "Past fact-checks (*.jsonl *.json *.csv *.tsv *.txt);;All files (*)"
OPEN_FILTER = "Articles (*.txt *.md *.markdown *.html *.htm *.docx *.pdf);;All files (*)"
MAX_RECENT = 10
WELCOME = (
    "<b>Welcome.</b> This sample article from Wikinews shows what the workbench does: "
    "check-worthy claims are highlighted. Select one (J / K), mark it with 1 verified, "
    "2 disputed, 3 unverifiable, write a note (E) and add evidence links (L). "
    "Open your own article with Ctrl+O, drop a file here, or paste one with Ctrl+Shift+V."
)


READING_MIN_WIDTH = 360
"""The reading pane's narrowest width, in pixels: about six words of the article a line."""
FIRST_PAINT_WAIT_MS = 500
"""How long :func:`after_first_paint` waits at most (a minimised window is never painted)."""


class _FirstPaint(QObject):
    """Calls ``then`` once: after ``widget``'s first paint is on screen, or after
    :data:`FIRST_PAINT_WAIT_MS` anyway."""

    def __init__(self, widget: QWidget, then: Callable[[], object]) -> None:
        super().__init__(widget)
        self._widget, self._then, self._done = widget, then, False
        widget.installEventFilter(self)
        QTimer.singleShot(FIRST_PAINT_WAIT_MS, self._finish)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() is QEvent.Type.Paint:
            QTimer.singleShot(0, self._finish)  # once this paint is on screen
        return False

    def _finish(self) -> None:
        if not self._done:
            self._done = True
            self._widget.removeEventFilter(self)
            self._then()


def after_first_paint(widget: QWidget, then: Callable[[], object]) -> None:
    """Run ``then`` once ``widget`` is on screen (see :class:`_FirstPaint`)."""
    _FirstPaint(widget, then)


class _ShortcutsOverLineEdits(QObject):
    """Lets the window's Ctrl shortcuts work while one of its one-line text fields has
    the focus (installed on each of them).

    On X11 a ``QLineEdit`` claims Ctrl+E (end of line, as in Emacs) and a few others, so
    File > Export (Ctrl+E) did nothing from the library's search field, with no word
    said. The fields keep their editing keys (undo, copy, paste, select all).
    """

    def __init__(self, parent: QObject) -> None:
        super().__init__(parent)
        self._keys: list[QKeySequence] = []

    def lines_give_way_to(self, keys: QKeySequence) -> None:
        self._keys.append(keys)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() is QEvent.Type.ShortcutOverride:
            assert isinstance(event, QKeyEvent)
            pressed = QKeySequence(event.keyCombination())
            return any(pressed == keys for keys in self._keys)  # then the shortcut goes
        return False


def _stored_id(value: str | None) -> int | None:
    """A row id kept as a setting, or None if it is not one (``"²"`` is a digit to Python)."""
    if value and value.isascii() and value.isdigit() and len(value) < 19:
        return int(value)
    return None


class MainWindow(QMainWindow):
    started = Signal()
    """:meth:`start` is done: the last article reopened, the files given are opening."""
    built = False
    """Whether :meth:`build` made the panels (events come before ``__init__`` ends)."""

    def __init__(
        self, store: Store | None, parent: QWidget | None = None, *, engine: Engine | None = None
    ) -> None:
        """The window on ``store``; with None, an empty window that says the database is
        being opened, until :meth:`build`. ``engine`` (by default
        :meth:`Engine.default`) analyses, embeds and matches."""
        super().__init__(parent)
        self.setObjectName("main_window")
        self.setWindowTitle("Fact-Checking Workbench")
        self.settings = QSettings()
        self.restore_requested: Path | None = None
        self._exporting = "the report"
        """The name of the file the last export was asked to write."""
        self._restore_geometry()
        if store is None:
            opening = QLabel("Opening the database…", self)
            opening.setObjectName("opening")
            opening.setStyleSheet("#opening { qproperty-alignment: AlignCenter; }")
            self.setCentralWidget(opening)
        else:
            self.build(store, engine=engine)

    def build(self, store: Store, *, engine: Engine | None = None) -> None:
        """Make the panels, menus and background work of the window on ``store``.

        The app shows the window before building it (see ``ui.app.run``): the panels
        import most of the app and the core, a few hundred milliseconds before the
        window could be seen.
        """
        from ui.archive_panel import ArchivePanel
        from ui.archive_work import ArchiveEmbedder, ArchiveImporter
        from ui.article_header import ArticleHeader
        from ui.article_view import ArticleView
        from ui.claim_panel import ClaimPanel
        from ui.dialogs import Messages
        from ui.evidence_view import LibraryIndexer
        from ui.export_dialog import ReportExporter
        from ui.jobs import JobRunner
        from ui.library_panel import LibraryPanel
        from ui.opener import ArticleOpener
        from ui.store_writer import StoreWriter
        from ui.team_sync import TeamSync
        from ui.workspace import Workspace
        from workbench.engine import Engine

        self.setAcceptDrops(True)
        self.writer = StoreWriter(store.path, self)
        edits = self.writer.edits  # the workers' long writes give way to the writer's
        self.engine = engine or Engine.default()
        self.workspace = Workspace(store, self.writer, self, engine=self.engine)
        self.opener = ArticleOpener(store.path, self, engine=self.engine)

        self.library = LibraryPanel(self.workspace, self)
        self.archive = ArchivePanel(self.workspace, self)
        self.side_tabs = QTabWidget(self)
        self.side_tabs.setObjectName("side_tabs")
        self.side_tabs.addTab(self.library, "Articles")
        self.side_tabs.addTab(self.archive, "Archive")
        self.side_tabs.currentChanged.connect(self._on_side_tab_changed)
        self.importer = ArchiveImporter(store.path, self, edits=edits)
        self.importer.progressed.connect(self._on_importer_progressed)
        self.importer.finished.connect(self._on_importer_finished)
        self.importer.failed.connect(self._on_importer_failed)
        self.import_progress: QProgressDialog | None = None
        self.embedder = ArchiveEmbedder(store.path, self, engine=self.engine, edits=edits)
        self.embedder.progressed.connect(self._on_embedder_progressed)
        self.embedder.progressed.connect(self.archive.show_embedding_progress)
        self.embedder.finished.connect(self._on_embedder_finished)
        self.embedder.failed.connect(self._on_embedder_failed)
        self._closing_when_saved = False
        """Quit was asked while edits were still being written: it closes once they are."""
        self._losing_unsaved = False
        """The user chose to quit without the edits that could not be written."""
        self._opener_message = ""
        """The last "Analysing ..." line the opener put in the status bar."""
        self._reading = False
        """An article's text is shown, read, while its claims are found (not stored yet)."""
        self._before_reading: int | None = None
        """The article shown before that one's text, shown again if it fails."""
        self.maintenance = JobRunner("maintenance", self)
        self.indexer = LibraryIndexer(store.path, self, engine=self.engine, edits=edits)
        self.indexer.progressed.connect(self._on_indexer_progressed)
        self.indexer.finished.connect(self._on_indexer_finished)
        self.indexer.failed.connect(
            lambda message: Messages.error(self, "Evidence library", message)
        )
        self.exporter = ReportExporter(store.path, self)
        self.exporter.finished.connect(self._on_exporter_finished)
        self.exporter.failed.connect(self._on_exporter_failed)
        self.article_view = ArticleView(self.workspace, self)
        self.claim_panel = ClaimPanel(self.workspace, self)
        self.workspace.listed = self.claim_panel.shown_claim_ids
        self.welcome = QLabel(WELCOME, self)
        self.welcome.setTextFormat(Qt.TextFormat.RichText)  # fixed text, no user text in it
        self.welcome.setObjectName("welcome")
        self.welcome.setWordWrap(True)
        self.welcome.setMargin(10)
        self.welcome.setStyleSheet(
            "#welcome { background: palette(alternate-base);"
            " border-bottom: 1px solid palette(mid); }"
        )
        self.welcome.hide()
        centre = QWidget(self)
        centre_layout = QVBoxLayout(centre)
        centre_layout.setContentsMargins(0, 0, 0, 0)
        centre_layout.setSpacing(0)
        centre_layout.addWidget(self.welcome)
        self.header = ArticleHeader(self.workspace, centre)
        centre_layout.addWidget(self.header)
        centre_layout.addWidget(self.article_view)

        self.splitter = QSplitter(Qt.Orientation.Horizontal, self)
        self.splitter.setObjectName("main_splitter")
        self.splitter.addWidget(self.side_tabs)
        self.splitter.addWidget(centre)
        self.splitter.addWidget(self.claim_panel)
        self.splitter.setStretchFactor(1, 1)
        self.splitter.setSizes([240, 760, 420])
        # A state saved in a wider window must not squeeze the article to a word a line.
        centre.setMinimumWidth(READING_MIN_WIDTH)
        self.splitter.setCollapsible(1, False)
        self.setCentralWidget(self.splitter)

        self.progress = QProgressBar(self)
        self.progress.setObjectName("checked_progress")
        self.progress.setMaximumWidth(220)
        self.progress.setFormat("%v of %m claims checked")
        self.busy = QProgressBar(self)
        self.busy.setObjectName("busy_indicator")
        self.busy.setRange(0, 0)
        self.busy.setMaximumWidth(120)
        self.busy.hide()
        self.embed_progress = QProgressBar(self)
        self.embed_progress.setObjectName("embedding_progress")
        self.embed_progress.setMaximumWidth(260)
        self.embed_progress.setFormat("Preparing semantic matching %p%")
        self.embed_progress.setToolTip(
            "Computing the meaning (embeddings) of past checks, so that claims said in"
            " other words are recognised. Matching works by words meanwhile."
        )
        self.embed_progress.hide()
        self.match_progress = QProgressBar(self)
        self.match_progress.setObjectName("matching_progress")
        self.match_progress.setMaximumWidth(260)
        self.match_progress.setFormat("Looking for past checks: %v of %m")
        self.match_progress.hide()
        # While the app imports, embeds or indexes, its own commits come many times a
        # second, and each look for other programs' changes would read the open article's
        # claims again (0.15 s for 5,400 claims): it looks less often meanwhile.
        for job in (self.importer, self.embedder, self.indexer):
            job.runner.busy_changed.connect(self._follow_outside_changes_when_idle)
        matcher = self.workspace.matcher
        matcher.progressed.connect(self._on_matcher_progressed)
        matcher.busy_changed.connect(self._on_matcher_busy_changed)
        self.team = TeamSync(store.path, store, self)
        self.team.received.connect(self._on_team_received)
        self.team.problem.connect(
            lambda message: self.statusBar().showMessage(f"Team: {message}.", 15_000)
        )
        self.statusBar().addPermanentWidget(self.team.label)
        self.statusBar().addPermanentWidget(self.match_progress)
        self.statusBar().addPermanentWidget(self.embed_progress)
        self.statusBar().addPermanentWidget(self.busy)
        self.statusBar().addPermanentWidget(self.progress)

        self.shortcut_rows: list[tuple[str, str]] = []
        self._line_edit_shortcuts = _ShortcutsOverLineEdits(self)
        self._build_menus()
        for edit in self.findChildren(QLineEdit):
            edit.installEventFilter(self._line_edit_shortcuts)

        self.workspace.article_opened.connect(self._on_workspace_article_opened)
        self.workspace.claims_changed.connect(self._update_progress)
        self.workspace.claim_updated.connect(self._update_progress)
        self.workspace.notice.connect(lambda message: self.statusBar().showMessage(message, 10_000))
        # "Removed the claim …: Ctrl+Z puts it back" is stale once Ctrl+Z (or another
        # article's undo history) is in play.
        self.workspace.undo_group.indexChanged.connect(self._clear_undo_hint)
        self.workspace.undo_group.activeStackChanged.connect(self._clear_undo_hint)
        self.workspace.error_occurred.connect(
            lambda message: Messages.error(self, "Could not save the change", message)
        )
        self.claim_panel.error_occurred.connect(
            lambda message: Messages.error(self, "Not opened", message)
        )
        self.opener.started.connect(self._on_opener_started)
        self.opener.text_ready.connect(self._on_opener_text_ready)
        self.opener.article_ready.connect(self._on_opener_article_ready)
        self.opener.latest_failed.connect(self._on_opener_latest_failed)
        self.opener.failed.connect(self._on_opener_failed)
        self.opener.warned.connect(self._on_opener_warned)
        self.opener.busy_changed.connect(self._on_opener_busy_changed)
        self.opener.model_problem.connect(self._on_model_problem)
        self._restore_splitters()
        self._update_progress()
        self.built = True

    # -- start-up -------------------------------------------------------------------

    def start(self, files: Sequence[str] = ()) -> None:
        """Open ``files``; else the last article and claim; on a first run, the sample.

        The window paints first (with its library) and the article follows: reading a
        long article and laying out its highlights takes longer than showing a window.
        The last article is reopened behind ``files`` too, so a file that cannot be read
        leaves the window showing it rather than empty; and before the background work
        starts (loading the language model, embedding past checks), which would slow its
        highlighting.
        """
        self.library.refresh()
        self.article_view.setFocus()  # keyboard triage works at once
        # After the first paint; or soon anyway, should the window never be painted
        # (minimised, on a screen that is off).
        after_first_paint(self, functools.partial(self._reopen_and_open, tuple(files)))

    def event(self, event: QEvent) -> bool:
        """Delete removes the selected claim only from the article or the claim list.

        A key's shortcut override climbs from the focused widget to the window when no
        widget claims the key; accepted here, the key goes to that widget instead of
        "Remove claim". Pressed in the evidence list, the history, a tab bar or a menu
        of filters, Delete removed the claim, note and evidence with it.
        """
        if (
            self.built
            and event.type() is QEvent.Type.ShortcutOverride
            and isinstance(event, QKeyEvent)
            and event.key() == Qt.Key.Key_Delete
            and not event.modifiers()
        ):
            focus = QApplication.focusWidget()
            claims = (self.article_view, self.claim_panel.claim_list)
            if focus is not None and not any(w is focus or w.isAncestorOf(focus) for w in claims):
                event.accept()
                return True
        return super().event(event)

    def _reopen_and_open(self, files: Sequence[str]) -> None:
        from ui.workspace import LAST_ARTICLE_KEY, LAST_CLAIM_KEY

        store = self.workspace.store
        articles = store.articles(archived=None)
        if articles:  # also behind files being opened: a file that fails leaves it shown
            last = _stored_id(store.setting(LAST_ARTICLE_KEY))
            ids = {a.id for a in articles}
            self.workspace.open_article(last if last in ids else articles[0].id)
            # The claim selected when the app last closed. After a crash, the article
            # opened last may not be the one whose place was saved: it then starts where
            # work on it starts, as when it is opened from the library.
            claim = _stored_id(store.setting(LAST_CLAIM_KEY))
            if claim is not None and self.workspace.claim(claim) is not None:
                self.workspace.select_claim(claim)
            elif claim is not None:
                self.workspace.select_first_to_check()
        self.back_up_if_due()
        # Files first: their text is read and shown while the language model loads for
        # them; the warm-up then only says whether the model could be loaded.
        if files:
            self.open_files(files)
        elif not articles:
            self.opener.open_sample()
        self.opener.warm_up()
        self.embedder.start()  # past checks imported or verdicts given since the last run
        self.indexer.index()  # documents changed in the registered folders since the last run
        self.team.start()  # publish and receive in the background, if on a team
        self.started.emit()

    def open_files(self, paths: Sequence[str]) -> None:
        for path in paths:
            self._add_recent(str(Path(path).resolve()))
        self.opener.open_files(list(paths))

    def _step_claims(self, step: int) -> None:
        """The next or previous claim of the claim list, as it is filtered and sorted."""
        self.workspace.select_next(step, self.claim_panel.shown_claim_ids())

    def _select_next_unchecked(self) -> None:
        """N: within the claim list as it is filtered, as J and K are."""
        if self.workspace.article is not None and not self.workspace.select_next_unchecked():
            if len(self.claim_panel.shown_claim_ids()) < len(self.workspace.claims):
                self.statusBar().showMessage("Every claim the list shows has a verdict.", 5000)
            else:
                self.statusBar().showMessage("Every claim of this article has a verdict.", 5000)

    # -- menus and shortcuts -----------------------------------------------------------

    def _action(
        self,
        menu: QMenu,
        text: str,
        slot: Callable[[], object],
        shortcut: str | QKeySequence | QKeySequence.StandardKey | None = None,
    ) -> QAction:
        from ui.dialogs import menu_text

        action = QAction(text, self)
        if shortcut is not None:
            keys = QKeySequence(shortcut)
            action.setShortcut(keys)
            if keys.toString(QKeySequence.SequenceFormat.PortableText).startswith("Ctrl+"):
                self._line_edit_shortcuts.lines_give_way_to(keys)
            self.shortcut_rows.append(
                (keys.toString(QKeySequence.SequenceFormat.NativeText), menu_text(text))
            )
        action.triggered.connect(slot)
        menu.addAction(action)
        self.addAction(action)
        return action

    def _add_existing(self, menu: QMenu, action: QAction) -> None:
        from ui.dialogs import menu_text

        menu.addAction(action)
        self.addAction(action)
        native = QKeySequence.SequenceFormat.NativeText
        keys = ", ".join(k.toString(native) for k in action.shortcuts() if not k.isEmpty())
        if keys:  # every binding (Redo is Ctrl+Shift+Z and Ctrl+Y on Windows and Linux)
            self.shortcut_rows.append((keys, menu_text(action.text())))

    def _build_menus(self) -> None:
        from ui.dialogs import ShortcutsDialog
        from ui.status_style import LABELS, SHORTCUT_KEYS
        from workbench.models import Status

        bar = self.menuBar()
        file_menu = bar.addMenu("&File")
        self._action(file_menu, "&Open…", self._ask_open, QKeySequence.StandardKey.Open)
        self.recent_menu = file_menu.addMenu("Open &Recent")
        self.recent_menu.aboutToShow.connect(self._fill_recent_menu)
        self._action(file_menu, "&Paste as new article", self.paste_article, "Ctrl+Shift+V")
        self._action(file_menu, "Open the &sample article", self.opener.open_sample)
        file_menu.addSeparator()
        self._action(file_menu, "&Import archive of past checks…", self._ask_import_archive)
        self._action(file_menu, "Evidence &library: register a folder…", self._ask_library_folder)
        self._action(file_menu, "Evidence library: &update the index", self.indexer.index)
        self._action(file_menu, "&Export report…", self.ask_export, "Ctrl+E")
        self._action(file_menu, "S&ync with the team now", self._sync_team_now)
        file_menu.addSeparator()
        self._action(file_menu, "&Back up now", self.back_up_now)
        self._action(file_menu, "Restore a bac&kup…", self.ask_restore)
        file_menu.addSeparator()
        self._action(file_menu, "&Quit", self.close, QKeySequence.StandardKey.Quit)

        edit_menu = bar.addMenu("&Edit")
        undo = self.workspace.undo_group.createUndoAction(self, "&Undo")
        undo.setShortcut(QKeySequence("Ctrl+Z"))
        redo = self.workspace.undo_group.createRedoAction(self, "&Redo")
        redo.setShortcuts([QKeySequence("Ctrl+Shift+Z"), QKeySequence("Ctrl+Y")])
        self._add_existing(edit_menu, undo)
        self._add_existing(edit_menu, redo)
        edit_menu.addSeparator()
        for action in self.article_view.actions_for_menu:
            self._add_existing(edit_menu, action)
        edit_menu.addSeparator()
        self._action(edit_menu, "&Find in library", self._focus_library_search, "Ctrl+F")
        self._action(edit_menu, "Search the &archive", self._focus_archive_search, "Ctrl+Shift+F")

        article_menu = bar.addMenu("&Article")
        self._action(article_menu, "Article &details…", self.header.edit, "Ctrl+I")
        self._action(article_menu, "&Archive article", self._archive_open_article)
        self._action(article_menu, "&Delete article…", self._delete_open_article)
        self.undo_delete_action = self._action(
            article_menu, "&Undo delete", self.workspace.undo_delete, "Ctrl+Alt+Z"
        )
        self.undo_delete_action.setEnabled(False)
        self.workspace.deleted_changed.connect(self._on_workspace_deleted_changed)
        self.library.delete_requested.connect(self.ask_delete_article)
        self.claim_panel.editing_left.connect(self.article_view.setFocus)
        self.claim_panel.evidence_view.register_requested.connect(self.indexer.add_folder)

        claim_menu = bar.addMenu("&Claim")
        self._action(claim_menu, "&Next claim", lambda: self._step_claims(1), "J")
        self._action(claim_menu, "&Previous claim", lambda: self._step_claims(-1), "K")
        self._action(
            claim_menu, "Next &unchecked, most urgent first", self._select_next_unchecked, "N"
        )
        # In the article the arrow keys step through claims; lists keep their own arrows.
        for key, step in (("Down", 1), ("Up", -1), ("Right", 1), ("Left", -1)):
            shortcut = QAction(self.article_view)
            shortcut.setShortcut(QKeySequence(key))
            shortcut.setShortcutContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
            shortcut.triggered.connect(lambda _=False, s=step: self._step_claims(s))
            self.article_view.addAction(shortcut)
        self.shortcut_rows.append(("Arrow keys", "Next / previous claim (in the article)"))
        claim_menu.addSeparator()
        for status in (Status.VERIFIED, Status.DISPUTED, Status.UNVERIFIABLE, Status.UNCHECKED):
            self._action(
                claim_menu,
                f"Mark {LABELS[status].lower()}",
                functools.partial(self._set_selected_status, status),
                SHORTCUT_KEYS[status],
            )
        claim_menu.addSeparator()
        self._action(claim_menu, "&Edit note", self.claim_panel.focus_note, "E")
        self._action(
            claim_menu, "Add evidence &link…", lambda: self.claim_panel.request_add_evidence(), "L"
        )

        help_menu = bar.addMenu("&Help")
        self._action(
            help_menu,
            "&Keyboard shortcuts",
            lambda: ShortcutsDialog.show_for(self.shortcut_rows, self),
            "F1",
        )

    def _archive_open_article(self) -> None:
        article = self.workspace.article
        if article is not None:
            archived = article.archived_at is None
            self.workspace.archive_article(article.id, archived)

    def _delete_open_article(self) -> None:
        article = self.workspace.article
        if article is not None:
            self.ask_delete_article(article.id, article.title)

    def ask_delete_article(self, article_id: int, title: str) -> None:
        """Delete an article once the fact-checker confirms; Article > Undo delete puts it back."""
        from ui.dialogs import Messages

        name = f"“{title}”" if title else "this untitled article"
        if Messages.confirm(
            self,
            "Delete article",
            f"Delete {name} with its claims, verdicts, notes and evidence links?",
            "Article > Undo delete puts it back while the app is open. To keep it out of the"
            " library without losing anything, archive it instead.",
            action="Delete",
        ):
            self.workspace.delete_article(article_id, title)
            self.statusBar().showMessage(
                f"Deleted {name}. Article > Undo delete (Ctrl+Alt+Z) puts it back.", 15_000
            )

    def _on_workspace_deleted_changed(self) -> None:
        from ui.dialogs import menu_item
        from ui.safe_text import shown_title

        deleted = self.workspace.deleted
        self.undo_delete_action.setEnabled(bool(deleted))
        title = deleted[-1][0] if deleted else ""
        shown = menu_item(shown_title(title, 80))
        self.undo_delete_action.setText(f"&Undo delete of “{shown}”" if deleted else "&Undo delete")

    def _set_selected_status(self, status: Status) -> None:
        if self.workspace.selected_claim_id is not None:
            self.workspace.set_status(self.workspace.selected_claim_id, status)

    def _focus_library_search(self) -> None:
        self.side_tabs.setCurrentWidget(self.library)
        self.library.focus_search()

    def _focus_archive_search(self) -> None:
        self.side_tabs.setCurrentWidget(self.archive)
        self.archive.focus_search()

    def _on_side_tab_changed(self) -> None:
        if self.side_tabs.currentWidget() is self.archive:
            self.archive.refresh()

    # -- the evidence library ----------------------------------------------------------

    def _ask_library_folder(self) -> None:
        folder = self.claim_panel.evidence_view.ask_folder(self)
        if folder:
            self.indexer.add_folder(folder)

    def _on_indexer_progressed(self, stage: str, done: int, total: int) -> None:
        self.statusBar().showMessage(f"Evidence library: {stage} {done:,} of {total:,}")

    def _on_indexer_finished(self, report: LibraryIndexReport) -> None:
        from ui.safe_text import shown_field

        if report.folders:  # no word about a library nobody set up
            message = f"Evidence library: {report.summary()}."
            if report.problems:  # a folder gone missing, a file skipped: not silently
                more = len(report.problems) - 1
                also = f" (and {more} more: workbench library index lists them)" if more else ""
                message += f" {shown_field(report.problems[0])}{also}."
            self.statusBar().showMessage(message, 15_000)
        self.claim_panel.evidence_view.refresh()

    # -- the team archive -------------------------------------------------------------

    def _sync_team_now(self) -> None:
        if self.team.connected:
            self.team.sync_now()
        else:
            self.statusBar().showMessage(
                "This database is not on a team: connect it with"
                " workbench team connect DSN --name NAME.",
                10_000,
            )

    def _on_team_received(self, count: int) -> None:
        """The team's verdicts arrived: the archive, matching and embeddings catch up."""
        self.statusBar().showMessage(
            f"Team: {count:,} verdict{'' if count == 1 else 's'} received.", 10_000
        )
        self.archive.refresh()
        self.claim_panel.past_checks.refresh_sources()
        self.workspace.rematch()
        self.embedder.start()

    # -- the archive of past checks ------------------------------------------------------

    def _ask_import_archive(self) -> None:
        start = str(self.settings.value("ui/last_archive_folder", str(Path.home())))
        path = open_file_name(self, "Import past fact-checks", start, ARCHIVE_FILTER)
        if not path:
            return
        from workbench.archive import source_name  # the parsers: not before the window shows

        self.settings.setValue("ui/last_archive_folder", str(Path(path).parent))
        # The collection's name is who the past checks are credited to, in the Past checks
        # tab and in the note an applied verdict leaves ("Checked before by PolitiFact"):
        # a file's name ("pf") rarely says it.
        name, ok = QInputDialog.getText(
            self,
            "Import past fact-checks",
            "Who published these fact-checks? (shown in notes and reports)",
            text=source_name(path, None),
        )
        if ok:
            self.import_archive(path, source=name.strip() or None)

    def import_archive(self, path: str, *, source: str | None = None) -> None:
        """Import an archive file in the background, with a progress dialog that can cancel.

        ``source``: the collection it goes into (default: the file's name without suffix).
        """
        from ui.safe_text import plain_label

        dialog = QProgressDialog("", "Cancel", 0, 0, self)
        dialog.setLabel(plain_label(f"Importing {Path(path).name}…"))  # a file name, as text
        dialog.setWindowTitle("Import archive")
        dialog.setMinimumDuration(300)
        dialog.canceled.connect(self.importer.cancel)
        self.import_progress = dialog
        self.importer.start(path, source=source)

    def _on_importer_progressed(self, done: int, total: int) -> None:
        if self.import_progress is not None:
            self.import_progress.setMaximum(total)
            self.import_progress.setValue(done)

    def _follow_outside_changes_when_idle(self, _busy: bool = False) -> None:
        from ui.workspace import OUTSIDE_CHANGES_BUSY_MS, OUTSIDE_CHANGES_MS

        busy = any(job.runner.busy for job in (self.importer, self.embedder, self.indexer))
        self.workspace.outside_changes.setInterval(
            OUTSIDE_CHANGES_BUSY_MS if busy else OUTSIDE_CHANGES_MS
        )

    def _on_matcher_busy_changed(self, busy: bool) -> None:
        if not busy:
            self.match_progress.hide()

    def _on_matcher_progressed(self, done: int, total: int) -> None:
        self.match_progress.setMaximum(total)
        self.match_progress.setValue(done)
        self.match_progress.setVisible(done < total)

    def _close_import_progress(self) -> None:
        if self.import_progress is not None:
            self.import_progress.reset()
            self.import_progress.deleteLater()
            self.import_progress = None

    def _on_importer_finished(self, report: ArchiveImportReport) -> None:
        from ui.dialogs import Messages

        self._close_import_progress()
        # The status bar has room for the gist; which records were left out, a dialog says.
        self.statusBar().showMessage(report.summary(brief=True).capitalize(), 15_000)
        if report.skipped:
            Messages.warning(self, "Some records were not imported", report.summary().capitalize())
        self.archive.refresh()
        self.claim_panel.past_checks.refresh_sources()
        self.workspace.rematch()
        self.embedder.start()

    def _on_model_problem(self, message: str) -> None:
        """Said once per run: claims are still found, by the rules alone."""
        from ui.dialogs import Messages

        self.statusBar().showMessage("Claims are found by the rules alone.", 30_000)
        Messages.warning(
            self,
            "Check-worthiness model not loaded",
            f"{message[:1].upper()}{message[1:]}.\n\nClaims are still highlighted, by the"
            " detector's rules; reinstalling the app restores the model.",
        )

    def _on_embedder_progressed(self, done: int, total: int) -> None:
        if total <= 0:
            return
        self.embed_progress.setMaximum(total)
        self.embed_progress.setValue(done)
        self.embed_progress.setVisible(done < total)

    def _on_embedder_finished(self, report: EmbedReport) -> None:
        self.embed_progress.hide()
        if report.embedded:
            # One is usually a verdict just given, which joins the past checks: no rate.
            done = (
                "1 past check embedded"
                if report.embedded == 1
                else f"{report.embedded:,} past checks embedded ({report.rate:,.0f} per second)"
            )
            self.statusBar().showMessage(f"Semantic matching is ready: {done}.", 15_000)
            self.workspace.rematch()

    def _on_embedder_failed(self, message: str) -> None:
        self.embed_progress.hide()
        self.statusBar().showMessage(f"Matching stays by words: {message}", 15_000)

    def _on_importer_failed(self, message: str) -> None:
        """The message says what earlier batches kept, if any; the panels show it."""
        from ui.dialogs import Messages

        self._close_import_progress()
        Messages.error(self, "Could not import the archive", message)
        self.archive.refresh()
        self.claim_panel.past_checks.refresh_sources()

    # -- backups --------------------------------------------------------------------------

    def back_up_if_due(self) -> None:
        """The daily automatic backup, in the background: a copy of a big database takes
        a minute, and the window is usable meanwhile (SQLite's backup API copies a
        consistent snapshot while edits go on). ``workbench.backup`` loads there too,
        not on the way to the window."""
        path = self.workspace.store.path

        def work(context: JobContext) -> Backup | None:
            from workbench.backup import backup_if_stale

            return backup_if_stale(path)

        def done(backup: Backup | None) -> None:
            if backup is not None and backup.evidence_left_out:
                failed(backup.evidence_problem())
            # Routine news: never over a message that says something the user must know.
            elif backup is not None and not self.statusBar().currentMessage():
                self.statusBar().showMessage(f"Backed up the database to {backup.path.name}.", 5000)

        def failed(message: str) -> None:
            # The message says what failed: "no backup was made: the disk ... is full".
            self.statusBar().showMessage(f"Automatic backup: {message}")

        self.maintenance.submit(work, group="backup", done=done, failed=failed)

    def back_up_now(self) -> None:
        """A manual backup, made on the writer thread (SQLite's online backup API)."""
        from ui.dialogs import Messages
        from workbench.backup import create_backup

        def done(backup: Backup) -> None:
            self.statusBar().showMessage(f"Backed up to {backup.path}", 15_000)
            if backup.evidence_left_out:
                Messages.error(self, "Evidence not backed up", backup.evidence_problem())

        self.writer.submit(
            lambda store: create_backup(store.path, reason="manual"),
            done,
            lambda exc: Messages.error(self, "Could not back up", str(exc)),
        )

    def ask_restore(self) -> None:
        from ui.database_dialogs import RestoreDialog
        from workbench.backup import list_backups

        chosen = RestoreDialog.ask(self, list_backups(self.workspace.store.path))
        if chosen is not None:
            self.restore_requested = chosen  # restored by ui.app once everything is closed
            self.close()

    # -- reports ------------------------------------------------------------------------

    def ask_export(self) -> None:
        from ui.dialogs import Messages
        from ui.export_dialog import ExportDialog
        from workbench.reports.settings import SETTING_ORGANISATION, SETTING_ORGANISATION_URL

        article = self.workspace.article
        if article is None:
            Messages.error(self, "Nothing to export", "Open an article first.")
            return
        folder = Path(str(self.settings.value("ui/export_folder", str(Path.home()))))
        open_after = bool(self.settings.value("ui/export_open_after", True, type=bool))
        store = self.workspace.store
        stored = (
            store.setting(SETTING_ORGANISATION) or "",
            store.setting(SETTING_ORGANISATION_URL) or "",
        )
        answer = ExportDialog.ask(
            self, folder=folder, title=article.title, open_after=open_after, organisation=stored
        )
        if answer is None:
            return
        fmt, path, all_articles, open_after, organisation = answer

        def keep(store: Store) -> None:
            """Through the writer's queue, so the export sees every edit made before it;
            with the organisation typed in the dialog, which the report reads from the
            settings (kept for the next report too)."""
            if organisation is not None:
                with store.transaction():
                    store.set_setting(SETTING_ORGANISATION, organisation[0])
                    store.set_setting(SETTING_ORGANISATION_URL, organisation[1])

        self.settings.setValue("ui/export_folder", str(path.parent))
        self.settings.setValue("ui/export_open_after", open_after)
        self.claim_panel.save_note()  # the report includes what was just typed
        ids = (
            [a.id for a in self.workspace.store.articles(archived=None)]
            if all_articles
            else [article.id]
        )
        self._exporting = path.name
        self.statusBar().showMessage(f"Exporting {path.name} …")
        self.writer.submit(
            keep,
            lambda _none: self.exporter.export(ids, path, fmt, open_after=open_after),
            # Exported anyway, the report would name the organisation stored before.
            lambda error: self._on_exporter_failed(str(error)),
        )

    def _on_exporter_finished(self, result: ExportResult, open_after: bool) -> None:
        from ui.export_dialog import finish_export

        self.statusBar().showMessage(finish_export(result, open_after=open_after), 15_000)

    def _on_exporter_failed(self, message: str) -> None:
        from ui.dialogs import Messages

        # Replaces "Exporting NAME …", which stayed there as if the export were under way.
        self.statusBar().showMessage(f"Could not export {self._exporting}.", 15_000)
        Messages.error(self, "Could not export the report", message)

    # -- getting articles in ------------------------------------------------------------

    def _ask_open(self) -> None:
        start = str(self.settings.value("ui/last_folder", str(Path.home())))
        paths = open_file_names(self, "Open articles", start, OPEN_FILTER)
        if paths:
            self.settings.setValue("ui/last_folder", str(Path(paths[0]).parent))
            self.open_files(paths)

    def paste_article(self) -> None:
        from ui.dialogs import Messages

        mime = QGuiApplication.clipboard().mimeData()
        text = _clipboard_article(mime)
        if text:
            self.opener.open_text(text)
        else:
            Messages.error(self, "Nothing to paste", "The clipboard holds no text.")

    def recent_files(self) -> list[str]:
        value = self.settings.value("ui/recent_files", [])
        if isinstance(value, str):
            return [value] if value else []
        return [str(v) for v in value if v] if isinstance(value, list) else []

    def _add_recent(self, path: str) -> None:
        items = [path, *(p for p in self.recent_files() if p != path)][:MAX_RECENT]
        self.settings.setValue("ui/recent_files", items)

    def _fill_recent_menu(self) -> None:
        from ui.dialogs import menu_item

        self.recent_menu.clear()
        for path in self.recent_files():
            action = self.recent_menu.addAction(menu_item(path))
            action.triggered.connect(lambda _=False, p=path: self.open_files([p]))
        if self.recent_menu.isEmpty():
            self.recent_menu.addAction("(none yet)").setEnabled(False)

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:
        if event.mimeData().hasUrls() and any(u.isLocalFile() for u in event.mimeData().urls()):
            event.acceptProposedAction()

    def dropEvent(self, event: QDropEvent) -> None:
        paths = [u.toLocalFile() for u in event.mimeData().urls() if u.isLocalFile()]
        if paths:
            event.acceptProposedAction()
            self.open_files(paths)

    # -- following the workspace and the opener -----------------------------------------

    def _clear_undo_hint(self) -> None:
        from ui.workspace import UNDO_HINT

        if UNDO_HINT in self.statusBar().currentMessage():
            self.statusBar().clearMessage()

    def _on_opener_started(self, description: str) -> None:
        self._opener_message = description
        self.statusBar().showMessage(description)
        if self._reading and self.workspace.article is None:
            # The text shown is of an article that will not be shown: another was asked for.
            self.article_view.show_text("")
            self.header.show_reading(description, "Its text shows as soon as it is read.")

    def _clear_opener_message(self) -> None:
        """Take down the opener's "Analysing ..." line, never another message over it
        (the rules-alone warning must stay)."""
        if self.statusBar().currentMessage() == self._opener_message:
            self.statusBar().clearMessage()

    def _on_opener_text_ready(self, title: str, text: str) -> None:
        """Show an article's text as soon as it is read; its claims follow when found."""
        shown = self.workspace.article
        if shown is not None and shown.text == text:
            return  # opened again: it stays as it is, with its matches and place
        if shown is not None or not self._reading:
            # What comes back if this one cannot be stored: the article on screen, also
            # one picked in the library while another file was read.
            self._before_reading = shown.id if shown is not None else None
        self._reading = True
        self.workspace.open_article(None)
        self.header.show_reading(title)
        self.article_view.show_text(text)

    def _on_opener_latest_failed(self) -> None:
        """The article being read could not be stored: back to the one shown before it.

        With none shown before, the library's first: files opened into an empty database
        may have stored one whose display this one's superseded.
        """
        reading, self._reading = self._reading, False
        if self.workspace.article is not None:
            return  # another article was opened since
        store, before = self.workspace.store, self._before_reading if reading else None
        if before not in {a.id for a in store.articles(archived=None)}:
            rest = store.articles()  # none, or deleted meanwhile: as deleting an open one does
            before = rest[0].id if rest else None
        if reading or before is not None:  # the text read is shown: something replaces it
            self.workspace.open_article(before)
            if before is not None:
                self.workspace.select_first_to_check()  # its claim selected last, if any

    def _on_opener_article_ready(self, article_id: int) -> None:
        self._reading = False
        self._clear_opener_message()
        self.library.refresh()
        shown = self.workspace.article
        if shown is not None and shown.id == article_id:
            return  # opened again (the file it came from): its matches and place stay
        self.workspace.open_article(article_id)
        self.workspace.select_first_to_check()

    def _on_opener_busy_changed(self, busy: bool) -> None:
        self.busy.setVisible(busy)
        if not busy:
            self._clear_opener_message()

    def _on_opener_warned(self, what: str, message: str) -> None:
        from ui.dialogs import Messages

        Messages.warning(self, f"Check the text of {what}", message)

    def _on_opener_failed(self, what: str, message: str) -> None:
        from ui.dialogs import Messages

        self._clear_opener_message()
        # Files opened together are all stored, but only the last one's result is
        # shown: when it failed, the others are listed here (a success lists itself).
        self.library.refresh()
        Messages.error(self, f"Could not open {what}", message)

    def _on_workspace_article_opened(self) -> None:
        from ui.safe_text import shown_title
        from workbench.samples import SAMPLE_FILE

        article = self.workspace.article
        title = shown_title(article.title, 120) if article else ""
        self.setWindowTitle(
            f"{title} — Fact-Checking Workbench" if article else "Fact-Checking Workbench"
        )
        self.welcome.setVisible(bool(article and article.origin == f"<sample:{SAMPLE_FILE}>"))
        self._update_progress()

    def _update_progress(self) -> None:
        from workbench.models import Status

        claims = self.workspace.claims
        checked = sum(c.status is not Status.UNCHECKED for c in claims)
        self.progress.setRange(0, max(1, len(claims)))
        self.progress.setValue(checked)
        self.progress.setFormat(f"{checked} of {len(claims)} claims checked")

    # -- geometry and closing -------------------------------------------------------------

    def _restore_geometry(self) -> None:
        geometry = self.settings.value("ui/geometry")
        if isinstance(geometry, QByteArray) and not geometry.isEmpty():
            self.restoreGeometry(geometry)
        else:
            self.resize(1400, 860)

    def _restore_splitters(self) -> None:
        for name, splitter in (
            ("ui/main_splitter", self.splitter),
            ("ui/claim_splitter", self.claim_panel.splitter),
        ):
            state = self.settings.value(name)
            if isinstance(state, QByteArray) and not state.isEmpty():
                splitter.restoreState(state)

    def runners(self) -> list[JobRunner]:
        """Every background runner of the window."""
        return [
            self.opener.runner,
            self.importer.runner,
            self.embedder.runner,
            self.exporter.runner,
            self.workspace.matcher.runner,
            self.workspace.vault_copies,
            self.workspace.archive_reader,
            self.workspace.change_reader,
            self.maintenance,
            self.indexer.runner,
            self.claim_panel.evidence_view.runner,
            self.team.runner,
            self.claim_panel.past_checks.runner,
        ]

    def closeEvent(self, event: QCloseEvent) -> None:
        if not self.built:  # closed while the database was being opened
            super().closeEvent(event)
            return
        self.claim_panel.save_note()
        if not self._may_close():
            event.ignore()
            return
        if not self._losing_unsaved:
            self.workspace.save_place()  # written as the writer closes, after every edit
        self.settings.setValue("ui/geometry", self.saveGeometry())
        self.settings.setValue("ui/main_splitter", self.splitter.saveState())
        self.settings.setValue("ui/claim_splitter", self.claim_panel.splitter.saveState())
        self.settings.sync()
        self.workspace.outside_changes.stop()
        self.opener.shutdown()
        self.importer.shutdown()
        self.embedder.shutdown()
        self.exporter.shutdown()
        self.workspace.matcher.shutdown()
        self.maintenance.shutdown()
        self.indexer.shutdown()
        self.claim_panel.evidence_view.shutdown()
        self.team.shutdown()
        self.claim_panel.past_checks.shutdown()
        self.workspace.archive_reader.shutdown()
        self.workspace.change_reader.shutdown()
        self.writer.close(wait=not self._losing_unsaved)
        super().closeEvent(event)

    def _may_close(self) -> bool:
        """Whether the window may close now: every edit is written, or the user chose to
        lose those that cannot be.

        Edits still queued (the database is busy: another program, or an import) are
        waited for without freezing the window, which closes by itself once they are
        written. Notes
        that could not be saved (a full disk), or Quit asked again while waiting, ask first.
        """
        from ui.dialogs import Messages

        unsaved, pending = len(self.workspace.unsaved_notes), self.writer.pending
        if self._losing_unsaved or not (unsaved or pending):
            return True
        if not unsaved and not self._closing_when_saved:
            self._closing_when_saved = True
            self.writer.busy_changed.connect(  # once, however often Quit is kept open
                self._close_once_saved, Qt.ConnectionType.UniqueConnection
            )
            self.statusBar().showMessage(f"Saving {pending} change(s) before quitting …")
            return False
        what = (
            f"{unsaved} note(s) could not be saved."
            if unsaved
            else f"{pending} change(s) are still waiting to be written: the database is busy"
            " (another program, or this app's own import or indexing, is writing to it)."
        )
        if Messages.confirm(
            self,
            "Changes not saved",
            what,
            "Quit anyway and lose them, or keep the window open: the notes are saved again"
            " as soon as they can be.",
            action="Quit anyway",
        ):
            self._losing_unsaved = True
            return True
        self._closing_when_saved = False
        for claim_id, note in list(self.workspace.unsaved_notes.items()):
            self.workspace.set_note(claim_id, note)  # tried again
        return False

    def _close_once_saved(self, busy: bool) -> None:
        if not busy and self._closing_when_saved:
            QTimer.singleShot(0, self._close_by_itself)  # once the writes' results are in

    def _close_by_itself(self) -> None:
        # Not if the user chose to keep the window open meanwhile, nor while writes
        # queued meanwhile run (the writer's next idle comes back here); asks if a note
        # failed.
        if self._closing_when_saved:
            self.claim_panel.save_note()  # as closeEvent will: what it queues is waited for
            if not self.writer.pending:
                self.close()


def _clipboard_article(mime: QMimeData | None) -> str:
    """Pasted HTML (a copied web page) is kept as HTML so the reader can clean it.

    Qt gives no data at all for an empty clipboard on some platforms (offscreen).
    """
    if mime is None:
        return ""
    if mime.hasHtml() and mime.html().strip():
        return mime.html()
    return mime.text() if mime.hasText() else ""
