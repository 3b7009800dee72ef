"""Ids of articles, claims, evidence and corrections are never given again (migration 0011).

SQLite gives a new row one more than the highest id left unless the table has
AUTOINCREMENT: a claim added after the newest one was removed took its id and with it
the removed claim's history, and undoing a removal or a deletion failed for good on the
id now taken.
"""

from __future__ import annotations

from pathlib import Path

from workbench import operations
from workbench.models import ArticleDraft, DetectedClaim
from workbench.store import Store

from .test_store import TEXT, database_before, detected, snapshot

OTHER = "Older text. The senator said taxes rose 5% in 2023."


def test_an_article_deleted_and_another_added_can_still_be_undone(tmp_path: Path) -> None:
    with Store(tmp_path / "wb.db") as store:
        first = store.add_article(ArticleDraft(TEXT, title="Troops"), [detected(TEXT, TEXT[:65])])
        claim_id = first.claims[0].id
        operations.run(store, operations.set_note(claim_id, "Called the ministry."))
        operations.run(store, operations.add_evidence(claim_id, "https://example.org/a"))
        before = store.claim(claim_id)
        deleted = operations.run(store, operations.delete_article(first.article.id))
        second = store.add_article(
            ArticleDraft(OTHER), [DetectedClaim(12, len(OTHER), OTHER[12:], 0.9)]
        )
        operations.run(store, operations.add_evidence(second.claims[0].id, "https://example.org/b"))
        assert second.article.id != first.article.id and second.claims[0].id != claim_id
        operations.run(store, deleted.undo)
        assert store.claim(claim_id) == before


def test_a_claim_added_after_one_was_removed_has_its_own_history(tmp_path: Path) -> None:
    with Store(tmp_path / "wb.db") as store:
        stored = store.add_article(ArticleDraft(TEXT), [detected(TEXT, TEXT[:65])])
        removed = stored.claims[0].id
        operations.run(store, operations.set_note(removed, "Minister lied"))
        change = operations.run(store, operations.remove_claim(removed))
        start = TEXT.index("On Thursday")
        added = operations.run(store, operations.add_claim(stored.article.id, start, len(TEXT)))
        assert added.claim is not None and added.claim.id != removed
        assert [h.field for h in store.history(added.claim.id)] == ["claim"]
        operations.run(store, change.undo)
        assert store.claim(removed).note == "Minister lied"


def test_a_version_10_database_is_rebuilt_with_its_rows_indexes_and_triggers(
    tmp_path: Path,
) -> None:
    path = tmp_path / "old.db"
    old = database_before(path, "0011_ids_never_reused")
    old.executescript(
        """
        INSERT INTO articles (id, title, imported_at, text, content_hash)
            VALUES (3, 'Troops', 'now', 'North Korea sent troops.', 'h');
        INSERT INTO claims (id, article_id, start, "end", text, score, status, note,
            created_at, updated_at)
            VALUES (5, 3, 0, 24, 'North Korea sent troops.', 0.9, 'disputed', 'n', 'now', 'now');
        INSERT INTO evidence (id, claim_id, url, added_at) VALUES (4, 5, 'https://e.org', 'now');
        INSERT INTO claim_tags (claim_id, tag) VALUES (5, 'korea');
        INSERT INTO claim_feedback (id, article_id, text, label, created_at)
            VALUES (2, 3, 'x', 0, 'now');
        -- a claim removed before the upgrade: its id (9) and its article's (6) stay taken
        INSERT INTO claim_history (claim_id, article_id, field, old, new, changed_by,
            changed_at) VALUES (9, 6, 'claim', 'x', NULL, 'me', 'now');
        """
    )
    old.conn.commit()
    schema = "SELECT type, name FROM sqlite_master WHERE type != 'table' ORDER BY 1, 2"
    objects = old.execute(schema).fetchall()
    rows = snapshot(path)
    old.conn.close()
    with Store(path) as store:
        conn = store.db.conn
        assert [tuple(r) for r in conn.execute(schema)] == objects  # indexes, triggers, views
        for table in ("articles", "claims", "evidence", "claim_feedback"):
            (sql,) = conn.execute(
                "SELECT sql FROM sqlite_master WHERE name = ?", (table,)
            ).fetchone()
            assert "AUTOINCREMENT" in sql
        assert tuple(conn.execute("PRAGMA foreign_keys").fetchone()) == (1,)
    kept = {"_sqlite_migrations", "sqlite_sequence"}
    # Later migrations add columns at the end (0013: claims.chosen_priority, "").
    width = {table: len(row) for table, *row in rows}
    after = [r[: width.get(r[0], len(r)) + 1] for r in snapshot(path) if r[0] not in kept]
    assert after == [r for r in rows if r[0] not in kept]
    with Store(path) as store:
        assert store.claim(5).evidence[0].url == "https://e.org"
        text = "The senator said taxes rose 5% in 2023."
        added = store.add_article(ArticleDraft(text), [DetectedClaim(0, len(text), text, 0.9)])
        assert added.article.id == 7 and added.claims[0].id == 10
        store.delete_article(3)  # the foreign keys still cascade
        assert tuple(store.db.conn.execute("SELECT COUNT(*) FROM evidence").fetchone()) == (0,)
