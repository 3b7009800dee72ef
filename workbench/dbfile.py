"""The database file: where it lives, its checks, copies and errors, below the store.

Everything here works on a path or a plain ``sqlite3`` connection and knows no table
but the schema version and the ``claims`` table that marks a workbench database: the
store (:mod:`workbench.store`) and the backups (:mod:`workbench.backup`) both stand on
it. SQLite's errors become one-line user errors here, classified by result code
(busy, full, corrupt, read-only); a refused file is left byte-identical.
"""

from __future__ import annotations

import errno
import logging
import os
import shutil
import sqlite3
import threading
from dataclasses import dataclass
from pathlib import Path

from workbench.errors import (
    DatabaseDamagedError,
    DatabaseLockedError,
    DiskFullError,
    ForeignDatabaseError,
    NewerDatabaseError,
    StoreError,
)
from workbench.files import create_private_file

log = logging.getLogger("workbench.store")

SQLITE_MAGIC = b"SQLite format 3\x00"
BUSY_TIMEOUT_S = 5.0
QUICK_CHECK_MAX_BYTES = 256 * 1024 * 1024
"""Opening a database up to this size runs ``PRAGMA quick_check`` first (0.13 s for 150 MB
with a full-text archive); a larger one gets the header and schema checks only, and
``workbench check`` for the full one."""
SCHEMA_VERSION = 13
"""The schema this version writes: the number of migrations in :mod:`workbench.store`;
``PRAGMA user_version`` holds it once they have run."""


INDEX_SUFFIX = ".index"


_HELD: dict[str, int] = {}
"""The databases this process has open (resolved path -> open stores): see
:func:`is_held_database_file`. Per process, like the locks it is about."""
_HELD_LOCK = threading.Lock()
DATABASE_COMPANIONS = ("", "-wal", "-shm", "-journal")
"""The database file and the files SQLite keeps beside it, as suffixes of its name."""


def hold(path: Path) -> None:
    """A store of this process opened the database at ``path``."""
    with _HELD_LOCK:
        key = str(path.resolve())
        _HELD[key] = _HELD.get(key, 0) + 1


def let_go(path: Path) -> None:
    """A store of this process closed the database at ``path``."""
    with _HELD_LOCK:
        key = str(path.resolve())
        if _HELD.get(key, 0) > 1:
            _HELD[key] -= 1
        else:
            _HELD.pop(key, None)


def is_held_database_file(status: os.stat_result) -> bool:
    """Whether the file ``status`` describes is a database this process has open, or its
    log, index or journal, told by device and inode (links and other names included).

    Such a file must never be read as an article, evidence or an archive: SQLite's
    locks are POSIX locks, which belong to the process and are all dropped when it
    closes *any* descriptor of the locked file. Another program would then take the
    database for unused and delete the log the app is writing to.
    """
    with _HELD_LOCK:
        held = list(_HELD)
    for database in held:
        for suffix in DATABASE_COMPANIONS:
            try:
                other = os.stat(database + suffix)
            except OSError:
                continue
            if (other.st_dev, other.st_ino) == (status.st_dev, status.st_ino):
                return True
    return False


def index_folder(db_path: str | Path) -> Path:
    """The folder beside the database where its embedding index is kept (``workbench.db.index``).

    A cache of :mod:`workbench.semantic`: the database stays the source of truth, and a
    missing folder only costs a rebuild. It belongs to the file, not to the name: a
    database restored or copied over this one never uses it (its manifest records the
    file it was read from).
    """
    path = Path(db_path).expanduser()
    return path.with_name(path.name + INDEX_SUFFIX)


