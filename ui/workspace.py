"""The open article and its claims: what every panel shows, and every edit, with undo.

Panels never write to the database themselves. They ask the workspace, which turns
each edit into an operation of :mod:`workbench.operations` (one transaction, which
returns what changed and its undo) pushed on the undo stack and run on the single
writer thread; the
panels hear about the result only once it is committed (``claim_updated``,
``claims_changed``), so what the window shows is what is saved.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from typing import Any

from PySide6.QtCore import QObject, QTimer, Signal
from PySide6.QtGui import QUndoCommand, QUndoGroup, QUndoStack

from ui.archive_work import ClaimMatcher
from ui.jobs import JobContext, JobRunner
from ui.store_writer import StoreWriter
from workbench import operations
from workbench.analysis import sentence_bounds
from workbench.engine import Engine
from workbench.errors import ChangedSinceError, WorkbenchError
from workbench.models import (
    ArchiveClaim,
    Article,
    Claim,
    Evidence,
    Match,
    MatchStrength,
    Status,
)
from workbench.priority import PriorityThresholds, next_unchecked
from workbench.store import Store
from workbench.textsafety import clipped, one_line

log = logging.getLogger("ui.workspace")

NOTE_MERGE_ID = 1001
OUTSIDE_CHANGES_MS = 2000
"""How often the app looks for changes another program made to the open article."""
OUTSIDE_CHANGES_BUSY_MS = 15_000
"""The same while the app imports, embeds or indexes (see ``MainWindow``)."""

LAST_ARTICLE_KEY = "ui.last_article"
LAST_CLAIM_KEY = "ui.last_claim"
UNDO_HINT = "Ctrl+Z puts it back"
"""What a notice of a removal says; the window clears it once the undo history moves."""


class Workspace(QObject):
    article_leaving = Signal()  # another article (or none) is about to show: save the typing
    article_opened = Signal(object)  # Article | None
    article_updated = Signal(object)  # the open Article, its header edited
    deleted_changed = Signal()  # an article was deleted, or its deletion undone
    claim_selected = Signal(object)  # claim id | None
    claims_changed = Signal()  # claims added, removed or moved
    claim_updated = Signal(object)  # one Claim whose verdict, note or evidence changed
    library_changed = Signal()
    matches_changed = Signal()  # past checks found for the open article's claims
    error_occurred = Signal(str)
    notice = Signal(str)  # news for the status bar ("Removed the claim ...")
    archive_counted = Signal(object, int)  # {collection: past checks}, how many embedded
    archive_found = Signal(str, object)  # the words searched, the past checks found

    def __init__(
        self,
        store: Store,
        writer: StoreWriter,
        parent: QObject | None = None,
        *,
        engine: Engine | None = None,
    ) -> None:
        super().__init__(parent)
        self.store = store
        self.writer = writer
        self.engine = engine or Engine.default()
        self.undo_group = QUndoGroup(self)
        """Each article's own undo stack, the open one's active (Edit > Undo follows it)."""
        self._stacks: dict[int | None, QUndoStack] = {}
        self._last_claims: dict[int, int] = {}
        """The claim last selected in each article opened in this session."""
        self._activate_stack(None)
        self.article: Article | None = None
        self.claims: list[Claim] = []
        self.selected_claim_id: int | None = None
        self.listed: Callable[[], Sequence[int]] | None = None
        """The claims the claim list shows, as filtered (set by the window)."""
        self._saved_place: str | None = None
        """The selected claim last kept in the database (:meth:`save_place`)."""
        self.matches: dict[int, list[Match]] = {}
        self._strong: dict[int, Match] = {}
        """Each claim's best strong match, kept as matches arrive: every paint of the
        article and every slice of matches asks for them all."""
        self.match_source: str | None = None  # only past checks from this collection
        self.match_prefer_recent = False
        self.matcher = ClaimMatcher(store.path, self, engine=self.engine)
        self.vault_copies = JobRunner("vault", self)
        """Copies files into the evidence vault, off the writer (see add_file_evidence)."""
        self.change_reader = JobRunner("change-reader", self)
        """Reads the open article's claims when another program may have changed them."""
        self.archive_reader = JobRunner("archive-reader", self)
        """Counts and searches the archive's past checks (:meth:`count_archive`,
        :meth:`search_archive`)."""
        self.matcher.matches_ready.connect(self._on_matcher_matches_ready)
        self.thresholds = PriorityThresholds()
        """Where high, medium and low priority begin (settings ``priority.*``)."""
        self._graded: tuple[list[Claim], PriorityThresholds] | None = None
        self.unsaved_notes: dict[int, str] = {}
        """Notes whose save failed (a full disk, a lock), by claim, until one is saved."""
        self.deleted: list[tuple[str, operations.Operation]] = []
        """Articles deleted while the app is open: (title, the operation that restores it).

        Not on an undo stack: each holds the edits of one article, active while that
        article is open, and the open one changes when it is deleted."""
        self._data_version: int | None = store.data_version()
        self.outside_changes = QTimer(self)
        """Looks for changes other programs made (:meth:`_follow_outside_changes`)."""
        self.outside_changes.setInterval(OUTSIDE_CHANGES_MS)
        self.outside_changes.timeout.connect(self._follow_outside_changes)
        self.outside_changes.start()

    # -- reading -------------------------------------------------------------------

    @property
    def undo_stack(self) -> QUndoStack:
        """The open article's undo stack (each article keeps its own while the app runs)."""
        stack = self.undo_group.activeStack()
        assert stack is not None  # one is active from the start
        return stack

    @property
    def priorities(self) -> PriorityThresholds:
        """The thresholds graded against the open article's claims: high priority is
        also a rank in the article (:mod:`workbench.priority`)."""
        if self._graded is None or self._graded[0] is not self.claims:
            self._graded = (self.claims, self.thresholds.for_article(self.claims))
        return self._graded[1]

    def count_archive(self) -> None:
        """Count the archive's past checks by collection, and those ready for matching by
        meaning, on a worker (a million take a moment: on the UI thread they held the
        window up for seconds); :attr:`archive_counted` gives the counts to every panel."""
        path = self.store.path

        def count(context: JobContext) -> tuple[dict[str, int], int]:
            with Store(path, check=False) as store:
                return store.archive_counts(), store.embedding_state().rows

        self.archive_reader.submit(
            count,
            group="counts",
            supersede=True,
            latest_only=True,
            done=lambda counted: self.archive_counted.emit(*counted),
        )

    def search_archive(self, text: str, *, limit: int) -> None:
        """Search the archive on a worker: with a million past checks a common word takes
        seconds, and the search runs as the fact-checker types (on the UI thread, the
        window froze). :attr:`archive_found` gives the latest search's results."""
        path = self.store.path

        def search(context: JobContext) -> list[ArchiveClaim]:
            with Store(path, check=False) as store:
                return store.archive_search(text, limit=limit)

        self.archive_reader.submit(
            search,
            group="search",
            supersede=True,
            latest_only=True,
            done=lambda found: self.archive_found.emit(text, found),
            failed=lambda message: self.notice.emit(f"Searching past checks failed: {message}"),
        )

    def _activate_stack(self, article_id: int | None) -> None:
        stack = self._stacks.get(article_id)
        if stack is None:
            stack = self._stacks[article_id] = QUndoStack(self.undo_group)
            self.undo_group.addStack(stack)
        self.undo_group.setActiveStack(stack)

    def open_article(self, article_id: int | None) -> None:
        """Show an article (None: none). Each article keeps its own undo history, so
        going to another article and back loses no step."""
        self.article_leaving.emit()  # a note being typed goes to its claim, on its stack
        self.save_place()
        self._activate_stack(article_id)
        self.selected_claim_id = None
        self.thresholds = PriorityThresholds.load(self.store)
        if article_id is None:
            self.article, self.claims = None, []
        else:
            self.article = self.store.article(article_id)
            self.claims = self.store.claims(article_id)
            self.remember(LAST_ARTICLE_KEY, str(article_id))
        self.matches, self._strong = {}, {}
        self.article_opened.emit(self.article)
        self.matches_changed.emit()
        self.rematch()

    def _follow_outside_changes(self) -> None:
        """Show what another program (``workbench`` on the command line, a second window)
        changed in the open article's claims, so that no edit starts from a stale view.

        Cheap when nothing changed: one ``PRAGMA data_version``. Skipped while this
        app's own edits are being written (their results update the view). Text being
        typed in the note editor stays (see ``ClaimPanel``).
        """
        if self.writer.pending or self.article is None:
            return
        try:
            version = self.store.data_version()
        except WorkbenchError as exc:
            log.warning("cannot look for changes made elsewhere: %s", exc)
            return
        if version == self._data_version:
            return
        self._data_version = version
        # Read on a worker: a long article's claims took 0.1-0.2 s to read on this
        # thread, and this app's own edits change the version too.
        article_id, path, writes = self.article.id, self.store.path, self.writer.submitted

        def read(context: JobContext) -> list[Claim]:
            with Store(path, check=False) as store:
                return store.claims(article_id)

        def compare(claims: list[Claim]) -> None:
            shown = self.article
            if shown is None or shown.id != article_id:
                return
            if self.writer.pending or self.writer.submitted != writes:
                # An edit of this app came while the claims were read: what was read may
                # not have it. Read again on the next look.
                self._data_version = None
                return
            if claims != self.claims:
                self.reload(claims)  # the library's counts too

        self.change_reader.submit(
            read,
            group="claims",
            supersede=True,
            latest_only=True,
            done=compare,
            failed=lambda message: log.warning(
                "cannot look for changes made elsewhere: %s", message
            ),
        )

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
        """The best strong match (the claim has been checked before), if any: a closer
        past check of the opposite claim is not one (see ``matching.negation_conflict``)."""
        return self._strong.get(claim_id)

    def strong_matches(self) -> dict[int, Match]:
        """:meth:`strong_match` of each open claim that has one, in reading order."""
        return {c.id: m for c in self.claims if (m := self._strong.get(c.id)) is not None}

    def _on_matcher_matches_ready(self, article_id: int, matches: dict[int, list[Match]]) -> None:
        """A slice of the claims' matches has arrived (see :class:`ClaimMatcher`)."""
        if self.article is not None and self.article.id == article_id:
            self.matches.update(matches)
            for claim_id, found in matches.items():
                best = next((m for m in found if m.strength is MatchStrength.STRONG), None)
                if best is None:
                    self._strong.pop(claim_id, None)
                else:
                    self._strong[claim_id] = best
            self.matches_changed.emit()

    def select_claim(self, claim_id: int | None) -> None:
        """Make one claim the current one in every panel, and remember it."""
        if claim_id is not None and self.claim(claim_id) is None:
            claim_id = None
        if claim_id == self.selected_claim_id:
            return
        self.selected_claim_id = claim_id
        if claim_id is not None and self.article is not None:
            self._last_claims[self.article.id] = claim_id
        self.claim_selected.emit(claim_id)

    def save_place(self) -> None:
        """Keep the selected claim for the next run (on leaving an article, on Quit).

        Not on each selection: a write per J or K made every look for other programs'
        changes read the open article's claims again (0.1-0.2 s on the UI thread for a
        60,000-word article's, every 2 s while going through them).
        """
        claim_id = "" if self.selected_claim_id is None else str(self.selected_claim_id)
        if self.article is not None and claim_id != self._saved_place:
            self._saved_place = claim_id
            self.remember(LAST_CLAIM_KEY, claim_id)

    def select_next(self, step: int = 1, order: Sequence[int] | None = None) -> None:
        """Move the selection ``step`` claims on (J/K, arrows): in ``order`` (the claim
        list as filtered and sorted) if given, else in reading order."""
        ids = list(order) if order is not None else [c.id for c in self.claims]
        if not ids:
            return
        if self.selected_claim_id not in ids:
            target = 0 if step > 0 else len(ids) - 1
        else:
            target = max(0, min(len(ids) - 1, ids.index(self.selected_claim_id) + step))
        self.select_claim(ids[target])

    def _listed_ids(self) -> list[int] | None:
        """The claims the claim list shows (:attr:`listed`), or None for all of them."""
        return None if self.listed is None else list(self.listed())

    def select_next_unchecked(self) -> bool:
        """Select the next unchecked claim of the highest priority left (N) among those
        the claim list shows, as filtered (:attr:`listed`); False if none."""
        listed = self._listed_ids()
        shown = None if listed is None else set(listed)
        claims = [c for c in self.claims if shown is None or c.id in shown]
        claim = next_unchecked(claims, self.priorities, self.selected_claim_id)
        if claim is not None:
            self.select_claim(claim.id)
        return claim is not None

    def select_first_to_check(self) -> None:
        """Where work on an article starts: the claim last selected in it during this
        session, else its most urgent unchecked claim, else its first (not a caption that
        happens to come first); among the claims the list shows (:attr:`listed`), as
        filtered: the list's filters stay when another article opens."""
        shown = self._listed_ids()
        last = self._last_claims.get(self.article.id) if self.article else None
        if last is not None and self.claim(last) is not None and (shown is None or last in shown):
            self.select_claim(last)
        elif self.claims and not self.select_next_unchecked():
            ids = [c.id for c in self.claims] if shown is None else shown
            self.select_claim(ids[0] if ids else None)

    @property
    def selected_claim(self) -> Claim | None:
        return None if self.selected_claim_id is None else self.claim(self.selected_claim_id)

    def claim(self, claim_id: int) -> Claim | None:
        return next((c for c in self.claims if c.id == claim_id), None)

    def reload(self, claims: list[Claim] | None = None) -> None:
        """Re-read the open article's claims from the database (after a failed write, or
        another program's change); ``claims``: those just read."""
        if self.article is not None:
            self.claims = self.store.claims(self.article.id) if claims is None else claims
            self.claims_changed.emit()
            if self.selected_claim is None:
                self.select_claim(None)
        self.library_changed.emit()

    def remember(self, key: str, value: str) -> None:
        """Keep a piece of UI state (e.g. the selected claim) in the database."""
        self.writer.submit(lambda store: store.set_setting(key, value))

    # -- edits (each one undoable, each one operation of workbench.operations) --------

    def set_status(self, claim_id: int, status: Status) -> None:
        claim = self.claim(claim_id)
        if claim is not None and claim.status is status:
            # Shown with this status; another program may have changed it since.
            claim = self._fresh(claim_id)
        asks = (claim_id, "status", status)
        if claim is not None and claim.status is not status and not self._asked_already(asks):
            self._push(operations.set_status(claim_id, status), f"Mark claim {status.value}", asks)

    def _fresh(self, claim_id: int) -> Claim | None:
        """The claim as stored now; if it changed or went, the article is read again."""
        try:
            stored = self.store.claim(claim_id)
        except WorkbenchError:
            stored = None
        if stored != self.claim(claim_id):
            self.reload()
        return stored

    def set_note(self, claim_id: int, note: str) -> None:
        claim = self.claim(claim_id)
        if claim is not None and claim.note != note:
            self.undo_stack.push(_NoteCommand(self, claim_id, claim.note, note))

    def set_claimant(self, claim_id: int, claimant: str) -> None:
        claim = self.claim(claim_id)
        asks = (claim_id, "claimant", claimant.strip())
        if claim is not None and claim.claimant != asks[2] and not self._asked_already(asks):
            self._push(operations.set_claimant(claim_id, claimant), "Change claimant", asks)

    def add_evidence(self, claim_id: int, url: str, title: str = "", note: str = "") -> None:
        operation = operations.add_evidence(claim_id, url, title=title, note=note)
        self._push(operation, "Add evidence link")

    def add_file_evidence(self, claim_id: int, path: str, quote: str = "", title: str = "") -> None:
        """A file as evidence: copied into the vault and read (its title, the quote) in
        the background, then recorded on the writer (one undo step).

        Ten dropped files of 190 MB held the writer 3.8 s, and the edits queued behind
        them, and Quit, which waits for the writer. A copy cut short by Quit leaves
        nothing recorded (its temporary file goes with ``workbench vault prune``).
        """
        db_path = self.store.path

        def copy(context: JobContext) -> operations.ReadFile:
            return operations.read_file_evidence(db_path, path, quote=quote, title=title)

        def record(read: operations.ReadFile) -> None:
            self._push(operations.add_file_evidence(claim_id, path, read=read), "Add evidence file")

        self.vault_copies.submit(copy, done=record, failed=self.error_occurred.emit)

    def quote_evidence(self, evidence_id: int, passage: str) -> None:
        self._push(operations.quote_evidence(evidence_id, passage), "Quote a passage")

    def edit_evidence(self, item: Evidence, url: str, title: str, note: str) -> None:
        operation = operations.edit_evidence(item.id, url=url, title=title, note=note)
        self._push(operation, "Edit evidence link")

    def remove_evidence(self, item: Evidence) -> None:
        self._push(operations.remove_evidence(item.id), "Remove evidence link")

    def add_claim(self, start: int, end: int) -> None:
        if self.article is not None:
            self._push(operations.add_claim(self.article.id, start, end), "Add claim")

    def remove_claim(self, claim_id: int) -> None:
        claim = self.claim(claim_id)
        if claim is not None:
            self._push(operations.remove_claim(claim_id), "Remove claim")
            shown = clipped(one_line(claim.text), 60)
            self.notice.emit(f"Removed the claim “{shown}”: {UNDO_HINT} as it was.")

    def set_claim_span(self, claim_id: int, start: int, end: int) -> None:
        claim = self.claim(claim_id)
        if claim is not None and (claim.start, claim.end) != (start, end):
            self._push(operations.move_claim(claim_id, start, end), "Change claim boundaries")

    def apply_past_verdict(self, claim_id: int, match: Match, *, on_server: bool = False) -> None:
        """Copy a past check's verdict and link onto a claim (undoable, in one step).
        ``on_server``: the match was found on the team server, not in the database."""
        if self.claim(claim_id) is not None:
            verdict = match.archive.verdict or "verdict"
            past = match.archive if on_server else None
            operation = operations.apply_past_verdict(claim_id, match.archive.id, past=past)
            self._push(operation, f"Apply past verdict ({verdict})")

    def fit_claim_to_sentences(self, claim_id: int) -> None:
        """Extend a claim to the sentence boundaries around it (found on the writer thread)."""
        claim = self.claim(claim_id)
        if claim is None or self.article is None:
            return
        text = self.article.text
        description = "Extend claim to sentences"

        def fit(store: Store) -> operations.Change:
            bounds = sentence_bounds(text, claim.start, claim.end, engine=self.engine)
            return operations.move_claim(claim_id, *bounds, description)(store)

        self._push(fit, description)

    def set_priority(self, claim_id: int, priority: str) -> None:
        """Give a claim the fact-checker's priority ("high", "medium", "low"; "" for the
        detector's again): one undo step, and later articles learn from it."""
        if self.claim(claim_id) is not None:
            text = f"Set priority {priority}" if priority else "Leave priority to the detector"
            self._push(operations.set_priority(claim_id, priority), text)

    def set_priorities(self, claim_ids: list[int], priority: str) -> None:
        """One priority of the fact-checker's for several claims (a bulk action): one undo
        step."""
        ids = [i for i in claim_ids if self.claim(i) is not None]
        if len(ids) == 1:
            self.set_priority(ids[0], priority)
        elif ids:
            self._push(operations.set_priorities(ids, priority), f"Set {len(ids)} priorities")

    def set_statuses(self, claim_ids: list[int], status: Status) -> None:
        """One status for several claims (a bulk action): one undo step."""
        ids = [i for i in claim_ids if self.claim(i) is not None]
        if ids:
            self._push(operations.set_statuses(ids, status), f"Mark {len(ids)} claims")

    def tag_claims(
        self, claim_ids: list[int], add: list[str] | None = None, remove: list[str] | None = None
    ) -> None:
        """Add and remove tags on one claim or several: one undo step."""
        ids = [i for i in claim_ids if self.claim(i) is not None]
        if ids and (add or remove):
            operation = operations.tag_claims(ids, add=add or [], remove=remove or [])
            self._push(operation, "Change tags")

    def set_article_tags(self, tags: list[str]) -> None:
        if self.article is not None and list(self.article.tags) != tags:
            self._push(operations.set_article_tags(self.article.id, tags), "Change article tags")

    def edit_article(self, **fields: str) -> None:
        """Change the open article's header (headline, outlet, byline, link, date)."""
        if self.article is not None and fields:
            operation = operations.edit_article(self.article.id, **fields)
            self._push(operation, "Edit article details")

    def archive_article(self, article_id: int, archived: bool = True) -> None:
        """Move an article out of the library's list, or back (undoable if it is open)."""
        operation = operations.archive_article(article_id, archived)
        if self.article is not None and self.article.id == article_id:
            self._push(operation, "Archive article" if archived else "Return to library")
        else:
            self.writer.submit(
                operation, lambda _: self.library_changed.emit(), self._on_write_failed
            )

    def delete_article(self, article_id: int, title: str) -> None:
        """Delete an article; :meth:`undo_delete` puts it back while the app is open."""

        def deleted(change: operations.Change) -> None:
            self.deleted.append((title, change.undo))
            self.deleted_changed.emit()
            if self.article is not None and self.article.id == article_id:
                rest = self.store.articles()
                self.open_article(rest[0].id if rest else None)
            self.library_changed.emit()

        self.writer.submit(operations.delete_article(article_id), deleted, self._on_write_failed)

    def undo_delete(self) -> None:
        """Put back the last article deleted, and open it."""
        if not self.deleted:
            return
        title, restore = self.deleted.pop()

        def restored(change: operations.Change) -> None:
            # In place of "Deleted …: Undo delete puts it back", still in the status bar.
            shown = f"“{clipped(one_line(title), 80)}”" if title else "the untitled article"
            self.notice.emit(f"Put back {shown}.")
            self.deleted_changed.emit()
            self.library_changed.emit()
            self.open_article(change.article_id)

        def failed(exc: Exception) -> None:
            self.deleted.append((title, restore))
            self.deleted_changed.emit()
            self._on_write_failed(exc)

        self.writer.submit(restore, restored, failed)

    # -- plumbing ------------------------------------------------------------------

    def _push(
        self, operation: operations.Operation, text: str, asks: tuple[object, ...] = ()
    ) -> None:
        self.undo_stack.push(_OperationCommand(self, text, operation, asks))

    def _asked_already(self, asks: tuple[object, ...]) -> bool:
        """Whether the last step, still being written, sets what ``asks`` says.

        Until the writer answers, the claims held here are as they were before it: a
        verdict key pressed twice in that time went on the stack twice, and the first
        Ctrl+Z undid the second, which had changed nothing. The step's own write, not
        any: once it is answered, a claim changed since (by another program) is set again.
        """
        stack = self.undo_stack
        last = stack.command(stack.index() - 1)
        return isinstance(last, _OperationCommand) and last.asks == asks and last.writing

    def write(
        self,
        fn: Callable[[Store], Any],
        *,
        structural: bool = False,
        note: tuple[int, str] | None = None,
        undone: Callable[[Exception], None] | None = None,
    ) -> int:
        """Run an edit on the writer; show its committed result, or its error. Returns
        the writer's id of the request (:meth:`StoreWriter.is_pending`).

        ``note`` is (claim id, text) when the edit writes a note: if it fails, the text is
        kept in :attr:`unsaved_notes` so what was typed is not lost; the next note of that
        claim that is saved replaces it. ``undone`` is called (on this thread) with the
        error when the edit fails, after the error is shown.
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
            if undone is not None:
                undone(exc)

        return self.writer.submit(fn, written, failed)

    def _on_written(self, article_id: int | None, result: Any, structural: bool) -> None:
        if self.article is None or self.article.id != article_id:
            return  # another article was opened meanwhile; nothing shown to update
        if isinstance(result, operations.Change):
            if result.claim_id == 0:  # the article itself: its header, or archived
                if result.article is not None and result.article.id == article_id:
                    self.article = result.article
                    self.article_updated.emit(result.article)
                self.library_changed.emit()
                return
            structural = structural or result.structural
            result = result.claim
        if structural or not isinstance(result, Claim):
            ids = [c.id for c in self.claims]
            was_at = ids.index(self.selected_claim_id) if self.selected_claim_id in ids else -1
            self.claims = self.store.claims(article_id)
            self.claims_changed.emit()
            self.rematch()
            if isinstance(result, Claim) and self.claim(result.id) is not None:
                self.select_claim(result.id)  # a claim just added or moved
            elif self.selected_claim is None:
                # The selected claim was removed: the one after it takes its place.
                at = min(was_at, len(self.claims) - 1)
                self.select_claim(self.claims[at].id if at >= 0 else None)
        else:
            before = self.claim(result.id)
            self.claims = [result if c.id == result.id else c for c in self.claims]
            self.claim_updated.emit(result)
            same = (before.status, before.chosen_priority) if before is not None else None
            if same == (result.status, result.chosen_priority):
                return  # a note or link: the library's progress counts are unchanged
        self.library_changed.emit()

    def _on_write_failed(self, exc: Exception) -> None:
        message = str(exc) if isinstance(exc, WorkbenchError) else f"unexpected error: {exc!r}"
        log.warning("write failed: %s", message)
        self.error_occurred.emit(message)
        self.reload()


class _RetryableCommand(QUndoCommand):
    """A step of the undo stack whose write, if it fails, leaves the stack where it was.

    Subclasses write through :meth:`_write`, and skip writing while :attr:`_quiet`.
    """

    def __init__(self, workspace: Workspace, text: str) -> None:
        super().__init__(text)
        self._workspace = workspace
        self._quiet = False
        """Moving the stack back after a failure: nothing is applied."""
        self._request: int | None = None
        """The writer's id of this step's last write."""

    @property
    def writing(self) -> bool:
        """Whether this step's last write is not answered yet (the claims held are as
        they were before it)."""
        return self._request is not None and self._workspace.writer.is_pending(self._request)

    def _write(self, fn: Callable[[Store], Any], *, redone: bool, **kwargs: Any) -> None:
        self._request = self._workspace.write(
            fn, undone=lambda exc: self._take_back(exc, redone=redone), **kwargs
        )

    def _take_back(self, exc: Exception, *, redone: bool) -> None:
        """The step failed: move the stack back over this command, applying nothing.

        Unless it failed because what it would change was changed since by someone
        else: it can never apply then, and leaving it in place would hold every older
        step behind it. It is dropped instead (obsolete: the stack deletes it the next
        time it gets to it, without writing anything).
        """
        if isinstance(exc, ChangedSinceError):
            self._quiet = True  # for good: redo and undo write nothing any more
            self.setObsolete(True)
            return
        stack = self._workspace.undo_stack
        at = stack.index()
        if stack.command(at - 1 if redone else at) is not self:
            return  # the stack moved on meanwhile (another undo queued behind this one)
        self._quiet = True
        try:
            stack.setIndex(at - 1 if redone else at + 1)
        finally:
            self._quiet = False


class _OperationCommand(_RetryableCommand):
    """One step of the undo stack: the next operation to apply, redo and undo in turn.

    ``_next`` is read and written only inside the write functions, which run in order
    on the writer thread, so an undo never looks before its redo has finished.

    An operation that fails (the database locked by another program) changed nothing
    and stays the next one to apply, and the stack is put back where it was: the undo
    the user is told to try again works (it used to be lost, and with it a removed
    claim, for good).
    """

    def __init__(
        self,
        workspace: Workspace,
        text: str,
        operation: operations.Operation,
        asks: tuple[object, ...] = (),
    ) -> None:
        super().__init__(workspace, text)
        self._next: operations.Operation = operation
        self.asks = asks
        """What the step sets, (claim id, field, value), when it sets one field."""

    def _step(self, store: Store) -> operations.Change:
        change = self._next(store)  # raises before anything changed, or changes it all
        self._next = change.undo
        return change

    def redo(self) -> None:
        if not self._quiet:
            self._write(self._step, redone=True)

    def undo(self) -> None:
        if not self._quiet:
            self._write(self._step, redone=False)


class _NoteSave:
    """One text of the note editor and whether its save was committed (set on the writer)."""

    __slots__ = ("saved", "text")

    def __init__(self, text: str) -> None:
        self.text = text
        self.saved = False


class _NoteCommand(_RetryableCommand):
    """Typing in the note editor: consecutive saves of one claim's note undo together.

    A save that fails keeps its text in :attr:`Workspace.unsaved_notes`; an undo that
    fails leaves the stack where it was, so that it can be tried again.

    Qt merges a save into the step before it as soon as it is pushed, before its write
    has run: a save that then fails (a full disk, a lock) must not become the text the
    step puts back or expects to find. Which of its saves were committed is known on the
    writer thread, in order, so undo and redo read it there (:meth:`_saved_text`).
    """

    def __init__(self, workspace: Workspace, claim_id: int, old: str, new: str) -> None:
        super().__init__(workspace, "Edit note")
        self._undone = False
        self.claim_id = claim_id
        self.old = old
        self._saves = [_NoteSave(new)]
        """This step's saves, its own first and then those merged into it."""
        self._holder = self
        """The step on the stack that holds this one's save (the one merged into)."""

    def id(self) -> int:
        return NOTE_MERGE_ID

    def mergeWith(self, other: QUndoCommand) -> bool:
        if not isinstance(other, _NoteCommand) or other.claim_id != self.claim_id:
            return False
        self._saves.extend(other._saves)
        other._holder = self
        return True

    def _saved_text(self) -> str:
        """On the writer thread: the text this step last committed (its first if none was)."""
        return next((s.text for s in reversed(self._saves) if s.saved), self._saves[0].text)

    def redo(self) -> None:
        if self._quiet:
            return
        claim_id, save = self.claim_id, self._saves[-1]
        if self._undone:
            # Redone after an undo: what it saved, only over the text it put back. A text
            # that failed to save stays in Workspace.unsaved_notes (note=None).

            def redone(store: Store) -> operations.Change:
                note = self._saved_text()
                return operations.set_note(claim_id, note, replacing=self.old)(store)

            self._write(redone, redone=True)
            return

        def typed(store: Store) -> operations.Change:  # saved as it is
            change = operations.set_note(claim_id, save.text)(store)
            save.saved = True
            return change

        def failed(exc: Exception) -> None:
            self._holder._save_failed(save, exc)

        self._workspace.write(typed, note=(claim_id, save.text), undone=failed)

    def _save_failed(self, save: _NoteSave, exc: Exception) -> None:
        """A typed save failed: the step leaves the stack only if none of its saves was
        committed and none after this one is still being written. A later save merged
        in may yet be committed: taken back on the first failure, the step's note was
        saved with no undo step, and Ctrl+Z undid the step before it instead."""
        if save is self._saves[-1] and not any(s.saved for s in self._saves):
            self._take_back(exc, redone=True)

    def undo(self) -> None:
        if not self._quiet:
            self._undone = True
            claim_id, old = self.claim_id, self.old

            def operation(store: Store) -> operations.Change:
                return operations.set_note(claim_id, old, replacing=self._saved_text())(store)

            self._write(operation, redone=False)
