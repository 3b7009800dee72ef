from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from sqlite_utils import Database

from workbench.dbfile import SCHEMA_VERSION
from workbench.errors import NotFoundError, StoreError, ValidationError
from workbench.locations import default_db_path
from workbench.models import ArticleDraft, ClaimOrigin, DetectedClaim, Status
from workbench.store import Store, migrations

TEXT = (
    "North Korea sent some 12,000 troops to Russia, the minister said.\n\n"
    "“We will respond in every way,” Rudenko said.\n\n"
    "On Thursday, 70 lawmakers introduced a resolution."
)


def detected(text: str, sentence: str, score: float = 0.8) -> DetectedClaim:
    start = text.index(sentence)
    return DetectedClaim(start, start + len(sentence), sentence, score, ("number",))


@pytest.fixture
def store(tmp_path: Path) -> Store:
    with Store(tmp_path / "wb.db", user="tester") as s:
        yield s  # type: ignore[misc]


@pytest.fixture
def stored(store: Store) -> int:
    claims = [
        detected(TEXT, "North Korea sent some 12,000 troops to Russia, the minister said."),
        detected(TEXT, "On Thursday, 70 lawmakers introduced a resolution."),
    ]
    return store.add_article(ArticleDraft(TEXT, title="Troops", source="Herald"), claims).article.id


def database_before(path: Path, migration: str) -> Database:
    """A database at ``path`` as a version without ``migration`` and those after it left it."""
    old = Database(sqlite3.connect(path))
    migrations.apply(old, stop_before=migration)
    old.execute(f"PRAGMA user_version = {len(migrations.applied(old))}")
    return old