# SQLite's primary result codes (sqlite3.Error.sqlite_errorcode & 0xFF).
_SQLITE_PERM, _SQLITE_BUSY, _SQLITE_LOCKED, _SQLITE_READONLY = 3, 5, 6, 8
_SQLITE_IOERR, _SQLITE_CORRUPT, _SQLITE_FULL, _SQLITE_CANTOPEN, _SQLITE_NOTADB = 10, 11, 13, 14, 26
_SQLITE_READONLY_DIRECTORY = 1544  # extended: the folder is read-only (no -wal can be made)
_UNDECODABLE = "Could not decode to UTF-8"  # sqlite3's words for damaged text
LOW_DISK_BYTES = 16 * 2**20
"""An I/O error with less free space than this is a full disk (SQLite says "disk I/O
error" when it cannot grow its shared-memory file, not "disk is full")."""


def _sqlite_code(exc: sqlite3.Error) -> int:
    return int(getattr(exc, "sqlite_errorcode", 0) or 0) & 0xFF


def disk_is_full(path: Path) -> bool:
    """True if the file system holding ``path`` (or its nearest existing folder) is full."""
    folder = path if path.is_dir() else path.parent
    while not folder.exists() and folder != folder.parent:
        folder = folder.parent
    try:
        return shutil.disk_usage(folder).free < LOW_DISK_BYTES
    except OSError:
        return False


def full_disk_message(path: Path) -> str:
    return f"the disk holding {path} is full; nothing was saved: free some space and try again"


def store_error(path: Path, exc: sqlite3.Error) -> StoreError:
    """The user's one-line error for an SQLite failure, classified by its result code."""
    code = _sqlite_code(exc)
    if _is_locked(exc):
        return DatabaseLockedError(
            f"the database {path} is locked by another program; close it and try again",
            path=path,
        )
    if code == _SQLITE_FULL or (code == _SQLITE_IOERR and disk_is_full(path)):
        return DiskFullError(full_disk_message(path))
    if code == _SQLITE_IOERR:
        name = getattr(exc, "sqlite_errorname", "") or "SQLITE_IOERR"
        return StoreError(f"the disk holding {path} failed to read or write ({name}); try again")
    if _is_damage(exc):
        detail = "text that is not UTF-8" if _UNDECODABLE in str(exc) else "SQLite finds it corrupt"
        return DatabaseDamagedError(damaged_message(path, detail), path=path)
    if getattr(exc, "sqlite_errorcode", 0) == _SQLITE_READONLY_DIRECTORY:
        return StoreError(
            f"the folder {path.parent} is read-only, and SQLite must write there even to read"
            f" the database {path.name}: make the folder writable, or copy the database to a"
            " folder you can write to"
        )
    if code == _SQLITE_READONLY or "readonly" in str(exc) or "read-only" in str(exc):
        return StoreError(f"the database {path} is read-only")
    if code in (_SQLITE_CANTOPEN, _SQLITE_PERM):
        if on_read_only_disk(path):
            return StoreError(
                f"the database {path} is on a read-only disk, and SQLite must write beside"
                " it even to read it: copy it to a folder you can write to"
            )
        return StoreError(f"the database {path} cannot be opened ({exc})")
    return StoreError(f"database error on {path}: {exc}")


def on_read_only_disk(path: Path) -> bool:
    """Whether the file system holding ``path`` (or its folder) is mounted read-only."""
    for place in (path, path.parent):
        try:
            return bool(os.statvfs(place).f_flag & os.ST_RDONLY)
        except (OSError, ValueError):
            continue
    return False


def _is_locked(exc: sqlite3.Error) -> bool:
    if _sqlite_code(exc) in (_SQLITE_BUSY, _SQLITE_LOCKED):
        return True
    text = str(exc)
    return "locked" in text or "busy" in text


def _is_damage(exc: sqlite3.Error) -> bool:
    if _sqlite_code(exc) in (_SQLITE_CORRUPT, _SQLITE_NOTADB):
        return True
    text = str(exc)
    return any(
        phrase in text
        for phrase in ("not a database", "malformed", "file is encrypted", _UNDECODABLE)
    )


