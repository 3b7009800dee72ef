"""The main window: composes the article view and the claim list, and runs analysis."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from pathlib import Path

from PySide6.QtCore import Qt, QThreadPool
from PySide6.QtWidgets import (
    QListWidget,
    QListWidgetItem,
    QMainWindow,
    QMessageBox,
    QProgressBar,
    QSplitter,
    QWidget,
)

from ui.article_view import ArticleView
from ui.workers import Worker
from workbench.analysis import analyze_article
from workbench.errors import WorkbenchError
from workbench.ingest import read_path
from workbench.models import Status
from workbench.store import Store

log = logging.getLogger("ui.main_window")


def _analyze_file(db_path: Path, path: str) -> int:
    """Worker body: read, detect and store one article on this thread's own connection."""
    draft = read_path(path)
    with Store(db_path) as store:
        return analyze_article(store, draft).article.id


class MainWindow(QMainWindow):
    def __init__(self, store: Store, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.store = store
        self.pool = QThreadPool(self)
        self.setWindowTitle("Fact-Checking Workbench")
        self.resize(1200, 800)
        self.article_view = ArticleView(self)
        self.claim_list = QListWidget(self)
        self.claim_list.setObjectName("claim_list")
        self.claim_list.setWordWrap(True)
        splitter = QSplitter(Qt.Orientation.Horizontal, self)
        splitter.addWidget(self.article_view)
        splitter.addWidget(self.claim_list)
        splitter.setSizes([760, 440])
        self.setCentralWidget(splitter)
        self.progress = QProgressBar(self)
        self.progress.setRange(0, 0)
        self.progress.setMaximumWidth(160)
        self.progress.hide()
        self.statusBar().addPermanentWidget(self.progress)
        self.article_id: int | None = None
        self.article_view.claim_clicked.connect(self._on_article_view_claim_clicked)
        self.claim_list.currentItemChanged.connect(self._on_claim_list_current_changed)

    def open_files(self, paths: Sequence[str]) -> None:
        for path in paths:
            worker = Worker(_analyze_file, self.store.path, path)
            worker.signals.started.connect(lambda p=path: self._on_analysis_started(p))
            worker.signals.returned.connect(self.show_article)
            worker.signals.errored.connect(self._on_worker_errored)
            worker.signals.finished.connect(self.progress.hide)
            self.pool.start(worker)

    def show_article(self, article_id: int) -> None:
        article = self.store.article(article_id)
        claims = self.store.claims(article_id)
        self.article_id = article_id
        self.article_view.set_article(article, claims)
        self.claim_list.clear()
        for claim in claims:
            item = QListWidgetItem(f"{claim.score:.2f}  {claim.text}")
            item.setData(Qt.ItemDataRole.UserRole, claim.id)
            self.claim_list.addItem(item)
        checked = sum(c.status is not Status.UNCHECKED for c in claims)
        self.setWindowTitle(f"{article.title or 'Untitled'} — Fact-Checking Workbench")
        self.statusBar().showMessage(f"{len(claims)} claims · {checked} checked")

    def _on_analysis_started(self, path: str) -> None:
        self.progress.show()
        self.statusBar().showMessage(f"Analysing {Path(path).name} …")

    def _on_worker_errored(self, exc: Exception) -> None:
        message = str(exc) if isinstance(exc, WorkbenchError) else f"Unexpected error: {exc!r}"
        self.statusBar().clearMessage()
        QMessageBox.warning(self, "Could not open the article", message)

    def _on_article_view_claim_clicked(self, claim_id: int) -> None:
        for row in range(self.claim_list.count()):
            item = self.claim_list.item(row)
            if item.data(Qt.ItemDataRole.UserRole) == claim_id:
                self.claim_list.setCurrentItem(item)

    def _on_claim_list_current_changed(self, current: QListWidgetItem | None) -> None:
        if current is not None:
            self.article_view.select_claim(current.data(Qt.ItemDataRole.UserRole))
