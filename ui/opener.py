"""Getting articles in: files, pasted text and the sample, analysed on worker threads."""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from pathlib import Path

from PySide6.QtCore import QObject, QThreadPool, Signal

from ui.workers import Worker
from workbench.analysis import analyze_article
from workbench.ingest import read_path, read_text
from workbench.models import ArticleDraft
from workbench.nlp import load_pipeline
from workbench.samples import sample_article
from workbench.store import Store

log = logging.getLogger("ui.opener")


def _store_draft(db_path: Path, make_draft: Callable[[], ArticleDraft]) -> int:
    """Worker body: read, detect and store one article on this thread's own connection."""
    draft = make_draft()
    with Store(db_path) as store:
        return analyze_article(store, draft, nlp=load_pipeline()).article.id


class ArticleOpener(QObject):
    """Runs analyses one after another; only the latest request's article is shown."""

    started = Signal(str)  # a description: "Analysing report.pdf (2 of 3)"
    article_ready = Signal(int)  # the stored article to show
    failed = Signal(str, str)  # what, why
    busy_changed = Signal(bool)

    def __init__(self, db_path: Path, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.db_path = db_path
        self.pool = QThreadPool(self)
        self.pool.setMaxThreadCount(1)  # in order: the last file opened is the one shown
        self._generation = 0
        self._running = 0

    @property
    def busy(self) -> bool:
        return self._running > 0

    def warm_up(self) -> None:
        """Load the language pipeline in the background so the first analysis is quick."""
        self._start(Worker(load_pipeline), "Loading the language model", show=False)

    def open_files(self, paths: Sequence[str]) -> None:
        self._generation += 1
        total = len(paths)
        for n, path in enumerate(paths, 1):
            label = Path(path).name + (f" ({n} of {total})" if total > 1 else "")
            worker = Worker(_store_draft, self.db_path, lambda p=path: read_path(p))
            self._start(worker, f"Analysing {label}", show=n == total, what=Path(path).name)

    def open_text(self, text: str, *, origin: str = "<clipboard>") -> None:
        self._generation += 1
        worker = Worker(_store_draft, self.db_path, lambda: read_text(text, origin=origin))
        self._start(worker, "Analysing the pasted article", what="The pasted text")

    def open_sample(self) -> None:
        self._generation += 1
        self._start(Worker(_store_draft, self.db_path, sample_article), "Opening the sample")

    def _start(
        self, worker: Worker, description: str, *, show: bool = True, what: str = ""
    ) -> None:
        generation = self._generation
        worker.signals.started.connect(lambda: self.started.emit(description))
        if show:
            worker.signals.returned.connect(
                lambda article_id: self._on_returned(generation, article_id)
            )
        worker.signals.errored.connect(lambda exc: self.failed.emit(what or description, str(exc)))
        worker.signals.finished.connect(self._on_finished)
        self._running += 1
        if self._running == 1:
            self.busy_changed.emit(True)
        self.pool.start(worker)

    def _on_returned(self, generation: int, article_id: int) -> None:
        if generation == self._generation:  # a newer request supersedes this one
            self.article_ready.emit(article_id)

    def _on_finished(self) -> None:
        self._running -= 1
        if self._running == 0:
            self.busy_changed.emit(False)
