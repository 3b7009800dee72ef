"""The schema, as numbered migrations (sqlite-utils ``Migrations``).

Each migration runs in its own transaction when a database is opened
(:meth:`workbench.store.db.StoreBase._migrate`); ``PRAGMA user_version`` then records
:data:`workbench.dbfile.SCHEMA_VERSION`, the number of migrations, so a database written
by a newer version of the app is refused rather than misread. A schema change is a new
migration at the end, never an edit of one that has shipped.
"""

from __future__ import annotations

import re
import sqlite3

from sqlite_utils import Database, Migrations

from workbench.store.rows import _OWN_COLUMNS, _OWN_SELECT, UUID_SQL, _now

migrations = Migrations("workbench")


def _execute_script(db: Database, script: str) -> None:
    """Run ``script`` statement by statement, inside the migration's transaction.

    What sqlite-utils' ``executescript`` does (``sqlite3``'s own would commit first), but
    split line by line rather than character by character: its splitter joined the text
    so far at every character, which made opening a new database take 0.19 s, most of
    it there (the test suite opens hundreds). Each statement here ends at a line end, as
    every statement of these scripts does.
    """
    lines: list[str] = []
    for line in script.splitlines():
        lines.append(line)
        statement = "\n".join(lines).strip()
        if statement and sqlite3.complete_statement(statement):
            db.execute(statement)
            lines = []
    if "\n".join(lines).strip():
        raise sqlite3.ProgrammingError(f"an unfinished statement: {lines[0][:60]!r}")


