"""Getting articles in: files, pasted text and the sample, analysed off the UI thread.

The work runs on a one-thread executor (in order: the last file opened is the one
shown); results come back through this object's own signals, which Qt queues to
the UI thread. A PySide6 ``QRunnable`` with signals on a separate ``QObject`` was
tried first and crashed intermittently when a runnable was deleted while its queued
signals were still being delivered; plain Python threads have no such lifetime.

The readers and the language pipeline are imported on that thread, with the first
article or the warm-up, so that the window does not wait for them.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from PySide6.QtCore import QObject, Qt, Signal

from workbench.errors import WorkbenchError
from workbench.models import ArticleDraft
from workbench.samples import sample_article
from workbench.store import Store

log = logging.getLogger("ui.opener")


def _store_draft(db_path: Path, make_draft: Callable[[], ArticleDraft]) -> int:
    """Read, detect and store one article on this thread's own connection."""
    from workbench.analysis import analyze_article
    from workbench.nlp import load_pipeline

    draft = make_draft()
    with Store(db_path) as store:
        return analyze_article(store, draft, nlp=load_pipeline()).article.id


def _read_path(path: str) -> ArticleDraft:
    from workbench.ingest import read_path

    return read_path(path)


def _read_text(text: str, *, origin: str) -> ArticleDraft:
    from workbench.ingest import read_text

    return read_text(text, origin=origin)


class ArticleOpener(QObject):
    """Runs analyses one after another; only the latest request's article is shown."""

    started = Signal(str)  # a description: "Analysing report.pdf (2 of 3)"
    article_ready = Signal(int)  # the stored article to show
    failed = Signal(str, str)  # what, why
    busy_changed = Signal(bool)
    model_problem = Signal(str)  # the check-worthiness model did not load: why
    _returned = Signal(int, int)  # generation, article id
    _model_problem = Signal(str)
    _errored = Signal(str, str)
    _finished = Signal()

    def __init__(self, db_path: Path, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.db_path = db_path
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="analysis")
        self._generation = 0
        self._running = 0
        queued = Qt.ConnectionType.QueuedConnection
        self._returned.connect(self._on_returned, queued)
        self._errored.connect(self.failed, queued)
        self._finished.connect(self._on_finished, queued)
        self._model_problem.connect(self.model_problem, queued)

    @property
    def busy(self) -> bool:
        return self._running > 0

    def warm_up(self) -> None:
        """Load the language pipeline in the background so the first analysis is quick.

        If the check-worthiness model was wanted but could not load, :attr:`model_problem`
        says why, once: the detector goes on with its rules.
        """

        def work() -> None:
            from workbench.nlp import claim_detector, load_pipeline

            problem = claim_detector(load_pipeline()).model_problem
            if problem:
                self._model_problem.emit(problem)

        self._submit(work, "Loading the language model")

    def open_files(self, paths: Sequence[str]) -> None:
        total = len(paths)
        for n, path in enumerate(paths, 1):
            name = Path(path).name
            label = name + (f" ({n} of {total})" if total > 1 else "")
            self._analyse(functools.partial(_read_path, path), f"Analysing {label}", name)

    def open_text(self, text: str, *, origin: str = "<clipboard>") -> None:
        self._analyse(
            functools.partial(_read_text, text, origin=origin),
            "Analysing the pasted article",
            "the text",
        )

    def open_sample(self) -> None:
        self._analyse(sample_article, "Opening the sample article", "the sample")

    def shutdown(self) -> None:
        """Wait for the analysis under way (its article is stored either way)."""
        self._executor.shutdown(wait=True, cancel_futures=True)

    def _analyse(self, make_draft: Callable[[], ArticleDraft], description: str, what: str) -> None:
        self._generation += 1
        generation = self._generation

        def work() -> int:
            return _store_draft(self.db_path, make_draft)

        self._submit(work, description, what=what, generation=generation)

    def _submit(
        self,
        fn: Callable[[], int | None],
        description: str,
        *,
        what: str = "",
        generation: int = 0,
    ) -> None:
        self._running += 1
        if self._running == 1:
            self.busy_changed.emit(True)
        self.started.emit(description)
        self._executor.submit(self._run, fn, what or description, generation)

    def _run(self, fn: Callable[[], int | None], what: str, generation: int) -> None:
        """On the analysis thread: never let an exception vanish."""
        try:
            result = fn()
        except WorkbenchError as exc:
            self._errored.emit(what, str(exc))
        except Exception as exc:
            log.exception("analysis of %s failed", what)
            self._errored.emit(what, f"unexpected error: {exc!r}")
        else:
            if result is not None:
                self._returned.emit(generation, result)
        finally:
            self._finished.emit()

    def _on_returned(self, generation: int, article_id: int) -> None:
        if generation == self._generation:  # a newer request supersedes this one
            self.article_ready.emit(article_id)

    def _on_finished(self) -> None:
        self._running -= 1
        if self._running == 0:
            self.busy_changed.emit(False)
