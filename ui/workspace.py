"""The open article and its claims: what every panel shows, and every edit, with undo.

Panels never write to the database themselves. They ask the workspace, which turns
each edit into an undoable command whose work runs on the single writer thread; the
panels hear about the result only once it is committed (``claim_updated``,
``claims_changed``), so what the window shows is what is saved.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, Signal
from PySide6.QtGui import QUndoCommand, QUndoStack

from ui.archive_work import ClaimMatcher
from ui.store_writer import StoreWriter
from workbench.analysis import sentence_bounds
from workbench.errors import WorkbenchError
from workbench.models import Article, Claim, Evidence, Match, MatchStrength, Status
from workbench.priority import PriorityThresholds, next_unchecked
from workbench.store import Store

log = logging.getLogger("ui.workspace")

NOTE_MERGE_ID = 1001
LAST_ARTICLE_KEY = "ui.last_article"
LAST_CLAIM_KEY = "ui.last_claim"


class Workspace(QObject):
    article_opened = Signal(object)  # Article | None
    claim_selected = Signal(object)  # claim id | None
    claims_changed = Signal()  # claims added, removed or moved
    claim_updated = Signal(object)  # one Claim whose verdict, note or evidence changed
    library_changed = Signal()
    matches_changed = Signal()  # past checks found for the open article's claims
    error_occurred = Signal(str)

    def __init__(self, store: Store, writer: StoreWriter, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.store = store
        self.writer = writer
        self.undo_stack = QUndoStack(self)
        self.article: Article | None = None
        self.claims: list[Claim] = []
        self.selected_claim_id: int | None = None
        self.matches: dict[int, list[Match]] = {}
        self.match_source: str | None = None  # only past checks from this collection
        self.match_prefer_recent = False
        self.matcher = ClaimMatcher(store.path, self)
        self.matcher.matches_ready.connect(self._on_matcher_matches_ready)
        self.priorities = PriorityThresholds()
        """Where high, medium and low priority begin (settings ``priority.*``)."""
        self.unsaved_notes: dict[int, str] = {}
        """Notes whose save failed (a full disk, a lock), by claim, until one is saved."""

    # -- reading -------------------------------------------------------------------

    def open_article(self, article_id: int | None) -> None:
        """Show an article (None: none). Undo history belongs to one article at a time."""
        self.undo_stack.clear()
        self.selected_claim_id = None
        self.priorities = PriorityThresholds.load(self.store)
        if article_id is None:
            self.article, self.claims = None, []
        else:
            self.article = self.store.article(article_id)
            self.claims = self.store.claims(article_id)
            self.remember(LAST_ARTICLE_KEY, str(article_id))
        self.matches = {}
        self.article_opened.emit(self.article)
        self.matches_changed.emit()
        self.rematch()

    def rematch(self) -> None:
        """Look for past checks of every claim (after opening, editing claims, importing)."""
        if self.article is not None and self.claims:
            self.matcher.match(
                self.article.id,
                self.claims,
                first=self.selected_claim_id,
                source=self.match_source,
                prefer_recent=self.match_prefer_recent,
            )

    def set_match_options(self, *, source: str | None, prefer_recent: bool) -> None:
        """Restrict matching to one archive collection and/or order newer checks first."""
        if (source, prefer_recent) != (self.match_source, self.match_prefer_recent):
            self.match_source, self.match_prefer_recent = source, prefer_recent
            self.rematch()

    def matches_for(self, claim_id: int) -> list[Match]:
        return self.matches.get(claim_id, [])

    def strong_match(self, claim_id: int) -> Match | None:
        """The best past check if it is a strong match (the claim has been checked before)."""
        best = next(iter(self.matches_for(claim_id)), None)
        return best if best is not None and best.strength is MatchStrength.STRONG else None

    def _on_matcher_matches_ready(self, article_id: int, matches: dict[int, list[Match]]) -> None:
        """A slice of the claims' matches has arrived (see :class:`ClaimMatcher`)."""
        if self.article is not None and self.article.id == article_id:
            self.matches.update(matches)
            self.matches_changed.emit()

    def select_claim(self, claim_id: int | None) -> None:
        """Make one claim the current one in every panel, and remember it."""
        if claim_id is not None and self.claim(claim_id) is None:
            claim_id = None
        if claim_id == self.selected_claim_id:
            return
        self.selected_claim_id = claim_id
        self.remember(LAST_CLAIM_KEY, "" if claim_id is None else str(claim_id))
        self.claim_selected.emit(claim_id)

    def select_next(self, step: int = 1) -> None:
        """Move the selection ``step`` claims on in reading order (J/K, arrows)."""
        if not self.claims:
            return
        ids = [c.id for c in self.claims]
        if self.selected_claim_id not in ids:
            target = 0 if step > 0 else len(ids) - 1
        else:
            target = max(0, min(len(ids) - 1, ids.index(self.selected_claim_id) + step))
        self.select_claim(ids[target])

    def select_next_unchecked(self) -> bool:
        """Select the next unchecked claim of the highest priority left (N); False if none."""
        claim = next_unchecked(self.claims, self.priorities, self.selected_claim_id)
        if claim is not None:
            self.select_claim(claim.id)
        return claim is not None

    @property
    def selected_claim(self) -> Claim | None:
        return None if self.selected_claim_id is None else self.claim(self.selected_claim_id)

    def claim(self, claim_id: int) -> Claim | None:
        return next((c for c in self.claims if c.id == claim_id), None)

    def reload(self) -> None:
        """Re-read the open article's claims from the database (after a failed write)."""
        if self.article is not None:
            self.claims = self.store.claims(self.article.id)
            self.claims_changed.emit()
            if self.selected_claim is None:
                self.select_claim(None)
        self.library_changed.emit()

    def remember(self, key: str, value: str) -> None:
        """Keep a piece of UI state (e.g. the selected claim) in the database."""
        self.writer.submit(lambda store: store.set_setting(key, value))

    # -- edits (each one undoable) -------------------------------------------------

    def set_status(self, claim_id: int, status: Status) -> None:
        claim = self.claim(claim_id)
        if claim is not None and claim.status is not status:
            self._push(
                f"Mark claim {status.value}",
                lambda s: s.update_claim(claim_id, status=status),
                lambda s: s.update_claim(claim_id, status=claim.status),
            )

    def set_note(self, claim_id: int, note: str) -> None:
        claim = self.claim(claim_id)
        if claim is not None and claim.note != note:
            self.undo_stack.push(_NoteCommand(self, claim_id, claim.note, note))

    def set_claimant(self, claim_id: int, claimant: str) -> None:
        claim = self.claim(claim_id)
        if claim is not None and claim.claimant != claimant.strip():
            self._push(
                "Change claimant",
                lambda s: s.update_claim(claim_id, claimant=claimant),
                lambda s: s.update_claim(claim_id, claimant=claim.claimant),
            )

    def add_evidence(self, claim_id: int, url: str, title: str = "", note: str = "") -> None:
        self.undo_stack.push(_AddEvidenceCommand(self, claim_id, url, title, note))

    def edit_evidence(self, item: Evidence, url: str, title: str, note: str) -> None:
        self._push(
            "Edit evidence link",
            lambda s: _claim_after(s, s.update_evidence(item.id, url=url, title=title, note=note)),
            lambda s: _claim_after(
                s, s.update_evidence(item.id, url=item.url, title=item.title, note=item.note)
            ),
        )

    def remove_evidence(self, item: Evidence) -> None:
        self._push(
            "Remove evidence link",
            lambda s: _claim_after(s, s.remove_evidence(item.id)),
            lambda s: _claim_after(s, s.restore_evidence(item)),
        )

    def add_claim(self, start: int, end: int) -> None:
        if self.article is not None:
            self.undo_stack.push(_AddClaimCommand(self, self.article.id, start, end))

    def remove_claim(self, claim_id: int) -> None:
        claim = self.claim(claim_id)
        if claim is not None:
            self._push(
                "Remove claim",
                lambda s: s.remove_claim(claim_id),
                lambda s: s.restore_claim(claim),
                structural=True,
            )

    def set_claim_span(self, claim_id: int, start: int, end: int) -> None:
        claim = self.claim(claim_id)
        if claim is not None and (claim.start, claim.end) != (start, end):
            self._push(
                "Change claim boundaries",
                lambda s: s.set_claim_span(claim_id, start, end),
                lambda s: s.set_claim_span(claim_id, claim.start, claim.end),
                structural=True,
            )

    def apply_past_verdict(self, claim_id: int, match: Match) -> None:
        """Copy a past check's verdict and link onto a claim (undoable)."""
        if self.claim(claim_id) is not None:
            self.undo_stack.push(_ApplyVerdictCommand(self, claim_id, match))

    def fit_claim_to_sentences(self, claim_id: int) -> None:
        """Extend a claim to the sentence boundaries around it (found on the writer thread)."""
        claim = self.claim(claim_id)
        if claim is None or self.article is None:
            return
        text = self.article.text

        def fit(store: Store) -> Claim:
            return store.set_claim_span(claim_id, *sentence_bounds(text, claim.start, claim.end))

        self._push(
            "Extend claim to sentences",
            fit,
            lambda s: s.set_claim_span(claim_id, claim.start, claim.end),
            structural=True,
        )

    # -- plumbing ------------------------------------------------------------------

    def _push(
        self,
        text: str,
        do: Callable[[Store], Any],
        undo: Callable[[Store], Any],
        *,
        structural: bool = False,
    ) -> None:
        self.undo_stack.push(_Command(self, text, do, undo, structural=structural))

    def write(
        self,
        fn: Callable[[Store], Any],
        *,
        structural: bool = False,
        note: tuple[int, str] | None = None,
    ) -> None:
        """Run an edit on the writer; show its committed result, or its error.

        ``note`` is (claim id, text) when the edit writes a note: if it fails, the text is
        kept in :attr:`unsaved_notes` so what was typed is not lost; the next note of that
        claim that is saved replaces it.
        """
        article_id = self.article.id if self.article else None

        def written(result: Any) -> None:
            if note is not None:
                self.unsaved_notes.pop(note[0], None)
            self._on_written(article_id, result, structural)

        def failed(exc: Exception) -> None:
            if note is not None:
                self.unsaved_notes[note[0]] = note[1]
            self._on_write_failed(exc)

        self.writer.submit(fn, written, failed)

    def _on_written(self, article_id: int | None, result: Any, structural: bool) -> None:
        if self.article is None or self.article.id != article_id:
            return  # another article was opened meanwhile; nothing shown to update
        if structural or not isinstance(result, Claim):
            self.claims = self.store.claims(article_id)
            self.claims_changed.emit()
            self.rematch()
            if isinstance(result, Claim) and self.claim(result.id) is not None:
                self.select_claim(result.id)  # a claim just added or moved
            elif self.selected_claim is None:
                self.select_claim(None)  # the selected claim was removed
        else:
            before = self.claim(result.id)
            self.claims = [result if c.id == result.id else c for c in self.claims]
            self.claim_updated.emit(result)
            if before is not None and before.status is result.status:
                return  # a note or link: the library's progress counts are unchanged
        self.library_changed.emit()

    def _on_write_failed(self, exc: Exception) -> None:
        message = str(exc) if isinstance(exc, WorkbenchError) else f"unexpected error: {exc!r}"
        log.warning("write failed: %s", message)
        self.error_occurred.emit(message)
        self.reload()