def damaged_message(path: Path, detail: str) -> str:
    """The one line shown for a damaged database: what is wrong and what to do."""
    return (
        f"{path} is damaged ({detail}); it was left untouched: restore a backup"
        f" (workbench backup list, then workbench restore BACKUP) or choose another file"
    )


@dataclass(frozen=True, slots=True)
class DatabaseCheck:
    """The result of :func:`check_database`: ``ok``, or the problems SQLite found."""

    path: Path
    ok: bool
    problems: tuple[str, ...]
    schema_version: int | None
    size: int
    thorough: bool


def _read_only_uri(path: Path) -> str:
    """A URI that opens ``path`` without writing or creating anything beside it.

    A WAL database with no ``-wal`` file (and a rollback one with no ``-journal``) has
    all its data in the main file, so it is opened ``immutable``: no ``-shm``/``-wal``
    appears. Otherwise a plain read-only open reads the pending log too.
    """
    uri = path.resolve().as_uri() + "?mode=ro"
    if not Path(f"{path}-wal").exists() and not Path(f"{path}-journal").exists():
        uri += "&immutable=1"
    return uri


def _header_problem(path: Path) -> str | None:
    """What the 100-byte header shows wrong (bad page size, truncated file), if anything.

    A file shorter than its header says is not truncated while a ``-wal`` holds pages:
    a checkpoint that wrote page 1 but could not grow the file (a full disk, a crash)
    leaves the missing pages in the log, where SQLite reads them. SQLite's own check
    decides then.
    """
    size = path.stat().st_size
    with path.open("rb") as fh:
        header = fh.read(100)
    if len(header) < 100:
        return f"it is truncated to {size:,} bytes"
    page_size = int.from_bytes(header[16:18], "big")
    page_size = 65536 if page_size == 1 else page_size
    if page_size < 512 or page_size & (page_size - 1):
        return "its header is damaged"
    if size % page_size:
        return f"it is truncated ({size:,} bytes is not a whole number of pages)"
    pages = int.from_bytes(header[28:32], "big")
    valid = header[24:28] == header[92:96]
    if valid and pages and size < pages * page_size and not _has_log(path):
        return f"it is truncated: {size // page_size:,} of its {pages:,} pages are left"
    return None


_WAL_HEADER_BYTES = 32


def _has_log(path: Path) -> bool:
    """Whether a ``-wal`` with at least one frame lies beside the database."""
    try:
        return Path(f"{path}-wal").stat().st_size > _WAL_HEADER_BYTES
    except OSError:
        return False


