"""The archive of past checks: importing collections, searching them, applying a past verdict.

Past checks come from imported fact-check collections and from the fact-checker's own
verdicts (source ``"own"``, kept in step with the claims by
:meth:`ArchiveMixin._sync_own_archive`). Search is SQLite FTS5 with BM25 ranking;
an import is written in short batches (:mod:`workbench.store.batches`).
"""

from __future__ import annotations

import copy
import logging
import re
import sqlite3
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from workbench.dbfile import store_error
from workbench.errors import DiskFullError, NotFoundError, ValidationError, WorkbenchError
from workbench.models import ArchiveClaim, ArchiveRecord, Claim, Status
from workbench.past_checks import (
    OWN_SOURCE,
    TEAM_SOURCE,
    collection_name,
    record_key,
    verdict_to_status,
)
from workbench.store.batches import PacedBatches, _checkpoints_in_pauses, let_go
from workbench.store.db import StoreBase
from workbench.store.rows import (
    _OWN_COLUMNS,
    _OWN_SELECT,
    ARCHIVE_CLAIM_COLUMNS,
    _archive_claim_from_row,
    _now,
    archive_claim_from_values,
    parse_status,
    validate_url,
)

log = logging.getLogger("workbench.store")

ARCHIVE_TITLE_WEIGHT = 0.5
"""Weight of a past check's title against its text (1.0) in BM25."""
TERM_CACHE_SIZE = 200_000
"""Words whose archive counts a Store remembers before it starts afresh."""
_WORD = re.compile(r"\w+")


@dataclass(frozen=True, slots=True)
class ArchiveImportResult:
    """What an archive import stored: ``added`` new past checks, ``updated`` ones already
    stored whose record had changed (a revised rating, say), and unchanged duplicates.

    ``remaining`` counts the records a cancelled import did not reach (0 when it ran
    to the end); what it had stored before it stopped is kept.
    """

    source: str
    added: int
    skipped_duplicates: int
    remaining: int = 0
    updated: int = 0

    @property
    def cancelled(self) -> bool:
        return self.remaining > 0


@dataclass(frozen=True, slots=True)
class ArchiveCandidate:
    """A past check found by full-text search, with its BM25 score (higher is better)."""

    claim: ArchiveClaim
    bm25: float


@dataclass(frozen=True, slots=True)
class ArchiveSource:
    """One collection in the archive: its name, size and when it was last imported."""

    name: str
    count: int
    last_imported: str


def _last_archive_id(conn: sqlite3.Connection) -> int:
    """The highest id in ``archive_claims`` (0 if empty): rows inserted after it get higher ones."""
    return int(conn.execute("SELECT COALESCE(MAX(id), 0) FROM archive_claims").fetchone()[0])


def _index_archive_rows_after(conn: sqlite3.Connection, last_id: int) -> int:
    """Add to the full-text index the past checks inserted since ``last_id`` was read.

    No trigger indexes a new row of ``archive_claims`` (one per row made writing an
    import nearly four times slower than one statement per batch; see migration 0005),
    so every insert calls this in the same transaction, with the id that
    :func:`_last_archive_id` read before it: an ``INTEGER PRIMARY KEY`` without
    ``AUTOINCREMENT`` gives each new row one more than the highest id, and the write
    lock keeps other connections out in between. Updates and deletes are still
    indexed by triggers. Returns how many rows it indexed.
    """
    cur = conn.execute(
        "INSERT INTO archive_fts (rowid, text, title)"
        " SELECT id, text, title FROM archive_claims WHERE id > ?",
        (last_id,),
    )
    return max(cur.rowcount, 0)


_INSERT_ARCHIVE_ROW = (
    "INSERT OR IGNORE INTO archive_claims (external_id, source, text, title, verdict, url,"
    " date, speaker, publisher, imported_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)"
)
_CHANGING = ("text", "title", "verdict", "url", "date", "speaker", "publisher")
_UPDATE_CHANGED_ARCHIVE_ROW = (
    "UPDATE archive_claims SET "
    + ", ".join(f"{f} = ?{i}" for i, f in enumerate((*_CHANGING, "imported_at"), start=3))
    + " WHERE source = ?2 AND external_id = ?1 AND ("
    + " OR ".join(f"{f} IS NOT ?{i}" for i, f in enumerate(_CHANGING, start=3))
    + ")"
)
"""Of the same rows, replaces a stored past check whose record changed (a revised rating).

A separate statement, run only for pieces holding ids already stored: an upsert
(``ON CONFLICT DO UPDATE``) made every insert of a new archive 15% slower."""


