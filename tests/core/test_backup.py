"""Backups, restore, and refusing damaged, newer or busy databases without touching them."""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from tests.core.cli_runner import run
from tests.core.test_store import database_before, snapshot
from workbench.backup import (
    AUTO,
    MANUAL,
    PRE_MIGRATION,
    backup_dir,
    backup_if_stale,
    create_backup,
    list_backups,
    restore_backup,
    verify_backup,
)
from workbench.dbfile import SCHEMA_VERSION, check_database
from workbench.errors import (
    BackupError,
    DatabaseDamagedError,
    DatabaseLockedError,
    DiskFullError,
    NewerDatabaseError,
)
from workbench.models import ArchiveRecord, ArticleDraft, DetectedClaim, Status
from workbench.store import Store

TEXT = "\n\n".join(
    f"Paragraph {i}: the ministry said {i * 1000:,} troops crossed the border on day {i}."
    for i in range(1, 200)
)
T0 = datetime(2025, 3, 1, 12, 0, 0, tzinfo=UTC)


def make_real_db(path: Path) -> None:
    """A database as the app leaves it: an article, claims with verdicts, an archive."""
    with Store(path, user="tester") as store:
        sentence = "Paragraph 1: the ministry said 1,000 troops crossed the border on day 1."
        claim = DetectedClaim(0, len(sentence), sentence, 0.9, ("number",))
        result = store.add_article(ArticleDraft(TEXT, title="Border"), [claim])
        store.update_claim(
            result.claims[0].id,
            status="disputed",
            note="the ministry gave 900",
            evidence=[("https://example.org/a", "Ministry")],
        )
        store.import_archive_records(
            [
                ArchiveRecord(f"past claim number {i} about troops", external_id=str(i))
                for i in range(300)
            ],
            source="politifact",
        )


def files_beside(path: Path) -> set[str]:
    return {p.name for p in path.parent.iterdir() if p.name.startswith(path.name)}


@pytest.fixture
def db(tmp_path: Path) -> Path:
    path = tmp_path / "wb.db"
    make_real_db(path)
    return path


def test_backup_is_listed_and_holds_the_data(db: Path) -> None:
    backup = create_backup(db)
    assert backup.path.parent == db.parent / "backups"
    assert backup.path.name.startswith("wb-") and backup.path.name.endswith("-manual.db")
    assert list_backups(db) == [backup]
    assert verify_backup(backup.path) == SCHEMA_VERSION
    with Store(backup.path) as copy:
        (claim,) = copy.claims(1)
        assert claim.status is Status.DISPUTED and claim.note == "the ministry gave 900"
        assert copy.archive_count("politifact") == 300


def test_automatic_backups_rotate_and_manual_ones_stay(db: Path) -> None:
    manual = create_backup(db, reason=MANUAL, now=T0)
    for day in range(1, 14):
        assert backup_if_stale(db, now=T0 + timedelta(days=day)) is not None
    assert backup_if_stale(db, now=T0 + timedelta(days=13, hours=5)) is None  # not due
    backups = list_backups(db)
    assert [b.reason for b in backups].count(AUTO) == 10
    assert manual in backups
    assert backups[0].created == T0 + timedelta(days=13)
    assert [b.created for b in backups] == sorted((b.created for b in backups), reverse=True)


def test_two_backups_in_the_same_second_both_kept(db: Path) -> None:
    first = create_backup(db, now=T0)
    second = create_backup(db, now=T0)
    assert first.path != second.path
    assert len(list_backups(db)) == 2


def test_store_opened_by_app_or_cli_backs_up_once_a_day(db: Path) -> None:
    with Store(db, auto_backup=True):
        pass
    with Store(db, auto_backup=True):
        pass
    assert [b.reason for b in list_backups(db)] == [AUTO]


def test_a_backup_dated_in_the_future_does_not_stop_the_daily_one(db: Path) -> None:
    future = create_backup(db, reason="manual", now=T0 + timedelta(days=3650))
    assert future.created > T0
    made = backup_if_stale(db, now=T0)
    assert made is not None and made.reason == AUTO


