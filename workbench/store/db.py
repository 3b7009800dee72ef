"""The connection: opening (file checks, migrations, backups), and every read and write.

:class:`StoreBase` is the ground floor of :class:`workbench.store.Store`: it owns the
one SQLite connection, and the aggregate mixins (articles, evidence, archive,
embeddings, settings) reach the database only through :meth:`StoreBase._read`,
:meth:`StoreBase._write` and :meth:`StoreBase.transaction`, which turn ``sqlite3``
errors into the app's own (:func:`workbench.dbfile.store_error`: busy, full, damaged,
read-only become messages for the user; anything else is a bug).
"""

from __future__ import annotations

import contextlib
import getpass
import logging
import os
import sqlite3
import time
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, Self

from workbench.dbfile import (
    BUSY_TIMEOUT_S,
    SCHEMA_VERSION,
    check_database,
    damaged_message,
    hold,
    let_go,
    newer_message,
    others_have_open,
    roll_back_interrupted_change,
    store_error,
)
from workbench.errors import (
    DatabaseDamagedError,
    ForeignDatabaseError,
    NewerDatabaseError,
    StoreError,
    ValidationError,
)
from workbench.files import create_private_file, make_private_folder

if TYPE_CHECKING:
    from sqlite_utils import Database

    from workbench.models import Claim, VaultFile
    from workbench.store.batches import WaitingEdits

log = logging.getLogger("workbench.store")

USER_ENV_VAR = "WORKBENCH_USER"


def _current_user() -> str:
    env = os.environ.get(USER_ENV_VAR, "").strip()
    if env:
        return env
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "unknown"


