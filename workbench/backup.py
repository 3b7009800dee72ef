"""Rotating backups of the database, and restoring one.

Backups live in a ``backups`` folder beside the database, one file each, named
``<db stem>-YYYYmmdd-HHMMSS-<reason>.db`` (UTC). They are made with SQLite's online
backup API (:func:`workbench.dbfile.copy_database`), so a backup taken while the app
writes is still a consistent snapshot, and each is checked before it is kept.

Reasons: ``manual`` (``workbench backup``, the app's menu) are never deleted;
``auto`` (made when a store is opened and the newest backup is over a day old) keep
the 10 newest; ``pre-migration`` (made before the schema is upgraded) the 5 newest.
A restore keeps the file it replaces beside the database (:func:`restore_backup`).
The evidence vault's files go into one ``backups/vault`` that every backup shares (a
file is named by its hash and never changes, so each is copied once), and a restore
puts back any the database's vault lacks.
This module speaks no SQL: :mod:`workbench.dbfile` copies and checks the files.
"""

from __future__ import annotations

import contextlib
import errno
import glob
import logging
import os
import re
import secrets
import shutil
import sqlite3
import stat
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from workbench.dbfile import (
    DATABASE_COMPANIONS,
    check_database,
    copy_database,
    fsync_dir,
    index_folder,
    open_read_only,
    release_database,
    verify_database,
)
from workbench.errors import (
    BackupError,
    DatabaseLockedError,
    DatabaseUnusableError,
    DiskFullError,
    StoreError,
)
from workbench.files import make_private_folder
from workbench.vault import mirror, vault_dir

log = logging.getLogger("workbench.backup")

BACKUP_DIR_NAME = "backups"
BACKUP_VAULT_NAME = "vault"
"""The backups' copy of the evidence vault, inside the backups folder."""
MANUAL = "manual"
AUTO = "auto"
PRE_MIGRATION = "pre-migration"
KEEP: dict[str, int] = {AUTO: 10, PRE_MIGRATION: 5}
"""How many backups of each automatic reason are kept; other reasons are never deleted."""
MAX_AGE = timedelta(days=1)
"""An automatic backup is made when the newest backup is older than this."""
KEEP_FREE = 100 * 2**20
"""An automatic backup is not made when it would leave less than this free on its disk.

The database needs room to go on working (its write-ahead log, new articles): a daily
backup that filled the disk would stop every edit until the user freed space. A manual
backup only needs room for the copy: the user asked for it and is told if it cannot be
made.
"""
_STAMP = "%Y%m%d-%H%M%S"
_REASON = re.compile(r"[a-z][a-z-]*")


@dataclass(frozen=True, slots=True)
class Backup:
    """One backup file: where, when (UTC), how large, and why it was made."""

    path: Path
    created: datetime
    size: int
    reason: str
    evidence_left_out: int = 0
    """Vault files the database records but the backups do not hold: their copy in the
    vault is altered or missing (``workbench check`` names them). Only for a backup just
    made; 0 in :func:`list_backups`."""

    def evidence_problem(self) -> str:
        """What :attr:`evidence_left_out` means, in one line for the CLI and the app."""
        return (
            f"{self.evidence_left_out} evidence file(s) could not be backed up: altered or"
            " missing in the vault (workbench check names them)"
        )


@dataclass(frozen=True, slots=True)
class RestoreResult:
    """What a restore did: the database now holds ``backup``; ``kept`` is the file it replaced."""

    database: Path
    backup: Path
    kept: Path | None


def backup_dir(db_path: str | Path) -> Path:
    """The folder holding the backups of ``db_path``."""
    return Path(db_path).expanduser().parent / BACKUP_DIR_NAME


def _pattern(db_path: Path) -> re.Pattern[str]:
    return re.compile(re.escape(db_path.stem) + r"-(\d{8}-\d{6})(?:\.(\d+))?-([a-z][a-z-]*)\.db")


