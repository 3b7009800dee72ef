"""The local SQLite database: the only module that speaks SQL.

Every change runs in one short ``BEGIN IMMEDIATE`` transaction, so a failure (or a
crash) leaves the database exactly as it was before the change. A long write (an
archive import, a save of embeddings) is many short ones, a batch each, so that the
user's edits get in between. Schema changes are numbered migrations (sqlite-utils
``Migrations``); ``PRAGMA user_version`` records how many have run, so a database
written by a newer version of the app is refused rather than misread.
"""

from __future__ import annotations

import contextlib
import copy
import getpass
import hashlib
import json
import logging
import os
import re
import sqlite3
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, fields
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar

from sqlite_utils import Database, Migrations

from workbench.dbfile import (
    BUSY_TIMEOUT_S,
    SCHEMA_VERSION,
    check_database,
    damaged_message,
    newer_message,
    store_error,
)
from workbench.errors import (
    DatabaseDamagedError,
    DiskFullError,
    ForeignDatabaseError,
    NewerDatabaseError,
    NotFoundError,
    StoreError,
    ValidationError,
    WorkbenchError,
)
from workbench.models import (
    ArchiveClaim,
    ArchiveRecord,
    Article,
    ArticleDraft,
    Claim,
    ClaimOrigin,
    ClaimType,
    DetectedClaim,
    Evidence,
    HistoryEntry,
    Status,
)
from workbench.past_checks import record_key, verdict_to_status

log = logging.getLogger("workbench.store")

USER_ENV_VAR = "WORKBENCH_USER"
USER_CLAIM_REASON = "added by the fact-checker"
NOTE_COALESCE_S = 60.0
"""Note saves by one user within this many seconds form one history entry."""

migrations = Migrations("workbench")

# The archive row that mirrors a claim with a verdict (see ``Store._sync_own_archive``):
# parameters are (date, imported_at); the caller adds the WHERE clause.
_OWN_COLUMNS = (
    "external_id, source, text, title, verdict, url, date, speaker, publisher, claim_id,"
    " imported_at"
)
_OWN_SELECT = (
    "SELECT 'claim-' || c.id, 'own', c.text, a.title, c.status,"
    " COALESCE((SELECT e.url FROM evidence e WHERE e.claim_id = c.id ORDER BY e.id LIMIT 1), ''),"
    " ?, c.claimant, '', c.id, ? FROM claims c JOIN articles a ON a.id = c.article_id"
)


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


@migrations(name="0002_archive")
def _m0002_archive(db: Database) -> None:
    # The archive of past checks, with an external-content FTS5 index kept in step by
    # triggers (so every write, including an import, updates it in its own transaction).
    db.executescript(
        """
        CREATE TABLE archive_claims (
            id INTEGER PRIMARY KEY,
            external_id TEXT NOT NULL,
            source TEXT NOT NULL,
            text TEXT NOT NULL,
            title TEXT NOT NULL DEFAULT '',
            verdict TEXT NOT NULL DEFAULT '',
            url TEXT NOT NULL DEFAULT '',
            date TEXT NOT NULL DEFAULT '',
            speaker TEXT NOT NULL DEFAULT '',
            publisher TEXT NOT NULL DEFAULT '',
            claim_id INTEGER,
            imported_at TEXT NOT NULL,
            UNIQUE (source, external_id)
        );
        CREATE INDEX archive_by_claim ON archive_claims(claim_id) WHERE claim_id IS NOT NULL;
        CREATE VIRTUAL TABLE archive_fts USING fts5(
            text, title, content='archive_claims', content_rowid='id',
            tokenize='porter unicode61'
        );
        CREATE VIRTUAL TABLE archive_vocab USING fts5vocab(archive_fts, row);
        CREATE TRIGGER archive_claims_ai AFTER INSERT ON archive_claims BEGIN
            INSERT INTO archive_fts(rowid, text, title) VALUES (new.id, new.text, new.title);
        END;
        CREATE TRIGGER archive_claims_ad AFTER DELETE ON archive_claims BEGIN
            INSERT INTO archive_fts(archive_fts, rowid, text, title)
                VALUES ('delete', old.id, old.text, old.title);
        END;
        CREATE TRIGGER archive_claims_au AFTER UPDATE OF text, title ON archive_claims
        WHEN old.text IS NOT new.text OR old.title IS NOT new.title BEGIN
            INSERT INTO archive_fts(archive_fts, rowid, text, title)
                VALUES ('delete', old.id, old.text, old.title);
            INSERT INTO archive_fts(rowid, text, title) VALUES (new.id, new.text, new.title);
        END;
        """
    )
    # Verdicts recorded before the archive existed enter it now.
    now = _now()
    db.execute(
        f"INSERT INTO archive_claims ({_OWN_COLUMNS}) {_OWN_SELECT} WHERE c.status != 'unchecked'",
        (now, now),
    )