@migrations(name="0001_initial")
def _m0001_initial(db: Database) -> None:
    _execute_script(
        db,
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
        """,
    )


@migrations(name="0002_archive")
def _m0002_archive(db: Database) -> None:
    # The archive of past checks, with an external-content FTS5 index kept in step by
    # triggers (so every write, including an import, updates it in its own transaction).
    _execute_script(
        db,
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
        """,
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
    _execute_script(
        db,
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
        """,
    )


@migrations(name="0004_claim_type")
def _m0004_claim_type(db: Database) -> None:
    # A claim's primary type (workbench.models.ClaimType), given by the detector. NULL for
    # a claim the fact-checker added and for one stored before claims had types; a value
    # a later version adds reads back as None here, so no CHECK constraint pins the list.
    db.execute("ALTER TABLE claims ADD COLUMN type TEXT")


@migrations(name="0005_archive_fts_by_statement")
def _m0005_archive_fts_by_statement(db: Database) -> None:
    # A new past check is indexed by the code that inserts it, one statement for a whole
    # batch of an import (workbench.store.archive._index_archive_rows_after), no longer
    # by a trigger per row: that trigger made an import of 100,000 past checks nearly
    # four times slower than the insert itself. Every insert into archive_claims must
    # now add its rows to archive_fts in the same transaction; updates and deletes are
    # still kept in step by the triggers of 0002.
    db.execute("DROP TRIGGER archive_claims_ai")


@migrations(name="0006_article_archived")
def _m0006_article_archived(db: Database) -> None:
    # When the fact-checker archived the article (out of the library's list, kept whole);
    # NULL while it is in the library.
    db.execute("ALTER TABLE articles ADD COLUMN archived_at TEXT")


@migrations(name="0007_tags")
def _m0007_tags(db: Database) -> None:
    # The fact-checker's own labels on articles and claims ("election", "health", "for
    # Friday"), one row per label; the same label in another case is the same label.
    _execute_script(
        db,
        """
        CREATE TABLE article_tags (
            article_id INTEGER NOT NULL REFERENCES articles(id) ON DELETE CASCADE,
            tag TEXT NOT NULL COLLATE NOCASE,
            PRIMARY KEY (article_id, tag)
        ) WITHOUT ROWID;
        CREATE INDEX article_tags_by_tag ON article_tags(tag);
        CREATE TABLE claim_tags (
            claim_id INTEGER NOT NULL REFERENCES claims(id) ON DELETE CASCADE,
            tag TEXT NOT NULL COLLATE NOCASE,
            PRIMARY KEY (claim_id, tag)
        ) WITHOUT ROWID;
        CREATE INDEX claim_tags_by_tag ON claim_tags(tag);
        """,
    )


@migrations(name="0008_evidence_vault")
def _m0008_evidence_vault(db: Database) -> None:
    # Evidence can be a file kept in the vault beside the database (workbench.vault),
    # named by its SHA-256, and can quote a passage with where it is. A vault row stays
    # after the evidence that used it is removed (an undo may want it back); the file
    # goes only with `workbench vault prune`.
    _execute_script(
        db,
        """
        CREATE TABLE vault_files (
            sha256 TEXT PRIMARY KEY CHECK (length(sha256) = 64),
            size INTEGER NOT NULL CHECK (size > 0),
            media_type TEXT NOT NULL,
            original_name TEXT NOT NULL DEFAULT '',
            source_url TEXT NOT NULL DEFAULT '',
            captured_at TEXT NOT NULL
        );
        ALTER TABLE evidence ADD COLUMN file_sha256 TEXT REFERENCES vault_files(sha256);
        ALTER TABLE evidence ADD COLUMN quote_text TEXT NOT NULL DEFAULT '';
        ALTER TABLE evidence ADD COLUMN quote_start INTEGER;
        ALTER TABLE evidence ADD COLUMN quote_end INTEGER;
        ALTER TABLE evidence ADD COLUMN quote_page INTEGER;
        ALTER TABLE evidence ADD COLUMN quote_before TEXT NOT NULL DEFAULT '';
        ALTER TABLE evidence ADD COLUMN quote_after TEXT NOT NULL DEFAULT '';
        CREATE INDEX evidence_by_file ON evidence(file_sha256);
        """,
    )


@migrations(name="0009_evidence_library")
def _m0009_evidence_library(db: Database) -> None:
    # The evidence library (workbench.evidence_library): folders of documents the
    # fact-checker trusts, each document read and cut into passages, the passages
    # indexed for full-text search and embedded for semantic search. A document is
    # remembered with its size, modification time and SHA-256, so that indexing again
    # skips it while it is unchanged; one that cannot be read keeps its one-line error
    # (and no passages) until it changes. As with the archive (0005), a new passage is
    # added to library_fts by the code that inserts it, one statement per batch (passage
    # ids only grow, so the batch's are those above the last given); a deleted one
    # leaves it by trigger. Passage vectors and their state mirror the
    # archive's (0003), for workbench.semantic.EmbeddingIndex.
    _execute_script(
        db,
        """
        CREATE TABLE library_folders (
            id INTEGER PRIMARY KEY,
            path TEXT NOT NULL UNIQUE,
            added_at TEXT NOT NULL,
            indexed_at TEXT
        );
        CREATE TABLE library_documents (
            id INTEGER PRIMARY KEY,
            folder_id INTEGER NOT NULL REFERENCES library_folders(id) ON DELETE CASCADE,
            path TEXT NOT NULL UNIQUE,
            size INTEGER NOT NULL,
            mtime_ns INTEGER NOT NULL,
            sha256 TEXT NOT NULL,
            title TEXT NOT NULL DEFAULT '',
            passages INTEGER NOT NULL DEFAULT 0,
            indexed_at TEXT NOT NULL,
            error TEXT NOT NULL DEFAULT ''
        );
        CREATE INDEX library_documents_by_folder ON library_documents(folder_id);
        CREATE TABLE library_passages (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            document_id INTEGER NOT NULL REFERENCES library_documents(id) ON DELETE CASCADE,
            start INTEGER NOT NULL,
            "end" INTEGER NOT NULL,
            page INTEGER,
            text TEXT NOT NULL,
            CHECK (start >= 0 AND "end" > start)
        );
        CREATE INDEX library_passages_by_document ON library_passages(document_id, start);
        CREATE VIRTUAL TABLE library_fts USING fts5(
            text, content='library_passages', content_rowid='id',
            tokenize='porter unicode61'
        );
        CREATE VIRTUAL TABLE library_vocab USING fts5vocab(library_fts, row);
        CREATE TRIGGER library_passages_ad AFTER DELETE ON library_passages BEGIN
            INSERT INTO library_fts(library_fts, rowid, text) VALUES ('delete', old.id, old.text);
        END;
        CREATE TRIGGER library_passages_au AFTER UPDATE OF text ON library_passages
        WHEN old.text IS NOT new.text BEGIN
            INSERT INTO library_fts(library_fts, rowid, text) VALUES ('delete', old.id, old.text);
            INSERT INTO library_fts(rowid, text) VALUES (new.id, new.text);
            DELETE FROM library_embeddings WHERE passage_id = old.id;
        END;
        CREATE TABLE library_embeddings (
            passage_id INTEGER PRIMARY KEY REFERENCES library_passages(id) ON DELETE CASCADE,
            vector BLOB NOT NULL
        );
        CREATE TABLE library_embedding_state (
            id INTEGER PRIMARY KEY CHECK (id = 1),
            model TEXT NOT NULL DEFAULT '',
            rows INTEGER NOT NULL DEFAULT 0,
            changes INTEGER NOT NULL DEFAULT 0
        );
        INSERT INTO library_embedding_state (id) VALUES (1);
        CREATE TRIGGER library_embeddings_ai AFTER INSERT ON library_embeddings BEGIN
            UPDATE library_embedding_state SET rows = rows + 1;
        END;
        CREATE TRIGGER library_embeddings_au AFTER UPDATE ON library_embeddings BEGIN
            UPDATE library_embedding_state SET changes = changes + 1;
        END;
        CREATE TRIGGER library_embeddings_ad AFTER DELETE ON library_embeddings BEGIN
            UPDATE library_embedding_state SET rows = rows - 1, changes = changes + 1;
        END;
        """,
    )


_TEAM_CONNECTED = "EXISTS (SELECT 1 FROM settings WHERE key = 'team.dsn')"
_TEAM_NOW = "strftime('%Y-%m-%dT%H:%M:%S+00:00', 'now')"


def _team_snapshot(claim_id: str) -> str:
    """Trigger statements that queue the current verdict of claim ``claim_id`` for the team.

    The claim gets its team identity if it has none; its pending change, if any, is
    replaced (DELETE then INSERT, never ``OR REPLACE``, whose policy an outer
    statement's ``OR IGNORE`` would override).
    """
    return f"""
            INSERT INTO team_claims (claim_id, uid) SELECT {claim_id}, {UUID_SQL}
                WHERE NOT EXISTS (SELECT 1 FROM team_claims WHERE claim_id = {claim_id});
            DELETE FROM team_outbox WHERE claim_uid =
                (SELECT uid FROM team_claims WHERE claim_id = {claim_id});
            INSERT INTO team_outbox (change_id, claim_uid, claim_id, claim_text, status, note,
                claimant, evidence, article_title, article_url, changed_at)
                SELECT {UUID_SQL}, claim_uid, claim_id, claim_text, status, note, claimant,
                    evidence, article_title, article_url, {_TEAM_NOW}
                FROM team_verdict_now WHERE claim_id = {claim_id};"""


_TEAM_WITHDRAWAL = f"""
            DELETE FROM team_outbox WHERE claim_uid =
                (SELECT uid FROM team_claims WHERE claim_id = old.id)
                AND old.status != 'unchecked' AND {_TEAM_CONNECTED};
            INSERT INTO team_outbox (change_id, claim_uid, claim_id, claim_text, status,
                changed_at)
                SELECT {UUID_SQL}, uid, old.id, old.text, 'unchecked', {_TEAM_NOW}
                FROM team_claims WHERE claim_id = old.id
                    AND old.status != 'unchecked' AND {_TEAM_CONNECTED};"""
"""Trigger statements that queue a deleted claim's withdrawal for the team (the claim
that was checked goes out as unchecked), replacing its pending change."""


@migrations(name="0010_team_outbox")
def _m0010_team_outbox(db: Database) -> None:
    # The team archive (workbench.team): once this database is connected to a team
    # (the setting team.dsn), every change to a verdict (status, note, claimant, the
    # claim's text, an evidence link) is queued in team_outbox by these triggers, in
    # the transaction of the change itself, so no code path can forget it and a crash
    # cannot separate them. The outbox holds one row per claim, its latest state: a
    # newer change replaces the pending one, with a new change id (a change already
    # sent keeps its id, so sending it again adds nothing). A claim's identity on the
    # team is a UUID (team_claims), made when it is first published: claim ids can be
    # reused after a deletion. A claim that goes back to unchecked, or is removed with
    # its verdict, is queued as unchecked: the team withdraws it. Verdicts received
    # from the other members are past checks of the source "team"; team_received keeps
    # what the archive row has no room for (who, their login, every evidence link).
    _execute_script(
        db,
        f"""
        CREATE TABLE team_claims (
            claim_id INTEGER PRIMARY KEY,
            uid TEXT NOT NULL UNIQUE
        );
        CREATE TABLE team_outbox (
            id INTEGER PRIMARY KEY,
            change_id TEXT NOT NULL UNIQUE,
            claim_uid TEXT NOT NULL UNIQUE,
            claim_id INTEGER NOT NULL,
            claim_text TEXT NOT NULL,
            status TEXT NOT NULL,
            note TEXT NOT NULL DEFAULT '',
            claimant TEXT NOT NULL DEFAULT '',
            evidence TEXT NOT NULL DEFAULT '[]',
            article_title TEXT NOT NULL DEFAULT '',
            article_url TEXT NOT NULL DEFAULT '',
            changed_at TEXT NOT NULL
        );
        CREATE TABLE team_received (
            claim_uid TEXT PRIMARY KEY,
            seq INTEGER NOT NULL,
            change_id TEXT NOT NULL,
            checker_name TEXT NOT NULL,
            login TEXT NOT NULL,
            status TEXT NOT NULL,
            note TEXT NOT NULL DEFAULT '',
            evidence TEXT NOT NULL DEFAULT '[]',
            article_title TEXT NOT NULL DEFAULT '',
            article_url TEXT NOT NULL DEFAULT '',
            changed_at TEXT NOT NULL
        );
        CREATE VIEW team_verdict_now AS
            SELECT t.uid AS claim_uid, c.id AS claim_id, c.text AS claim_text, c.status,
                c.note, c.claimant,
                (SELECT json_group_array(json_object('url', e.url, 'title', e.title))
                    FROM evidence e WHERE e.claim_id = c.id AND e.url != '') AS evidence,
                a.title AS article_title, a.url AS article_url
            FROM claims c JOIN articles a ON a.id = c.article_id
                JOIN team_claims t ON t.claim_id = c.id;
        CREATE TRIGGER team_claims_au AFTER UPDATE OF status, note, claimant, text ON claims
        WHEN (old.status != 'unchecked' OR new.status != 'unchecked')
            AND (old.status IS NOT new.status OR old.note IS NOT new.note
                 OR old.claimant IS NOT new.claimant OR old.text IS NOT new.text)
            AND {_TEAM_CONNECTED}
        BEGIN{_team_snapshot("new.id")}
        END;
        CREATE TRIGGER team_claims_ai AFTER INSERT ON claims
        WHEN new.status != 'unchecked' AND {_TEAM_CONNECTED}
        BEGIN{_team_snapshot("new.id")}
        END;
        CREATE TRIGGER team_claims_ad AFTER DELETE ON claims BEGIN{_TEAM_WITHDRAWAL}
            DELETE FROM team_claims WHERE claim_id = old.id;
        END;
        CREATE TRIGGER team_evidence_ai AFTER INSERT ON evidence
        WHEN new.url != '' AND {_TEAM_CONNECTED} AND EXISTS
            (SELECT 1 FROM claims WHERE id = new.claim_id AND status != 'unchecked')
        BEGIN{_team_snapshot("new.claim_id")}
        END;
        CREATE TRIGGER team_evidence_ad AFTER DELETE ON evidence
        WHEN old.url != '' AND {_TEAM_CONNECTED} AND EXISTS
            (SELECT 1 FROM claims WHERE id = old.claim_id AND status != 'unchecked')
        BEGIN{_team_snapshot("old.claim_id")}
        END;
        CREATE TRIGGER team_evidence_au AFTER UPDATE OF url, title ON evidence
        WHEN (old.url IS NOT new.url OR old.title IS NOT new.title) AND {_TEAM_CONNECTED}
            AND EXISTS (SELECT 1 FROM claims WHERE id = new.claim_id AND status != 'unchecked')
        BEGIN{_team_snapshot("new.claim_id")}
        END;
        """,
    )


_NEVER_REUSED = ("articles", "claims", "evidence", "claim_feedback")
"""Tables whose ids must never be given again once their row is deleted (0011)."""


@migrations(name="0011_ids_never_reused", transactional=False)
def _m0011_ids_never_reused(db: Database) -> None:
    # Without AUTOINCREMENT, SQLite gives a new row one more than the highest id left: a
    # claim added after the newest one was removed took its id, and with it the removed
    # claim's history; undoing the removal (or an article's deletion) then failed on
    # the id for good. AUTOINCREMENT needs the tables rebuilt, with foreign keys off
    # (dropping `articles` would otherwise delete every claim), which cannot be switched
    # inside a transaction: hence its own, here.
    conn = db.conn
    if conn.in_transaction:
        conn.commit()
    conn.execute("PRAGMA foreign_keys = OFF")
    conn.execute("PRAGMA legacy_alter_table = ON")  # the rename leaves views and triggers be
    try:
        conn.execute("BEGIN IMMEDIATE")
        try:
            for table in _NEVER_REUSED:
                _rebuild_with_autoincrement(conn, table)
            # Ids of claims and articles deleted before this migration live on in the
            # history: they are not given again either.
            for table, floor in (("claims", "claim_id"), ("articles", "article_id")):
                (taken,) = conn.execute(
                    f"SELECT MAX(COALESCE((SELECT MAX({floor}) FROM claim_history), 0),"
                    f" COALESCE((SELECT MAX(id) FROM {table}), 0))"
                ).fetchone()
                # sqlite_sequence has no key on its name: update the row, or add it.
                conn.execute("DELETE FROM sqlite_sequence WHERE name = ?", (table,))
                conn.execute(
                    "INSERT INTO sqlite_sequence (name, seq) VALUES (?, ?)", (table, taken)
                )
            broken = conn.execute("PRAGMA foreign_key_check").fetchall()
            if broken:
                raise sqlite3.IntegrityError(f"foreign keys broken by the rebuild: {broken[:3]}")
            conn.execute("COMMIT")
        except BaseException:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            raise
    finally:
        conn.execute("PRAGMA legacy_alter_table = OFF")
        conn.execute("PRAGMA foreign_keys = ON")


def _rebuild_with_autoincrement(conn: sqlite3.Connection, table: str) -> None:
    """``table`` made again from its own definition with ``AUTOINCREMENT`` on its id,
    rows, indexes and triggers included (SQLite's procedure for schema changes ALTER
    TABLE cannot make). Done already: nothing to do (the migration may run again after
    a crash before it was recorded)."""
    (sql,) = conn.execute(
        "SELECT sql FROM sqlite_master WHERE type = 'table' AND name = ?", (table,)
    ).fetchone()
    if "AUTOINCREMENT" in sql.upper():
        return
    staged = f"_{table}_rebuilt"
    new, named = re.subn(rf'^CREATE TABLE "?{table}"?', f"CREATE TABLE {staged}", sql)
    new, keyed = re.subn(r"\bid INTEGER PRIMARY KEY\b", "id INTEGER PRIMARY KEY AUTOINCREMENT", new)
    if (named, keyed) != (1, 1):
        raise sqlite3.DatabaseError(f"unexpected definition of {table}: {sql[:80]!r}")
    kept = [
        str(row[0])
        for row in conn.execute(
            "SELECT sql FROM sqlite_master WHERE tbl_name = ? AND type IN ('index', 'trigger')"
            " AND sql IS NOT NULL",
            (table,),
        )
    ]
    conn.execute(new)
    conn.execute(f"INSERT INTO {staged} SELECT * FROM {table}")
    conn.execute(f"DROP TABLE {table}")
    conn.execute(f"ALTER TABLE {staged} RENAME TO {table}")
    for statement in kept:
        conn.execute(statement)


@migrations(name="0012_team_identity_outlives_removal")
def _m0012_team_identity_outlives_removal(db: Database) -> None:
    # A removed claim forgot its team identity (claim ids could be given again; since
    # 0011 they are not): undoing the removal published it under a new one, so the team
    # saw a withdrawn verdict and a new claim. The identity now stays: put back, the
    # claim's verdict replaces its queued withdrawal under the same identity.
    _execute_script(
        db,
        f"""
        DROP TRIGGER team_claims_ad;
        CREATE TRIGGER team_claims_ad AFTER DELETE ON claims BEGIN{_TEAM_WITHDRAWAL}
        END;
        """,
    )


@migrations(name="0013_chosen_priority")
def _m0013_chosen_priority(db: Database) -> None:
    # The priority the fact-checker gave a claim ("high", "medium", "low"); "" keeps the
    # detector's. Later articles learn from it (workbench.nlp.feedback).
    _execute_script(
        db,
        """
        ALTER TABLE claims ADD COLUMN chosen_priority TEXT NOT NULL DEFAULT ''
            CHECK (chosen_priority IN ('', 'high', 'medium', 'low'));
        """,
    )
