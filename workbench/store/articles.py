"""Articles and their claims: storing an analysed article, reading it back, editing claims.

A claim's verdict edits are recorded in its history (:mod:`workbench.store.evidence`)
and mirrored in the archive of past checks (:mod:`workbench.store.archive`), inside the
same transaction. Claims the fact-checker adds or removes become training examples for
the claim detector (the ``claim_feedback`` table, read by :meth:`ArticlesMixin.feedback`).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from workbench.errors import NotFoundError, ValidationError
from workbench.models import (
    ARTICLE_FIELDS,
    CHOSEN_PRIORITIES,
    LIBRARY_STATES,
    Article,
    ArticleDraft,
    Claim,
    ClaimOrigin,
    ClaimType,
    DetectedClaim,
    Evidence,
    Status,
)
from workbench.past_checks import OWN_SOURCE
from workbench.priority import MIN_HIGH, PriorityThresholds
from workbench.store.db import StoreBase
from workbench.store.evidence import put_back_vault_records
from workbench.store.rows import (
    EVIDENCE_COLUMNS,
    _check_span,
    _claim_from_row,
    _evidence_from_row,
    _now,
    clean_tag,
    content_hash,
    evidence_values,
    parse_status,
    validate_url,
)
from workbench.textsafety import one_line

log = logging.getLogger("workbench.store")

USER_CLAIM_REASON = "added by the fact-checker"


@dataclass(frozen=True, slots=True)
class ArticleSummary:
    """A row of the article library: the article and how far its checking has got."""

    id: int
    title: str
    source: str
    published: str | None
    imported_at: str
    archived_at: str | None
    claim_count: int
    checked_count: int
    urgent_count: int = 0
    """Unchecked claims of high priority (or added by hand)."""
    tags: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class DeletedArticle:
    """Every row :meth:`ArticlesMixin.delete_article` deleted, by table, to put them back."""

    article_id: int
    rows: dict[str, list[dict[str, Any]]]


_ARTICLE_ROWS = (
    ("articles", "id = ?"),
    ("claims", "article_id = ?"),
    # Not deleted with the article (files are shared), but `vault prune` may drop the
    # records of the files it used before an undo puts its evidence back.
    (
        "vault_files",
        "sha256 IN (SELECT file_sha256 FROM evidence"
        " WHERE claim_id IN (SELECT id FROM claims WHERE article_id = ?))",
    ),
    ("evidence", "claim_id IN (SELECT id FROM claims WHERE article_id = ?)"),
    ("claim_tags", "claim_id IN (SELECT id FROM claims WHERE article_id = ?)"),
    ("article_tags", "article_id = ?"),
    ("claim_feedback", "article_id = ?"),
)
"""The tables an article's rows are in, parents first (the order to insert them back)."""


def header_value(name: str, value: str | None, *, new: bool = True) -> str | None:
    """The value an article header field stores for ``value`` (raises ValidationError).

    ``new=False``: a value put back as it was (an undo) is not held to the rules for a
    new link (:func:`validate_url`).
    """
    text = " ".join((value or "").split())
    if name == "url" and text:
        return validate_url(text, what="an article's link", new=new)
    if name == "published":
        if not text:
            return None
        try:
            return datetime.fromisoformat(text).date().isoformat()
        except ValueError:
            raise ValidationError(f"not a date (YYYY-MM-DD): {text!r}") from None
    return text


@dataclass(frozen=True, slots=True)
class ImportResult:
    """What storing an article did: ``created`` is False when it was already there."""

    article: Article
    claims: tuple[Claim, ...]
    created: bool