def list_backups(db_path: str | Path) -> list[Backup]:
    """The backups of ``db_path``, newest first."""
    db_path = Path(db_path).expanduser()
    folder = backup_dir(db_path)
    pattern = _pattern(db_path)
    found: list[tuple[datetime, int, Backup]] = []
    try:
        entries = list(folder.iterdir())
    except FileNotFoundError:
        return []
    except OSError as exc:
        raise BackupError(f"cannot read the backups folder {folder}: {exc.strerror}") from exc
    for entry in entries:
        match = pattern.fullmatch(entry.name)
        if match is None:
            continue
        try:
            created = datetime.strptime(match[1], _STAMP).replace(tzinfo=UTC)
            size = entry.stat().st_size
        except (ValueError, OSError):
            continue
        serial = int(match[2] or 0)
        found.append((created, serial, Backup(entry, created, size, match[3])))
    found.sort(key=lambda item: (item[0], item[1]), reverse=True)
    return [backup for _, _, backup in found]


def create_backup(
    db_path: str | Path, *, reason: str = MANUAL, now: datetime | None = None
) -> Backup:
    """Copy the database into its backups folder, check the copy, then rotate.

    Raises:
        BackupError: there is no database, it is damaged (the copy fails its check
            and is not kept), or the backup cannot be written.
    """
    db_path = Path(db_path).expanduser()
    if not _REASON.fullmatch(reason):
        raise ValueError(f"a backup reason is lower-case words joined by '-', not {reason!r}")
    if not db_path.is_file():
        raise BackupError(f"there is no database at {db_path} to back up")
    folder = backup_dir(db_path)
    stamp = (now or datetime.now(UTC)).astimezone(UTC).strftime(_STAMP)
    try:
        make_private_folder(folder)
    except OSError as exc:
        raise BackupError(f"cannot create the backups folder {folder}: {exc.strerror}") from exc
    _check_room(db_path, folder, reason)
    # Unique to this process and call: two commands started at once (each making its
    # automatic backup) never write into, or delete, each other's copy.
    unique = f"{os.getpid()}.{secrets.token_hex(4)}"
    partial = folder / f".{db_path.stem}-{stamp}-{reason}.{unique}.partial"
    try:
        copy_database(db_path, partial)
        verify_database(partial)
        target = _claim_name(partial, folder, f"{db_path.stem}-{stamp}", reason)
        fsync_dir(folder)
    except DatabaseUnusableError as exc:
        raise BackupError(f"no backup was made: the copy of {db_path} failed its check") from exc
    except DiskFullError as exc:  # said of the copy, a hidden file deleted below
        raise DiskFullError(f"no backup was made: the disk holding {folder} is full") from exc
    except StoreError as exc:
        raise BackupError(f"no backup was made: {exc}") from exc
    except OSError as exc:
        if exc.errno == errno.ENOSPC:
            raise DiskFullError(f"no backup was made: the disk holding {folder} is full") from exc
        raise BackupError(f"no backup was made: {exc.strerror or exc}") from exc
    finally:
        partial.unlink(missing_ok=True)
    log.info("backed up %s to %s", db_path, target)
    _back_up_vault(db_path, folder)
    left_out = _vault_files_not_backed_up(target, folder)
    rotate_backups(db_path)
    created = datetime.strptime(stamp, _STAMP).replace(tzinfo=UTC)
    return Backup(target, created, target.stat().st_size, reason, left_out)