class StoreBase:
    """The connection to one database file, checked and migrated when opened.

    What opening does is told on :class:`~workbench.store.Store`.
    """

    if TYPE_CHECKING:  # what the mixins call on one another, declared once for mypy

        def claim(self, claim_id: int) -> Claim: ...  # ArticlesMixin

        def _record(  # EvidenceMixin
            self,
            conn: sqlite3.Connection,
            claim: Claim,
            field: str,
            old: str | None,
            new: str | None,
            when: str,
        ) -> None: ...

        def _record_raw(  # EvidenceMixin
            self,
            conn: sqlite3.Connection,
            claim_id: int,
            article_id: int,
            field: str,
            old: str | None,
            new: str | None,
            when: str,
        ) -> int: ...

        def _sync_own_archive(  # ArchiveMixin
            self, conn: sqlite3.Connection, claim_id: int, now: str
        ) -> None: ...

        def _stems(self, words: Sequence[str]) -> dict[str, str]: ...  # ArchiveMixin

        def _team_evidence(self, claim_uid: str) -> list[tuple[str, str]]: ...  # TeamMixin

        def _vault_files_for(  # EvidenceMixin
            self, hashes: Sequence[str]
        ) -> dict[str, VaultFile]: ...

    def __init__(
        self,
        path: str | Path,
        *,
        user: str | None = None,
        auto_backup: bool = False,
        check: bool = True,
        gives_way_to: WaitingEdits | None = None,
    ) -> None:
        self.path = Path(path).expanduser()
        self.gives_way_to = gives_way_to
        """The edits of this process that long batched writes on this connection give way
        to (:class:`~workbench.store.batches.WaitingEdits`): the app's workers' stores."""
        self.user = user or _current_user()
        self._term_counts: dict[str, int] = {}  # see ArchiveMixin.archive_term_counts
        self._library_term_counts: dict[str, int] = {}  # LibraryMixin.library_term_counts
        self._write_depth = 0
        """How many writes are open inside one another (see :meth:`transaction`)."""
        self._note_rows: dict[int, int] = {}
        """The history row this store last wrote for each claim's note (see ``_record``)."""
        self.backup_problem: str | None = None
        existed = self._check_file(thorough=check)
        try:
            make_private_folder(self.path.parent)
            if not existed:
                create_private_file(self.path)
        except OSError as exc:
            raise StoreError(
                f"cannot create {self.path}: {_why_not_created(self.path, exc)}"
            ) from exc
        conn: sqlite3.Connection | None = None
        try:
            conn = sqlite3.connect(self.path, timeout=BUSY_TIMEOUT_S)
            conn.row_factory = sqlite3.Row
            conn.execute("PRAGMA foreign_keys = ON")
            self.conn = conn
            self._db: Database | None = None
            self._migrate()
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
        hold(self.path)
        self._open = True
        if auto_backup and existed:
            self._auto_backup()

    @property
    def db(self) -> Database:
        """The connection as a sqlite-utils ``Database``, for migrations.

        Made when first asked for: sqlite-utils (and numpy, which it imports) would
        otherwise load before the app's window can show.
        """
        if self._db is None:
            from sqlite_utils import Database

            self._db = Database(self.conn, execute_plugins=False, recursive_triggers=False)
        return self._db

    def data_version(self) -> int:
        """A number that changes whenever another connection (another program, or another
        thread's store) commits a change to the database (``PRAGMA data_version``)."""
        return int(self._read("PRAGMA data_version")[0][0])

    def close(self) -> None:
        self.conn.close()
        if self._open:
            self._open = False
            let_go(self.path)

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _check_file(self, *, thorough: bool) -> bool:
        """Refuse a foreign, damaged or newer file before opening it for writing.

        Everything here reads only (see :func:`check_database`), so a refused file is
        left byte-identical, with no ``-wal`` or ``-shm`` beside it; the one exception is
        a change a crash interrupted, which SQLite rolls back first, as any program
        opening the file would (:func:`roll_back_interrupted_change`). Without
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
        roll_back_interrupted_change(self.path)
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
        version = self.conn.execute("PRAGMA user_version").fetchone()[0]
        if version > SCHEMA_VERSION:
            raise NewerDatabaseError(newer_message(self.path, version), path=self.path)
        tables = {
            str(row[0])
            for row in self.conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")
        }
        if version == 0 and tables - {"_sqlite_migrations"}:
            raise ForeignDatabaseError(
                f"{self.path} is an SQLite database, but not a workbench one", path=self.path
            )
        # WAL before migrating: an older file in rollback-journal mode killed during a
        # migration was left with a hot journal (see roll_back_interrupted_change).
        self.conn.execute("PRAGMA journal_mode = WAL")
        if version < SCHEMA_VERSION:
            if version > 0:
                from workbench.backup import PRE_MIGRATION, create_backup

                backup = create_backup(self.path, reason=PRE_MIGRATION)
                log.info("backed up %s to %s before migrating", self.path, backup.path)
            from workbench.store.schema import migrations

            log.info("migrating %s from schema %d to %d", self.path, version, SCHEMA_VERSION)
            migrations.apply(self.db)  # each migration in its own transaction
            self.conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")

    @contextlib.contextmanager
    def transaction(self) -> Iterator[None]:
        """Several changes as one: every write inside joins it; all commit or none do.

        For compound operations (:mod:`workbench.operations`): undoing "apply a past
        verdict" removes its links and restores the status together, or not at all.
        """
        with self._write():
            yield

    def _alone(self) -> bool:
        """Whether no other program has this database open: long batched writes may then
        take longer transactions (see :class:`~workbench.store.batches.PacedBatches`)."""
        return not others_have_open(self.path)

    @contextlib.contextmanager
    def _write(self) -> Iterator[sqlite3.Connection]:
        """One atomic write: everything inside commits together or not at all.

        Inside :meth:`transaction` it joins the transaction under way.
        """
        conn = self.conn
        if self._write_depth:
            self._write_depth += 1
            try:
                yield conn
            finally:
                self._write_depth -= 1
            return
        try:
            _begin_immediate(conn)
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
            return list(self.conn.execute(sql, params))
        except sqlite3.Error as exc:
            raise store_error(self.path, exc) from exc

    def _read_in(self, sql: str, values: Sequence[Any]) -> list[sqlite3.Row]:
        """Rows of ``sql`` whose ``IN ({marks})`` takes each of ``values``, in chunks.

        Chunks of :data:`IN_CHUNK` stay under SQLite's bound-parameter limit whatever
        the number of values (a long article's claims, a million past checks).
        """
        rows: list[sqlite3.Row] = []
        for i in range(0, len(values), IN_CHUNK):
            chunk = list(values[i : i + IN_CHUNK])
            rows.extend(self._read(sql.format(marks=",".join("?" * len(chunk))), chunk))
        return rows


IN_CHUNK = 500
"""Values bound in one ``IN (...)`` by :meth:`StoreBase._read_in`."""

BEGIN_RETRY_S = 0.001
"""How often a write waiting for the lock asks again.

SQLite's own busy handler sleeps longer and longer between tries, up to 100 ms, so a
waiting edit could miss every short gap an import leaves between its batches and
wait for seconds. Asking every millisecond, an edit gets the lock within a
millisecond or two of its release.
"""


def _begin_immediate(conn: sqlite3.Connection) -> None:
    """``BEGIN IMMEDIATE``, retried every :data:`BEGIN_RETRY_S` for up to the connection's
    busy timeout (:data:`~workbench.dbfile.BUSY_TIMEOUT_S` unless changed)."""
    timeout_ms = int(conn.execute("PRAGMA busy_timeout").fetchone()[0])
    deadline = time.monotonic() + timeout_ms / 1000
    conn.execute("PRAGMA busy_timeout = 0")
    try:
        while True:
            try:
                conn.execute("BEGIN IMMEDIATE")
                return
            except sqlite3.OperationalError as exc:
                busy = (getattr(exc, "sqlite_errorcode", 0) & 0xFF) == sqlite3.SQLITE_BUSY
                if not busy or time.monotonic() >= deadline:
                    raise
            time.sleep(BEGIN_RETRY_S)
    finally:
        conn.execute(f"PRAGMA busy_timeout = {timeout_ms}")


def _why_not_created(path: Path, exc: OSError) -> str:
    """Why ``path`` could not be made, in words: "File exists" when a folder on the way is
    a file said nothing useful."""
    for folder in path.parents:
        if folder.exists():
            if not folder.is_dir():
                return f"{folder} is a file, not a folder"
            break
    return exc.strerror or str(exc)
