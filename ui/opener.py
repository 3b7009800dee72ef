"""Getting articles in: files, pasted text and the sample, analysed off the UI thread.

The work runs as jobs of one :class:`~ui.jobs.JobRunner`, in order: every file opened
is analysed and stored, the last one is shown.

The readers and the language pipeline are imported on that thread, with the first
article or the warm-up, so that the window does not wait for them. The pipeline is the
engine's, loaded once.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable, Sequence
from pathlib import Path

from PySide6.QtCore import QObject, Signal

from ui.jobs import JobContext, JobRunner
from workbench.engine import Engine
from workbench.errors import WorkbenchError
from workbench.models import ArticleDraft
from workbench.samples import sample_article
from workbench.store import Store

log = logging.getLogger("ui.opener")


def _store_draft(
    db_path: Path,
    make_draft: Callable[[], ArticleDraft],
    engine: Engine,
    read: Callable[[ArticleDraft], None] | None = None,
) -> tuple[int, tuple[str, ...]]:
    """Read, detect and store one article on this thread's own connection; ``read`` is
    given the article as soon as it is read, before its claims are looked for.

    Returns its id and the reader's warnings (e.g. far less text kept than the page had).
    """
    from workbench.analysis import analyze_article

    draft = make_draft()
    if read is not None:
        read(draft)
    with Store(db_path, check=False) as store:
        return analyze_article(store, draft, engine=engine).article.id, draft.warnings


def _read_path(path: str) -> ArticleDraft:
    from workbench.ingest import read_path

    return read_path(path)


def _read_text(text: str, *, origin: str) -> ArticleDraft:
    from workbench.ingest import read_text

    return read_text(text, origin=origin)


class ArticleOpener(QObject):
    """Runs analyses one after another; only the latest request's article is shown."""

    started = Signal(str)  # a description: "Analysing report.pdf (2 of 3)"
    text_ready = Signal(str, str)  # the latest article's title and text, read; claims to come
    article_ready = Signal(int)  # the stored article to show
    latest_failed = Signal()  # the latest request failed (after its text_ready, or before)
    failed = Signal(str, str)  # what, why
    warned = Signal(str, str)  # what, the reader's warnings (one a line): stored, but check it
    busy_changed = Signal(bool)
    model_problem = Signal(str)  # the check-worthiness model did not load: why
    warmed_up = Signal()  # the language pipeline is loaded

    def __init__(
        self, db_path: Path, parent: QObject | None = None, *, engine: Engine | None = None
    ) -> None:
        super().__init__(parent)
        self.db_path = db_path
        self.engine = engine or Engine.default()
        self.runner = JobRunner("analysis", self)
        self.runner.busy_changed.connect(self.busy_changed)

    @property
    def busy(self) -> bool:
        return self.runner.busy

    def warm_up(self) -> None:
        """Load the language pipeline in the background so the first analysis is quick,
        and compare the fact-checker's corrections ahead of it (with a few thousand of
        them, seconds of the sentence encoder).

        If the check-worthiness model was wanted but could not load, :attr:`model_problem`
        says why, once: the detector goes on with its rules.
        """

        def work(context: JobContext) -> str | None:
            from workbench.nlp import claim_detector

            problem = claim_detector(self.engine.pipeline()).model_problem
            try:
                self._prepare_corrections()
            except WorkbenchError as error:
                # Only a head start: the analysis reads the corrections again and says
                # what stops it. This is no problem of the language model's.
                log.info("the corrections were not compared ahead: %s", error)
            return problem

        if not self.runner.busy:  # else an analysis loads it first, and says so
            self.started.emit("Loading the language model")
        self.runner.submit(
            work,
            group="warm-up",
            done=self._on_warmed_up,
            failed=lambda message: self.failed.emit("the language model", message),
        )

    def _prepare_corrections(self) -> None:
        """Embed the fact-checker's corrections for the first analysis (on the worker)."""
        feedback = self.engine.feedback()
        with Store(self.db_path, check=False) as store:
            corrections = feedback.update(store.feedback(), store.chosen_priorities())
        if corrections:
            feedback.prepare()

    def _on_warmed_up(self, problem: str | None) -> None:
        if problem:
            self.model_problem.emit(problem)
        self.warmed_up.emit()

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
        """Return at once: an analysis under way is dropped (nothing of it is stored)."""
        self.runner.shutdown()

    def _analyse(self, make_draft: Callable[[], ArticleDraft], description: str, what: str) -> None:
        def work(context: JobContext) -> tuple[int, tuple[str, ...]]:
            return _store_draft(self.db_path, make_draft, self.engine, read=context.partial)

        def read(draft: ArticleDraft) -> None:  # the latest request's only (latest_only)
            self.text_ready.emit(draft.title, draft.text)

        def done(result: tuple[int, tuple[str, ...]]) -> None:
            article_id, warnings = result
            self.article_ready.emit(article_id)
            if warnings:
                self.warned.emit(what, "\n".join(warnings))

        def failed(message: str) -> None:
            if self.runner.is_latest(job):
                self.latest_failed.emit()
            self.failed.emit(what, message)

        self.started.emit(description)
        job = self.runner.submit(
            work,
            group="open",
            latest_only=True,  # a newer request supersedes this one's display
            done=done,
            failed=failed,
            partial=read,
        )
