"""The library: every stored article, newest first, searchable, with its progress.

The highlighted row is always the open article: moving the highlight (arrows, a click,
the search's Enter) opens the article under it. Its context menu (and Delete) archives
or deletes the highlighted article; archived articles are listed apart.
"""

from __future__ import annotations

from PySide6.QtCore import (
    QEvent,
    QItemSelectionModel,
    QModelIndex,
    QObject,
    QPoint,
    Qt,
    QTimer,
    Signal,
)
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QHBoxLayout,
    QLineEdit,
    QListView,
    QMenu,
    QVBoxLayout,
    QWidget,
)

from ui.item_models import ArticleListModel, ItemRole
from ui.safe_text import narrow_combo
from ui.workspace import Workspace
from workbench.models import LIBRARY_STATES
from workbench.store import ArticleSummary

SEARCH_DELAY_MS = 200


class LibraryPanel(QWidget):
    delete_requested = Signal(int, str)  # article id, title: the window confirms first

    def __init__(self, workspace: Workspace, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("library_panel")
        self.workspace = workspace
        self._refreshing = False
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
        self.view.selectionModel().currentChanged.connect(self._on_view_activated)
        self.view.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.view.customContextMenuRequested.connect(self._show_menu)
        self.view.installEventFilter(self)  # Delete here deletes the article, not a claim
        self.search.installEventFilter(self)  # Esc clears the search, then leaves it
        self.tag_combo = narrow_combo(QComboBox(self))
        self.tag_combo.setObjectName("library_tag_filter")
        self.tag_combo.setToolTip("Only articles with this tag (on the article or a claim)")
        self.tag_combo.currentIndexChanged.connect(self.refresh)
        self.state_combo = narrow_combo(QComboBox(self))
        self.state_combo.setObjectName("library_state_filter")
        self.state_combo.setToolTip("Only articles at this stage of checking")
        self.state_combo.addItem("Any progress", None)
        for key, label in LIBRARY_STATES.items():
            self.state_combo.addItem(label, key)
        self.state_combo.currentIndexChanged.connect(self.refresh)
        self.show_archived = QCheckBox("Show archived articles", self)
        self.show_archived.setObjectName("show_archived")
        self.show_archived.toggled.connect(self.refresh)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.search)
        filters = QHBoxLayout()
        filters.addWidget(self.tag_combo, 1)
        filters.addWidget(self.state_combo, 1)
        layout.addLayout(filters)
        layout.addWidget(self.view)
        layout.addWidget(self.show_archived)
        workspace.library_changed.connect(self.refresh)
        workspace.article_opened.connect(self._on_workspace_article_opened)

    def focus_search(self) -> None:
        self.search.setFocus(Qt.FocusReason.ShortcutFocusReason)
        self.search.selectAll()

    def refresh(self) -> None:
        """Re-read the library, keeping the open article selected."""
        archived = self.show_archived.isChecked()
        self._refreshing = True
        try:
            self._refresh_tags()
            tag, state = self.tag_combo.currentData(), self.state_combo.currentData()
            articles = self.workspace.store.articles(
                search=self.search.text(),
                archived=archived,
                tag=str(tag) if tag else None,
                state=str(state) if state else None,
                priorities=self.workspace.priorities,
            )
            self.model.set_items(articles)
            self._select_open_article()
        finally:
            self._refreshing = False

    def _refresh_tags(self) -> None:
        current = self.tag_combo.currentData()
        self.tag_combo.blockSignals(True)
        self.tag_combo.clear()
        self.tag_combo.addItem("All tags", None)
        for tag in self.workspace.store.tags():
            self.tag_combo.addItem(tag, tag)
        self.tag_combo.setCurrentIndex(max(0, self.tag_combo.findData(current)) if current else 0)
        self.tag_combo.blockSignals(False)

    def _open_first_match(self) -> None:
        self._search_timer.stop()
        self.refresh()
        if self.model.rowCount():
            self._on_view_activated(self.model.index(0, 0))

    def _on_view_activated(self, index: QModelIndex) -> None:
        if self._refreshing:
            return  # the list follows the open article, not the other way round
        item = index.data(ItemRole)
        article = self.workspace.article
        if isinstance(item, ArticleSummary) and (article is None or article.id != item.id):
            self.workspace.open_article(item.id)
            self.workspace.select_first_to_check()

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

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        """Delete in the list asks to delete the highlighted article (the window's Delete,
        which removes a claim, does not fire here); Esc in the search clears it, and in
        an empty search goes back to the list."""
        if (
            watched is self.search
            and isinstance(event, QKeyEvent)
            and event.key() == Qt.Key.Key_Escape
            and event.type() in (QEvent.Type.ShortcutOverride, QEvent.Type.KeyPress)
        ):
            if event.type() == QEvent.Type.KeyPress:
                if self.search.text():
                    self.search.clear()
                else:
                    self.view.setFocus(Qt.FocusReason.ShortcutFocusReason)
            event.accept()
            return True
        delete = (
            watched is self.view
            and isinstance(event, QKeyEvent)
            and event.key() == Qt.Key.Key_Delete
            and not event.modifiers()
        )
        if delete and event.type() == QEvent.Type.ShortcutOverride:
            event.accept()
            return True
        if delete and event.type() == QEvent.Type.KeyPress:
            self._request_delete()
            return True
        return super().eventFilter(watched, event)

    def _highlighted(self) -> ArticleSummary | None:
        item = self.view.currentIndex().data(ItemRole)
        return item if isinstance(item, ArticleSummary) else None

    def _request_delete(self) -> None:
        item = self._highlighted()
        if item is not None:
            self.delete_requested.emit(item.id, item.title)

    def _show_menu(self, position: QPoint) -> None:
        item = self.view.indexAt(position).data(ItemRole)
        if not isinstance(item, ArticleSummary):
            return
        menu = QMenu(self)
        archived = item.archived_at is not None
        menu.addAction(
            "Return to the library" if archived else "Archive",
            lambda: self.workspace.archive_article(item.id, not archived),
        )
        menu.addAction("Delete…", lambda: self.delete_requested.emit(item.id, item.title))
        menu.exec(self.view.viewport().mapToGlobal(position))