def _check_room(db_path: Path, folder: Path, reason: str) -> None:
    """Refuse a backup the disk has no room for, before a byte is copied.

    The copy is as large as the database as SQLite sees it, its pages counted through
    a read-only connection (the file alone can be far smaller: a 4 KB file whose
    write-ahead log held 41 MB of pages a reader still used; the log's own size is no
    guide either, as SQLite reuses it without shrinking it); an automatic one must also
    leave :data:`KEEP_FREE`. Where the sizes cannot be read, the copy itself finds out.

    Raises:
        DiskFullError: there is not enough room.
    """
    try:
        needed = max(db_path.stat().st_size, _pages_size(db_path))
        free = shutil.disk_usage(folder).free
    except OSError:
        return
    keep = KEEP_FREE if reason == AUTO else 0
    if free >= needed + keep:
        return
    sizes = f"the copy needs {_megabytes(needed)}, {_megabytes(free)} are free"
    if keep:
        raise DiskFullError(
            f"no backup was made: the daily backup would leave less than {_megabytes(keep)}"
            f" free on the disk holding {folder} ({sizes})"
        )
    raise DiskFullError(f"no backup was made: the disk holding {folder} has no room ({sizes})")


def _pages_size(db_path: Path) -> int:
    """The bytes of the database's pages as SQLite sees them (its log included), or 0."""
    try:
        conn = open_read_only(db_path)
        try:
            pages = conn.execute("PRAGMA page_count").fetchone()[0]
            size = conn.execute("PRAGMA page_size").fetchone()[0]
        finally:
            conn.close()
    except sqlite3.Error:
        return 0
    return int(pages) * int(size)


def _megabytes(size: int) -> str:
    return f"{size / 2**20:,.0f} MB" if size >= 2**20 else f"{max(size, 0) / 2**20:.1f} MB"


def _vault_files_not_backed_up(backup: Path, folder: Path) -> int:
    """How many of the vault files ``backup`` records the backups' vault lacks.

    :func:`~workbench.vault.mirror` copies only files that still match their hash, so
    an altered or missing copy is left out; the backup must say so rather than look
    complete.
    """
    try:
        conn = open_read_only(backup)
        try:
            hashes = [str(row[0]) for row in conn.execute("SELECT sha256 FROM vault_files")]
        finally:
            conn.close()
    except sqlite3.Error as exc:
        log.warning("cannot list the vault files of %s: %s", backup, exc)
        return 0
    kept = folder / BACKUP_VAULT_NAME
    return sum(1 for sha in hashes if not (kept / sha[:2] / sha).is_file())


def _claim_name(partial: Path, folder: Path, stem: str, reason: str) -> Path:
    """Give the checked copy its final name, never replacing another backup's file.

    A hard link fails if the name is taken, so two backups made in the same second get
    serial numbers instead of one replacing the other. Where the file system has no
    hard links, the copy is renamed (the name was free a moment before).
    """
    serial = 0
    while True:
        target = folder / (f"{stem}-{reason}.db" if not serial else f"{stem}.{serial}-{reason}.db")
        serial += 1
        if target.exists():
            continue
        try:
            os.link(partial, target)
        except FileExistsError:
            continue
        except OSError:
            os.replace(partial, target)
        return target


ABANDONED_AFTER = timedelta(hours=1)
"""A partial copy not written to for this long was left by a process that ended mid-copy
(the app quits without waiting for its background backup): it is deleted."""


def remove_abandoned_copies(db_path: str | Path, *, now: datetime | None = None) -> list[Path]:
    """Delete the partial copies of this database that no process is writing any more."""
    db_path = Path(db_path).expanduser()
    folder = backup_dir(db_path)
    cutoff = (now or datetime.now(UTC)).timestamp() - ABANDONED_AFTER.total_seconds()
    removed: list[Path] = []
    try:
        candidates = list(folder.glob(f".{glob.escape(db_path.stem)}-*.partial"))
    except OSError:
        return removed
    for path in candidates:
        try:
            if path.stat().st_mtime < cutoff:
                path.unlink()
                removed.append(path)
        except OSError:
            continue  # gone already, or not ours to delete
    return removed