def check_database(path: str | Path, *, thorough: bool = True, text: bool = False) -> DatabaseCheck:
    """Check a database file for damage without changing it (read-only, nothing created).

    ``thorough`` runs ``PRAGMA integrity_check``; otherwise ``quick_check`` runs on
    files up to :data:`QUICK_CHECK_MAX_BYTES` and larger ones get the header and schema
    read only. ``text`` (with ``thorough``) also reads every text column for text that
    is not UTF-8 (:func:`_text_problems`).

    Raises:
        StoreError: the file is missing or a folder.
        ForeignDatabaseError: the file is not SQLite.
        DatabaseLockedError: another program holds it exclusively.
    """
    path = Path(path).expanduser()
    if path.is_dir():
        raise StoreError(f"{path} is a folder, not a database file")
    try:
        status = path.stat()
        size = status.st_size
        # One this process has open is SQLite; reading its header here would drop the
        # process's locks on it (see is_held_database_file): SQLite's checks below do.
        held = is_held_database_file(status)
        if held:
            magic = SQLITE_MAGIC
        else:
            with path.open("rb") as fh:
                magic = fh.read(len(SQLITE_MAGIC))
    except FileNotFoundError:
        raise StoreError(f"there is no database at {path}") from None
    except OSError as exc:
        raise StoreError(f"cannot read the database {path}: {exc.strerror}") from exc
    if magic != SQLITE_MAGIC and not (size < len(SQLITE_MAGIC) and SQLITE_MAGIC.startswith(magic)):
        raise ForeignDatabaseError(
            f"{path} is not a workbench database (not an SQLite file)", path=path
        )
    problem = None if held else _header_problem(path) if size else "it is empty"
    if problem is not None:
        return DatabaseCheck(path, False, (problem,), None, size, thorough)
    conn: sqlite3.Connection | None = None
    try:
        conn = sqlite3.connect(_read_only_uri(path), uri=True, timeout=BUSY_TIMEOUT_S)
        conn.text_factory = _lenient_text
        version = int(conn.execute("PRAGMA user_version").fetchone()[0])
        conn.execute("SELECT count(*) FROM sqlite_master").fetchone()
        if thorough:
            rows = conn.execute("PRAGMA integrity_check(20)").fetchall()
            if text and [tuple(r) for r in rows] == [("ok",)]:
                rows = [(problem,) for problem in _text_problems(conn)] or rows
        elif size <= QUICK_CHECK_MAX_BYTES:
            rows = conn.execute("PRAGMA quick_check(20)").fetchall()
        else:
            rows = [("ok",)]
    except sqlite3.Error as exc:
        if _is_locked(exc) or _sqlite_code(exc) in (_SQLITE_IOERR, _SQLITE_FULL, _SQLITE_CANTOPEN):
            raise store_error(path, exc) from exc  # a problem of the disk, not of the file
        return DatabaseCheck(path, False, (str(exc),), None, size, thorough)
    except UnicodeDecodeError:
        # SQLite's message quoted damaged bytes (a garbled schema) that are not UTF-8.
        problem = "its schema is damaged"
        return DatabaseCheck(path, False, (problem,), None, size, thorough)
    finally:
        if conn is not None:
            conn.close()
    # integrity_check puts line breaks inside its messages; each problem is one line here.
    problems = tuple(" ".join(str(r[0]).split()) for r in rows if str(r[0]) != "ok")
    return DatabaseCheck(path, not problems, problems, version, size, thorough)


_SQLITE_READONLY_ROLLBACK = 776
"""SQLite's extended code for a read-only open that finds a change to roll back."""


def roll_back_interrupted_change(path: str | Path) -> bool:
    """Let SQLite roll back a change a crash interrupted; True if there was one.

    A database in rollback-journal mode (an older one, migrated when first opened) that
    is killed in the middle of a write keeps a "hot" ``-journal`` beside it: SQLite's
    normal crash state, rolled back by the next read-write open. A read-only open cannot
    do that, so every check called the file damaged, and the restore it advised parted
    the file from its journal, losing both (an audit). Nothing is written when there is
    no such journal.

    Raises:
        StoreError: the rollback failed (the disk, a lock); the files are as they were.
    """
    path = Path(path)
    try:
        if Path(f"{path}-journal").stat().st_size == 0:
            return False
    except OSError:
        return False
    conn: sqlite3.Connection | None = None
    try:
        conn = sqlite3.connect(_read_only_uri(path), uri=True, timeout=BUSY_TIMEOUT_S)
        conn.execute("SELECT count(*) FROM sqlite_master").fetchone()
        return False
    except sqlite3.Error as exc:
        if getattr(exc, "sqlite_errorcode", 0) != _SQLITE_READONLY_ROLLBACK:
            return False  # not a change to roll back: the checks say what it is
    finally:
        if conn is not None:
            conn.close()
    conn = None
    try:
        conn = sqlite3.connect(path, timeout=BUSY_TIMEOUT_S)
        conn.execute("SELECT count(*) FROM sqlite_master").fetchone()
    except sqlite3.Error as exc:
        raise store_error(path, exc) from exc
    finally:
        if conn is not None:
            conn.close()
    log.warning("%s was interrupted in the middle of a change; it was rolled back", path)
    return True