@migrations(name="0003_embeddings")
def _m0003_embeddings(db: Database) -> None:
    # Sentence embeddings of past checks, for semantic matching (workbench.semantic).
    # ``embedding_state`` is one row: which encoder made the vectors, how many there
    # are and a counter bumped by every change other than an insert, so that a
    # reader's in-memory index can tell cheaply whether it is still current. The
    # vector of a past check whose text changes, or which leaves the archive, goes.
    db.executescript(
        """
        CREATE TABLE archive_embeddings (
            archive_id INTEGER PRIMARY KEY REFERENCES archive_claims(id) ON DELETE CASCADE,
            vector BLOB NOT NULL
        );
        CREATE TABLE embedding_state (
            id INTEGER PRIMARY KEY CHECK (id = 1),
            model TEXT NOT NULL DEFAULT '',
            rows INTEGER NOT NULL DEFAULT 0,
            changes INTEGER NOT NULL DEFAULT 0
        );
        INSERT INTO embedding_state (id) VALUES (1);
        CREATE TRIGGER archive_embeddings_ai AFTER INSERT ON archive_embeddings BEGIN
            UPDATE embedding_state SET rows = rows + 1;
        END;
        CREATE TRIGGER archive_embeddings_au AFTER UPDATE ON archive_embeddings BEGIN
            UPDATE embedding_state SET changes = changes + 1;
        END;
        CREATE TRIGGER archive_embeddings_ad AFTER DELETE ON archive_embeddings BEGIN
            UPDATE embedding_state SET rows = rows - 1, changes = changes + 1;
        END;
        CREATE TRIGGER archive_claims_text_au AFTER UPDATE OF text ON archive_claims
        WHEN old.text IS NOT new.text BEGIN
            DELETE FROM archive_embeddings WHERE archive_id = old.id;
        END;
        """
    )


@migrations(name="0004_claim_type")
def _m0004_claim_type(db: Database) -> None:
    # A claim's primary type (workbench.models.ClaimType), given by the detector. NULL for
    # a claim the fact-checker added and for one stored before claims had types; a value
    # a later version adds reads back as None here, so no CHECK constraint pins the list.
    db.execute("ALTER TABLE claims ADD COLUMN type TEXT")


OWN_SOURCE = "own"
"""The archive source of the fact-checker's own verdicts."""
ARCHIVE_BATCH = 500
"""Rows an import (or a save of embeddings) writes per transaction.

SQLite has one write lock, held from ``BEGIN IMMEDIATE`` to ``COMMIT``: an import of
12,836 past checks in one transaction made every edit made meanwhile (the app's
writer, ``workbench claim`` in another process) fail after :data:`BUSY_TIMEOUT_S`.
500 rows and their full-text entries commit in about 20 ms, so an edit waits for
one batch, not for the whole import; progress and cancel are checked between batches.
"""
BATCH_PAUSE_S = 0.005
"""How long a batched write leaves the lock free after each batch.

SQLite queues nobody: a connection that finds the lock taken sleeps in its busy
handler (1, 2, 5, 10 ... ms) and tries again. A writer that began its next batch at
once would win nearly every time, and an edit still waited for the whole import
(one edit got in during a 4-second import, measured).
"""
BREATHER_S = 0.11
"""A longer pause, taken once per :data:`BREATHER_EVERY_S` of a batched write.

After a third of a second of waiting, SQLite's busy handler retries only every
100 ms, and nothing stops it from missing the short pauses many times in a row; a
lock-free pause longer than 100 ms lets every waiter in.
"""
BREATHER_EVERY_S = 1.0
"""Once a second keeps an edit's worst wait near a second (0.5 to 0.9 s measured,
against a busy timeout of 5 s) for about a tenth of the import's time."""


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


