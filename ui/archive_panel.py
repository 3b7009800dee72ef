"""Search the whole archive of past checks (FTS5), as the fact-checker types; how many
there are, by collection, and how many are ready for matching by meaning (kept current
while the embedder works through them)."""

from __future__ import annotations

from PySide6.QtCore import QModelIndex, Qt, QTimer
from PySide6.QtWidgets import QLineEdit, QListView, QVBoxLayout, QWidget

from ui.item_models import ArchiveListModel, ItemRole
from ui.safe_text import open_web_link, plain_label
from ui.workspace import Workspace
from workbench.models import ArchiveClaim

SEARCH_DELAY_MS = 200
RESULTS = 100
COUNTS_DELAY_MS = 1000
"""At most one recount per this while the embedder reports progress (a recount reads the
archive's size by collection: a moment on a million past checks)."""


class ArchivePanel(QWidget):
    def __init__(self, workspace: Workspace, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("archive_panel")
        self.workspace = workspace
        self.search = QLineEdit(self)
        self.search.setObjectName("archive_search")
        self.search.setPlaceholderText("Search past checks")
        self.search.setClearButtonEnabled(True)
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(SEARCH_DELAY_MS)
        self._timer.timeout.connect(self._refresh_if_open)
        self.search.textChanged.connect(self._timer.start)
        self._counts_timer = QTimer(self)
        self._counts_timer.setSingleShot(True)
        self._counts_timer.setInterval(COUNTS_DELAY_MS)
        self._counts_timer.timeout.connect(self._refresh_counts_if_shown)
        self.summary = plain_label(parent=self)
        self.summary.setObjectName("archive_summary")
        self.summary.setWordWrap(True)
        self._listed = "newest first"
        """What the list holds since the last search, for the summary."""
        self.model = ArchiveListModel(self)
        self.view = QListView(self)
        self.view.setObjectName("archive_list")
        self.view.setModel(self.model)
        self.view.setWordWrap(True)
        self.view.setSpacing(2)
        self.view.setAlternatingRowColors(True)
        self.view.setToolTip("Double-click to open the fact-check (http and https links only)")
        self.view.doubleClicked.connect(self._open)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.search)
        layout.addWidget(self.summary)
        layout.addWidget(self.view)
        workspace.library_changed.connect(self._refresh_if_shown)
        workspace.archive_counted.connect(self._show_counts)
        workspace.archive_found.connect(self._show_found)

    def focus_search(self) -> None:
        self.search.setFocus(Qt.FocusReason.ShortcutFocusReason)
        self.search.selectAll()

    def _refresh_if_open(self) -> None:
        if self.window().isVisible():  # not after the window (and its database) closed
            self.refresh()

    def _refresh_if_shown(self) -> None:
        if self.isVisible():  # a hidden tab is refreshed when it is shown
            self._timer.start()

    def show_embedding_progress(self, done: int, total: int) -> None:
        """The embedder stored another batch: recount soon (at most once a second), if shown.

        Connected to :attr:`ui.archive_work.ArchiveEmbedder.progressed`; the counts are
        read from the database, so they are right whatever the run's own numbers say.
        """
        if not self._counts_timer.isActive():
            self._counts_timer.start()

    def _refresh_counts_if_shown(self) -> None:
        if self.isVisible():  # a hidden tab recounts when it is shown (refresh)
            self.refresh_counts()

    def refresh(self) -> None:
        """Search again and recount, on a worker (:meth:`Workspace.search_archive`); the
        list follows in :meth:`_show_found`, the summary in :meth:`_show_counts`."""
        self.workspace.search_archive(self.search.text(), limit=RESULTS)
        self.refresh_counts()

    def _show_found(self, query: str, results: list[ArchiveClaim]) -> None:
        self.model.set_items(results)
        self._listed = f"{len(results)} shown" if query.strip() else "newest first"

    def refresh_counts(self) -> None:
        """The summary line: past checks by collection, how many are ready for matching
        by meaning, and what the list shows. The list itself is left as it is. Counted
        on a worker (:meth:`Workspace.count_archive`), shown by :meth:`_show_counts`."""
        self.workspace.count_archive()

    def _show_counts(self, counts: dict[str, int], rows: int) -> None:
        total = sum(counts.values())
        if not total:
            self.summary.setText(
                "The archive is empty. Import published fact-checks with "
                "File > Import archive; your own verdicts join it as you work."
            )
            return
        names = ", ".join(f"{name} ({count:,})" for name, count in counts.items())
        embedded = min(rows, total)
        if embedded >= total:
            meaning = "All are ready for matching by meaning"
        else:
            verb = "is" if embedded == 1 else "are"
            meaning = f"{embedded:,} of them {verb} ready for matching by meaning"
        self.summary.setText(f"{total:,} past checks: {names}. {meaning}. {self._listed}.")

    def _open(self, index: QModelIndex) -> None:
        item = index.data(ItemRole) if index.isValid() else None
        if isinstance(item, ArchiveClaim):
            open_web_link(item.url)