def rotate_backups(db_path: str | Path, *, keep: dict[str, int] | None = None) -> list[Path]:
    """Delete the oldest automatic backups beyond ``keep`` (per reason); returns what went."""
    limits = KEEP if keep is None else keep
    seen: dict[str, int] = {}
    removed: list[Path] = []
    for backup in list_backups(db_path):
        limit = limits.get(backup.reason)
        if limit is None:
            continue
        seen[backup.reason] = seen.get(backup.reason, 0) + 1
        if seen[backup.reason] > limit:
            try:
                backup.path.unlink()
            except OSError as exc:
                log.warning("cannot delete the old backup %s: %s", backup.path, exc)
                continue
            removed.append(backup.path)
    return removed


CLOCK_SLACK = timedelta(minutes=5)
"""How far in the future a backup may be dated and still count as recent."""


def backup_if_stale(
    db_path: str | Path, *, max_age: timedelta = MAX_AGE, now: datetime | None = None
) -> Backup | None:
    """Make an ``auto`` backup if the newest backup (any reason) is older than ``max_age``.

    Cheap when nothing is due: one listing of the backups folder.

    Raises:
        BackupError: the backup was due but could not be made.
    """
    now = now or datetime.now(UTC)
    remove_abandoned_copies(db_path, now=now)
    # One dated in the future (a clock that was wrong, a copied folder) does not count:
    # it stopped the automatic backups until that date (an audit).
    backups = [b for b in list_backups(db_path) if b.created <= now + CLOCK_SLACK]
    if backups and now - backups[0].created < max_age:
        return None
    return create_backup(db_path, reason=AUTO, now=now)


def verify_backup(path: str | Path) -> int:
    """Check a backup: SQLite ``integrity_check`` ok and a workbench schema this version knows.

    Returns:
        Its schema version.

    Raises:
        BackupError: the file is missing, damaged, foreign or from a newer version.
    """
    path = Path(path).expanduser()
    if not path.is_file():
        raise BackupError(f"there is no backup at {path}")
    try:
        return verify_database(path, text=True)  # a bad text made every listing fail
    except StoreError as exc:
        raise BackupError(f"the backup cannot be used: {exc}") from exc


def restore_backup(
    db_path: str | Path, backup_path: str | Path, *, now: datetime | None = None
) -> RestoreResult:
    """Replace the database with a backup, keeping the current file aside.

    The backup is verified first. The current database (when there is one) is moved
    to ``<db>.before-restore-YYYYmmdd-HHMMSS`` (never overwriting anything), with its
    ``-wal``/``-shm``/``-journal`` if it could not be folded into one file (a damaged
    or interrupted database; they are moved even if the database itself is missing);
    a link is followed, and the file it names is restored;
    then the backup is copied in with SQLite's backup API and moved into place, and the
    replaced file's embedding index beside it is deleted.

    Raises:
        BackupError: the backup is missing or unusable; nothing was changed.
        DatabaseLockedError: another workbench or program has the database open.
    """
    db_path = Path(db_path).expanduser()
    backup_path = Path(backup_path).expanduser()
    try:
        # A link is followed: the file it names is the one SQLite opens. The vault and
        # the index stay beside the name the app is given.
        target = db_path.resolve()
    except (OSError, RuntimeError) as exc:  # a loop of links
        raise BackupError(f"{db_path} cannot be followed to a file: {exc}") from exc
    if target.is_dir():
        raise BackupError(f"{db_path} is a folder, not a database file")
    verify_backup(backup_path)
    if target.exists() and target == backup_path.resolve():
        raise BackupError(f"{backup_path} is the database itself, not a backup")
    incoming = target.with_name(f".{target.name}.restoring")
    try:
        incoming.unlink(missing_ok=True)
        copy_database(backup_path, incoming)
        if target.is_file():  # the file restored keeps who may read it (a group's)
            os.chmod(incoming, stat.S_IMODE(target.stat().st_mode))
    except StoreError as exc:
        raise BackupError(f"cannot copy the backup: {exc}") from exc
    except OSError as exc:
        with contextlib.suppress(OSError):  # a folder by that name, a read-only disk
            incoming.unlink()
        raise BackupError(f"cannot copy the backup to {incoming}: {exc.strerror or exc}") from exc
    kept: Path | None = None
    try:
        if any(Path(f"{target}{suffix}").exists() for suffix in DATABASE_COMPANIONS):
            kept = _set_aside(target, now or datetime.now(UTC))
        os.replace(incoming, target)
        fsync_dir(target.parent)
    except BaseException:
        incoming.unlink(missing_ok=True)
        raise
    _drop_index(db_path)
    try:
        restored = mirror(backup_path.parent / BACKUP_VAULT_NAME, vault_dir(db_path), repair=True)
    except OSError as exc:
        raise BackupError(
            f"the database was restored from {backup_path.name}"
            + (f" (the previous file is kept as {kept.name})" if kept else "")
            + f", but the evidence files could not be put back: {exc.strerror or exc};"
            " free the disk or fix the vault folder and restore again"
        ) from exc
    log.info(
        "restored %s from %s (previous file kept as %s; %d vault files put back)",
        db_path, backup_path, kept, restored,
    )  # fmt: skip
    return RestoreResult(db_path, backup_path, kept)