_Row = TypeVar("_Row")


class _Pacer:
    """Pauses between the transactions of a long write, so that other writers get in."""

    def __init__(self) -> None:
        self._breather_due = time.monotonic() + BREATHER_EVERY_S

    def pause(self) -> None:
        """Called after a batch has committed, with no transaction open."""
        if time.monotonic() < self._breather_due:
            time.sleep(BATCH_PAUSE_S)
            return
        time.sleep(BREATHER_S)
        self._breather_due = time.monotonic() + BREATHER_EVERY_S


def _paced_batches(rows: Sequence[_Row]) -> Iterator[Sequence[_Row]]:
    """``rows`` in batches of :data:`ARCHIVE_BATCH`, with a pause before each but the first.

    The caller writes each batch in its own transaction and commits it before asking
    for the next one, so the write lock is free during the pause.
    """
    pacer = _Pacer()
    for start in range(0, len(rows), ARCHIVE_BATCH):
        if start:
            pacer.pause()
        yield rows[start : start + ARCHIVE_BATCH]


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


class Store:
    """A fact-checker's database of articles, claims, verdicts and evidence.

    Open one ``Store`` per thread: a connection is never shared across threads.

    Opening checks the file first, read-only, and leaves it byte-identical when it
    refuses it: :class:`ForeignDatabaseError` (not SQLite, or another program's),
    :class:`DatabaseDamagedError` (truncated, bytes changed), :class:`NewerDatabaseError`
    (a newer version's schema), :class:`DatabaseLockedError`. A database with an older
    schema is backed up (reason ``pre-migration``) before it is migrated. With
    ``auto_backup`` (the app and the CLI), an existing database gets a backup when the
    newest one is more than a day old (see :mod:`workbench.backup`); a backup that
    fails is logged and kept in :attr:`backup_problem`, it never stops the opening.
    ``check=False`` skips the integrity check (SQLite's ``quick_check`` reads the whole
    file): for a worker's connection to a database the app or command already opened.
    """

    def __init__(
        self,
        path: str | Path,
        *,
        user: str | None = None,
        auto_backup: bool = False,
        check: bool = True,
    ) -> None:
        self.path = Path(path).expanduser()
        self.user = user or _current_user()
        self._term_counts: dict[str, int] = {}
        self._write_depth = 0
        """How many writes are open inside one another (see :meth:`transaction`)."""
        self.backup_problem: str | None = None
        existed = self._check_file(thorough=check)
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
            raise store_error(self.path, exc) from exc
        except BaseException:
            if conn is not None:
                conn.close()
            raise
        if auto_backup and existed:
            self._auto_backup()

    # -- lifecycle -----------------------------------------------------------------

    def close(self) -> None:
        self.db.conn.close()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _check_file(self, *, thorough: bool) -> bool:
        """Refuse a foreign, damaged or newer file before opening it for writing.

        Everything here reads only (see :func:`check_database`), so a refused file is
        left byte-identical, with no ``-wal`` or ``-shm`` beside it. Without
        ``thorough`` only what costs nothing is checked: the app's workers open a file
        that the app checked when it opened it.

        Returns:
            True if the database existed (and was not empty).
        """
        if self.path.is_dir():
            raise StoreError(f"{self.path} is a folder, not a database file")
        if not self.path.exists() or self.path.stat().st_size == 0:
            return False
        if not thorough:
            return True
        result = check_database(self.path, thorough=False)
        if not result.ok:
            raise DatabaseDamagedError(
                damaged_message(self.path, result.problems[0]), path=self.path
            )
        if (result.schema_version or 0) > SCHEMA_VERSION:
            raise NewerDatabaseError(
                newer_message(self.path, result.schema_version or 0), path=self.path
            )
        return True

    def _auto_backup(self) -> None:
        from workbench.backup import backup_if_stale

        try:
            backup_if_stale(self.path)
        except StoreError as exc:
            self.backup_problem = str(exc)  # the app and the CLI say it, once
            log.info("automatic backup of %s failed: %s", self.path, exc)

    def _migrate(self) -> None:
        version = self.db.conn.execute("PRAGMA user_version").fetchone()[0]
        if version > SCHEMA_VERSION:
            raise NewerDatabaseError(newer_message(self.path, version), path=self.path)
        tables = set(self.db.table_names())
        if version == 0 and tables - {"_sqlite_migrations"}:
            raise ForeignDatabaseError(
                f"{self.path} is an SQLite database, but not a workbench one", path=self.path
            )
        if version < SCHEMA_VERSION:
            if version > 0:
                from workbench.backup import PRE_MIGRATION, create_backup

                backup = create_backup(self.path, reason=PRE_MIGRATION)
                log.info("backed up %s to %s before migrating", self.path, backup.path)
            log.info("migrating %s from schema %d to %d", self.path, version, SCHEMA_VERSION)
            migrations.apply(self.db)  # each migration in its own transaction
            self.db.conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")

    @contextlib.contextmanager
    def transaction(self) -> Iterator[None]:
        """Several changes as one: every write inside joins it; all commit or none do.

        For compound operations (:mod:`workbench.operations`): undoing "apply a past
        verdict" removes its links and restores the status together, or not at all.
        """
        with self._write():
            yield

    @contextlib.contextmanager
    def _write(self) -> Iterator[sqlite3.Connection]:
        """One atomic write: everything inside commits together or not at all.

        Inside :meth:`transaction` it joins the transaction under way.
        """
        conn = self.db.conn
        if self._write_depth:
            self._write_depth += 1
            try:
                yield conn
            finally:
                self._write_depth -= 1
            return
        try:
            conn.execute("BEGIN IMMEDIATE")
        except sqlite3.Error as exc:
            raise store_error(self.path, exc) from exc
        self._write_depth = 1
        try:
            yield conn
            self._write_depth = 0
            conn.execute("COMMIT")
        except BaseException as exc:
            self._write_depth = 0
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            if isinstance(exc, sqlite3.Error):
                raise store_error(self.path, exc) from exc
            if isinstance(exc, UnicodeEncodeError):
                # A lone surrogate (undecodable bytes, "\\ud800" in JSON) cannot be stored.
                raise ValidationError(
                    "the text is not valid Unicode (it holds a lone surrogate); nothing was saved"
                ) from exc
            raise

    def _read(self, sql: str, params: Sequence[Any] = ()) -> list[sqlite3.Row]:
        try:
            return list(self.db.conn.execute(sql, params))
        except sqlite3.Error as exc:
            raise store_error(self.path, exc) from exc

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
            conn.execute(
                "DELETE FROM archive_claims WHERE source = ? AND claim_id IN"
                " (SELECT id FROM claims WHERE article_id = ?)",
                (OWN_SOURCE, article_id),
            )
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
            self._sync_own_archive(conn, claim_id, now)
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
            self._sync_own_archive(conn, claim_id, now)
        return current

    def restore_claim(self, claim: Claim) -> Claim:
        """Put back a removed claim exactly as it was, evidence included (undo of a removal)."""
        article = self.article(claim.article_id)
        _check_span(article.text, claim.start, claim.end)
        now = _now()
        with self._write() as conn:
            conn.execute(
                'INSERT INTO claims (id, article_id, start, "end", text, score, reasons, status,'
                " note, claimant, type, origin, created_at, updated_at)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (claim.id, claim.article_id, claim.start, claim.end, claim.text, claim.score,
                 json.dumps(list(claim.reasons)), claim.status.value, claim.note, claim.claimant,
                 claim.type.value if claim.type is not None else None,
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
            self._sync_own_archive(conn, claim.id, now)
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
            self._sync_own_archive(conn, claim_id, now)
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
            self._sync_own_archive(conn, claim_id, now)
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
                self._sync_own_archive(conn, item.claim_id, now)
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
            self._sync_own_archive(conn, item.claim_id, now)
        return self.evidence(item.id)

    def remove_evidence(self, evidence_id: int) -> Evidence:
        item = self.evidence(evidence_id)
        current = self.claim(item.claim_id)
        now = _now()
        with self._write() as conn:
            conn.execute("DELETE FROM evidence WHERE id = ?", (evidence_id,))
            conn.execute("UPDATE claims SET updated_at = ? WHERE id = ?", (now, item.claim_id))
            self._record(conn, current, "evidence", item.url, None, now)
            self._sync_own_archive(conn, item.claim_id, now)
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

    def checkers(self, article_id: int) -> list[tuple[str, str]]:
        """Who changed an article's claims, with when each last did: ``(user, changed_at)``.

        In order of each person's first change, for the "checked by" line of a report.
        """
        rows = self._read(
            "SELECT changed_by, MAX(changed_at) AS last FROM claim_history WHERE article_id = ?"
            " GROUP BY changed_by ORDER BY MIN(id)",
            (article_id,),
        )
        return [(str(r["changed_by"]), str(r["last"])) for r in rows]

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

    # -- archive of past checks ----------------------------------------------------

    def import_archive_records(
        self,
        records: Iterable[ArchiveRecord],
        *,
        source: str,
        progress: Callable[[int, int], None] | None = None,
        cancel: Callable[[], bool] | None = None,
    ) -> ArchiveImportResult:
        """Store past checks as collection ``source``, :data:`ARCHIVE_BATCH` per transaction.

        A record whose ``(source, external_id)`` is already stored (or repeated in
        ``records``) is counted in ``skipped_duplicates`` and not added again.
        Between batches the write lock is free, so the user's edits are not held up,
        ``progress(done, total)`` is called and ``cancel()`` asked: if it returns True
        the import stops there, keeping the batches stored, and the result says how
        many records were not reached (``remaining``). A batch that fails changes
        nothing; the error raised then says how many claims the batches before it
        stored (they are kept, and importing the same records again adds the rest).
        """
        name = source.strip()
        if not name:
            raise ValidationError("an archive collection needs a source name")
        if name == OWN_SOURCE:
            raise ValidationError(f"the source name {OWN_SOURCE!r} is kept for your own verdicts")
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
        total, done, added = len(rows), 0, 0
        if progress is not None:
            progress(0, total)
        try:
            for batch in _paced_batches(rows):
                if cancel is not None and cancel():
                    break
                with self._write() as conn:
                    cur = conn.executemany(
                        "INSERT OR IGNORE INTO archive_claims (external_id, source, text, title,"
                        " verdict, url, date, speaker, publisher, imported_at)"
                        " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                        batch,
                    )
                done += len(batch)
                added += max(cur.rowcount, 0)
                if progress is not None:
                    progress(done, total)
        except WorkbenchError as exc:
            if not done:
                raise  # nothing was stored: the error's own words hold
            raise self._import_stopped(exc, done=done, added=added, total=total) from exc
        finally:
            self._term_counts.clear()
        if done < total:
            log.info("archive %r: cancelled after %d of %d, %d added", name, done, total, added)
        else:
            log.info("archive %r: %d added, %d duplicates", name, added, total - added)
        return ArchiveImportResult(name, added, done - added, remaining=total - done)

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
        rank = f"bm25(1.0, {ARCHIVE_TITLE_WEIGHT})"
        if source is None:
            sql = (
                "SELECT a.*, f.score FROM (SELECT rowid, rank AS score FROM archive_fts"
                " WHERE archive_fts MATCH ? AND rank MATCH ? ORDER BY rank LIMIT ?) f"
                " JOIN archive_claims a ON a.id = f.rowid ORDER BY f.score"
            )
            params: tuple[Any, ...] = (fts_query, rank, limit)
        else:
            sql = (
                "SELECT a.*, archive_fts.rank AS score FROM archive_fts"
                " JOIN archive_claims a ON a.id = archive_fts.rowid"
                " WHERE archive_fts MATCH ? AND rank MATCH ? AND a.source = ?"
                " ORDER BY archive_fts.rank LIMIT ?"
            )
            params = (fts_query, rank, source, limit)
        return [
            ArchiveCandidate(_archive_claim_from_row(r), -float(r["score"]))
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
        terms = [_fts_quote(w) for w in words]
        terms[-1] += "*"
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
            found: dict[str, int] = {}
            for i in range(0, len(unique), 500):
                chunk = unique[i : i + 500]
                marks = ",".join("?" * len(chunk))
                for r in self._read(
                    f"SELECT term, doc FROM archive_vocab WHERE term IN ({marks})", chunk
                ):
                    found[r["term"]] = int(r["doc"])
            if len(self._term_counts) > TERM_CACHE_SIZE:
                self._term_counts.clear()
            for w in missing:
                self._term_counts[w] = found.get(stems.get(w, w), 0)
        return {w: self._term_counts[w] for w in words}

    def _stems(self, words: Sequence[str]) -> dict[str, str]:
        """Each word as the index's tokenizer stores it, through a scratch in-memory FTS5 table."""
        conn = self.db.conn
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
        self, claim_id: int, archive_id: int, *, status: Status | str | None = None
    ) -> Claim:
        """Give a claim the verdict of a past check: status, evidence, and where it came from.

        The status is ``status`` or the past verdict mapped by
        :func:`workbench.past_checks.verdict_to_status`. The past check's link (and, for
        one of your own earlier verdicts, that claim's evidence) is added as evidence
        unless the claim has it already. The note is left unchanged. The history gets
        the status change, each link, and an ``applied_from`` row whose ``new`` is
        ``"<source>:<external id>"``. All in one transaction.

        Undo with existing methods, in this order::

            before = store.claim(claim_id)
            after = store.apply_past_verdict(claim_id, archive_id)
            ...
            old_ids = {e.id for e in before.evidence}
            for item in after.evidence:
                if item.id not in old_ids:
                    store.remove_evidence(item.id)
            store.update_claim(claim_id, status=before.status)

        Raises:
            NotFoundError: no such claim or past check.
            ValidationError: the past verdict has no matching status (pass ``status``),
                or the past check is this claim's own verdict.
        """
        current = self.claim(claim_id)
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
        for url, title in candidates:
            try:
                url = validate_url(url)
            except ValidationError:
                continue
            if url not in have:
                have.add(url)
                links.append((url, title))
        provenance = f"{past.source}:{past.external_id}"
        note = f"verdict {past.verdict!r} applied from past check {provenance}"
        now = _now()
        with self._write() as conn:
            if new_status is not current.status:
                conn.execute(
                    "UPDATE claims SET status = ?, updated_at = ? WHERE id = ?",
                    (new_status.value, now, claim_id),
                )
                self._record(conn, current, "status", current.status.value, new_status.value, now)
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
        conn.execute(
            f"INSERT INTO archive_claims ({_OWN_COLUMNS}) {_OWN_SELECT} WHERE c.id = ?"
            " ON CONFLICT (source, external_id) DO UPDATE SET text = excluded.text,"
            " title = excluded.title, verdict = excluded.verdict, url = excluded.url,"
            " speaker = excluded.speaker, date = CASE WHEN archive_claims.verdict ="
            " excluded.verdict THEN archive_claims.date ELSE excluded.date END",
            (now, now, claim_id),
        )

    # -- embeddings ----------------------------------------------------------------

    def embedding_state(self) -> EmbeddingState:
        """Which encoder made the stored vectors, how many there are, and a change counter."""
        row = self._read("SELECT model, rows, changes FROM embedding_state WHERE id = 1")[0]
        return EmbeddingState(str(row["model"]), int(row["rows"]), int(row["changes"]))

    def archive_texts_to_embed(
        self, model: str, *, limit: int, after_id: int = 0
    ) -> list[tuple[int, str]]:
        """Past checks with no vector from encoder ``model``, as (id, text), by id.

        If the stored vectors were made by another encoder they all count as missing
        (:meth:`save_archive_embeddings` replaces them).
        """
        if self.embedding_state().model not in ("", model):
            sql = "SELECT id, text FROM archive_claims WHERE id > ? ORDER BY id LIMIT ?"
        else:
            sql = (
                "SELECT a.id, a.text FROM archive_claims a"
                " LEFT JOIN archive_embeddings e ON e.archive_id = a.id"
                " WHERE e.archive_id IS NULL AND a.id > ? ORDER BY a.id LIMIT ?"
            )
        return [(int(r[0]), str(r[1])) for r in self._read(sql, (after_id, limit))]

    def save_archive_embeddings(self, model: str, rows: Sequence[tuple[int, str, bytes]]) -> int:
        """Store vectors ``(archive id, text embedded, vector)`` made by encoder ``model``.

        :data:`ARCHIVE_BATCH` rows per transaction, so that the user's edits get in
        between (see :func:`_paced_batches`). A vector whose past check has left the
        archive or whose text has changed since it was read is dropped; if the stored
        vectors came from another encoder, they are all removed first. Returns how
        many were stored.
        """
        self._drop_other_encoders_vectors(model)
        stored = 0
        for batch in _paced_batches(rows):
            with self._write() as conn:
                if self._embedding_model(conn) != model:
                    # Another encoder's run slipped in between two batches: this one wins.
                    conn.execute("DELETE FROM archive_embeddings")
                    conn.execute("UPDATE embedding_state SET model = ?", (model,))
                for archive_id, text, vector in batch:
                    cur = conn.execute(
                        "INSERT INTO archive_embeddings (archive_id, vector)"
                        " SELECT id, ? FROM archive_claims WHERE id = ? AND text = ?"
                        " ON CONFLICT (archive_id) DO UPDATE SET vector = excluded.vector",
                        (vector, archive_id, text),
                    )
                    stored += max(cur.rowcount, 0)
        return stored

    def _drop_other_encoders_vectors(self, model: str) -> None:
        """Remove the vectors of an encoder other than ``model``, then record ``model``.

        A batch per transaction (a million vectors take seconds to delete); the last
        one records the new encoder, so no vector of the old one is ever counted as
        made by the new one.
        """
        pacer = _Pacer()
        while True:
            with self._write() as conn:
                if self._embedding_model(conn) == model:
                    return
                cur = conn.execute(
                    "DELETE FROM archive_embeddings WHERE archive_id IN"
                    " (SELECT archive_id FROM archive_embeddings LIMIT ?)",
                    (ARCHIVE_BATCH,),
                )
                if cur.rowcount < ARCHIVE_BATCH:
                    conn.execute("UPDATE embedding_state SET model = ?", (model,))
                    return
            pacer.pause()

    @staticmethod
    def _embedding_model(conn: sqlite3.Connection) -> str:
        return str(conn.execute("SELECT model FROM embedding_state WHERE id = 1").fetchone()[0])

    def archive_embeddings(
        self, *, after_id: int = 0, limit: int = 50_000
    ) -> list[tuple[int, bytes]]:
        """Stored vectors as (archive id, vector), by id, from ``after_id`` on."""
        rows = self._read(
            "SELECT archive_id, vector FROM archive_embeddings"
            " WHERE archive_id > ? ORDER BY archive_id LIMIT ?",
            (after_id, limit),
        )
        return [(int(r[0]), bytes(r[1])) for r in rows]

    def archive_embeddings_by_id(self, ids: Iterable[int]) -> dict[int, bytes]:
        """The stored vectors of these past checks, by id (those without one are left out)."""
        wanted = sorted(set(ids))
        found: dict[int, bytes] = {}
        for i in range(0, len(wanted), 500):
            chunk = wanted[i : i + 500]
            marks = ",".join("?" * len(chunk))
            sql = f"SELECT archive_id, vector FROM archive_embeddings WHERE archive_id IN ({marks})"
            found.update((int(r[0]), bytes(r[1])) for r in self._read(sql, chunk))
        return found

    def archive_ids_by_source(self, *, after_id: int = 0) -> dict[str, list[int]]:
        """The ids of the past checks of each collection, from ``after_id`` on.

        Read from the (source, external id) index alone: a million ids in a third of
        a second, where joining each vector to its row took seconds.
        """
        sources = [str(r[0]) for r in self._read("SELECT DISTINCT source FROM archive_claims")]
        return {
            name: [
                int(r[0])
                for r in self._read(
                    "SELECT id FROM archive_claims WHERE source = ? AND id > ?", (name, after_id)
                )
            ]
            for name in sources
        }

    def archive_claims_by_id(self, ids: Iterable[int]) -> dict[int, ArchiveClaim]:
        """The past checks with these ids that still exist, by id."""
        wanted = sorted(set(ids))
        found: dict[int, ArchiveClaim] = {}
        for i in range(0, len(wanted), 500):
            chunk = wanted[i : i + 500]
            marks = ",".join("?" * len(chunk))
            for r in self._read(f"SELECT * FROM archive_claims WHERE id IN ({marks})", chunk):
                found[int(r["id"])] = _archive_claim_from_row(r)
        return found

    def archive_ids_of_claims(self, claim_ids: Iterable[int]) -> set[int]:
        """The ids of the past checks that are these workbench claims' own verdicts."""
        wanted = sorted(set(claim_ids))
        found: set[int] = set()
        for i in range(0, len(wanted), 500):
            chunk = wanted[i : i + 500]
            marks = ",".join("?" * len(chunk))
            rows = self._read(f"SELECT id FROM archive_claims WHERE claim_id IN ({marks})", chunk)
            found.update(int(r[0]) for r in rows)
        return found

    # -- settings ------------------------------------------------------------------

    def setting(self, key: str, default: str | None = None) -> str | None:
        rows = self._read("SELECT value FROM settings WHERE key = ?", (key,))
        return str(rows[0]["value"]) if rows else default

    def settings(self, *, prefix: str = "") -> dict[str, str]:
        """Every stored setting (or those whose key starts with ``prefix``), by key."""
        rows = self._read(
            "SELECT key, value FROM settings WHERE substr(key, 1, ?) = ? ORDER BY key",
            (len(prefix), prefix),
        )
        return {str(r["key"]): str(r["value"]) for r in rows}

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


def _reasons(value: str) -> tuple[str, ...]:
    """A claim's stored reasons; a damaged value shows as none rather than failing."""
    try:
        found = json.loads(value)
    except (ValueError, RecursionError, TypeError):
        log.info("a claim's reasons are damaged: %.60r", value)
        return ()
    return tuple(str(x) for x in found) if isinstance(found, list) else ()


def _claim_from_row(r: sqlite3.Row, evidence: tuple[Evidence, ...]) -> Claim:
    return Claim(
        id=r["id"],
        article_id=r["article_id"],
        start=r["start"],
        end=r["end"],
        text=r["text"],
        score=r["score"],
        reasons=_reasons(r["reasons"]),
        status=Status(r["status"]),
        note=r["note"],
        claimant=r["claimant"],
        origin=ClaimOrigin(r["origin"]),
        created_at=r["created_at"],
        updated_at=r["updated_at"],
        evidence=evidence,
        type=_claim_type(r["type"]),
    )


def _claim_type(value: str | None) -> ClaimType | None:
    """A stored claim type; None for none, or for a type this version does not know."""
    try:
        return ClaimType(value) if value else None
    except ValueError:
        log.info("unknown claim type %.40r", value)
        return None


def _evidence_from_row(r: sqlite3.Row) -> Evidence:
    return Evidence(**dict(r))  # the columns are the fields


ARCHIVE_TITLE_WEIGHT = 0.5
"""Weight of a past check's title against its text (1.0) in BM25."""
TERM_CACHE_SIZE = 200_000
"""Words whose archive counts a Store remembers before it starts afresh."""
_WORD = re.compile(r"\w+")


@dataclass(frozen=True, slots=True)
class ArchiveImportResult:
    """What an archive import stored: ``added`` new past checks, and duplicates left out.

    ``remaining`` counts the records a cancelled import did not reach (0 when it ran
    to the end); what it had stored before it stopped is kept.
    """

    source: str
    added: int
    skipped_duplicates: int
    remaining: int = 0

    @property
    def cancelled(self) -> bool:
        return self.remaining > 0


@dataclass(frozen=True, slots=True)
class ArchiveCandidate:
    """A past check found by full-text search, with its BM25 score (higher is better)."""

    claim: ArchiveClaim
    bm25: float


@dataclass(frozen=True, slots=True)
class EmbeddingState:
    """The stored archive vectors: the encoder that made them, their number, a change count.

    ``changes`` grows with every vector replaced or removed, never with one added: a
    reader that has loaded ``rows`` vectors at the same ``changes`` only needs the new ones.
    """

    model: str
    rows: int
    changes: int


@dataclass(frozen=True, slots=True)
class ArchiveSource:
    """One collection in the archive: its name, size and when it was last imported."""

    name: str
    count: int
    last_imported: str


def _fts_quote(term: str) -> str:
    return '"' + term.replace('"', '""') + '"'


def fts_or_query(terms: Iterable[str]) -> str:
    """An FTS5 query matching any of ``terms``, each quoted so that no term is an operator."""
    return " OR ".join(_fts_quote(t) for t in dict.fromkeys(terms) if t)


def _archive_claim_from_row(r: sqlite3.Row) -> ArchiveClaim:
    # Candidate rows carry extra columns (the BM25 score): take the fields by name.
    return ArchiveClaim(**{name: r[name] for name in _ARCHIVE_CLAIM_FIELDS})


_ARCHIVE_CLAIM_FIELDS = tuple(f.name for f in fields(ArchiveClaim))