def test_new_database_gets_no_automatic_backup(tmp_path: Path) -> None:
    with Store(tmp_path / "new.db", auto_backup=True):
        pass
    assert list_backups(tmp_path / "new.db") == []


def test_database_is_backed_up_before_a_migration(tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    old = database_before(path, "0002_archive")
    old.execute(
        "INSERT INTO articles (title, imported_at, text, content_hash)"
        " VALUES ('Old', 'x', 't', 'h')"
    )
    old.conn.commit()
    old.conn.close()
    with Store(path) as store:
        assert store.article(1).title == "Old"
    (backup,) = list_backups(path)
    assert backup.reason == PRE_MIGRATION
    assert verify_backup(backup.path) == 1  # the schema before the migration
    restore_backup(path, backup.path)
    with Store(path) as store:  # migrated again
        assert store.article(1).title == "Old"


@pytest.mark.parametrize("damage", ["flip", "truncate", "truncate-odd", "header"])
def test_damaged_database_is_refused_untouched_and_a_backup_restores_it(
    db: Path, damage: str
) -> None:
    backup = create_backup(db)
    data = bytearray(db.read_bytes())
    if damage == "flip":
        # A page in the middle, from its header on (SQLite keeps no checksums, so a flip
        # inside a text value is invisible to it; one in the page structure is not).
        middle = len(data) // 2 // 4096 * 4096
        data[middle : middle + 512] = bytes(b ^ 0xFF for b in data[middle : middle + 512])
    elif damage == "truncate":
        data = data[: len(data) // 2 // 4096 * 4096]
    elif damage == "truncate-odd":
        data = data[: len(data) // 3]
    else:
        data[16:18] = b"\x00\x07"  # page size 7
    db.write_bytes(bytes(data))
    before = db.read_bytes()
    with pytest.raises(DatabaseDamagedError, match=r"is damaged.*restore a backup") as info:
        Store(db)
    assert info.value.path == db
    assert db.read_bytes() == before
    assert files_beside(db) == {"wb.db"}  # not even a -wal or -shm was created
    assert not check_database(db).ok
    code, _ = run("check", "--db", str(db))
    assert code == 2

    result = restore_backup(db, backup.path)
    assert result.kept is not None and result.kept.read_bytes() == before
    with Store(db) as store:
        assert store.claims(1)[0].note == "the ministry gave 900"


def test_newer_database_is_refused_untouched(db: Path) -> None:
    conn = sqlite3.connect(db)
    conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    conn.commit()
    conn.close()
    before = db.read_bytes()
    with pytest.raises(NewerDatabaseError, match="newer version"):
        Store(db)
    assert db.read_bytes() == before
    assert files_beside(db) == {"wb.db"}
    with pytest.raises(BackupError, match="newer version"):
        verify_backup(db)


def test_restore_refuses_a_database_in_use(db: Path) -> None:
    backup = create_backup(db)
    with Store(db) as other:
        with pytest.raises(DatabaseLockedError, match="open in another"):
            restore_backup(db, backup.path)
        other.update_claim(1, note="still writable")
    assert not list(db.parent.glob("*.before-restore-*"))
    with Store(db) as store:
        assert store.claim(1).note == "still writable"


def test_damaged_backup_is_refused_and_nothing_changes(db: Path, tmp_path: Path) -> None:
    bad = tmp_path / "bad-backup.db"
    shutil.copy(db, bad)
    with bad.open("r+b") as fh:
        fh.truncate(os.path.getsize(bad) // 2 + 100)
    before = db.read_bytes()
    with pytest.raises(BackupError, match="cannot be used"):
        restore_backup(db, bad)
    assert db.read_bytes() == before
    with pytest.raises(BackupError):
        verify_backup(tmp_path / "missing.db")


def test_restores_never_overwrite_a_kept_file(db: Path) -> None:
    backup = create_backup(db)
    first = restore_backup(db, backup.path, now=T0)
    second = restore_backup(db, backup.path, now=T0)
    assert first.kept and second.kept and first.kept != second.kept
    assert first.kept.exists() and second.kept.exists()


def test_a_restore_takes_every_companion_file_along(db: Path, tmp_path: Path) -> None:
    """An audit: with the database gone but its -wal left, the "restored" file replayed
    that log (another file's: corrupt; its own: not the backup), and a -journal stayed
    beside the restored file."""
    backup = create_backup(db, reason="manual")
    expected = snapshot(db)
    other = tmp_path / "other.db"
    make_real_db(other)
    stale = sqlite3.connect(other)
    stale.execute("PRAGMA wal_autocheckpoint = 0")
    stale.execute("DELETE FROM archive_claims")  # committed, still in other.db-wal
    stale.commit()
    for suffix in ("-wal", "-journal"):
        shutil.copy(f"{other}{suffix}" if suffix == "-wal" else db, f"{db}{suffix}")
    stale.close()
    db.unlink()
    result = restore_backup(db, backup.path)
    assert not any(Path(f"{db}{s}").exists() for s in ("-wal", "-journal"))
    assert result.kept is None  # no database was there to keep; its companions were
    assert {p.name.split("-")[-1] for p in tmp_path.glob("wb.db.before-restore-*")} == {
        "wal",
        "journal",
    }
    assert snapshot(db) == expected
    with Store(db) as store:
        assert store.archive_count() == 301  # the 300 imported and the verdict given


def test_a_restore_onto_a_folder_a_link_or_a_blocked_name(db: Path, tmp_path: Path) -> None:
    backup = create_backup(db, reason="manual")
    folder = tmp_path / "a-folder.db"
    folder.mkdir()
    with pytest.raises(BackupError, match="is a folder"):
        restore_backup(folder, backup.path)
    assert folder.is_dir() and not any(folder.iterdir())
    # A link is followed: the file it names is restored, the link stays.
    link = tmp_path / "link.db"
    link.symlink_to(db)
    with Store(db) as store:
        store.import_archive_records([ArchiveRecord("a later claim", external_id="x")], source="s")
    restore_backup(link, backup.path)
    assert link.is_symlink()
    with Store(db) as store:
        assert store.archive_count() == 301  # the 300 imported and the verdict given
    # A loop of links: one line (it was "this is a bug").
    loop = tmp_path / "loop.db"
    loop.symlink_to(loop)
    with pytest.raises(BackupError, match="cannot be followed"):
        restore_backup(loop, backup.path)
    # The restored file keeps the mode of the one it replaces (a desk's shared file).
    db.chmod(0o660)
    restore_backup(db, backup.path)
    assert db.stat().st_mode & 0o777 == 0o660
    # With only a stale -shm beside a missing file, no "previous database" is named.
    kept_shm = Path(f"{tmp_path / 'gone.db'}-shm")
    kept_shm.write_bytes(b"stale")
    assert restore_backup(tmp_path / "gone.db", backup.path).kept is None
    assert not kept_shm.exists()
    # The restore's own temporary name taken by a folder: one line, nothing changed.
    (tmp_path / ".wb.db.restoring").mkdir()
    before = db.read_bytes()
    with pytest.raises(BackupError, match="cannot copy the backup"):
        restore_backup(db, backup.path)
    assert db.read_bytes() == before


def test_cli_backup_list_restore_and_check(db: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out = run("backup", "--db", str(db))
    assert code == 0 and "backed up" in out
    code, out = run("backup", "list", "--json", "--db", str(db))
    assert code == 0
    (listed,) = json.loads(out)
    assert listed["reason"] == "manual" and Path(listed["path"]).exists()
    code, out = run("check", "--db", str(db))
    assert code == 0 and out.startswith("ok:")
    code, out = run("restore", listed["path"], "--db", str(db))
    assert code == 0 and "kept as" in out
    code, out = run("restore", str(db.parent / "nope.db"), "--db", str(db))
    assert code == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("workbench: error: ")


def test_check_leaves_the_file_it_checks_as_it_was(db: Path) -> None:
    """``workbench check`` of a backup (one self-contained file, rollback-journal mode)
    changes nothing: its vault check opened the file read-write, which switched it to WAL
    mode (bytes 18 and 19 of its header) and made a -wal and -shm beside it; a database in
    a folder or on a disk that is read-only could not be checked at all (an audit)."""
    backup = create_backup(db).path
    before = backup.read_bytes()
    assert before[18:20] == b"\x01\x01"  # rollback-journal mode
    code, out = run("check", "--db", str(backup))
    assert code == 0 and out.startswith("ok:")
    assert backup.read_bytes() == before
    assert files_beside(backup) == {backup.name}


def test_a_copy_abandoned_mid_way_is_removed_by_the_next_daily_backup(tmp_path: Path) -> None:
    """The app quits without waiting for its background backup: the partial file goes later."""
    import os
    import time

    from workbench.backup import backup_dir, backup_if_stale

    db = tmp_path / "my[db].db"
    Store(db).close()
    folder = backup_dir(db)
    folder.mkdir(parents=True, exist_ok=True)
    old = folder / ".my[db]-20260101T000000Z-auto.123.abcd.partial"
    fresh = folder / ".my[db]-20260101T000000Z-auto.456.ef01.partial"
    other = folder / ".other-20260101T000000Z-auto.789.0000.partial"
    for path in (old, fresh, other):
        path.write_bytes(b"half a copy")
    two_hours_ago = time.time() - 7200
    for path in (old, other):
        os.utime(path, (two_hours_ago, two_hours_ago))
    backup_if_stale(db)
    assert not old.exists()
    assert fresh.exists()  # another process may be writing it right now
    assert other.exists()  # another database's


def test_a_file_that_only_looks_like_a_backup_is_not_restored(
    db: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A table named claims and a version number passed the check; restored, every command
    after it failed with "table claims already exists" (found by an audit)."""
    fake = tmp_path / "fake.db"
    conn = sqlite3.connect(fake)
    conn.execute("CREATE TABLE claims (id INTEGER PRIMARY KEY, text TEXT)")
    conn.execute("PRAGMA user_version = 3")
    conn.commit()
    conn.close()
    before = db.read_bytes()
    code, _ = run("restore", str(fake), "--db", str(db))
    err = capsys.readouterr().err
    assert code == 2 and "not a workbench one" in err and err.count("\n") == 1
    assert db.read_bytes() == before
    assert run("articles", "--db", str(db))[0] == 0


def test_a_backup_holding_text_that_is_not_utf8_is_not_restored(
    db: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """SQLite's checks let it pass; restored, every listing failed while `check` said ok
    (helper audit)."""
    backup = create_backup(db, reason=MANUAL).path
    conn = sqlite3.connect(backup)
    conn.execute("UPDATE articles SET title = CAST(x'4b696dedb080ff' AS TEXT)")
    conn.commit()
    conn.close()
    assert check_database(backup).ok  # what SQLite itself says
    assert run("check", "--db", str(backup))[0] == 2
    assert "articles.title holds text that is not UTF-8" in capsys.readouterr().err
    before = db.read_bytes()
    code, _ = run("restore", str(backup), "--db", str(db))
    err = capsys.readouterr().err
    assert code == 2 and "articles.title holds text that is not UTF-8" in err
    assert err.count("\n") == 1
    assert db.read_bytes() == before
    assert run("articles", "--db", str(db))[0] == 0


def test_the_users_work_is_readable_by_the_user_alone(tmp_path: Path) -> None:
    """Notes, evidence and backups were created as the umask gave (0644 files, 0755
    folders): any other account on a shared machine could read them."""
    import stat

    from workbench.dbfile import index_folder
    from workbench.index_files import IndexFolder
    from workbench.vault import store_file, vault_dir

    def mode(path: Path) -> int:
        return stat.S_IMODE(path.stat().st_mode)

    previous = os.umask(0o022)
    try:
        db = tmp_path / "desk" / "work.db"
        with Store(db) as store:
            store.add_article(ArticleDraft("Unemployment fell to 4% in 2023."), [])
            assert (mode(db.parent), mode(db), mode(Path(f"{db}-wal"))) == (0o700, 0o600, 0o600)
            evidence = tmp_path / "memo.txt"
            evidence.write_text("A source's memo.", encoding="utf-8")
            kept = store_file(db, evidence)
            assert (mode(vault_dir(db)), mode(kept.path.parent)) == (0o700, 0o700)
            assert mode(kept.path) == 0o400
        backup = create_backup(db, reason="manual")
        assert (mode(backup_dir(db)), mode(backup.path)) == (0o700, 0o600)
        with IndexFolder(index_folder(db)).writing(wait=0):
            assert mode(index_folder(db)) == 0o700
        # A folder the user chose, and a file that exists, keep their modes.
        shared = tmp_path / "shared"
        shared.mkdir(mode=0o755)
        (shared / "old.db").touch(mode=0o640)
        Store(shared / "old.db").close()
        assert (mode(shared), mode(shared / "old.db")) == (0o755, 0o640)
    finally:
        os.umask(previous)


def test_a_backup_on_a_full_disk_names_the_backups_folder(
    db: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Not the hidden partial copy, deleted by the time the message is read."""
    import workbench.backup

    def full(source: Path, target: Path) -> None:
        raise DiskFullError(f"the disk holding {target} is full")

    monkeypatch.setattr(workbench.backup, "copy_database", full)
    with pytest.raises(DiskFullError) as raised:
        create_backup(db, reason=MANUAL)
    assert str(raised.value) == f"no backup was made: the disk holding {backup_dir(db)} is full"
    assert not list(backup_dir(db).iterdir())


def _free_space(monkeypatch: pytest.MonkeyPatch, free: int) -> None:
    usage = shutil.disk_usage(".")
    monkeypatch.setattr(shutil, "disk_usage", lambda path: usage._replace(free=free))


def test_the_daily_backup_never_takes_the_room_the_database_needs(
    db: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A copy that would leave the disk all but full is not made: edits would fail next."""
    from workbench.backup import KEEP_FREE

    size = db.stat().st_size
    _free_space(monkeypatch, size + KEEP_FREE // 2)
    with pytest.raises(DiskFullError) as raised:
        backup_if_stale(db, now=T0)
    message = str(raised.value)
    assert message == (
        "no backup was made: the daily backup would leave less than 100 MB free on the disk"
        f" holding {backup_dir(db)} (the copy needs {size / 2**20:.1f} MB, 50 MB are free)"
    )
    assert not list(backup_dir(db).glob("*.db"))
    # Opening the database says so once, and the database opens.
    with Store(db, auto_backup=True) as store:
        assert store.backup_problem == message

    # A manual backup only needs room for its copy ...
    assert create_backup(db, reason=MANUAL, now=T0).path.is_file()
    # ... and is refused before a byte is copied when there is none.
    _free_space(monkeypatch, size // 2)
    before = set(backup_dir(db).iterdir())
    with pytest.raises(
        DiskFullError, match=r"has no room \(the copy needs [0-9.]+ MB, [0-9.]+ MB are free\)$"
    ):
        create_backup(db, reason=MANUAL, now=T0 + timedelta(seconds=1))
    assert set(backup_dir(db).iterdir()) == before


def test_the_room_check_counts_the_pages_a_reader_keeps_in_the_log(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """While a reader holds a snapshot, new pages stay in the write-ahead log: the file
    alone (4 KB beside a 41 MB log) said a copy needed almost nothing."""
    db = tmp_path / "wb.db"
    Store(db).close()
    reader = sqlite3.connect(db)
    reader.execute("BEGIN")
    reader.execute("SELECT count(*) FROM articles").fetchone()  # a snapshot held
    writer = sqlite3.connect(db)
    writer.execute("CREATE TABLE filler (data BLOB)")
    writer.executemany("INSERT INTO filler VALUES (?)", [(b"x" * 100_000,)] * 40)
    writer.commit()
    try:
        assert db.stat().st_size < 1_000_000
        _free_space(monkeypatch, db.stat().st_size + 1_000_000)
        with pytest.raises(DiskFullError, match="has no room"):
            create_backup(db, reason=MANUAL)
    finally:
        writer.close()
        reader.close()
