"""Background work on the archive of past checks: matching, importing, embedding.

Each is a :class:`~ui.jobs.JobRunner` job on its own connection. Matching an article
goes a slice of claims at a time, the claim in view first, and shows each slice's
matches as they arrive; opening another article (or editing the claims) supersedes it.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Sequence
from pathlib import Path

from PySide6.QtCore import QObject, Signal

from ui.jobs import JobContext, JobRunner
from workbench.engine import Engine
from workbench.models import Claim, Match
from workbench.store import Store
from workbench.store.batches import WaitingEdits

log = logging.getLogger("ui.archive_work")

TOP_MATCHES = 5

FIRST_SLICE = 4
"""Claims matched before the first results are shown: the selected claim and its neighbours."""
SLICE = 24
"""Claims matched together after that. Each slice is a bounded piece of work (its
candidates, and with embeddings a slice x archive similarity block: 96 MB at a million
past checks), so memory does not grow with the article and a cancel is seen within one."""

_Progress = Callable[[int, int], None]
_Work = Callable[[Store, _Progress, Callable[[], bool]], object]
"""A run: given its connection, a progress callback and a cancel check, returns its report."""


def slices(ids: Sequence[int]) -> list[list[int]]:
    """``ids`` cut into a small first slice, then slices of :data:`SLICE`."""
    cut = [list(ids[:FIRST_SLICE])]
    cut += [list(ids[i : i + SLICE]) for i in range(FIRST_SLICE, len(ids), SLICE)]
    return [piece for piece in cut if piece]


class ClaimMatcher(QObject):
    """Matches every claim of the open article against the archive, off the UI thread.

    ``matches_ready`` fires once per slice with that slice's matches (claims with none
    included, as empty lists); ``progressed`` counts claims done.
    """

    matches_ready = Signal(int, object)  # article id, {claim id: [Match, ...]} for a slice
    progressed = Signal(int, int)  # claims matched, claims to match
    busy_changed = Signal(bool)
    mode_changed = Signal(str)  # "" when matching is semantic, else why it is (partly) lexical

    def __init__(
        self, db_path: Path, parent: QObject | None = None, *, engine: Engine | None = None
    ) -> None:
        super().__init__(parent)
        self.db_path = db_path
        self.engine = engine or Engine.default()
        self.runner = JobRunner("matching", self)
        self.runner.busy_changed.connect(self.busy_changed)
        self.mode = ""
        """Empty when the last run was fully semantic; else a sentence saying why not."""

    @property
    def busy(self) -> bool:
        return self.runner.busy

    def match(
        self,
        article_id: int,
        claims: Sequence[Claim],
        *,
        first: int | None = None,
        source: str | None = None,
        prefer_recent: bool = False,
    ) -> None:
        """Match ``claims`` (``first``, a claim id, before the rest, then reading order).

        A run already under way is cancelled and whatever it had not shown is dropped.
        """
        texts = {c.id: c.text for c in claims}
        order = [c.id for c in claims]
        if first in texts:
            order.remove(first)
            order.insert(0, first)
        if not order:
            self.runner.cancel_group("match")
            return

        def work(context: JobContext) -> None:
            self._run(context, article_id, order, texts, source, prefer_recent)

        self.runner.submit(
            work,
            group="match",
            supersede=True,
            partial=lambda part: self._on_partial(article_id, part),
            progress=self.progressed.emit,
            failed=lambda message: log.warning("matching failed: %s", message),
        )

    def cancel(self) -> None:
        self.runner.cancel_group("match")

    def _on_partial(self, article_id: int, part: str | dict[int, list[Match]]) -> None:
        if isinstance(part, str):  # how this run matches: semantic, or why not
            if part != self.mode:
                self.mode = part
                self.mode_changed.emit(part)
        else:
            self.matches_ready.emit(article_id, part)

    def shutdown(self) -> None:
        self.runner.shutdown()

    def _run(
        self,
        context: JobContext,
        article_id: int,
        order: list[int],
        texts: dict[int, str],
        source: str | None,
        prefer_recent: bool,
    ) -> None:
        from workbench.matching import POSSIBLE_MATCH, match_slices

        with Store(self.db_path, check=False) as store:
            status = self.engine.semantic_status(store)
            mode = status.message if status.total and not status.complete else ""
            context.partial(mode)
            done = 0
            context.progress(0, len(order))
            pieces = slices(order)
            # Each slice's claims are embedded while the one before is scored (see
            # match_slices); leaving the loop early stops that.
            found_each = match_slices(
                store,
                [[texts[claim_id] for claim_id in piece] for piece in pieces],
                top_k=TOP_MATCHES,
                min_score=POSSIBLE_MATCH,
                exclude_claims=order,
                source=source,
                prefer_recent=prefer_recent,
                cancel=context.cancelled,
                engine=self.engine,
            )
            try:
                for piece in pieces:
                    if context.cancelled():
                        return
                    found = next(found_each)
                    if context.cancelled():
                        return
                    context.partial(dict(zip(piece, found, strict=True)))
                    done += len(piece)
                    context.progress(done, len(order))
            finally:
                found_each.close()


class _ArchiveJob(QObject):
    """Work on the archive in the background, one run at a time, with progress.

    A run gets its own database connection; its progress, result or one-line problem
    come back as signals. Cancelling is checked between batches; after
    :meth:`shutdown` nothing more is reported.
    """

    progressed = Signal(int, int)  # done, total
    finished = Signal(object)  # the run's report
    failed = Signal(str)

    def __init__(
        self,
        db_path: Path,
        name: str,
        parent: QObject | None = None,
        *,
        edits: WaitingEdits | None = None,
    ) -> None:
        """``edits``: the app's writer's, so that the run's batches give way to them."""
        super().__init__(parent)
        self.db_path = db_path
        self.name = name
        self.edits = edits
        self.runner = JobRunner(name, self)
        self._stop = threading.Event()

    @property
    def running(self) -> bool:
        return self.runner.busy

    def cancel(self) -> None:
        """Stop after the batch under way; the run still reports what it kept."""
        self._stop.set()

    def shutdown(self) -> None:
        """Stop after the batch under way; nothing is reported after this."""
        self.runner.shutdown()

    def _submit(self, work: _Work) -> None:
        self._stop = stop = threading.Event()

        def run(context: JobContext) -> object:
            with Store(self.db_path, check=False, gives_way_to=self.edits) as store:
                return work(store, context.progress, lambda: stop.is_set() or context.cancelled())

        self.runner.submit(
            run,
            group=self.name,
            done=self.finished.emit,
            failed=self.failed.emit,
            progress=self.progressed.emit,
        )


