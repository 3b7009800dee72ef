"""Background work on the archive of past checks: matching, importing, embedding.

Like the opener, each runs on a one-thread executor with its own database connection
and reports through signals of a UI-thread object. Starting a new matching run cancels
the previous one, whose result is dropped.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from PySide6.QtCore import QObject, Qt, Signal

from workbench.archive import import_archive
from workbench.errors import WorkbenchError
from workbench.matching import POSSIBLE_MATCH, match_claims
from workbench.models import Claim, Match
from workbench.semantic import embed_archive, semantic_status
from workbench.store import Store

log = logging.getLogger("ui.archive_work")

TOP_MATCHES = 5

_Progress = Callable[[int, int], None]
_Work = Callable[[Store, _Progress, Callable[[], bool]], object]
"""A run: given its connection, a progress callback and a cancel check, returns its report."""


class ClaimMatcher(QObject):
    """Matches every claim of the open article against the archive, off the UI thread."""

    matches_ready = Signal(int, object)  # article id, {claim id: [Match, ...]}
    busy_changed = Signal(bool)
    mode_changed = Signal(str)  # "" when matching is semantic, else why it is (partly) lexical
    _done = Signal(int, int, object)  # generation, article id, result

    def __init__(self, db_path: Path, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.db_path = db_path
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="matching")
        self._generation = 0
        self._cancel = threading.Event()
        self._done.connect(self._on_done, Qt.ConnectionType.QueuedConnection)
        self.mode = ""
        """Empty when the last run was fully semantic; else a sentence saying why not."""
        self._closed = False

    def match(
        self,
        article_id: int,
        claims: Sequence[Claim],
        *,
        source: str | None = None,
        prefer_recent: bool = False,
    ) -> None:
        """Match ``claims``; a run already under way is cancelled and its result dropped."""
        if self._closed:
            return
        self._cancel.set()
        self._cancel = cancel = threading.Event()
        self._generation += 1
        generation = self._generation
        texts = [c.text for c in claims]
        ids = [c.id for c in claims]
        self.busy_changed.emit(True)
        self._executor.submit(
            self._run, generation, article_id, ids, texts, cancel, source, prefer_recent
        )

    def shutdown(self) -> None:
        self._closed = True
        self._cancel.set()
        self._executor.shutdown(wait=True, cancel_futures=True)

    def _run(
        self,
        generation: int,
        article_id: int,
        ids: list[int],
        texts: list[str],
        cancel: threading.Event,
        source: str | None,
        prefer_recent: bool,
    ) -> None:
        result: dict[int, list[Match]] = {}
        mode = ""
        try:
            with Store(self.db_path) as store:
                status = semantic_status(store)
                if status.total and not status.complete:
                    mode = status.message
                found = match_claims(
                    store,
                    texts,
                    top_k=TOP_MATCHES,
                    min_score=POSSIBLE_MATCH,
                    exclude_claims=ids,
                    source=source,
                    prefer_recent=prefer_recent,
                    cancel=cancel.is_set,
                )
            result = {claim_id: matches for claim_id, matches in zip(ids, found, strict=True)}
        except WorkbenchError as exc:
            log.warning("matching failed: %s", exc)
        except Exception:
            log.exception("matching failed")
        self._done.emit(generation, article_id, None if cancel.is_set() else (result, mode))

    def _on_done(self, generation: int, article_id: int, result: object) -> None:
        if generation != self._generation:
            return
        self.busy_changed.emit(False)
        if isinstance(result, tuple):
            matches, mode = result
            if mode != self.mode:
                self.mode = mode
                self.mode_changed.emit(mode)
            self.matches_ready.emit(article_id, matches)


class _ArchiveJob(QObject):
    """Work on the archive in the background, one run at a time, with progress.

    A run gets its own database connection on a one-thread executor; its progress,
    result or one-line problem come back through queued signals. Cancelling is checked
    between batches; after :meth:`shutdown` nothing more is reported.
    """

    progressed = Signal(int, int)  # done, total
    finished = Signal(object)  # the run's report
    failed = Signal(str)
    _progress = Signal(int, int)
    _finished = Signal(object)
    _failed = Signal(str)

    def __init__(self, db_path: Path, name: str, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.db_path = db_path
        self.name = name
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix=name)
        self._cancel = threading.Event()
        self._closed = False
        self.running = False
        queued = Qt.ConnectionType.QueuedConnection
        self._progress.connect(self.progressed, queued)
        self._finished.connect(self._on_finished, queued)
        self._failed.connect(self._on_failed, queued)

    def cancel(self) -> None:
        self._cancel.set()

    def shutdown(self) -> None:
        """Stop after the batch under way; nothing is reported after this."""
        self._closed = True
        self._cancel.set()
        self._executor.shutdown(wait=True, cancel_futures=True)

    def _submit(self, work: _Work) -> None:
        self.running = True
        self._cancel = cancel = threading.Event()
        self._executor.submit(self._run, work, cancel)

    def _run(
        self,
        work: Callable[[Store, _Progress, Callable[[], bool]], object],
        cancel: threading.Event,
    ) -> None:
        try:
            with Store(self.db_path) as store:
                result = work(store, self._progress.emit, cancel.is_set)
        except WorkbenchError as exc:  # a cancel included: it says what was kept
            self._failed.emit(str(exc))
        except Exception as exc:
            log.exception("%s failed", self.name)
            self._failed.emit(f"unexpected error: {exc!r}")
        else:
            self._finished.emit(result)

    def _on_finished(self, report: object) -> None:
        self.running = False
        if not self._closed:
            self.finished.emit(report)

    def _on_failed(self, message: str) -> None:
        self.running = False
        if not self._closed:
            self.failed.emit(message)


class ArchiveImporter(_ArchiveJob):
    """Imports an archive file with progress; cancelling stores nothing."""

    def __init__(self, db_path: Path, parent: QObject | None = None) -> None:
        super().__init__(db_path, "archive-import", parent)

    def start(self, path: str) -> None:
        self._submit(
            lambda store, progress, cancel: import_archive(
                store, path, progress=progress, cancel=cancel
            )
        )


class ArchiveEmbedder(_ArchiveJob):
    """Computes the archive's missing embeddings in the background, batch by batch.

    Each batch is its own transaction, so stopping (or quitting) keeps what is done;
    :meth:`start` picks up where the last run stopped. The encoder runs on one thread,
    leaving the other core to the UI.
    """

    def __init__(self, db_path: Path, parent: QObject | None = None) -> None:
        super().__init__(db_path, "embedding", parent)

    def start(self) -> None:
        """Embed what is missing; does nothing if a run is already under way."""
        if not self.running:
            self._submit(
                lambda store, progress, cancel: embed_archive(
                    store, progress=progress, cancel=cancel
                )
            )
