"""The local SQLite database: the only module that speaks SQL.

Every change runs in one short ``BEGIN IMMEDIATE`` transaction, so a failure (or a
crash) leaves the database exactly as it was before the change. Schema changes are
numbered migrations (sqlite-utils ``Migrations``); ``PRAGMA user_version`` records
how many have run, so a database written by a newer version of the app is refused
rather than misread.
"""

from __future__ import annotations

import contextlib
import getpass
import hashlib
import json
import logging
import os
import sqlite3
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import platformdirs
from sqlite_utils import Database, Migrations

from workbench.errors import NotFoundError, StoreError, ValidationError
from workbench.models import (
    Article,
    ArticleDraft,
    Claim,
    ClaimOrigin,
    DetectedClaim,
    Evidence,
    HistoryEntry,
    Status,
)

log = logging.getLogger("workbench.store")

APP_NAME = "factcheck-workbench"
DB_ENV_VAR = "WORKBENCH_DB"
USER_ENV_VAR = "WORKBENCH_USER"
SQLITE_MAGIC = b"SQLite format 3\x00"
BUSY_TIMEOUT_S = 5.0
USER_CLAIM_REASON = "added by the fact-checker"
NOTE_COALESCE_S = 60.0
"""Note saves by one user within this many seconds form one history entry."""

migrations = Migrations("workbench")


@migrations(name="0001_initial")
def _m0001_initial(db: Database) -> None:
    db.executescript(
        """
        CREATE TABLE articles (
            id INTEGER PRIMARY KEY,
            title TEXT NOT NULL DEFAULT '',
            source TEXT NOT NULL DEFAULT '',
            author TEXT NOT NULL DEFAULT '',
            url TEXT NOT NULL DEFAULT '',
            published TEXT,
            imported_at TEXT NOT NULL,
            text TEXT NOT NULL,
            content_hash TEXT NOT NULL UNIQUE,
            origin TEXT NOT NULL DEFAULT ''
        );
        CREATE TABLE claims (
            id INTEGER PRIMARY KEY,
            article_id INTEGER NOT NULL REFERENCES articles(id) ON DELETE CASCADE,
            start INTEGER NOT NULL,
            "end" INTEGER NOT NULL,
            text TEXT NOT NULL,
            score REAL NOT NULL,
            reasons TEXT NOT NULL DEFAULT '[]',
            status TEXT NOT NULL DEFAULT 'unchecked'
                CHECK (status IN ('unchecked', 'verified', 'disputed', 'unverifiable')),
            note TEXT NOT NULL DEFAULT '',
            claimant TEXT NOT NULL DEFAULT '',
            origin TEXT NOT NULL DEFAULT 'detector' CHECK (origin IN ('detector', 'user')),
            created_at TEXT NOT NULL,
            updated_at TEXT NOT NULL,
            CHECK (start >= 0 AND "end" > start),
            CHECK (score >= 0 AND score <= 1)
        );
        CREATE INDEX claims_by_article ON claims(article_id, start);
        CREATE TABLE evidence (
            id INTEGER PRIMARY KEY,
            claim_id INTEGER NOT NULL REFERENCES claims(id) ON DELETE CASCADE,
            url TEXT NOT NULL,
            title TEXT NOT NULL DEFAULT '',
            note TEXT NOT NULL DEFAULT '',
            added_at TEXT NOT NULL
        );
        CREATE INDEX evidence_by_claim ON evidence(claim_id);
        -- History outlives the claim it describes (an audit trail), hence no foreign key.
        CREATE TABLE claim_history (
            id INTEGER PRIMARY KEY,
            claim_id INTEGER NOT NULL,
            article_id INTEGER NOT NULL,
            field TEXT NOT NULL,
            old TEXT,
            new TEXT,
            changed_by TEXT NOT NULL,
            changed_at TEXT NOT NULL
        );
        CREATE INDEX history_by_claim ON claim_history(claim_id, id);
        -- The fact-checker's corrections to the detector: labelled examples for training.
        CREATE TABLE claim_feedback (
            id INTEGER PRIMARY KEY,
            article_id INTEGER NOT NULL REFERENCES articles(id) ON DELETE CASCADE,
            text TEXT NOT NULL,
            label INTEGER NOT NULL CHECK (label IN (0, 1)),
            created_at TEXT NOT NULL
        );
        CREATE TABLE settings (
            key TEXT PRIMARY KEY,
            value TEXT NOT NULL
        );
        """
    )