def snapshot(path: Path) -> list[tuple[object, ...]]:
    """Every row of every table, to prove a failed operation changed nothing."""
    conn = sqlite3.connect(path)
    try:
        tables = [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")]
        return [(t, *row) for t in sorted(tables) for row in conn.execute(f"SELECT * FROM {t}")]
    finally:
        conn.close()


def test_article_and_claims_round_trip_across_reopen(tmp_path: Path) -> None:
    path = tmp_path / "wb.db"
    with Store(path) as store:
        claim = detected(TEXT, "On Thursday, 70 lawmakers introduced a resolution.")
        result = store.add_article(ArticleDraft(TEXT, title="T", published="2024-11-28"), [claim])
        assert result.created
    with Store(path) as store:
        article = store.article(result.article.id)
        assert article.text == TEXT and article.published == "2024-11-28"
        (claim_back,) = store.claims(article.id)
        assert article.text[claim_back.start : claim_back.end] == claim_back.text
        assert claim_back.status is Status.UNCHECKED
        assert claim_back.reasons == ("number",)


def test_same_article_twice_is_stored_once(store: Store, stored: int) -> None:
    again = store.add_article(ArticleDraft(TEXT, title="Other title"), [])
    assert not again.created
    assert again.article.id == stored
    assert len(again.claims) == 2
    assert len(store.articles()) == 1


def test_database_is_wal_with_foreign_keys_and_versioned(store: Store) -> None:
    conn = store.db.conn
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert conn.execute("PRAGMA foreign_keys").fetchone()[0] == 1
    assert conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
    assert len(migrations._migrations) == SCHEMA_VERSION
    assert not migrations.pending(store.db)


def test_verdict_is_recorded_with_history(store: Store, stored: int) -> None:
    claim = store.claims(stored)[0]
    updated = store.update_claim(
        claim.id,
        status="disputed",
        note="Figure is 10,000 per the ministry",
        claimant="Umerov",
        evidence=[("https://example.org/report?id=3&lang=en", "Ministry report")],
    )
    assert updated.status is Status.DISPUTED
    assert updated.claimant == "Umerov"
    assert [(e.url, e.title) for e in updated.evidence] == [
        ("https://example.org/report?id=3&lang=en", "Ministry report")
    ]
    history = store.history(claim.id)
    assert [(h.field, h.old, h.new) for h in history] == [
        ("status", "unchecked", "disputed"),
        ("note", "", "Figure is 10,000 per the ministry"),
        ("claimant", "", "Umerov"),
        ("evidence", None, "https://example.org/report?id=3&lang=en"),
    ]
    assert {h.changed_by for h in history} == {"tester"}


def test_unchanged_values_write_no_history(store: Store, stored: int) -> None:
    claim = store.claims(stored)[0]
    store.update_claim(claim.id, status=Status.UNCHECKED, note="")
    assert store.history(claim.id) == []


@pytest.mark.parametrize("url", ["javascript:alert(1)", "file:///etc/passwd", "example.org", ""])
def test_bad_evidence_url_changes_nothing(store: Store, stored: int, url: str) -> None:
    claim = store.claims(stored)[0]
    before = snapshot(store.path)
    with pytest.raises(ValidationError):
        store.update_claim(
            claim.id, status="verified", evidence=[("https://ok.org", ""), (url, "")]
        )
    assert snapshot(store.path) == before


def test_unknown_status_is_refused(store: Store, stored: int) -> None:
    with pytest.raises(ValidationError, match="unknown status"):
        store.update_claim(store.claims(stored)[0].id, status="true-ish")


def test_missing_ids_raise_not_found(store: Store) -> None:
    with pytest.raises(NotFoundError):
        store.article(99)
    with pytest.raises(NotFoundError):
        store.update_claim(99, status="verified")


def test_user_added_claim_is_trimmed_and_kept_as_feedback(store: Store, stored: int) -> None:
    sentence = "“We will respond in every way,” Rudenko said."
    start = TEXT.index(sentence)
    claim = store.add_claim(stored, start - 2, start + len(sentence))  # includes "\n\n"
    assert claim.text == sentence
    assert claim.origin is ClaimOrigin.USER
    assert [c.start for c in store.claims(stored)] == sorted(c.start for c in store.claims(stored))
    assert (sentence, 1) in store.feedback()


def test_a_claim_of_yours_moved_then_removed_leaves_no_example_behind(
    store: Store, stored: int
) -> None:
    """The positive example kept its first text, so removing the moved claim missed it."""
    sentence = "“We will respond in every way,” Rudenko said."
    start = TEXT.index(sentence)
    claim = store.add_claim(stored, start, start + len(sentence))
    store.set_claim_span(claim.id, start, start + len(sentence) - 1)
    assert (sentence[:-1], 1) in store.feedback() and (sentence, 1) not in store.feedback()
    store.remove_claim(claim.id)
    assert [label for _, label in store.feedback()] == []


def test_overlapping_or_out_of_range_claims_are_refused(store: Store, stored: int) -> None:
    first = store.claims(stored)[0]
    with pytest.raises(ValidationError, match="overlap"):
        store.add_claim(stored, first.start + 3, first.end + 5)
    with pytest.raises(ValidationError, match="outside"):
        store.add_claim(stored, 0, len(TEXT) + 1)
    with pytest.raises(ValidationError):
        store.add_claim(stored, 10, 10)


def test_removed_detector_claim_becomes_negative_example(store: Store, stored: int) -> None:
    claim = store.claims(stored)[0]
    store.update_claim(claim.id, evidence=[("https://example.org", "")])
    store.remove_claim(claim.id)
    assert [c.id for c in store.claims(stored)] != [claim.id]
    assert (claim.text, 0) in store.feedback()
    assert store.history(claim.id)[-1].field == "claim"
    assert store.db.conn.execute("SELECT COUNT(*) FROM evidence").fetchone()[0] == 0


def test_library_counts_progress_newest_first(store: Store, stored: int) -> None:
    second = store.add_article(ArticleDraft("Another article, 5 facts.", title="B"), []).article
    claim = store.claims(stored)[0]
    store.update_claim(claim.id, status="verified")
    rows = store.articles()
    assert [r.id for r in rows] == [second.id, stored]
    assert (rows[1].claim_count, rows[1].checked_count) == (2, 1)
    assert [r.id for r in store.articles(search="herald")] == [stored]


def test_evidence_can_be_added_and_removed(store: Store, stored: int) -> None:
    claim = store.claims(stored)[0]
    item = store.add_evidence(claim.id, " https://example.org/a ", title="A")
    assert item.url == "https://example.org/a"
    store.remove_evidence(item.id)
    assert store.claim(claim.id).evidence == ()
    assert [h.new for h in store.history(claim.id)] == ["https://example.org/a", None]


def test_file_that_is_not_sqlite_is_refused_untouched(tmp_path: Path) -> None:
    path = tmp_path / "notes.db"
    path.write_bytes(b"these are my notes, not a database\n" * 10)
    before = path.read_bytes()
    with pytest.raises(StoreError, match="not a workbench database"):
        Store(path)
    assert path.read_bytes() == before


def test_foreign_sqlite_database_is_refused_untouched(tmp_path: Path) -> None:
    path = tmp_path / "other.db"
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE photos (id INTEGER)")
    conn.commit()
    conn.close()
    before = path.read_bytes()
    with pytest.raises(StoreError, match="not a workbench one"):
        Store(path)
    assert path.read_bytes() == before


def test_database_from_newer_version_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "wb.db"
    Store(path).close()
    conn = sqlite3.connect(path)
    conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    conn.commit()
    conn.close()
    with pytest.raises(StoreError, match="newer version"):
        Store(path)


def test_locked_database_gives_clear_error_and_keeps_data(tmp_path: Path, stored: int) -> None:
    del stored
    path = tmp_path / "wb.db"
    locker = sqlite3.connect(path, isolation_level=None)
    locker.execute("BEGIN EXCLUSIVE")
    try:
        store = Store(path)
        store.db.conn.execute("PRAGMA busy_timeout = 50")
        with pytest.raises(StoreError, match="locked"):
            store.update_claim(1, status="verified")
        store.close()
    finally:
        locker.execute("ROLLBACK")
        locker.close()
    with Store(path) as store:
        assert store.claim(1).status is Status.UNCHECKED


def test_default_path_honours_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("WORKBENCH_DB", str(tmp_path / "env.db"))
    assert default_db_path() == tmp_path / "env.db"
    monkeypatch.delenv("WORKBENCH_DB")
    assert default_db_path().name == "workbench.db"


def test_removed_claim_is_restored_exactly(store: Store, stored: int) -> None:
    claim = store.update_claim(
        store.claims(stored)[0].id,
        status="verified",
        note="checked",
        evidence=[("https://example.org/x", "X")],
    )
    store.remove_claim(claim.id)
    restored = store.restore_claim(claim)
    assert (restored.id, restored.status, restored.note, restored.evidence) == (
        claim.id,
        claim.status,
        claim.note,
        claim.evidence,
    )
    assert (claim.text, 0) not in store.feedback()


def test_a_removed_claim_is_not_put_back_over_one_added_since(
    store: Store, stored: int, tmp_path: Path
) -> None:
    claim = store.claims(stored)[0]
    store.remove_claim(claim.id)
    with Store(store.path, user="bo") as other:  # the CLI, or a second window
        other.add_claim(stored, 0, 11)
    before = snapshot(store.path)
    with pytest.raises(ValidationError, match="overlap claim"):
        store.restore_claim(claim)
    assert snapshot(store.path) == before


def test_claim_span_can_be_extended_and_shrunk(store: Store, stored: int) -> None:
    claim = store.claims(stored)[1]
    shrunk = store.set_claim_span(claim.id, claim.start + 13, claim.end)
    assert shrunk.text == "70 lawmakers introduced a resolution."
    assert TEXT[shrunk.start : shrunk.end] == shrunk.text
    with pytest.raises(ValidationError, match="overlap"):
        store.set_claim_span(claim.id, 0, claim.end)
    assert store.history(claim.id)[-1].field == "span"


def test_evidence_can_be_edited(store: Store, stored: int) -> None:
    claim = store.claims(stored)[0]
    item = store.add_evidence(claim.id, "https://example.org/a")
    edited = store.update_evidence(item.id, title="Ministry", note="p. 4")
    assert (edited.url, edited.title, edited.note) == ("https://example.org/a", "Ministry", "p. 4")
    with pytest.raises(ValidationError):
        store.update_evidence(item.id, url="javascript:void(0)")
    assert store.evidence(item.id) == edited


def test_note_typed_in_several_saves_is_one_history_entry(store: Store, stored: int) -> None:
    claim = store.claims(stored)[0]
    for note in ("S", "Sou", "Source: ministry"):
        store.update_claim(claim.id, note=note)
    store.update_claim(claim.id, status="verified")
    assert [(h.field, h.old, h.new) for h in store.history(claim.id)] == [
        ("note", "", "Source: ministry"),
        ("status", "unchecked", "verified"),
    ]


def test_a_note_cut_within_the_minute_keeps_the_text_before_the_cut(
    store: Store, stored: int
) -> None:
    """Typing is one entry; a cleared note (or a paragraph pasted over) is another."""
    claim = store.claims(stored)[0]
    first = "Called the ministry twice; the spokesperson confirmed the figure of 4,500."
    for note in ("Called", first, first + " Check"):
        store.update_claim(claim.id, note=note)
    store.update_claim(claim.id, note="")  # select all, Delete
    store.update_claim(claim.id, note="T")
    store.update_claim(claim.id, note="Typo")  # small edits coalesce again
    store.update_claim(claim.id, note="Ty")
    assert [(h.old, h.new) for h in store.history(claim.id)] == [
        ("", first + " Check"),
        (first + " Check", "Ty"),
    ]


def test_another_programs_note_is_never_folded_into_this_ones_history(
    store: Store, stored: int
) -> None:
    """The CLI's note, saved between two of the app's saves by the same user, vanished."""
    claim = store.claims(stored)[0]
    store.update_claim(claim.id, note="app note one")
    with Store(store.path, user=store.user) as cli:
        cli.update_claim(claim.id, note="CLI: source confirmed by the ministry")
    store.update_claim(claim.id, note="CLI: source confirmed by the ministry, and more")
    assert [h.new for h in store.history(claim.id)] == [
        "app note one",
        "CLI: source confirmed by the ministry",
        "CLI: source confirmed by the ministry, and more",
    ]


def test_settings_persist(tmp_path: Path) -> None:
    with Store(tmp_path / "s.db") as store:
        assert store.setting("organisation") is None
        store.set_setting("organisation", "Desk A")
        store.set_setting("organisation", "Desk B")
    with Store(tmp_path / "s.db") as store:
        assert store.setting("organisation") == "Desk B"


def test_removed_evidence_is_restored_with_its_id(store: Store, stored: int) -> None:
    claim = store.claims(stored)[0]
    item = store.add_evidence(claim.id, "https://example.org/e", title="E", note="n")
    store.remove_evidence(item.id)
    assert store.restore_evidence(item) == item
    assert store.claim(claim.id).evidence == (item,)


def test_taking_back_an_own_claim_forgets_it_as_an_example(store: Store, stored: int) -> None:
    sentence = "“We will respond in every way,” Rudenko said."
    start = TEXT.index(sentence)
    claim = store.add_claim(stored, start, start + len(sentence))
    store.remove_claim(claim.id)
    assert (sentence, 1) not in store.feedback()
    store.restore_claim(claim)
    assert (sentence, 1) in store.feedback()


def test_a_workers_connection_skips_the_integrity_check(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The app checks the file once when it opens it; its workers' connections do not."""
    import workbench.store.db

    path = tmp_path / "checked.db"
    Store(path).close()
    checks: list[Path] = []
    real = workbench.store.db.check_database

    def counting(target: Path, **kwargs: bool) -> object:
        checks.append(target)
        return real(target, **kwargs)

    monkeypatch.setattr(workbench.store.db, "check_database", counting)
    Store(path).close()
    assert checks == [path]
    Store(path, check=False).close()
    assert checks == [path]


def _interrupt_a_change(path: Path) -> None:
    """Kill a process in the middle of a write to ``path`` in rollback-journal mode (as an
    older database is until migrated): its pages half written, a hot ``-journal`` left."""
    import subprocess
    import sys

    script = (
        "import os, sqlite3, sys\n"
        "conn = sqlite3.connect(sys.argv[1], isolation_level=None)\n"
        "conn.execute('PRAGMA journal_mode = DELETE')\n"
        "conn.execute('PRAGMA cache_size = 1')\n"  # every changed page spills to the file
        "conn.execute('BEGIN')\n"
        "conn.execute(\"UPDATE articles SET text = text || 'lost'\")\n"
        "conn.execute(\"UPDATE claims SET note = 'lost'\")\n"
        "os._exit(0)\n"  # no commit, no rollback: a crash
    )
    subprocess.run([sys.executable, "-c", script, str(path)], check=True)


def test_a_change_a_crash_interrupted_is_rolled_back_not_called_damage(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """An audit: a hot journal (SQLite's normal crash state) read as "damaged, restore a
    backup", and that restore parted the file from its journal, losing both."""
    from tests.core.cli_runner import run

    path = tmp_path / "wb.db"
    with Store(path) as store:
        article_id = store.add_article(ArticleDraft(TEXT, title="Troops"), []).article.id
        store.conn.execute("PRAGMA journal_mode = DELETE")
    kept = snapshot(path)
    for opening in ("store", "check"):
        _interrupt_a_change(path)
        assert Path(f"{path}-journal").stat().st_size > 0
        if opening == "check":
            code, out = run("check", "--db", str(path))
            assert code == 0 and out.startswith("recovered: a change to"), capsys.readouterr()
        else:
            with Store(path) as store:
                assert store.article(article_id).text == TEXT
        assert snapshot(path) == kept