def _claim_after(store: Store, item: Evidence) -> Claim:
    return store.claim(item.claim_id)


class _Command(QUndoCommand):
    def __init__(
        self,
        workspace: Workspace,
        text: str,
        do: Callable[[Store], Any],
        undo: Callable[[Store], Any],
        *,
        structural: bool,
    ) -> None:
        super().__init__(text)
        self._workspace = workspace
        self._do = do
        self._undo = undo
        self._structural = structural

    def redo(self) -> None:
        self._workspace.write(self._do, structural=self._structural)

    def undo(self) -> None:
        self._workspace.write(self._undo, structural=self._structural)


class _NoteCommand(QUndoCommand):
    """Typing in the note editor: consecutive saves of one claim's note undo together."""

    def __init__(self, workspace: Workspace, claim_id: int, old: str, new: str) -> None:
        super().__init__("Edit note")
        self._workspace = workspace
        self.claim_id = claim_id
        self.old = old
        self.new = new

    def id(self) -> int:
        return NOTE_MERGE_ID

    def mergeWith(self, other: QUndoCommand) -> bool:
        if not isinstance(other, _NoteCommand) or other.claim_id != self.claim_id:
            return False
        self.new = other.new
        return True

    def redo(self) -> None:
        claim_id, note = self.claim_id, self.new
        self._workspace.write(lambda s: s.update_claim(claim_id, note=note), note=(claim_id, note))

    def undo(self) -> None:
        claim_id, note = self.claim_id, self.old
        self._workspace.write(lambda s: s.update_claim(claim_id, note=note))