SCHEMA_VERSION = 1
"""The number of migrations above; ``PRAGMA user_version`` holds it once they have run."""


def default_db_path() -> Path:
    """The database used when neither ``--db`` nor ``WORKBENCH_DB`` names one."""
    env = os.environ.get(DB_ENV_VAR, "").strip()
    if env:
        return Path(env).expanduser()
    return Path(platformdirs.user_data_dir(APP_NAME, appauthor=False)) / "workbench.db"


def content_hash(text: str) -> str:
    """Identity of an article: the SHA-256 of its normalised text."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def _seconds_between(earlier: str, later: str) -> float:
    try:
        return (datetime.fromisoformat(later) - datetime.fromisoformat(earlier)).total_seconds()
    except ValueError:
        return float("inf")


def _current_user() -> str:
    env = os.environ.get(USER_ENV_VAR, "").strip()
    if env:
        return env
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "unknown"


@dataclass(frozen=True, slots=True)
class ArticleSummary:
    """A row of the article library: the article and how far its checking has got."""

    id: int
    title: str
    source: str
    published: str | None
    imported_at: str
    claim_count: int
    checked_count: int


@dataclass(frozen=True, slots=True)
class ImportResult:
    """What storing an article did: ``created`` is False when it was already there."""

    article: Article
    claims: tuple[Claim, ...]
    created: bool


def _describe_sqlite_error(path: Path, exc: sqlite3.Error) -> str:
    text = str(exc)
    if "locked" in text or "busy" in text:
        return f"the database {path} is locked by another program; close it and try again"
    if "not a database" in text or "malformed" in text or "file is encrypted" in text:
        return f"{path} is not a usable workbench database (corrupt or not SQLite)"
    if "readonly" in text or "read-only" in text:
        return f"the database {path} is read-only"
    if "disk" in text and "full" in text:
        return f"the disk holding {path} is full; nothing was saved"
    return f"database error on {path}: {text}"


class Store:
    """A fact-checker's database of articles, claims, verdicts and evidence.

    Open one ``Store`` per thread: a connection is never shared across threads.
    """

    def __init__(self, path: str | Path, *, user: str | None = None) -> None:
        self.path = Path(path).expanduser()
        self.user = user or _current_user()
        self._check_file()
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise StoreError(f"cannot create the folder for {self.path}: {exc.strerror}") from exc
        conn: sqlite3.Connection | None = None
        try:
            conn = sqlite3.connect(self.path, timeout=BUSY_TIMEOUT_S)
            conn.row_factory = sqlite3.Row
            conn.execute("PRAGMA foreign_keys = ON")
            self.db = Database(conn, execute_plugins=False, recursive_triggers=False)
            self._migrate()
            conn.execute("PRAGMA journal_mode = WAL")
            # FULL: a verdict reported as saved survives a power cut, not just a crash.
            conn.execute("PRAGMA synchronous = FULL")
        except sqlite3.Error as exc:
            if conn is not None:
                conn.close()
            raise StoreError(_describe_sqlite_error(self.path, exc)) from exc

    # -- lifecycle -----------------------------------------------------------------

    def close(self) -> None:
        self.db.conn.close()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _check_file(self) -> None:
        """Refuse a file that is not SQLite before SQLite touches it."""
        if self.path.is_dir():
            raise StoreError(f"{self.path} is a folder, not a database file")
        if not self.path.exists() or self.path.stat().st_size == 0:
            return
        try:
            with self.path.open("rb") as fh:
                header = fh.read(len(SQLITE_MAGIC))
        except OSError as exc:
            raise StoreError(f"cannot read the database {self.path}: {exc.strerror}") from exc
        if header != SQLITE_MAGIC:
            raise StoreError(f"{self.path} is not a workbench database (not an SQLite file)")

    def _migrate(self) -> None:
        version = self.db.conn.execute("PRAGMA user_version").fetchone()[0]
        if version > SCHEMA_VERSION:
            raise StoreError(
                f"{self.path} was written by a newer version of the workbench "
                f"(schema {version}, this version knows {SCHEMA_VERSION}); please upgrade"
            )
        tables = set(self.db.table_names())
        if version == 0 and tables - {"_sqlite_migrations"}:
            raise StoreError(f"{self.path} is an SQLite database, but not a workbench one")
        if version < SCHEMA_VERSION:
            log.info("migrating %s from schema %d to %d", self.path, version, SCHEMA_VERSION)
            migrations.apply(self.db)  # each migration in its own transaction
            self.db.conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")

    @contextlib.contextmanager
    def _write(self) -> Iterator[sqlite3.Connection]:
        """One atomic write: everything inside commits together or not at all."""
        conn = self.db.conn
        try:
            conn.execute("BEGIN IMMEDIATE")
        except sqlite3.Error as exc:
            raise StoreError(_describe_sqlite_error(self.path, exc)) from exc
        try:
            yield conn
            conn.execute("COMMIT")
        except BaseException as exc:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            if isinstance(exc, sqlite3.Error):
                raise StoreError(_describe_sqlite_error(self.path, exc)) from exc
            raise

    def _read(self, sql: str, params: Sequence[Any] = ()) -> list[sqlite3.Row]:
        try:
            return list(self.db.conn.execute(sql, params))
        except sqlite3.Error as exc:
            raise StoreError(_describe_sqlite_error(self.path, exc)) from exc

    # -- articles ------------------------------------------------------------------

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
            conn.executemany(
                'INSERT INTO claims (article_id, start, "end", text, score, reasons, status,'
                " origin, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, 'unchecked',"
                " 'detector', ?, ?)",
                [
                    (
                        article_id,
                        c.start,
                        c.end,
                        draft.text[c.start : c.end],
                        min(1.0, max(0.0, c.score)),
                        json.dumps(list(c.reasons)),
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
        return Article(**dict(rows[0]))  # the columns are the fields

    def articles(self, *, search: str = "") -> list[ArticleSummary]:
        """The library, newest first; ``search`` filters on title, source and text."""
        where, params = "", []
        if search.strip():
            where = "WHERE a.title LIKE ? OR a.source LIKE ? OR a.text LIKE ?"
            like = f"%{search.strip()}%"
            params = [like, like, like]
        rows = self._read(
            "SELECT a.id, a.title, a.source, a.published, a.imported_at,"
            " COUNT(c.id) AS claim_count,"
            " COALESCE(SUM(c.status != 'unchecked'), 0) AS checked_count"
            f" FROM articles a LEFT JOIN claims c ON c.article_id = a.id {where}"
            " GROUP BY a.id ORDER BY a.imported_at DESC, a.id DESC",
            params,
        )
        return [ArticleSummary(**dict(r)) for r in rows]

    def delete_article(self, article_id: int) -> None:
        self.article(article_id)
        with self._write() as conn:
            conn.execute("DELETE FROM articles WHERE id = ?", (article_id,))

    # -- claims --------------------------------------------------------------------

    def claims(self, article_id: int) -> list[Claim]:
        """An article's claims in reading order, each with its evidence."""
        rows = self._read(
            'SELECT * FROM claims WHERE article_id = ? ORDER BY start, "end"', (article_id,)
        )
        evidence = self._evidence_for([r["id"] for r in rows])
        return [_claim_from_row(r, evidence.get(r["id"], ())) for r in rows]

    def claim(self, claim_id: int) -> Claim:
        rows = self._read("SELECT * FROM claims WHERE id = ?", (claim_id,))
        if not rows:
            raise NotFoundError(f"no claim with id {claim_id}")
        return _claim_from_row(rows[0], self._evidence_for([claim_id]).get(claim_id, ()))

    def _evidence_for(self, claim_ids: Sequence[int]) -> dict[int, tuple[Evidence, ...]]:
        if not claim_ids:
            return {}
        found: dict[int, list[Evidence]] = {}
        # Chunks stay under SQLite's bound-parameter limit for articles with many claims.
        for i in range(0, len(claim_ids), 500):
            chunk = list(claim_ids[i : i + 500])
            marks = ",".join("?" * len(chunk))
            for r in self._read(
                f"SELECT * FROM evidence WHERE claim_id IN ({marks}) ORDER BY id", chunk
            ):
                found.setdefault(r["claim_id"], []).append(_evidence_from_row(r))
        return {k: tuple(v) for k, v in found.items()}

    def update_claim(
        self,
        claim_id: int,
        *,
        status: Status | str | None = None,
        note: str | None = None,
        claimant: str | None = None,
        evidence: Sequence[tuple[str, str]] = (),
    ) -> Claim:
        """Record a verdict: status, note, claimant and new evidence ``(url, title)`` links.

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
        return self.claim(claim_id)

    def add_claim(self, article_id: int, start: int, end: int) -> Claim:
        """Add a claim the detector missed, from character offsets into the article."""
        article = self.article(article_id)
        _check_span(article.text, start, end)
        # Trim surrounding white space so a sloppy selection still makes a clean claim.
        segment = article.text[start:end]
        start += len(segment) - len(segment.lstrip())
        end -= len(segment) - len(segment.rstrip())
        if start >= end:
            raise ValidationError("the selected text is only white space")
        for other in self.claims(article_id):
            if start < other.end and other.start < end:
                raise ValidationError(
                    f"characters {start}-{end} overlap claim {other.id} ({other.start}-{other.end})"
                )
        text = article.text[start:end]
        now = _now()
        with self._write() as conn:
            cur = conn.execute(
                'INSERT INTO claims (article_id, start, "end", text, score, reasons, status,'
                " origin, created_at, updated_at) VALUES (?, ?, ?, ?, 1.0, ?, 'unchecked',"
                " 'user', ?, ?)",
                (article_id, start, end, text, json.dumps([USER_CLAIM_REASON]), now, now),
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
        return current

    def restore_claim(self, claim: Claim) -> Claim:
        """Put back a removed claim exactly as it was, evidence included (undo of a removal)."""
        article = self.article(claim.article_id)
        _check_span(article.text, claim.start, claim.end)
        now = _now()
        with self._write() as conn:
            conn.execute(
                'INSERT INTO claims (id, article_id, start, "end", text, score, reasons, status,'
                " note, claimant, origin, created_at, updated_at)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (claim.id, claim.article_id, claim.start, claim.end, claim.text, claim.score,
                 json.dumps(list(claim.reasons)), claim.status.value, claim.note, claim.claimant,
                 claim.origin.value, claim.created_at, now),
            )  # fmt: skip
            conn.executemany(
                "INSERT INTO evidence (id, claim_id, url, title, note, added_at)"
                " VALUES (?, ?, ?, ?, ?, ?)",
                [(e.id, claim.id, e.url, e.title, e.note, e.added_at) for e in claim.evidence],
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
        return self.claim(claim.id)

    def set_claim_span(self, claim_id: int, start: int, end: int) -> Claim:
        """Move a claim's boundaries (extend or shrink it), keeping its verdict and evidence."""
        current = self.claim(claim_id)
        text = self.article(current.article_id).text
        _check_span(text, start, end)
        for other in self.claims(current.article_id):
            if other.id != claim_id and start < other.end and other.start < end:
                raise ValidationError(f"the new span would overlap claim {other.id}")
        now = _now()
        with self._write() as conn:
            conn.execute(
                'UPDATE claims SET start = ?, "end" = ?, text = ?, updated_at = ? WHERE id = ?',
                (start, end, text[start:end], now, claim_id),
            )
            self._record(conn, current, "span", f"{current.start}-{current.end}",
                         f"{start}-{end}", now)  # fmt: skip
        return self.claim(claim_id)

    # -- evidence ------------------------------------------------------------------

    def add_evidence(self, claim_id: int, url: str, *, title: str = "", note: str = "") -> Evidence:
        """Attach an evidence link; only http(s) URLs are accepted."""
        url = validate_url(url)
        current = self.claim(claim_id)
        now = _now()
        with self._write() as conn:
            cur = conn.execute(
                "INSERT INTO evidence (claim_id, url, title, note, added_at)"
                " VALUES (?, ?, ?, ?, ?)",
                (claim_id, url, title.strip(), note, now),
            )
            conn.execute("UPDATE claims SET updated_at = ? WHERE id = ?", (now, claim_id))
            self._record(conn, current, "evidence", None, url, now)
            evidence_id = int(cur.lastrowid or 0)
        return self.evidence(evidence_id)

    def evidence(self, evidence_id: int) -> Evidence:
        rows = self._read("SELECT * FROM evidence WHERE id = ?", (evidence_id,))
        if not rows:
            raise NotFoundError(f"no evidence link with id {evidence_id}")
        return _evidence_from_row(rows[0])

    def update_evidence(
        self,
        evidence_id: int,
        *,
        url: str | None = None,
        title: str | None = None,
        note: str | None = None,
    ) -> Evidence:
        """Edit an evidence link's URL, title or note."""
        item = self.evidence(evidence_id)
        new_url = validate_url(url) if url is not None else item.url
        new_title = title.strip() if title is not None else item.title
        new_note = note if note is not None else item.note
        if (new_url, new_title, new_note) == (item.url, item.title, item.note):
            return item
        current = self.claim(item.claim_id)
        now = _now()
        with self._write() as conn:
            conn.execute(
                "UPDATE evidence SET url = ?, title = ?, note = ? WHERE id = ?",
                (new_url, new_title, new_note, evidence_id),
            )
            conn.execute("UPDATE claims SET updated_at = ? WHERE id = ?", (now, item.claim_id))
            if new_url != item.url:
                self._record(conn, current, "evidence", item.url, new_url, now)
        return self.evidence(evidence_id)

    def restore_evidence(self, item: Evidence) -> Evidence:
        """Put back a removed evidence link with its original id (undo of a removal)."""
        current = self.claim(item.claim_id)
        now = _now()
        with self._write() as conn:
            conn.execute(
                "INSERT INTO evidence (id, claim_id, url, title, note, added_at)"
                " VALUES (?, ?, ?, ?, ?, ?)",
                (item.id, item.claim_id, validate_url(item.url), item.title, item.note,
                 item.added_at),
            )  # fmt: skip
            conn.execute("UPDATE claims SET updated_at = ? WHERE id = ?", (now, item.claim_id))
            self._record(conn, current, "evidence", None, item.url, now)
        return self.evidence(item.id)

    def remove_evidence(self, evidence_id: int) -> Evidence:
        item = self.evidence(evidence_id)
        current = self.claim(item.claim_id)
        now = _now()
        with self._write() as conn:
            conn.execute("DELETE FROM evidence WHERE id = ?", (evidence_id,))
            conn.execute("UPDATE claims SET updated_at = ? WHERE id = ?", (now, item.claim_id))
            self._record(conn, current, "evidence", item.url, None, now)
        return item

    # -- history -------------------------------------------------------------------

    def history(self, claim_id: int) -> list[HistoryEntry]:
        """Every recorded change to a claim, oldest first (kept after the claim is removed)."""
        rows = self._read(
            "SELECT id, claim_id, field, old, new, changed_by, changed_at FROM claim_history"
            " WHERE claim_id = ? ORDER BY id",
            (claim_id,),
        )
        return [HistoryEntry(**dict(r)) for r in rows]

    def _record(
        self,
        conn: sqlite3.Connection,
        claim: Claim,
        field: str,
        old: str | None,
        new: str | None,
        when: str,
    ) -> None:
        """Add a history row; a note typed in several saves within a minute is one change."""
        if field == "note":
            last = conn.execute(
                "SELECT id, field, new, changed_by, changed_at FROM claim_history"
                " WHERE claim_id = ? ORDER BY id DESC LIMIT 1",
                (claim.id,),
            ).fetchone()
            if (
                last is not None
                and last["field"] == "note"
                and last["new"] == old
                and last["changed_by"] == self.user
                and _seconds_between(last["changed_at"], when) < NOTE_COALESCE_S
            ):
                conn.execute(
                    "UPDATE claim_history SET new = ?, changed_at = ? WHERE id = ?",
                    (new, when, last["id"]),
                )
                return
        self._record_raw(conn, claim.id, claim.article_id, field, old, new, when)

    def _record_raw(
        self,
        conn: sqlite3.Connection,
        claim_id: int,
        article_id: int,
        field: str,
        old: str | None,
        new: str | None,
        when: str,
    ) -> None:
        conn.execute(
            "INSERT INTO claim_history (claim_id, article_id, field, old, new, changed_by,"
            " changed_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
            (claim_id, article_id, field, old, new, self.user, when),
        )

    # -- settings ------------------------------------------------------------------

    def setting(self, key: str, default: str | None = None) -> str | None:
        rows = self._read("SELECT value FROM settings WHERE key = ?", (key,))
        return str(rows[0]["value"]) if rows else default

    def set_setting(self, key: str, value: str) -> None:
        with self._write() as conn:
            conn.execute(
                "INSERT INTO settings (key, value) VALUES (?, ?)"
                " ON CONFLICT(key) DO UPDATE SET value = excluded.value",
                (key, value),
            )

    def feedback(self) -> list[tuple[str, int]]:
        """The fact-checker's corrections as (sentence, label) training examples."""
        return [
            (r["text"], r["label"])
            for r in self._read("SELECT text, label FROM claim_feedback ORDER BY id")
        ]


