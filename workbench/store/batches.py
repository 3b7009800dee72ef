"""Long writes in short transactions: how long each holds the lock, and the pauses between.

An archive import and a save of embeddings can each write a million rows. Done in one
transaction they would hold SQLite's single write lock for seconds and make every
edit meanwhile fail; done in transactions of about :data:`BATCH_WORK_S` each, with the
lock left free between them, the user's edits get in. Within the app, a long write also
gives way to the edits of its own process as soon as they are queued
(:class:`WaitingEdits`).
"""

from __future__ import annotations

import contextlib
import logging
import sqlite3
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from typing import Any, Generic, TypeVar

ARCHIVE_BATCH = 500
"""Rows of the first transaction of a batched write, and the fewest of any.

SQLite has one write lock, held from ``BEGIN IMMEDIATE`` to ``COMMIT``: an import of
12,836 past checks in one transaction made every edit made meanwhile (the app's
writer, ``workbench claim`` in another process) fail after
:data:`~workbench.dbfile.BUSY_TIMEOUT_S`. Later transactions are sized from the rows
per second of the one before (see :data:`BATCH_WORK_S`); progress and cancel are
checked between transactions.
"""
BATCH_WORK_S = 0.08
"""How long each transaction of a batched write aims to hold the lock.

Each commit costs about the same whatever it holds (the full-text index writes a
segment, pages that every batch touches are written again): writing 100,000 past
checks took 2.1 s in 2,000-row transactions, 1.7 s in 5,000-row ones and 1.3 s in
one (no pauses, measured). About 80 ms is some 6,000 rows of an import, and an edit
waits for one such transaction, not for the import. 0 keeps every transaction at
:data:`ARCHIVE_BATCH` rows.
"""
BATCH_WORK_ALONE_S = 0.5
"""How long each transaction aims to hold the lock while no other program has the
database open (:func:`~workbench.dbfile.others_have_open`; looked at in every pause).

No other program then waits for the lock (but one this process cannot see: see
:data:`BREATHER_EVERY_ALONE_S`), and the edits of the process itself still
get in after a :data:`PIECE` (:class:`WaitingEdits`), so the transactions can be larger
and the pauses short. The process's other workers that write on their own connections
(the app's analysis storing an article, team sync, the embedder, the indexer) are not
counted there and wait for up to a transaction: during an import of 400,000 records in
the app, such a write waited 190-270 ms (median; 30 ms with short transactions) and at
most 0.4-0.65 s (0.13-0.22 s), none near the busy timeout. Importing 100,000 past
checks with the command line took 2.4 times a raw insert in one transaction, and
1.4-1.6 times so. A program that opens the database meanwhile waits for one such
transaction at most, and from the next pause on the write goes back to
:data:`BATCH_WORK_S` and breathers.
"""
PIECE = 3_000
"""Rows a batched write stores (and indexes) between two looks at the waiting edits
(:meth:`PacedBatches.pieces`): an edit of the process waits for one piece at most.
Each piece is its own full-text index statement, so smaller pieces cost import speed:
importing 100,000 past checks as the app does took 1.59 s in pieces of 2,000 rows,
1.33 s of 3,000 and 1.28 s of 5,000 (the CLI's, in whole batches: 1.28 s), while the
slowest edit during a 1,000,000-record import waited 59-65, 83 and 93 ms. A write
given no :class:`WaitingEdits` (the CLI's) takes each batch in one piece."""
MAX_BATCH = 50_000
"""The most rows one transaction of a batched write takes, whatever its rate."""
GROWTH = 4
"""A transaction takes at most this many times the rows of the one before: a rate
measured on a small transaction (mostly the commit) is not trusted far."""
BATCH_PAUSE_S = 0.005
"""How long a batched write leaves the lock free after each transaction.

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
BREATHER_EVERY_S = 0.5
"""Twice a second keeps an edit's worst wait near half a second (0.43 to 0.63 s
measured with an edit every 50 ms, against a busy timeout of 5 s). A checkpoint
(see :func:`_checkpoints_in_pauses`) fills part of each pause, so they cost the
import less than their length."""
BREATHER_EVERY_ALONE_S = 2.0
"""How often a batched write takes a breather while no other program seems to have the
database open (see :data:`BATCH_WORK_ALONE_S`). Not never: a process in another
container (another PID namespace) is not listed in ``/proc/locks``, and a writer whose
busy handler retries every 100 ms would rarely land in the 5 ms pauses alone; with a
breather every 2 s it gets in well within :data:`~workbench.dbfile.BUSY_TIMEOUT_S`."""

_Row = TypeVar("_Row")

log = logging.getLogger("workbench.store")


MAX_GIVE_WAY_S = 1.0
"""The longest a batched write waits for the edits of its process before going on, so
that a stream of edits slows an import down but never stops it."""


SWITCH_INTERVAL_S = 0.0002
"""The interpreter's thread switch interval for a process whose long writes give way to
its edits and whose window must stay live (the app sets it with
:func:`sys.setswitchinterval`; Python's default is 5 ms).

An edit hands the interpreter lock over at every SQLite call, and each time waits for
the busy thread (an import binding its rows) to hand it back: up to one interval. An
edit makes some twenty such calls, so with 5 ms the slowest of 280 edits during a
1,000,000-record import waited 144 ms; with 1 ms, 54-84 ms, and the import took as long.
The window is worse off: Qt calls into Python (a model's data, a sort's comparison)
thousands of times to lay out a long article's claims, and each call waits so. With an
import of a million records, matching and a 61,000-word article opened at once, the UI
thread's 10 ms timer was late by up to 7.6-10.5 s with 1 ms, 2.3-3.0 s with 0.2 ms;
analysis beside the encoder took as long (9.2-11.9 s against 9.9-12.8 s).
"""


class WaitingEdits:
    """The edits of this process that are queued or writing: long writes give way to them.

    SQLite cannot tell a writer that someone waits for its lock, but within one process
    the writer of the user's edits can. It counts each edit from the moment it is queued
    until it has committed (:meth:`arrived`, :meth:`left`). A batched write on another
    connection of the process that is given this object (``Store(gives_way_to=...)``)
    looks at it every :data:`PIECE` rows: when an edit waits, it commits the rows it has
    written at once, and starts its next transaction only when no edit is left (or
    after :data:`MAX_GIVE_WAY_S`). An edit then waits for a piece, not for a whole
    transaction. Edits from another process (``workbench claim``) still wait for the
    transaction under way. Safe to share between threads.
    """

    def __init__(self) -> None:
        self._count = 0
        self._changed = threading.Condition()

    def arrived(self) -> None:
        """An edit was queued."""
        with self._changed:
            self._count += 1

    def left(self) -> None:
        """An edit committed, or failed."""
        with self._changed:
            self._count = max(0, self._count - 1)
            self._changed.notify_all()

    def waiting(self) -> bool:
        """Whether an edit is queued or writing."""
        return self._count > 0

    def wait_until_none(self, timeout: float) -> bool:
        """Block until no edit is queued or writing, at most ``timeout`` seconds."""
        with self._changed:
            return self._changed.wait_for(lambda: self._count == 0, timeout)


class _Pacer:
    """Pauses between the transactions of a long write, so that other writers get in.

    ``meanwhile``, if given, is work done at the start of each pause, with no lock
    held (a checkpoint: see :func:`_checkpoints_in_pauses`); the pause sleeps only
    for what is left of its length after it. With ``edits``, a pause lasts until the
    process's waiting edits have written (see :class:`WaitingEdits`). ``alone()``, if
    given, says whether no other program has the database open: while it says so,
    breathers are rare (:data:`BREATHER_EVERY_ALONE_S`) and transactions may be longer
    (:attr:`work_s`).
    """

    def __init__(
        self,
        meanwhile: Callable[[], None] | None = None,
        edits: WaitingEdits | None = None,
        alone: Callable[[], bool] | None = None,
    ) -> None:
        self._meanwhile = meanwhile
        self._edits = edits
        self._alone = alone
        self.alone = False
        """What ``alone()`` said in the last pause."""
        self._last_breather = time.monotonic()

    @property
    def work_s(self) -> float:
        """How long the next transaction should hold the lock."""
        return BATCH_WORK_ALONE_S if self.alone and BATCH_WORK_S > 0 else BATCH_WORK_S

    def pause(self) -> None:
        """Called after a batch has committed, with no transaction open."""
        if self._edits is not None and self._edits.waiting():
            self._edits.wait_until_none(MAX_GIVE_WAY_S)
        self.alone = self._alone is not None and self._alone()
        begun = time.monotonic()
        every = BREATHER_EVERY_ALONE_S if self.alone else BREATHER_EVERY_S
        if begun < self._last_breather + every:
            length = BATCH_PAUSE_S
        else:
            length = BREATHER_S
            self._last_breather = begun + length
        if self._meanwhile is not None:
            self._meanwhile()
        time.sleep(max(0.0, begun + length - time.monotonic()))


def _next_size(rows: int, seconds: float, work_s: float) -> int:
    """Rows for the next transaction of ``work_s`` seconds, after one of ``rows`` rows
    took ``seconds``."""
    if work_s <= 0:
        return ARCHIVE_BATCH
    aim = int(rows * work_s / seconds) if seconds > 0 else MAX_BATCH
    return max(ARCHIVE_BATCH, min(aim, rows * GROWTH, MAX_BATCH))


class PacedBatches(Generic[_Row]):
    """``rows`` in batches of about :data:`BATCH_WORK_S` of work each, with a pause between.

    The caller writes each batch in its own transaction and commits it before asking
    for the next one, so the write lock is free during the pause; the time it takes
    over a batch (from the yield to the request for the next) sizes the next one.
    ``meanwhile`` and ``alone`` are as :class:`_Pacer` takes them. The caller writes
    each batch a piece at a time (:meth:`pieces`): with ``edits``, a batch ends early
    when an edit of the process waits (see :class:`WaitingEdits`).
    """

    def __init__(
        self,
        rows: Sequence[_Row],
        *,
        meanwhile: Callable[[], None] | None = None,
        edits: WaitingEdits | None = None,
        alone: Callable[[], bool] | None = None,
    ) -> None:
        self._rows = rows
        self._meanwhile = meanwhile
        self._edits = edits
        self._alone = alone
        self._written = 0

    def __iter__(self) -> Iterator[Sequence[_Row]]:
        pacer = _Pacer(self._meanwhile, self._edits, self._alone)
        start, size, took = 0, ARCHIVE_BATCH, 0.0
        while start < len(self._rows):
            if start:
                pacer.pause()
                size = _next_size(self._written, took, pacer.work_s)
            batch = self._rows[start : start + size]
            self._written = len(batch)
            begun = time.perf_counter()
            yield batch
            took = time.perf_counter() - begun
            start += self._written

    @property
    def written(self) -> int:
        """Rows of the last batch written: all of them unless :meth:`pieces` stopped early."""
        return self._written

    def pieces(self, batch: Sequence[_Row]) -> Iterator[Sequence[_Row]]:
        """``batch`` in pieces of :data:`PIECE` rows, to write in its transaction.

        Stops after a piece when an edit of the process waits: the caller then commits
        what it wrote, the rest of ``batch`` comes in the next batch, and
        :attr:`written` says how many rows this one took. With no ``edits`` to give way
        to, ``batch`` is one piece.
        """
        if self._edits is None:
            yield batch
            return
        for offset in range(0, len(batch), PIECE):
            if offset and self._edits.waiting():
                self._written = offset
                return
            yield batch[offset : offset + PIECE]


FREE_SLICE = 10_000
"""Items :func:`let_go` frees at a time."""


def let_go(items: list[Any]) -> None:
    """Empty ``items`` a slice of :data:`FREE_SLICE` at a time.

    Freeing the rows of a 1,000,000-record import at once held the interpreter lock
    for about 0.3 s after the import had written everything: an edit's read on another
    thread waited that long (and the app's window would freeze for as long). Freed a
    slice at a time, the other threads run in between.
    """
    while items:
        del items[-FREE_SLICE:]


@contextlib.contextmanager
def _checkpoints_in_pauses(conn: sqlite3.Connection) -> Iterator[Callable[[], None]]:
    """Checkpoints in the pauses of a batched write on ``conn``, instead of after its commits.

    In WAL mode a commit that leaves the log over 1,000 pages copies it into the
    database file at once (an automatic checkpoint, with its fsyncs): with
    transactions of thousands of rows, after nearly every commit, adding its time to
    the pause that follows. Inside the block automatic checkpoints are off on
    ``conn``, and the function it gives checkpoints at the start of a pause, which
    then sleeps only for the rest (the write lock is free during a checkpoint, so
    other writers still get in). A last checkpoint at the end leaves the log copied,
    as an automatic one would have.
    """
    every = int(conn.execute("PRAGMA wal_autocheckpoint").fetchone()[0])

    def checkpoint() -> None:
        try:
            conn.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchall()
        except sqlite3.Error as exc:  # the log keeps what it could not copy: no harm
            log.info("checkpoint between batches failed: %s", exc)

    conn.execute("PRAGMA wal_autocheckpoint = 0")
    try:
        yield checkpoint
    finally:
        conn.execute(f"PRAGMA wal_autocheckpoint = {every}")
        if not conn.in_transaction:
            checkpoint()
