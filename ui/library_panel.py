"""The library: every stored article, newest first, searchable, with its progress."""

from __future__ import annotations

from PySide6.QtCore import QItemSelectionModel, QModelIndex, Qt, QTimer
from PySide6.QtWidgets import QLineEdit, QListView, QVBoxLayout, QWidget

from ui.item_models import ArticleListModel, ItemRole
from ui.workspace import Workspace
from workbench.store import ArticleSummary

SEARCH_DELAY_MS = 200


class LibraryPanel(QWidget):
    def __init__(self, workspace: Workspace, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("library_panel")
        self.workspace = workspace
        self.search = QLineEdit(self)
        self.search.setObjectName("library_search")
        self.search.setPlaceholderText("Search articles (Ctrl+F)")
        self.search.setClearButtonEnabled(True)
        self._search_timer = QTimer(self)
        self._search_timer.setSingleShot(True)
        self._search_timer.setInterval(SEARCH_DELAY_MS)
        self._search_timer.timeout.connect(self.refresh)
        self.search.textChanged.connect(self._search_timer.start)
        self.search.returnPressed.connect(self._open_first_match)
        self.model = ArticleListModel(self)
        self.view = QListView(self)
        self.view.setObjectName("library_list")
        self.view.setModel(self.model)
        self.view.setWordWrap(True)
        self.view.setSpacing(2)
        self.view.setAlternatingRowColors(True)
        self.view.activated.connect(self._on_view_activated)
        self.view.clicked.connect(self._on_view_activated)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.search)
        layout.addWidget(self.view)
        workspace.library_changed.connect(self.refresh)
        workspace.article_opened.connect(self._on_workspace_article_opened)

    def focus_search(self) -> None:
        self.search.setFocus(Qt.FocusReason.ShortcutFocusReason)
        self.search.selectAll()

    def refresh(self) -> None:
        """Re-read the library, keeping the open article selected."""
        self.model.set_items(self.workspace.store.articles(search=self.search.text()))
        self._select_open_article()

    def _open_first_match(self) -> None:
        self._search_timer.stop()
        self.refresh()
        if self.model.rowCount():
            self._on_view_activated(self.model.index(0, 0))

    def _on_view_activated(self, index: QModelIndex) -> None:
        item = index.data(ItemRole)
        article = self.workspace.article
        if isinstance(item, ArticleSummary) and (article is None or article.id != item.id):
            self.workspace.open_article(item.id)

    def _on_workspace_article_opened(self) -> None:
        self._select_open_article()

    def _select_open_article(self) -> None:
        article = self.workspace.article
        row = -1 if article is None else self.model.row_of(article.id)
        if row < 0:
            self.view.clearSelection()
            return
        index = self.model.index(row, 0)
        self.view.selectionModel().setCurrentIndex(
            index, QItemSelectionModel.SelectionFlag.ClearAndSelect
        )