def parse_status(value: Status | str) -> Status:
    try:
        return Status(str(value).strip().lower())
    except ValueError:
        names = ", ".join(s.value for s in Status)
        raise ValidationError(f"unknown status {value!r} (choose one of: {names})") from None


def validate_url(url: str) -> str:
    """Accept only absolute http(s) URLs: evidence is opened in a browser later."""
    from urllib.parse import urlsplit

    url = url.strip()
    try:
        parts = urlsplit(url)
    except ValueError:
        raise ValidationError(f"not a valid URL: {url!r}") from None
    if parts.scheme.lower() not in ("http", "https") or not parts.netloc:
        raise ValidationError(f"evidence links must be http or https URLs, not {url!r}")
    if any(ch.isspace() for ch in url):
        raise ValidationError(f"a URL cannot contain spaces: {url!r}")
    return url


def _check_span(text: str, start: int, end: int) -> None:
    if not (0 <= start < end <= len(text)):
        raise ValidationError(
            f"offsets {start}-{end} are outside the article (0-{len(text)}) or empty"
        )


def _claim_from_row(r: sqlite3.Row, evidence: tuple[Evidence, ...]) -> Claim:
    return Claim(
        id=r["id"],
        article_id=r["article_id"],
        start=r["start"],
        end=r["end"],
        text=r["text"],
        score=r["score"],
        reasons=tuple(json.loads(r["reasons"])),
        status=Status(r["status"]),
        note=r["note"],
        claimant=r["claimant"],
        origin=ClaimOrigin(r["origin"]),
        created_at=r["created_at"],
        updated_at=r["updated_at"],
        evidence=evidence,
    )


def _evidence_from_row(r: sqlite3.Row) -> Evidence:
    return Evidence(**dict(r))  # the columns are the fields