def _text_problems(conn: sqlite3.Connection) -> list[str]:
    """Columns of text that is not UTF-8, which SQLite's own checks let pass.

    Every command reading such a row fails ("damaged (text that is not UTF-8)"): a
    restored backup holding one made the library unusable while ``workbench check``
    said the file was fine. Reads every TEXT column of every table once (a second or
    two for a million past checks); blobs, such as embeddings, are not read.
    """
    problems = []
    tables = [
        str(r[0])
        for r in conn.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
        )
    ]
    conn.text_factory = str  # strict: a value that is not UTF-8 raises
    try:
        for table in tables:
            columns = [
                str(c[1])
                for c in conn.execute(f"PRAGMA table_info({_quoted(table)})")
                if "TEXT" in str(c[2]).upper() or not c[2]
            ]
            for column in columns:
                rows = conn.execute(f"SELECT {_quoted(column)} FROM {_quoted(table)}")
                try:
                    while rows.fetchmany(10_000):
                        pass
                except sqlite3.OperationalError as exc:
                    if "decode" not in str(exc):
                        raise
                    problems.append(f"{table}.{column} holds text that is not UTF-8")
    finally:
        conn.text_factory = _lenient_text
    return problems


def _quoted(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _lenient_text(data: bytes) -> str:
    """Text of a damaged file may not be UTF-8: show it, never fail on it."""
    return data.decode("utf-8", "replace")


def open_read_only(path: Path) -> sqlite3.Connection:
    """A read-only connection to the database at ``path`` (never creates it)."""
    return sqlite3.connect(_read_only_uri(path), uri=True, timeout=BUSY_TIMEOUT_S)


def copy_database(source: str | Path, target: str | Path) -> None:
    """Copy a live database into a new file with SQLite's online backup API.

    The copy is a consistent snapshot even while another connection writes, is in
    rollback-journal mode (one self-contained file) and is flushed to disk.
    ``target`` must not exist yet.

    Raises:
        StoreError: reading the source or writing the copy failed (the copy is removed).
    """
    source, target = Path(source), Path(target)
    src: sqlite3.Connection | None = None
    dst: sqlite3.Connection | None = None
    try:
        src = sqlite3.connect(source, timeout=BUSY_TIMEOUT_S)
        create_private_file(target)
        dst = sqlite3.connect(target)
        src.backup(dst)
        dst.execute("PRAGMA journal_mode = DELETE")
        dst.close()
        dst = None
        with target.open("rb+") as fh:
            os.fsync(fh.fileno())
    except (sqlite3.Error, OSError) as exc:
        if dst is not None:
            dst.close()
        target.unlink(missing_ok=True)
        if isinstance(exc, sqlite3.Error):
            if _sqlite_code(exc) == _SQLITE_FULL or disk_is_full(target):
                raise DiskFullError(f"the disk holding {target} is full") from exc
            raise store_error(source, exc) from exc
        if exc.errno == errno.ENOSPC:
            raise DiskFullError(f"the disk holding {target} is full") from exc
        raise StoreError(f"cannot write {target}: {exc.strerror or exc}") from exc
    finally:
        if src is not None:
            src.close()


def verify_database(path: str | Path, *, text: bool = False) -> int:
    """Check that ``path`` is an intact workbench database this version can open
    (``text``: its text all UTF-8 too, see :func:`check_database`).

    Returns:
        Its schema version (1 .. :data:`SCHEMA_VERSION`; older ones are migrated on open).

    Raises:
        DatabaseDamagedError, ForeignDatabaseError, NewerDatabaseError, StoreError.
    """
    path = Path(path)
    result = check_database(path, thorough=True, text=text)
    if not result.ok:
        raise DatabaseDamagedError(damaged_message(path, result.problems[0]), path=path)
    version = result.schema_version or 0
    if version > SCHEMA_VERSION:
        raise NewerDatabaseError(newer_message(path, version), path=path)
    conn = open_read_only(path)
    try:
        tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
        # The migrations it went through, as the store records them: a file that merely
        # has a "claims" table and a version number (restored, it broke every command
        # after it with "table claims already exists") has none.
        applied = (
            conn.execute(
                "SELECT count(*) FROM _sqlite_migrations WHERE migration_set = 'workbench'"
            ).fetchone()[0]
            if "_sqlite_migrations" in tables
            else 0
        )
    except sqlite3.Error as exc:
        raise DatabaseDamagedError(damaged_message(path, str(exc)), path=path) from exc
    finally:
        conn.close()
    if version < 1 or "claims" not in tables or applied < version:
        raise ForeignDatabaseError(
            f"{path} is an SQLite database, but not a workbench one", path=path
        )
    return version


def release_database(path: str | Path) -> None:
    """Make sure no other program uses ``path``, and fold its WAL into the main file.

    Switching to rollback-journal mode needs the only connection to the file, so it
    fails at once when another workbench has it open; afterwards the file is
    self-contained (no ``-wal``), ready to be moved.

    Raises:
        DatabaseLockedError: another program has the database open.
        StoreError: the file could not be read as a database (damaged).
    """
    path = Path(path)
    conn: sqlite3.Connection | None = None
    try:
        conn = sqlite3.connect(path, timeout=0.5)
        mode = conn.execute("PRAGMA journal_mode = DELETE").fetchone()[0]
    except sqlite3.Error as exc:
        if _is_locked(exc):
            raise DatabaseLockedError(_in_use_message(path), path=path) from exc
        raise store_error(path, exc) from exc
    finally:
        if conn is not None:
            conn.close()
    if str(mode).lower() != "delete":
        raise DatabaseLockedError(_in_use_message(path), path=path)


def _in_use_message(path: Path) -> str:
    return f"the database {path} is open in another workbench or program; close it and try again"


def newer_message(path: Path, version: int) -> str:
    return (
        f"{path} was written by a newer version of the workbench "
        f"(schema {version}, this version knows {SCHEMA_VERSION}); please upgrade"
    )


def fsync_dir(folder: Path) -> None:
    """Make a rename durable (POSIX); a no-op where folders cannot be opened."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


_LOCKS_TABLE = Path("/proc/locks")


def others_have_open(path: str | Path) -> bool:
    """Whether another process has the database at ``path`` open, as far as can be told.

    In WAL mode SQLite keeps a read lock on one byte of the ``-shm`` file for as long as
    a process has the database open, and Linux lists every file lock of the machine, with
    the process holding it, in ``/proc/locks``. A lock on the database or its ``-shm``
    file held by another process means another program (the app, ``workbench claim``)
    has it open. Files are matched by inode alone: another file with the same number on
    another disk can only make this say True. Where the table cannot be read (not Linux)
    the answer is True, so that callers keep their manners.
    """
    path = Path(path)
    inodes: set[int] = set()
    for suffix in ("", "-shm"):
        try:
            inodes.add(os.stat(f"{path}{suffix}").st_ino)
        except OSError:
            continue
    try:
        table = _LOCKS_TABLE.read_text(encoding="ascii", errors="replace")
    except OSError:
        return True
    me = str(os.getpid())
    # A busy machine lists thousands of locks: only the lines naming our files are read.
    for inode in inodes:
        wanted = f":{inode} "
        at = table.find(wanted)
        while at != -1:
            end = table.find("\n", at)
            end = len(table) if end == -1 else end
            line = table[table.rfind("\n", 0, at) + 1 : end]
            # "3: POSIX  ADVISORY  READ 20827 fe:00:2147818 128 128"; a waiter has "->" after "3:"
            fields = [f for f in line.split() if f != "->"]
            if len(fields) >= 6 and fields[5].endswith(wanted.strip()) and fields[4] != me:
                return True
            at = table.find(wanted, end)
    return False
