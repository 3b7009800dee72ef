"""Edits made while an archive import or an embedding run writes: they get in between batches.

Each test pauses the long write between two batches (in its progress callback, or in
the pause the store takes there) and makes the edit then, on another connection whose
busy timeout is 0: if the long write still held the lock, the edit would fail at once.
No test depends on a sleep or asserts a time.
"""

from __future__ import annotations

import sqlite3
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from workbench.dbfile import others_have_open
from workbench.errors import DiskFullError, ValidationError
from workbench.models import ArchiveRecord, ArticleDraft, Status
from workbench.store import ArchiveImportResult, Store, batches

from .test_store import TEXT, detected

WAIT_S = 10.0
"""Only so that a broken test fails instead of hanging; nothing waits this long."""
CLAIM = "North Korea sent some 12,000 troops to Russia, the minister said."


@pytest.fixture
def db(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A database with one claim, and imports of two records per batch that never sleep."""
    monkeypatch.setattr(batches, "ARCHIVE_BATCH", 2)
    monkeypatch.setattr(batches, "BATCH_WORK_S", 0.0)
    monkeypatch.setattr(batches, "BATCH_PAUSE_S", 0.0)
    monkeypatch.setattr(batches, "BREATHER_S", 0.0)
    path = tmp_path / "wb.db"
    with Store(path) as store:
        store.add_article(ArticleDraft(TEXT, title="Troops"), [detected(TEXT, CLAIM)])
    yield path


def records(count: int, *, words: int = 3) -> list[ArchiveRecord]:
    return [
        ArchiveRecord(text=f"Past claim {i} " + "about wages " * words, external_id=str(i))
        for i in range(count)
    ]


def impatient_store(path: Path) -> Store:
    """A second connection that gives up at once when the lock is taken."""
    store = Store(path)
    store.db.conn.execute("PRAGMA busy_timeout = 0")
    return store


def run_in_thread(work: Callable[[], object]) -> tuple[threading.Thread, list[object]]:
    """Start ``work`` on a thread; the list gets its result or its exception."""
    outcome: list[object] = []

    def target() -> None:
        try:
            outcome.append(work())
        except BaseException as exc:
            outcome.append(exc)

    thread = threading.Thread(target=target, daemon=True)
    thread.start()
    return thread, outcome


def fts_is_consistent(path: Path) -> bool:
    conn = sqlite3.connect(path)
    try:
        # rank 1: also compare the index with archive_claims (a missing row goes unseen otherwise)
        conn.execute("INSERT INTO archive_fts(archive_fts, rank) VALUES ('integrity-check', 1)")
    except sqlite3.DatabaseError:
        return False
    finally:
        conn.close()
    return True


def test_edits_on_another_connection_are_saved_while_an_import_runs(db: Path) -> None:
    between, resume = threading.Event(), threading.Event()
    seen: list[int] = []

    def progress(done: int, total: int) -> None:
        seen.append(done)
        if done == 2:  # the first of three batches is in
            between.set()
            resume.wait(WAIT_S)

    def run_import() -> object:
        with Store(db) as importer:
            return importer.import_archive_records(records(6), source="big", progress=progress)

    editor = impatient_store(db)
    thread, outcome = run_in_thread(run_import)
    try:
        assert between.wait(WAIT_S)
        editor.update_claim(1, status=Status.DISPUTED, note="Checked against the ministry")
        editor.set_setting("matching.source", "big")
        assert editor.archive_count("big") == 2  # the edit did not wait for the whole import
    finally:
        resume.set()
        thread.join(WAIT_S)
        editor.close()
    assert not thread.is_alive() and seen == [0, 2, 4, 6]
    [result] = outcome
    assert isinstance(result, ArchiveImportResult)
    assert (result.added, result.skipped_duplicates, result.cancelled) == (6, 0, False)
    with Store(db) as store:
        assert store.claim(1).status is Status.DISPUTED
        assert store.setting("matching.source") == "big"
        assert store.archive_count("big") == 6
        assert store.archive_count("own") == 1  # the verdict entered the archive too
        assert {c.external_id for c in store.archive_search("past claim wages")} >= {"0", "5"}
    assert fts_is_consistent(db)


def test_an_import_cuts_its_batch_short_for_an_edit_of_its_own_process(
    db: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(batches, "PIECE", 1)  # batches of two rows, written a row at a time
    edits = batches.WaitingEdits()
    edits.arrived()  # the app's writer has an edit queued as the import begins
    seen: list[int] = []

    def progress(done: int, total: int) -> None:
        seen.append(done)
        if done == 1:  # the first batch stopped after its first row and committed
            with impatient_store(db) as editor:  # fails at once if the lock were held
                editor.update_claim(1, note="Saved while the import gave way")
            edits.left()

    with Store(db, gives_way_to=edits) as importer:
        result = importer.import_archive_records(records(6), source="big", progress=progress)
    assert seen == [0, 1, 3, 5, 6]  # the rest of the cut batch came in the next one
    assert (result.added, result.skipped_duplicates) == (6, 0)
    with Store(db) as store:
        assert store.claim(1).note == "Saved while the import gave way"
        assert len(store.archive_search("past claim wages", limit=10)) == 6
    assert fts_is_consistent(db)
    assert not edits.waiting()


def test_an_edit_gets_in_between_the_batches_of_stored_embeddings(
    db: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with Store(db) as store:
        store.import_archive_records(records(6), source="big")
        rows = store.archive_texts_to_embed("test-encoder", limit=10)
    between, resume = threading.Event(), threading.Event()

    def pause(self: object) -> None:
        between.set()
        resume.wait(WAIT_S)

    monkeypatch.setattr(batches._Pacer, "pause", pause)

    def run_save() -> object:
        with Store(db) as embedder:
            return embedder.save_archive_embeddings(
                "test-encoder", [(i, text, b"\x00" * 8) for i, text in rows]
            )

    editor = impatient_store(db)
    thread, outcome = run_in_thread(run_save)
    try:
        assert between.wait(WAIT_S)
        editor.set_setting("matching.semantic", "on")
    finally:
        resume.set()
        thread.join(WAIT_S)
        editor.close()
    assert outcome == [6]
    with Store(db) as store:
        assert store.setting("matching.semantic") == "on"
        state = store.embedding_state()
        assert (state.model, state.rows) == ("test-encoder", 6)


def test_vectors_of_another_encoder_are_removed_batch_by_batch(db: Path) -> None:
    with Store(db) as store:
        store.import_archive_records(records(5), source="big")
        rows = store.archive_texts_to_embed("old-encoder", limit=10)
        assert store.save_archive_embeddings("old-encoder", [(i, t, b"o") for i, t in rows]) == 5
        first_id, first_text = rows[0]
        assert store.save_archive_embeddings("new-encoder", [(first_id, first_text, b"n")]) == 1
        state = store.embedding_state()
        assert (state.model, state.rows) == ("new-encoder", 1)
        assert store.archive_embeddings() == [(first_id, b"n")]


def test_a_full_disk_in_a_later_batch_keeps_the_earlier_ones_and_says_so(db: Path) -> None:
    with Store(db) as store:

        def progress(done: int, total: int) -> None:
            if done == 2:  # from now on the database cannot grow: as if the disk were full
                pages = store.db.conn.execute("PRAGMA page_count").fetchone()[0]
                store.db.conn.execute(f"PRAGMA max_page_count = {pages}")

        with pytest.raises(DiskFullError) as caught:
            store.import_archive_records(records(6, words=400), source="big", progress=progress)
    message = str(caught.value)
    assert "\n" not in message and "nothing was saved" not in message
    assert message.startswith(f"the disk holding {db} is full")
    assert (
        "the import stopped after 2 of 6 records: the 2 new claims among them are kept" in message
    )
    with Store(db) as store:
        assert store.archive_count("big") == 2
        again = store.import_archive_records(records(6, words=400), source="big")
        assert (again.added, again.skipped_duplicates) == (4, 2)
    assert fts_is_consistent(db)


def test_a_bad_record_in_a_later_batch_keeps_the_earlier_ones_and_says_so(db: Path) -> None:
    bad = [*records(3), ArchiveRecord(text="A lone \ud800 surrogate", external_id="bad")]
    with Store(db) as store:
        with pytest.raises(ValidationError) as caught:
            store.import_archive_records(bad, source="big")
        assert store.archive_count("big") == 2
    message = str(caught.value)
    assert "\n" not in message and "nothing was saved" not in message
    assert message == (
        "a record holds text that is not valid Unicode (a lone surrogate); the import stopped"
        " after 2 of 4 records: the 2 new claims among them are kept, and importing the file"
        " again adds the rest"
    )
    assert fts_is_consistent(db)


def test_a_failing_first_batch_still_says_nothing_was_saved(db: Path) -> None:
    bad = [ArchiveRecord(text="A lone \ud800 surrogate", external_id="bad"), *records(3)]
    with Store(db) as store:
        with pytest.raises(ValidationError, match="nothing was saved"):
            store.import_archive_records(bad, source="big")
        assert store.archive_count("big") == 0


def test_a_write_waiting_for_the_lock_gets_it_once_another_connection_lets_go(
    tmp_path: Path,
) -> None:
    """Writes ask for the lock every millisecond instead of SQLite's slowing busy handler."""
    path = tmp_path / "wait.db"
    Store(path).close()
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")  # another program holds the write lock
    done = threading.Event()

    def edit() -> None:
        with Store(path, check=False) as store:
            store.set_setting("report.organisation", "Desk")
        done.set()

    worker = threading.Thread(target=edit)
    worker.start()
    assert not done.wait(0.05)  # still waiting: the lock is held
    holder.execute("COMMIT")
    holder.close()
    worker.join(30)
    assert done.is_set()
    with Store(path) as store:
        assert store.setting("report.organisation") == "Desk"


@pytest.mark.skipif(not Path("/proc/locks").is_file(), reason="the file locks are listed on Linux")
def test_another_program_with_the_database_open_is_seen(db: Path) -> None:
    with Store(db) as store:  # this process's own connections do not count
        store.archive_count()
        assert not others_have_open(db)
        reader = subprocess.Popen(
            [sys.executable, "-c", "import sqlite3, sys; c = sqlite3.connect(sys.argv[1]);"
             " c.execute('SELECT count(*) FROM claims').fetchall(); print('open', flush=True);"
             " sys.stdin.read()", str(db)],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
        )  # fmt: skip
        try:
            assert reader.stdout is not None and reader.stdout.readline() == "open\n"
            assert others_have_open(db)
        finally:
            reader.communicate("", timeout=WAIT_S)
        assert not others_have_open(db)


def test_others_are_assumed_where_open_files_cannot_be_listed(
    db: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("workbench.dbfile._LOCKS_TABLE", db.parent / "no-such-table")
    assert others_have_open(db)


@pytest.mark.parametrize("alone", [True, False])
def test_a_long_write_alone_takes_short_pauses_and_longer_transactions(
    alone: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Breathers and short transactions are for other programs' sake: without any, none."""
    monkeypatch.setattr(batches, "BREATHER_EVERY_S", 0.0)  # a breather is due at once
    monkeypatch.setattr(batches.time, "monotonic", lambda: 100.0)
    slept: list[float] = []
    monkeypatch.setattr(batches.time, "sleep", slept.append)
    pacer = batches._Pacer(alone=lambda: alone)
    pacer.pause()
    if alone:
        assert slept == [pytest.approx(batches.BATCH_PAUSE_S)]
        assert pacer.work_s == batches.BATCH_WORK_ALONE_S > batches.BATCH_WORK_S
    else:
        assert slept == [pytest.approx(batches.BREATHER_S)]
        assert pacer.work_s == batches.BATCH_WORK_S


def test_a_long_write_alone_still_breathes_now_and_then(monkeypatch: pytest.MonkeyPatch) -> None:
    """A writer in another container is not listed in /proc/locks: it must get in too."""
    monkeypatch.setattr(batches, "BREATHER_EVERY_ALONE_S", 0.0)
    monkeypatch.setattr(batches.time, "monotonic", lambda: 100.0)
    slept: list[float] = []
    monkeypatch.setattr(batches.time, "sleep", slept.append)
    batches._Pacer(alone=lambda: True).pause()
    assert slept == [pytest.approx(batches.BREATHER_S)]
