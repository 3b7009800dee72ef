"""The full-text index of the archive stays in step with ``archive_claims`` on every path.

Since migration 0005 no trigger indexes a new past check: an import indexes each batch
with one statement and the sync of the fact-checker's own verdicts indexes the row it
adds (updates and deletes are still indexed by triggers). Each test ends with SQLite's
``integrity_check`` and FTS5's ``integrity-check`` with rank 1, the form that also
compares an external-content index with its table (without it a row missing from the
index goes unnoticed).
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from workbench.models import ArchiveRecord, ArticleDraft, Status
from workbench.store import Store, batches

from .test_store import TEXT, database_before, detected

CLAIM = "North Korea sent some 12,000 troops to Russia, the minister said."


def assert_consistent(path: Path) -> None:
    conn = sqlite3.connect(path)
    try:
        assert conn.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
        conn.execute("INSERT INTO archive_fts (archive_fts, rank) VALUES ('integrity-check', 1)")
        indexed = conn.execute("SELECT COUNT(*) FROM archive_fts_docsize").fetchone()[0]
        stored = conn.execute("SELECT COUNT(*) FROM archive_claims").fetchone()[0]
        assert indexed == stored
    finally:
        conn.close()


def records(count: int, *, start: int = 0, word: str = "wages") -> list[ArchiveRecord]:
    return [
        ArchiveRecord(text=f"Past claim {i} about {word} and taxes", external_id=str(i))
        for i in range(start, start + count)
    ]


def found(store: Store, text: str) -> set[str]:
    return {c.external_id for c in store.archive_search(text, limit=1000)}


def test_the_check_notices_a_past_check_missing_from_the_index(tmp_path: Path) -> None:
    path = tmp_path / "wb.db"
    with Store(path) as store:
        store.import_archive_records(records(3), source="big")
        store.db.conn.execute(
            "INSERT INTO archive_claims (external_id, source, text, imported_at)"
            " VALUES ('x', 'big', 'Never indexed', 'now')"
        )
        store.db.conn.commit()
    with pytest.raises(sqlite3.DatabaseError):
        assert_consistent(path)


def test_an_import_in_batches_of_every_size_indexes_every_record(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(batches, "ARCHIVE_BATCH", 7)
    monkeypatch.setattr(batches, "BATCH_PAUSE_S", 0.0)
    monkeypatch.setattr(batches, "BREATHER_S", 0.0)
    path = tmp_path / "wb.db"
    sizes: list[int] = []
    with Store(path) as store:
        result = store.import_archive_records(
            records(3_000), source="big", progress=lambda done, total: sizes.append(done)
        )
        assert (result.added, result.skipped_duplicates) == (3_000, 0)
        assert sizes[:2] == [0, 7] and sizes[-1] == 3_000
        assert found(store, "past claim 0 wages") == {"0"}
        assert found(store, "past claim 2999 wages") == {"2999"}
        assert store.archive_count() == 3_000
    assert_consistent(path)


def test_duplicates_within_and_across_batches_are_neither_stored_nor_indexed_twice(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(batches, "ARCHIVE_BATCH", 4)
    monkeypatch.setattr(batches, "BATCH_WORK_S", 0.0)
    path = tmp_path / "wb.db"
    with Store(path) as store:
        first = store.import_archive_records(records(6), source="big")
        mixed = [*records(3, start=4), *records(3, start=4), *records(5, start=7, word="rents")]
        again = store.import_archive_records(mixed, source="big")
        assert (first.added, first.skipped_duplicates) == (6, 0)
        assert (again.added, again.skipped_duplicates) == (6, 5)
        other = store.import_archive_records(records(2), source="mirror")
        assert other.added == 2
        assert found(store, "rents") == {"7", "8", "9", "10", "11"}
        assert store.archive_count() == 14
    assert_consistent(path)


def test_a_newer_export_updates_the_records_that_changed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A revised rating or text replaces the stored one; its index and vector follow."""
    monkeypatch.setattr(batches, "BATCH_WORK_S", 0.0)
    path = tmp_path / "wb.db"
    with Store(path) as store:
        store.import_archive_records(records(4), source="big")
        ids = {c.external_id: c.id for c in store.archive_search("wages", limit=10)}
        stored = store.save_archive_embeddings("m", [(ids["2"], records(4)[2].text, b"\0" * 8)])
        assert stored == 1 and store.archive_embeddings_by_id([ids["2"]])
        revised = records(4)
        revised[1] = ArchiveRecord(revised[1].text, external_id="1", verdict="Pants on Fire")
        older, newer = (
            ArchiveRecord(f"Past claim 2 about {word} and taxes", external_id="2")
            for word in ("salaries", "rents")
        )
        result = store.import_archive_records([*revised, older, newer], source="big")
        assert (result.added, result.updated, result.skipped_duplicates) == (0, 2, 4)
        assert store.archive_claim(ids["1"]).verdict == "Pants on Fire"
        assert store.archive_claim(ids["2"]).text == newer.text  # the last of a repeated id
        assert found(store, "rents") == {"2"} and "2" not in found(store, "wages")
        assert not found(store, "salaries")
        assert store.archive_embeddings_by_id([ids["2"]]) == {}  # embedded again later
        assert store.archive_count() == 4
    assert_consistent(path)