def _fts_quote(term: str) -> str:
    return '"' + term.replace('"', '""') + '"'


MAX_SEARCH_WORDS = 16
"""The most words :meth:`ArchiveMixin.archive_search` looks for (the last one typed among them)."""


def fts_or_query(terms: Iterable[str]) -> str:
    """An FTS5 query matching any of ``terms``, each quoted so that no term is an operator."""
    return " OR ".join(_fts_quote(t) for t in dict.fromkeys(terms) if t)


def past_check_note(past: ArchiveClaim) -> str:
    """The note's line naming a past check applied to a claim: rating, outlet, date, link."""
    if past.source == OWN_SOURCE:
        who = "Checked before in this workbench"
    else:
        who = f"Checked before by {past.publisher or past.source}"
    rating = f": rated “{past.verdict}”" if past.verdict else ""
    when = f" on {past.date[:10]}" if past.date else ""
    link = f" ({past.url})" if past.url else ""
    return f"{who}{rating}{when}{link}."


class ArchiveMixin(StoreBase):
    """The archive of past checks."""

    def import_archive_records(
        self,
        records: Iterable[ArchiveRecord],
        *,
        source: str,
        progress: Callable[[int, int], None] | None = None,
        cancel: Callable[[], bool] | None = None,
    ) -> ArchiveImportResult:
        """Store past checks as collection ``source``, in short transactions.

        A record whose ``(source, external_id)`` is already stored replaces the stored
        one if any of its fields differ (``updated``: the publisher revised a rating or
        a text; the full-text index follows, and a changed text is embedded again), and
        is otherwise counted in ``skipped_duplicates``. Of a record repeated in
        ``records``, the last one counts; the others are duplicates.
        Each transaction (a batch) holds the write lock for about
        :data:`~workbench.store.batches.BATCH_WORK_S`; between them the lock is free,
        so the user's edits are not held up,
        ``progress(done, total)`` is called and ``cancel()`` asked: if it returns True
        the import stops there, keeping the batches stored, and the result says how
        many records were not reached (``remaining``). A batch that fails changes
        nothing; the error raised then says how many claims the batches before it
        stored (they are kept, and importing the same records again adds the rest).
        """
        name = collection_name(source)
        rows = [
            (
                r.external_id or record_key(r.text, r.title),
                name,
                r.text,
                r.title,
                r.verdict,
                r.url,
                r.date,
                r.speaker,
                r.publisher,
                now,
            )
            for now in (_now(),)
            for r in records
            if r.text.strip()
        ]
        # The last of a repeated id, once: a row inserted and then updated before the
        # full-text index has it would corrupt the index (its update trigger deletes
        # from the index what it was never given).
        latest = {row[0]: row for row in rows}
        repeated = len(rows) - len(latest)
        rows = list(latest.values())
        del latest
        total, done, added, updated = len(rows), 0, 0, 0
        if progress is not None:
            progress(0, total)
        try:
            with _checkpoints_in_pauses(self.conn) as checkpoint:
                batches = PacedBatches(
                    rows, meanwhile=checkpoint, edits=self.gives_way_to, alone=self._alone
                )
                for batch in batches:
                    if cancel is not None and cancel():
                        break
                    new = changed = 0
                    with self._write() as conn:
                        for piece in batches.pieces(batch):
                            last_id = _last_archive_id(conn)
                            conn.executemany(_INSERT_ARCHIVE_ROW, piece)
                            inserted = _index_archive_rows_after(conn, last_id)
                            new += inserted
                            if inserted < len(piece):  # some were there already
                                cur = conn.executemany(_UPDATE_CHANGED_ARCHIVE_ROW, piece)
                                changed += max(cur.rowcount, 0)
                    done += batches.written
                    added += new
                    updated += changed
                    if progress is not None:
                        progress(done, total)
        except WorkbenchError as exc:
            if not done:
                raise  # nothing was stored: the error's own words hold
            raise self._import_stopped(exc, done=done, added=added, total=total) from exc
        finally:
            self._term_counts.clear()
            let_go(rows)
        if done < total:
            log.info("archive %r: cancelled after %d of %d, %d added", name, done, total, added)
        else:
            log.info("archive %r: %d added, %d updated", name, added, updated)
        duplicates = repeated + done - added - updated
        return ArchiveImportResult(name, added, duplicates, remaining=total - done, updated=updated)

    def _import_stopped(
        self, exc: WorkbenchError, *, done: int, added: int, total: int
    ) -> WorkbenchError:
        """``exc``, raised by a batch after others committed, saying what they stored.

        Same class (the CLI and the app classify by it), one line, and no "nothing
        was saved": the earlier batches are in the database.
        """
        noun = "claim" if added == 1 else "claims"
        kept = (
            f"the import stopped after {done:,} of {total:,} records: the {added:,} new"
            f" {noun} among them are kept, and importing the file again adds the rest"
        )
        if isinstance(exc, DiskFullError):
            reason = f"the disk holding {self.path} is full (free some space first)"
        elif isinstance(exc, ValidationError):
            reason = "a record holds text that is not valid Unicode (a lone surrogate)"
        else:
            reason = str(exc)
        stopped = copy.copy(exc)
        stopped.args = (f"{reason}; {kept}",)
        return stopped

    def archive_candidates(
        self, fts_query: str, *, limit: int, source: str | None = None
    ) -> list[ArchiveCandidate]:
        """Past checks matching an FTS5 query, best BM25 first (see :func:`fts_or_query`).

        ``bm25`` is SQLite's score, negated so that higher is better; text counts
        fully and the title with :data:`ARCHIVE_TITLE_WEIGHT`.
        """
        if not fts_query.strip():
            return []
        # bm25() called in the query rather than ``rank MATCH``/``ORDER BY rank``: the same
        # scores in the same order, but FTS5 then sorts with SQLite's own sorter instead of
        # running a second, internal query (a 321-claim article: 1.45 s against 1.87 s).
        score = f"bm25(archive_fts, 1.0, {ARCHIVE_TITLE_WEIGHT})"
        if source is None:
            sql = (
                f"SELECT {ARCHIVE_CLAIM_COLUMNS}, f.score FROM (SELECT rowid, {score} AS score"
                " FROM archive_fts WHERE archive_fts MATCH ? ORDER BY score LIMIT ?) f"
                " JOIN archive_claims a ON a.id = f.rowid ORDER BY f.score"
            )
            params: tuple[Any, ...] = (fts_query, limit)
        else:
            sql = (
                f"SELECT {ARCHIVE_CLAIM_COLUMNS}, {score} AS score FROM archive_fts"
                " JOIN archive_claims a ON a.id = archive_fts.rowid"
                " WHERE archive_fts MATCH ? AND a.source = ?"
                " ORDER BY score LIMIT ?"
            )
            params = (fts_query, source, limit)
        return [
            ArchiveCandidate(archive_claim_from_values(r), -float(r[-1]))
            for r in self._read(sql, params)
        ]

    def archive_search(
        self, text: str, *, limit: int = 50, source: str | None = None
    ) -> list[ArchiveClaim]:
        """Search the whole archive as a user types: every word must occur, the last as a prefix.

        Best BM25 first; with no words, the most recently added past checks.
        """
        words = _WORD.findall(text)
        if not words:
            where, params = ("WHERE source = ?", [source]) if source is not None else ("", [])
            rows = self._read(
                f"SELECT * FROM archive_claims {where} ORDER BY id DESC LIMIT ?", [*params, limit]
            )
            return [_archive_claim_from_row(r) for r in rows]
        # Each word once, and a search's worth of them: 3,000 repeats of "the" (12 kB
        # pasted in) took minutes, the AND of FTS5 being quadratic in repeated terms.
        last = words[-1]
        # Told apart by their folded case, searched as typed: "Straße" folds to "strasse",
        # which the index, holding "straße", does not know.
        distinct = {w.casefold(): w for w in reversed(words)}
        distinct.pop(last.casefold())
        terms = [_fts_quote(w) for w in reversed(distinct.values())][: MAX_SEARCH_WORDS - 1]
        terms.append(_fts_quote(last) + "*")
        fts_query = " AND ".join(terms)
        return [c.claim for c in self.archive_candidates(fts_query, limit=limit, source=source)]

    def archive_claim(self, archive_id: int) -> ArchiveClaim:
        rows = self._read("SELECT * FROM archive_claims WHERE id = ?", (archive_id,))
        if not rows:
            raise NotFoundError(f"no past check with id {archive_id}")
        return _archive_claim_from_row(rows[0])

    def archive_count(self, source: str | None = None) -> int:
        """How many past checks the archive holds (in one source, if given)."""
        if source is None:
            rows = self._read("SELECT COUNT(*) FROM archive_claims")
        else:
            rows = self._read("SELECT COUNT(*) FROM archive_claims WHERE source = ?", (source,))
        return int(rows[0][0])

    def archive_counts(self) -> dict[str, int]:
        """How many past checks each collection holds, by name.

        Read from the index of (source, id) alone: with :meth:`archive_sources`'s dates a
        million past checks took 3 s (10 s from disk); this takes a tenth of that.
        """
        rows = self._read(
            "SELECT source, COUNT(*) FROM archive_claims GROUP BY source ORDER BY source"
        )
        return {str(r[0]): int(r[1]) for r in rows}

    def archive_sources(self) -> list[ArchiveSource]:
        """The archive's collections (``"own"`` included when it has verdicts), by name."""
        rows = self._read(
            "SELECT source, COUNT(*) AS count, MAX(imported_at) AS last_imported"
            " FROM archive_claims GROUP BY source ORDER BY source"
        )
        return [ArchiveSource(r["source"], r["count"], r["last_imported"]) for r in rows]

    def remove_archive_source(self, source: str) -> int:
        """Forget an imported collection; returns how many past checks were removed."""
        if source == OWN_SOURCE:
            raise ValidationError("your own verdicts leave the archive when you clear them")
        if source == TEAM_SOURCE:
            raise ValidationError("your team's verdicts come from the team server (workbench team)")
        with self._write() as conn:
            removed = conn.execute("DELETE FROM archive_claims WHERE source = ?", (source,))
        return max(removed.rowcount, 0)

    def archive_term_counts(self, words: Sequence[str]) -> dict[str, int]:
        """How many past checks contain each word (after the index's porter stemming).

        Used to leave the commonest words out of a candidate search, which is what
        keeps matching fast on a large archive. Counts are cached per connection and
        may lag behind other connections' imports: good enough for that purpose.
        """
        missing = [w for w in dict.fromkeys(words) if w not in self._term_counts]
        if missing:
            stems = self._stems(missing)
            unique = sorted(set(stems.values()))
            sql = "SELECT term, doc FROM archive_vocab WHERE term IN ({marks})"
            found = {r["term"]: int(r["doc"]) for r in self._read_in(sql, unique)}
            if len(self._term_counts) > TERM_CACHE_SIZE:
                self._term_counts.clear()
            for w in missing:
                self._term_counts[w] = found.get(stems.get(w, w), 0)
        return {w: self._term_counts[w] for w in words}

    def _stems(self, words: Sequence[str]) -> dict[str, str]:
        """Each word as the index's tokenizer stores it, through a scratch in-memory FTS5 table."""
        conn = self.conn
        try:
            conn.execute(
                "CREATE VIRTUAL TABLE IF NOT EXISTS temp.stem_scratch"
                " USING fts5(w, tokenize='porter unicode61')"
            )
            conn.execute(
                "CREATE VIRTUAL TABLE IF NOT EXISTS temp.stem_scratch_vocab"
                " USING fts5vocab(temp, stem_scratch, instance)"
            )
            stems: dict[str, str] = {}
            for i in range(0, len(words), 200):
                chunk = words[i : i + 200]
                # One word per column value position: offsets map back to the words.
                conn.execute("INSERT INTO temp.stem_scratch (rowid, w) VALUES (1, ?)",
                             (" | ".join(chunk),))  # fmt: skip
                rows = conn.execute(
                    "SELECT term, offset FROM temp.stem_scratch_vocab ORDER BY offset"
                ).fetchall()
                conn.execute("DELETE FROM temp.stem_scratch")
                by_offset = {int(r["offset"]): r["term"] for r in rows}
                position = 0
                for word in chunk:
                    # A word may hold several tokens ("don't"); its first stands for it.
                    parts = _WORD.findall(word)
                    if parts:
                        stems[word] = by_offset.get(position, word)
                    position += len(parts)
            if conn.in_transaction:
                conn.commit()  # only the temp scratch table was written
            return stems
        except sqlite3.Error as exc:
            if conn.in_transaction:
                conn.rollback()
            raise store_error(self.path, exc) from exc

    def apply_past_verdict(
        self,
        claim_id: int,
        archive_id: int,
        *,
        status: Status | str | None = None,
        past: ArchiveClaim | None = None,
    ) -> Claim:
        """Give a claim the verdict of a past check: status, evidence, and where it came from.

        The status is ``status`` or the past verdict mapped by
        :func:`workbench.past_checks.verdict_to_status`. The past check's link (and, for
        one of your own earlier verdicts, that claim's evidence) is added as evidence
        unless the claim has it already. The note gets a paragraph naming the past check
        (:func:`past_check_note`: its rating, outlet, date and link). The history gets
        the status change, the note, each link, and an ``applied_from`` row whose ``new``
        is ``"<source>:<external id>"``. All in one transaction. ``past`` is a past check
        that is not in this database (found on the team server); ``archive_id`` is then
        not read.

        Undo by removing the links it added and giving the claim back its status and
        note (``workbench.operations.apply_past_verdict`` does).

        Raises:
            NotFoundError: no such claim or past check.
            ValidationError: the past verdict has no matching status (pass ``status``),
                or the past check is this claim's own verdict.
        """
        current = self.claim(claim_id)
        if past is None:
            past = self.archive_claim(archive_id)
        if past.claim_id == claim_id and past.source == OWN_SOURCE:
            raise ValidationError("that past check is this claim's own verdict")
        new_status = parse_status(status) if status is not None else verdict_to_status(past.verdict)
        if new_status is None or new_status is Status.UNCHECKED:
            raise ValidationError(
                f"the past verdict {past.verdict or '(none)'!r} has no matching status;"
                " choose the status by hand"
            )
        have = {e.url for e in current.evidence}
        links: list[tuple[str, str]] = []
        candidates = [(past.url, past.title or f"{past.publisher or past.source} fact-check")]
        if past.source == OWN_SOURCE and past.claim_id is not None:
            rows = self._read(
                "SELECT url, title FROM evidence WHERE claim_id = ? ORDER BY id", (past.claim_id,)
            )
            candidates += [(r["url"], r["title"]) for r in rows]
        elif past.source == TEAM_SOURCE:
            candidates += self._team_evidence(past.external_id)
        for url, title in candidates:
            try:  # stored links, kept as they were (one a new link may not be is not linked)
                url = validate_url(url, new=False)
            except ValidationError:
                continue
            if url not in have:
                have.add(url)
                links.append((url, title))
        provenance = f"{past.source}:{past.external_id}"
        note = f"verdict {past.verdict!r} applied from past check {provenance}"
        naming = past_check_note(past)
        claim_note = current.note
        if naming not in claim_note:
            claim_note = f"{claim_note.rstrip()}\n\n{naming}" if claim_note.strip() else naming
        now = _now()
        with self._write() as conn:
            if new_status is not current.status:
                conn.execute(
                    "UPDATE claims SET status = ?, updated_at = ? WHERE id = ?",
                    (new_status.value, now, claim_id),
                )
                self._record(conn, current, "status", current.status.value, new_status.value, now)
            if claim_note != current.note:
                conn.execute("UPDATE claims SET note = ? WHERE id = ?", (claim_note, claim_id))
                self._record(conn, current, "note", current.note, claim_note, now)
            for url, title in links:
                conn.execute(
                    "INSERT INTO evidence (claim_id, url, title, note, added_at)"
                    " VALUES (?, ?, ?, ?, ?)",
                    (claim_id, url, title, note, now),
                )
                self._record(conn, current, "evidence", None, url, now)
            conn.execute("UPDATE claims SET updated_at = ? WHERE id = ?", (now, claim_id))
            self._record(conn, current, "applied_from", None, provenance, now)
            self._sync_own_archive(conn, claim_id, now)
        log.info("claim %d: applied %s (%s)", claim_id, provenance, new_status.value)
        return self.claim(claim_id)

    def _sync_own_archive(self, conn: sqlite3.Connection, claim_id: int, now: str) -> None:
        """Keep the archive row mirroring a claim's verdict in step, inside the caller's write.

        A claim with a status other than unchecked is in the archive (source ``"own"``);
        back to unchecked, or removed, it leaves. ``date`` changes only with the verdict.
        """
        row = conn.execute("SELECT status FROM claims WHERE id = ?", (claim_id,)).fetchone()
        if row is None or row["status"] == Status.UNCHECKED.value:
            conn.execute(
                "DELETE FROM archive_claims WHERE source = ? AND external_id = ?",
                (OWN_SOURCE, f"claim-{claim_id}"),
            )
            return
        # A new row is indexed here; an updated one by the update trigger (see migration 0005).
        last_id = _last_archive_id(conn)
        conn.execute(
            f"INSERT INTO archive_claims ({_OWN_COLUMNS}) {_OWN_SELECT} WHERE c.id = ?"
            " ON CONFLICT (source, external_id) DO UPDATE SET text = excluded.text,"
            " title = excluded.title, verdict = excluded.verdict, url = excluded.url,"
            " speaker = excluded.speaker, date = CASE WHEN archive_claims.verdict ="
            " excluded.verdict THEN archive_claims.date ELSE excluded.date END",
            (now, now, claim_id),
        )
        _index_archive_rows_after(conn, last_id)