def _back_up_vault(db_path: Path, folder: Path) -> None:
    """Copy the evidence vault's new files into the backups' own vault (shared by every
    backup: files are named by their hash and never change)."""
    try:
        copied = mirror(vault_dir(db_path), folder / BACKUP_VAULT_NAME)
    except OSError as exc:
        if exc.errno == errno.ENOSPC:
            raise DiskFullError(
                f"the disk holding {folder} is full: the vault is not backed up"
            ) from exc
        raise BackupError(f"the evidence vault was not backed up: {exc.strerror or exc}") from exc
    if copied:
        log.info("backed up %d new vault files", copied)


def _drop_index(db_path: Path) -> None:
    """Delete the replaced file's embedding index (:func:`workbench.dbfile.index_folder`).

    Only to free the disk: the index records which file it was read from, so a restored
    database never uses it even where it cannot be deleted. It is renamed first, so that
    no reader ever finds half a folder.
    """
    folder = index_folder(db_path)
    if not folder.exists():
        return
    doomed = folder.with_name(f".{folder.name}.{secrets.token_hex(4)}.removing")
    try:
        os.replace(folder, doomed)
    except OSError as exc:
        log.info("the old embedding index %s stays until it is rebuilt: %s", folder, exc)
        return
    shutil.rmtree(doomed, ignore_errors=True)


def _set_aside(db_path: Path, now: datetime) -> Path | None:
    """Move the database and the files SQLite keeps beside it (``-wal``, ``-shm``,
    ``-journal``) to a new ``.before-restore-...`` name, together: a log left behind
    would be replayed into the restored file, and a file parted from its journal
    cannot be recovered (an audit). Also when the database itself is missing; returns
    the database's new name, None then."""
    existed = db_path.exists()
    try:
        sound = existed and check_database(db_path, thorough=False).ok
    except DatabaseLockedError:
        raise
    except StoreError:
        sound = False  # not SQLite at all
    if sound:
        release_database(db_path)  # refuses if in use; folds the -wal in
    # else: damaged, interrupted or missing: moved exactly as it is, with its companions
    stamp = now.astimezone(UTC).strftime(_STAMP)
    kept = db_path.with_name(f"{db_path.name}.before-restore-{stamp}")
    serial = 1
    while any(Path(f"{kept}{s}").exists() for s in DATABASE_COMPANIONS):
        kept = db_path.with_name(f"{db_path.name}.before-restore-{stamp}.{serial}")
        serial += 1
    try:
        for suffix in (*DATABASE_COMPANIONS[1:], ""):  # the database itself last
            side = Path(f"{db_path}{suffix}")
            if side.exists():
                os.replace(side, f"{kept}{suffix}")
    except OSError as exc:
        raise BackupError(f"cannot move {db_path} aside: {exc.strerror or exc}") from exc
    return kept if existed else None