def test_own_verdicts_enter_change_and_leave_the_index(tmp_path: Path) -> None:
    path = tmp_path / "wb.db"
    with Store(path) as store:
        store.import_archive_records(records(3), source="big")
        claim = store.add_article(
            ArticleDraft(TEXT, title="Troops"), [detected(TEXT, CLAIM)]
        ).claims[0]
        store.update_claim(claim.id, status=Status.DISPUTED)  # enters the archive
        assert found(store, "troops Russia") == {f"claim-{claim.id}"}
        store.import_archive_records(records(2, start=3), source="big")  # ids after it
        store.update_claim(claim.id, status=Status.VERIFIED)  # an update, not an insert
        start = TEXT.index("12,000")
        store.set_claim_span(claim.id, start, start + len("12,000 troops to Russia"))
        assert (
            store.archive_claim(next(iter(store.archive_search("troops"))).id).text
            == "12,000 troops to Russia"
        )
        assert_consistent(path)
        store.update_claim(claim.id, status=Status.UNCHECKED)  # leaves
        assert found(store, "troops") == set()
        store.update_claim(claim.id, status=Status.DISPUTED)  # and comes back
        removed = store.remove_claim(claim.id)
        assert found(store, "troops") == set()
        store.restore_claim(removed)
        assert found(store, "troops") == {f"claim-{claim.id}"}
        assert_consistent(path)
        store.delete_article(removed.article_id)
        assert store.remove_archive_source("big") == 5
        assert store.archive_count() == 0
    assert_consistent(path)


def test_a_database_indexed_by_the_old_trigger_is_migrated_and_stays_consistent(
    tmp_path: Path,
) -> None:
    path = tmp_path / "old.db"
    old = database_before(path, "0005_archive_fts_by_statement")
    old.execute(
        "INSERT INTO archive_claims (external_id, source, text, imported_at)"
        " VALUES ('old-1', 'old', 'Past claim about bridges', 'x')"
    )
    old.conn.commit()
    old.conn.close()
    with Store(path) as store:
        triggers = {
            r[0]
            for r in store.db.conn.execute("SELECT name FROM sqlite_master WHERE type = 'trigger'")
        }
        assert "archive_claims_ai" not in triggers
        assert {"archive_claims_ad", "archive_claims_au"} <= triggers
        assert found(store, "bridges") == {"old-1"}
        store.import_archive_records(records(3), source="big")
        assert found(store, "wages") == {"0", "1", "2"}
    assert_consistent(path)