class _AddEvidenceCommand(QUndoCommand):
    def __init__(self, workspace: Workspace, claim_id: int, url: str, title: str, note: str):
        super().__init__("Add evidence link")
        self._workspace = workspace
        self._args = (claim_id, url, title, note)
        self._added: Evidence | None = None

    # ``_added`` is read and written only inside the write functions, which run in
    # order on the writer thread, so an undo never looks before its redo has finished.
    def redo(self) -> None:
        claim_id, url, title, note = self._args

        def do(store: Store) -> Claim:
            if self._added is not None:
                self._added = store.restore_evidence(self._added)
            else:
                self._added = store.add_evidence(claim_id, url, title=title, note=note)
            return store.claim(claim_id)

        self._workspace.write(do)

    def undo(self) -> None:
        def undo(store: Store) -> Claim | None:
            if self._added is None:  # the add itself failed
                return None
            return _claim_after(store, store.remove_evidence(self._added.id))

        self._workspace.write(undo)


class _AddClaimCommand(QUndoCommand):
    def __init__(self, workspace: Workspace, article_id: int, start: int, end: int) -> None:
        super().__init__("Add claim")
        self._workspace = workspace
        self._args = (article_id, start, end)
        self._added: Claim | None = None

    def redo(self) -> None:
        article_id, start, end = self._args

        def do(store: Store) -> Claim:
            if self._added is not None:
                self._added = store.restore_claim(self._added)
            else:
                self._added = store.add_claim(article_id, start, end)
            return self._added

        self._workspace.write(do, structural=True)

    def undo(self) -> None:
        def undo(store: Store) -> Claim | None:
            return None if self._added is None else store.remove_claim(self._added.id)

        self._workspace.write(undo, structural=True)


class _ApplyVerdictCommand(QUndoCommand):
    """Apply a past verdict; undo removes the links it added and restores the status."""

    def __init__(self, workspace: Workspace, claim_id: int, match: Match) -> None:
        verdict = match.archive.verdict or "verdict"
        super().__init__(f"Apply past verdict ({verdict})")
        self._workspace = workspace
        self._claim_id = claim_id
        self._archive_id = match.archive.id
        self._before: Claim | None = None
        self._after: Claim | None = None

    # As in the other commands, state is read and written only on the writer thread.
    def redo(self) -> None:
        def do(store: Store) -> Claim:
            self._before = store.claim(self._claim_id)
            self._after = store.apply_past_verdict(self._claim_id, self._archive_id)
            return self._after

        self._workspace.write(do)

    def undo(self) -> None:
        def undo(store: Store) -> Claim | None:
            before, after = self._before, self._after
            if before is None or after is None:
                return None  # the apply itself failed
            old = {e.id for e in before.evidence}
            for item in after.evidence:
                if item.id not in old:
                    store.remove_evidence(item.id)
            return store.update_claim(self._claim_id, status=before.status)

        self._workspace.write(undo)