class ArchiveImporter(_ArchiveJob):
    """Imports an archive file with progress, batch by batch; cancelling keeps the batches
    stored and the report says how many records were not reached."""

    def __init__(
        self, db_path: Path, parent: QObject | None = None, *, edits: WaitingEdits | None = None
    ) -> None:
        super().__init__(db_path, "archive-import", parent, edits=edits)

    def start(self, path: str, *, source: str | None = None) -> None:
        """Import ``path`` into collection ``source`` (default: the file's name)."""

        def work(store: Store, progress: _Progress, cancel: Callable[[], bool]) -> object:
            from workbench.archive import import_archive

            return import_archive(
                store, path, source=source, progress=progress, cancel=cancel, pipes=False
            )

        self._submit(work)


class ArchiveEmbedder(_ArchiveJob):
    """Computes the archive's missing embeddings in the background, batch by batch.

    Each batch is its own transaction, so stopping (or quitting) keeps what is done;
    :meth:`start` picks up where the last run stopped. The encoder runs on one thread,
    leaving the other core to the UI.
    """

    def __init__(
        self,
        db_path: Path,
        parent: QObject | None = None,
        *,
        engine: Engine | None = None,
        edits: WaitingEdits | None = None,
    ) -> None:
        super().__init__(db_path, "embedding", parent, edits=edits)
        self.engine = engine or Engine.default()

    def start(self) -> None:
        """Embed what is missing; does nothing if a run is already under way."""
        if not self.running:
            self._submit(self._embed)

    def _embed(self, store: Store, progress: _Progress, cancel: Callable[[], bool]) -> object:
        from workbench.nlp.encoder import ModelLoadError
        from workbench.semantic import embed_archive

        encoder = self.engine.encoder()
        if encoder is None:
            raise ModelLoadError(self.engine.encoder_status().message)
        return embed_archive(store, encoder, progress=progress, cancel=cancel)
