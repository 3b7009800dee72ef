"""Search the whole archive of past checks (FTS5), as the fact-checker types."""

from __future__ import annotations

from PySide6.QtCore import QModelIndex, Qt, QTimer
from PySide6.QtWidgets import QLineEdit, QListView, QVBoxLayout, QWidget

from ui.item_models import ArchiveListModel, ItemRole
from ui.safe_text import open_web_link, plain_label
from ui.workspace import Workspace
from workbench.models import ArchiveClaim

SEARCH_DELAY_MS = 200
RESULTS = 100


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
        self.summary = plain_label(parent=self)
        self.summary.setWordWrap(True)
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

    def focus_search(self) -> None:
        self.search.setFocus(Qt.FocusReason.ShortcutFocusReason)
        self.search.selectAll()

    def _refresh_if_open(self) -> None:
        if self.window().isVisible():  # not after the window (and its database) closed
            self.refresh()

    def _refresh_if_shown(self) -> None:
        if self.isVisible():  # a hidden tab is refreshed when it is shown
            self._timer.start()

    def refresh(self) -> None:
        store = self.workspace.store
        results = store.archive_search(self.search.text(), limit=RESULTS)
        self.model.set_items(results)
        sources = store.archive_sources()
        total = sum(s.count for s in sources)
        if not total:
            self.summary.setText(
                "The archive is empty. Import published fact-checks with "
                "File > Import archive; your own verdicts join it as you work."
            )
        else:
            names = ", ".join(f"{s.name} ({s.count:,})" for s in sources)
            shown = f"{len(results)} shown" if self.search.text().strip() else "newest first"
            self.summary.setText(f"{total:,} past checks: {names}. {shown}.")

    def _open(self, index: QModelIndex) -> None:
        item = index.data(ItemRole) if index.isValid() else None
        if isinstance(item, ArchiveClaim):
            open_web_link(item.url)