class ArticlesMixin(StoreBase):
    """Articles and claims, and the detector's training examples."""

    def add_article(self, draft: ArticleDraft, claims: Sequence[DetectedClaim]) -> ImportResult:
        """Store an article with its detected claims, or return it if already stored."""
        if not draft.text.strip():
            raise ValidationError("the article has no text")
        existing = self.find_article(draft.text)
        if existing is not None:
            return ImportResult(self.article(existing), tuple(self.claims(existing)), False)
        digest = content_hash(draft.text)
        for claim in claims:
            _check_span(draft.text, claim.start, claim.end)
        now = _now()
        with self._write() as conn:
            cur = conn.execute(
                "INSERT INTO articles (title, source, author, url, published, imported_at,"
                " text, content_hash, origin) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    draft.title,
                    draft.source,
                    draft.author,
                    draft.url,
                    draft.published,
                    now,
                    draft.text,
                    digest,
                    draft.origin,
                ),
            )
            article_id = int(cur.lastrowid or 0)
            # The detector's claimant is only a first value: the fact-checker's edits go
            # through update_claim, and a stored article is never analysed again here.
            conn.executemany(
                'INSERT INTO claims (article_id, start, "end", text, score, reasons, status,'
                " claimant, type, origin, created_at, updated_at)"
                " VALUES (?, ?, ?, ?, ?, ?, 'unchecked', ?, ?, 'detector', ?, ?)",
                [
                    (
                        article_id,
                        c.start,
                        c.end,
                        draft.text[c.start : c.end],
                        min(1.0, max(0.0, c.score)),
                        json.dumps(list(c.reasons)),
                        " ".join(c.claimant.split()),
                        c.type.value if c.type is not None else None,
                        now,
                        now,
                    )
                    for c in sorted(claims, key=lambda c: c.start)
                ],
            )
        log.info("stored article %d with %d claims", article_id, len(claims))
        return ImportResult(self.article(article_id), tuple(self.claims(article_id)), True)

    def find_article(self, text: str) -> int | None:
        """The id of the stored article with exactly this normalised text, if any."""
        rows = self._read("SELECT id FROM articles WHERE content_hash = ?", (content_hash(text),))
        return int(rows[0]["id"]) if rows else None

    def article(self, article_id: int) -> Article:
        rows = self._read("SELECT * FROM articles WHERE id = ?", (article_id,))
        if not rows:
            raise NotFoundError(f"no article with id {article_id}")
        tags = self._tags_for("article", [article_id]).get(article_id, ())
        return Article(**dict(rows[0]), tags=tags)  # the columns are the other fields

    def articles(
        self,
        *,
        search: str = "",
        archived: bool | None = False,
        tag: str | None = None,
        state: str | None = None,
        priorities: PriorityThresholds | None = None,
    ) -> list[ArticleSummary]:
        """The library, newest first; ``search`` filters on title, source and text.

        ``archived``: False, the articles in the library; True, the archived ones; None,
        all. ``tag``: only articles with this tag, on the article or one of its claims.
        ``state``: one of :data:`LIBRARY_STATES` ("unchecked": some claim has no verdict
        yet; "urgent": some unchecked claim is high priority under ``priorities`` (the
        default thresholds if None), or was added by hand; "checked": every claim has a
        verdict).
        """
        graded = priorities or PriorityThresholds()
        conditions, params, having = [], [], ""
        if archived is not None:
            conditions.append(f"a.archived_at IS {'NOT ' if archived else ''}NULL")
        if search.strip():
            conditions.append("(a.title LIKE ? OR a.source LIKE ? OR a.text LIKE ?)")
            like = f"%{search.strip()}%"
            params += [like, like, like]
        if tag:
            conditions.append(
                "(a.id IN (SELECT article_id FROM article_tags WHERE tag = ?) OR a.id IN"
                " (SELECT c2.article_id FROM claim_tags t JOIN claims c2 ON c2.id = t.claim_id"
                " WHERE t.tag = ?))"
            )
            params += [tag, tag]
        if state is not None and state not in LIBRARY_STATES:
            raise ValueError(f"unknown library state {state!r}")
        if state == "unchecked":
            having = "HAVING checked_count < claim_count"
        elif state == "checked":
            having = "HAVING checked_count = claim_count AND claim_count > 0"
        elif state == "urgent":
            having = "HAVING urgent_count > 0"
        where = f"WHERE {' AND '.join(conditions)}" if conditions else ""
        rows = self._read(
            "SELECT a.id, a.title, a.source, a.published, a.imported_at, a.archived_at,"
            " COUNT(c.id) AS claim_count,"
            " COALESCE(SUM(c.status != 'unchecked'), 0) AS checked_count,"
            " COALESCE(SUM(c.status = 'unchecked' AND (c.chosen_priority = 'high'"
            "  OR (c.chosen_priority = '' AND (c.origin = 'user' OR (c.score >= ?"
            # among the article's best-scored detected claims (priority.high_room):
            # place <= max(MIN_HIGH, ceil(detected * share))
            "  AND (c.place <= ? OR c.place - 1 < c.detected * ?)))))), 0) AS urgent_count"
            " FROM articles a LEFT JOIN (SELECT id, article_id, status, origin, score,"
            "  chosen_priority, RANK() OVER article_claims AS place,"
            "  COUNT(*) OVER article_claims AS detected FROM claims WINDOW article_claims AS"
            "  (PARTITION BY article_id, origin = 'user' OR chosen_priority != ''"
            "  ORDER BY score DESC RANGE BETWEEN UNBOUNDED PRECEDING AND UNBOUNDED FOLLOWING)"
            f") c ON c.article_id = a.id {where}"
            f" GROUP BY a.id {having} ORDER BY a.imported_at DESC, a.id DESC",
            [graded.high, MIN_HIGH, graded.high_share, *params],
        )
        tags = self._tags_for("article", [r["id"] for r in rows])
        return [ArticleSummary(**dict(r), tags=tags.get(r["id"], ())) for r in rows]

    def update_article(
        self, article_id: int, *, restoring: bool = False, **fields: str | None
    ) -> Article:
        """Change an article's header (:data:`~workbench.models.ARTICLE_FIELDS`).

        The link must be an http(s) URL or empty; the date an ISO 8601 date or empty
        (no date). Text is kept on one line, its runs of spaces folded. ``restoring``:
        the values are put back as they were (an undo), so a link stored before a rule
        for new links came in is taken back.
        """
        unknown = set(fields) - set(ARTICLE_FIELDS)
        if unknown:
            raise ValueError(f"not an article header field: {', '.join(sorted(unknown))}")
        article = self.article(article_id)
        values = {  # a value kept as it is is not held to limits set after it was stored
            name: value
            if value == getattr(article, name)
            else header_value(name, value, new=not restoring)
            for name, value in fields.items()
        }
        if values:
            assignments = ", ".join(f"{name} = ?" for name in values)
            with self._write() as conn:
                conn.execute(
                    f"UPDATE articles SET {assignments} WHERE id = ?",
                    (*values.values(), article_id),
                )
        return self.article(article_id)

    def set_article_archived(self, article_id: int, archived: bool) -> Article:
        """Move an article out of the library's list (kept whole), or back into it."""
        self.article(article_id)
        with self._write() as conn:
            conn.execute(
                "UPDATE articles SET archived_at = ? WHERE id = ?",
                (_now() if archived else None, article_id),
            )
        return self.article(article_id)

    def delete_article(self, article_id: int) -> DeletedArticle:
        """Delete an article with its claims, evidence and corrections.

        Returns every row it deleted, for :meth:`restore_article` (an undo while the app
        is open). The claims' history stays: it is an audit trail.
        """
        self.article(article_id)
        rows: dict[str, list[dict[str, Any]]] = {}
        for table, where in _ARTICLE_ROWS:
            found = self._read(f"SELECT * FROM {table} WHERE {where}", (article_id,))
            rows[table] = [dict(row) for row in found]
        with self._write() as conn:
            conn.execute(
                "DELETE FROM archive_claims WHERE source = ? AND claim_id IN"
                " (SELECT id FROM claims WHERE article_id = ?)",
                (OWN_SOURCE, article_id),
            )
            conn.execute("DELETE FROM articles WHERE id = ?", (article_id,))
        return DeletedArticle(article_id, rows)

    def restore_article(self, deleted: DeletedArticle) -> Article:
        """Put back an article :meth:`delete_article` deleted, exactly as it was."""
        now = _now()
        with self._write() as conn:
            for table, _ in _ARTICLE_ROWS:
                for row in deleted.rows[table]:
                    columns = ", ".join(f'"{name}"' for name in row)
                    marks = ", ".join("?" * len(row))
                    verb = "INSERT OR IGNORE" if table == "vault_files" else "INSERT"
                    conn.execute(
                        f"{verb} INTO {table} ({columns}) VALUES ({marks})", tuple(row.values())
                    )
            for row in deleted.rows["claims"]:
                self._sync_own_archive(conn, int(row["id"]), now)
        return self.article(deleted.article_id)

    # -- claims --------------------------------------------------------------------

    def claims(self, article_id: int) -> list[Claim]:
        """An article's claims in reading order, each with its evidence."""
        rows = self._read(
            'SELECT * FROM claims WHERE article_id = ? ORDER BY start, "end"', (article_id,)
        )
        ids = [r["id"] for r in rows]
        evidence, tags = self._evidence_for(ids), self._tags_for("claim", ids)
        return [_claim_from_row(r, evidence.get(r["id"], ()), tags.get(r["id"], ())) for r in rows]

    def claim(self, claim_id: int) -> Claim:
        rows = self._read("SELECT * FROM claims WHERE id = ?", (claim_id,))
        if not rows:
            raise NotFoundError(f"no claim with id {claim_id}")
        evidence = self._evidence_for([claim_id]).get(claim_id, ())
        return _claim_from_row(
            rows[0], evidence, self._tags_for("claim", [claim_id]).get(claim_id, ())
        )

    def _tags_for(self, kind: str, ids: Sequence[int]) -> dict[int, tuple[str, ...]]:
        """The tags of each of ``ids`` (``kind`` "claim" or "article"), alphabetical."""
        if not ids:
            return {}
        found: dict[int, list[str]] = {}
        sql = f"SELECT {kind}_id AS id, tag FROM {kind}_tags WHERE {kind}_id IN ({{marks}})"
        for r in self._read_in(sql + " ORDER BY tag COLLATE NOCASE", ids):
            found.setdefault(r["id"], []).append(r["tag"])
        return {k: tuple(v) for k, v in found.items()}

    def tags(self) -> list[str]:
        """Every tag in use on an article or a claim, alphabetical (for completion, filters)."""
        rows = self._read(
            "SELECT tag FROM article_tags UNION SELECT tag FROM claim_tags"
            " ORDER BY 1 COLLATE NOCASE"
        )
        return [str(r["tag"]) for r in rows]

    def _spelt(self, tags: Sequence[str]) -> list[str]:
        """``tags`` cleaned, each spelt as the same tag already in use, if it is."""
        cleaned = [clean_tag(t) for t in tags]
        existing = {t.casefold(): t for t in self.tags()} if cleaned else {}
        return [existing.get(t.casefold(), t) for t in cleaned]

    def tag_claims(
        self, claim_ids: Sequence[int], *, add: Sequence[str] = (), remove: Sequence[str] = ()
    ) -> list[Claim]:
        """Add and remove tags on several claims at once (one write); each in its history."""
        added, removed = self._spelt(add), [clean_tag(t) for t in remove]
        claims = [self.claim(claim_id) for claim_id in claim_ids]
        now = _now()
        with self._write() as conn:
            for claim in claims:
                have = {t.casefold() for t in claim.tags}
                for tag in removed:
                    if tag.casefold() in have:
                        conn.execute(
                            "DELETE FROM claim_tags WHERE claim_id = ? AND tag = ?", (claim.id, tag)
                        )
                        have.discard(tag.casefold())
                        self._record(conn, claim, "tag", tag, None, now)
                for tag in added:
                    if tag.casefold() not in have:
                        conn.execute(
                            "INSERT INTO claim_tags (claim_id, tag) VALUES (?, ?)", (claim.id, tag)
                        )
                        have.add(tag.casefold())
                        self._record(conn, claim, "tag", None, tag, now)
        return [self.claim(claim.id) for claim in claims]

    def set_article_tags(self, article_id: int, tags: Sequence[str]) -> Article:
        """Give an article exactly these tags."""
        cleaned: dict[str, str] = {}
        for tag in self._spelt(tags):
            cleaned.setdefault(tag.casefold(), tag)  # the first spelling given
        self.article(article_id)
        with self._write() as conn:
            conn.execute("DELETE FROM article_tags WHERE article_id = ?", (article_id,))
            conn.executemany(
                "INSERT INTO article_tags (article_id, tag) VALUES (?, ?)",
                [(article_id, tag) for tag in cleaned.values()],
            )
        return self.article(article_id)

    def _evidence_for(self, claim_ids: Sequence[int]) -> dict[int, tuple[Evidence, ...]]:
        if not claim_ids:
            return {}
        found: dict[int, list[Evidence]] = {}
        sql = "SELECT * FROM evidence WHERE claim_id IN ({marks}) ORDER BY id"
        rows = self._read_in(sql, claim_ids)
        files = self._vault_files_for([r["file_sha256"] for r in rows if r["file_sha256"]])
        for r in rows:
            found.setdefault(r["claim_id"], []).append(_evidence_from_row(r, files))
        return {k: tuple(v) for k, v in found.items()}

    def update_claim(
        self,
        claim_id: int,
        *,
        status: Status | str | None = None,
        note: str | None = None,
        claimant: str | None = None,
        evidence: Sequence[tuple[str, str]] = (),
        chosen_priority: str | None = None,
    ) -> Claim:
        """Record a verdict: status, note, claimant and new evidence ``(url, title)`` links;
        ``chosen_priority``: the fact-checker's priority for the claim ("" gives it back
        to the detector).

        Everything is validated first and written in one transaction, so a bad URL
        leaves the claim exactly as it was. Each change is recorded in the history.
        """
        current = self.claim(claim_id)
        changes: dict[str, str] = {}
        if status is not None:
            changes["status"] = parse_status(status).value
        if note is not None:
            changes["note"] = note
        if claimant is not None:
            changes["claimant"] = claimant.strip()
        if chosen_priority is not None:
            if chosen_priority not in CHOSEN_PRIORITIES:
                raise ValidationError(
                    f"a priority is high, medium or low, not {one_line(chosen_priority)!r}"
                )
            changes["chosen_priority"] = chosen_priority
        links = [(validate_url(url), title.strip()) for url, title in evidence]
        changes = {k: v for k, v in changes.items() if str(getattr(current, k)) != v}
        if not changes and not links:
            return current
        now = _now()
        with self._write() as conn:
            sets = "".join(f"{field} = ?, " for field in changes)
            conn.execute(
                f"UPDATE claims SET {sets}updated_at = ? WHERE id = ?",
                (*changes.values(), now, claim_id),
            )
            for field, new in changes.items():
                self._record(conn, current, field, str(getattr(current, field)), new, now)
            for url, title in links:
                conn.execute(
                    "INSERT INTO evidence (claim_id, url, title, note, added_at)"
                    " VALUES (?, ?, ?, '', ?)",
                    (claim_id, url, title, now),
                )
                self._record(conn, current, "evidence", None, url, now)
            self._sync_own_archive(conn, claim_id, now)
        return self.claim(claim_id)

    def add_claim(
        self,
        article_id: int,
        start: int,
        end: int,
        *,
        describe: Callable[[str, int, int], tuple[str, ClaimType | None]] | None = None,
    ) -> Claim:
        """Add a claim the detector missed, from character offsets into the article.

        ``describe`` gives its claimant and type from the article text and the trimmed
        offsets (:func:`workbench.nlp.claim_types.describe`); without it both are empty.
        """
        article = self.article(article_id)
        _check_span(article.text, start, end)
        # Trim surrounding white space so a sloppy selection still makes a clean claim.
        segment = article.text[start:end]
        start += len(segment) - len(segment.lstrip())
        end -= len(segment) - len(segment.rstrip())
        if start >= end:
            raise ValidationError("the selected text is only white space")
        self._refuse_overlap(article_id, start, end)
        text = article.text[start:end]
        claimant, claim_type = describe(article.text, start, end) if describe else ("", None)
        now = _now()
        with self._write() as conn:
            cur = conn.execute(
                'INSERT INTO claims (article_id, start, "end", text, score, reasons, status,'
                " claimant, type, origin, created_at, updated_at)"
                " VALUES (?, ?, ?, ?, 1.0, ?, 'unchecked', ?, ?, 'user', ?, ?)",
                (
                    article_id,
                    start,
                    end,
                    text,
                    json.dumps([USER_CLAIM_REASON]),
                    claimant,
                    None if claim_type is None else claim_type.value,
                    now,
                    now,
                ),
            )
            claim_id = int(cur.lastrowid or 0)
            conn.execute(
                "INSERT INTO claim_feedback (article_id, text, label, created_at)"
                " VALUES (?, ?, 1, ?)",
                (article_id, text, now),
            )
            self._record_raw(conn, claim_id, article_id, "claim", None, text, now)
        return self.claim(claim_id)

    def remove_claim(self, claim_id: int) -> Claim:
        """Remove a claim (and its evidence); a detector claim is kept as a negative example."""
        current = self.claim(claim_id)
        now = _now()
        with self._write() as conn:
            conn.execute("DELETE FROM claims WHERE id = ?", (claim_id,))
            if current.origin is ClaimOrigin.DETECTOR:
                conn.execute(
                    "INSERT INTO claim_feedback (article_id, text, label, created_at)"
                    " VALUES (?, ?, 0, ?)",
                    (current.article_id, current.text, now),
                )
            else:
                # The fact-checker took back a claim of their own: no longer a positive example.
                conn.execute(
                    "DELETE FROM claim_feedback WHERE id = (SELECT MAX(id) FROM claim_feedback"
                    " WHERE article_id = ? AND text = ? AND label = 1)",
                    (current.article_id, current.text),
                )
            self._record(conn, current, "claim", current.text, None, now)
            self._sync_own_archive(conn, claim_id, now)
        return current

    def restore_claim(self, claim: Claim) -> Claim:
        """Put back a removed claim exactly as it was, evidence included (undo of a removal)."""
        article = self.article(claim.article_id)
        _check_span(article.text, claim.start, claim.end)
        self._refuse_overlap(claim.article_id, claim.start, claim.end)  # one added meanwhile
        now = _now()
        with self._write() as conn:
            conn.execute(
                'INSERT INTO claims (id, article_id, start, "end", text, score, reasons, status,'
                " note, claimant, type, origin, created_at, updated_at, chosen_priority)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (claim.id, claim.article_id, claim.start, claim.end, claim.text, claim.score,
                 json.dumps(list(claim.reasons)), claim.status.value, claim.note, claim.claimant,
                 claim.type.value if claim.type is not None else None,
                 claim.origin.value, claim.created_at, now, claim.chosen_priority),
            )  # fmt: skip
            put_back_vault_records(conn, [e.file for e in claim.evidence if e.file])
            conn.executemany(
                f"INSERT INTO evidence ({EVIDENCE_COLUMNS}) VALUES ({', '.join('?' * 13)})",
                [evidence_values(e) for e in claim.evidence],
            )
            conn.executemany(
                "INSERT INTO claim_tags (claim_id, tag) VALUES (?, ?)",
                [(claim.id, tag) for tag in claim.tags],
            )
            # Undoing a removal undoes its feedback too: a detector claim is no longer a
            # negative example, a fact-checker's own claim is a positive one again.
            if claim.origin is ClaimOrigin.DETECTOR:
                conn.execute(
                    "DELETE FROM claim_feedback WHERE id = (SELECT MAX(id) FROM claim_feedback"
                    " WHERE article_id = ? AND text = ? AND label = 0)",
                    (claim.article_id, claim.text),
                )
            else:
                conn.execute(
                    "INSERT INTO claim_feedback (article_id, text, label, created_at)"
                    " VALUES (?, ?, 1, ?)",
                    (claim.article_id, claim.text, now),
                )
            self._record(conn, claim, "claim", None, claim.text, now)
            self._sync_own_archive(conn, claim.id, now)
        return self.claim(claim.id)

    def _refuse_overlap(self, article_id: int, start: int, end: int, *, but: int = 0) -> None:
        """Claims never overlap: raise ValidationError if ``start``-``end`` would overlap
        one of the article's claims (other than claim ``but``)."""
        for other in self.claims(article_id):
            if other.id != but and start < other.end and other.start < end:
                raise ValidationError(
                    f"characters {start}-{end} overlap claim {other.id} ({other.start}-{other.end})"
                )

    def set_claim_span(self, claim_id: int, start: int, end: int) -> Claim:
        """Move a claim's boundaries (extend or shrink it), keeping its verdict and evidence."""
        current = self.claim(claim_id)
        text = self.article(current.article_id).text
        _check_span(text, start, end)
        self._refuse_overlap(current.article_id, start, end, but=claim_id)
        now = _now()
        with self._write() as conn:
            conn.execute(
                'UPDATE claims SET start = ?, "end" = ?, text = ?, updated_at = ? WHERE id = ?',
                (start, end, text[start:end], now, claim_id),
            )
            self._record(conn, current, "span", f"{current.start}-{current.end}",
                         f"{start}-{end}", now)  # fmt: skip
            if current.origin is ClaimOrigin.USER:
                # Its positive example follows it: removing it later finds it by its text.
                conn.execute(
                    "UPDATE claim_feedback SET text = ? WHERE id = (SELECT MAX(id)"
                    " FROM claim_feedback WHERE article_id = ? AND text = ? AND label = 1)",
                    (text[start:end], current.article_id, current.text),
                )
            self._sync_own_archive(conn, claim_id, now)
        return self.claim(claim_id)

    def feedback(self) -> list[tuple[str, int]]:
        """The fact-checker's corrections as (sentence, label) training examples.

        A row no version writes (a blob for its text, a label other than 0 or 1: edited
        by hand or by another program) is left out: it made every analysis fail.
        """
        return [
            (r["text"], r["label"])
            for r in self._read(
                "SELECT text, label FROM claim_feedback"
                " WHERE typeof(text) = 'text' AND label IN (0, 1) ORDER BY id"
            )
        ]

    def chosen_priorities(self) -> list[tuple[str, str, str]]:
        """The detected claims the fact-checker gave a priority, as (text, the priority
        given, the one its score and rank give it), oldest change first
        (:mod:`workbench.nlp.feedback`: the difference is what it learns)."""
        rows = self._read(
            "SELECT article_id, text, chosen_priority, score FROM claims"
            # Only the priorities a version writes: a row edited by hand past the CHECK
            # ("urgent", "High") or with a blob for its text made every analysis fail.
            " WHERE chosen_priority IN ('high', 'medium', 'low') AND typeof(text) = 'text'"
            " AND origin = 'detector' ORDER BY updated_at, id"
        )
        stored = self._read("SELECT key, value FROM settings WHERE key LIKE 'priority.%'")
        settings = PriorityThresholds.from_settings({r["key"]: r["value"] for r in stored})
        # The ranked scores of those articles only (run before every analysis: reading
        # whole claims, evidence and tags of each article was needless work).
        ranked: dict[int, list[float]] = {r["article_id"]: [] for r in rows}
        for r in self._read_in(
            "SELECT article_id, score FROM claims WHERE article_id IN ({marks})"
            " AND origin = 'detector' AND chosen_priority = ''",
            list(ranked),
        ):
            ranked[r["article_id"]].append(r["score"])
        graded = {article_id: settings.for_scores(scores) for article_id, scores in ranked.items()}
        return [
            (r["text"], r["chosen_priority"], graded[r["article_id"]].level(r["score"]).value)
            for r in rows
        ]
