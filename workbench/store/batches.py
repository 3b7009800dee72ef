"""Long writes in short transactions: the batch size and the pauses between batches.

An archive import and a save of embeddings can each write a million rows. Done in one
transaction they would hold SQLite's single write lock for seconds and make every
edit meanwhile fail; done as :data:`ARCHIVE_BATCH` rows per transaction, with the lock
left free between batches, the user's edits get in.
"""

from __future__ import annotations

import time
from collections.abc import Iterator, Sequence
from typing import TypeVar

ARCHIVE_BATCH = 500
"""Rows an import (or a save of embeddings) writes per transaction.

SQLite has one write lock, held from ``BEGIN IMMEDIATE`` to ``COMMIT``: an import of
12,836 past checks in one transaction made every edit made meanwhile (the app's
writer, ``workbench claim`` in another process) fail after :data:`~workbench.dbfile.BUSY_TIMEOUT_S`.
500 rows and their full-text entries commit in about 20 ms, so an edit waits for
one batch, not for the whole import; progress and cancel are checked between batches.
"""
BATCH_PAUSE_S = 0.005
"""How long a batched write leaves the lock free after each batch.

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
BREATHER_EVERY_S = 1.0
"""Once a second keeps an edit's worst wait near a second (0.5 to 0.9 s measured,
against a busy timeout of 5 s) for about a tenth of the import's time."""

_Row = TypeVar("_Row")


class _Pacer:
    """Pauses between the transactions of a long write, so that other writers get in."""

    def __init__(self) -> None:
        self._breather_due = time.monotonic() + BREATHER_EVERY_S

    def pause(self) -> None:
        """Called after a batch has committed, with no transaction open."""
        if time.monotonic() < self._breather_due:
            time.sleep(BATCH_PAUSE_S)
            return
        time.sleep(BREATHER_S)
        self._breather_due = time.monotonic() + BREATHER_EVERY_S


def _paced_batches(rows: Sequence[_Row]) -> Iterator[Sequence[_Row]]:
    """``rows`` in batches of :data:`ARCHIVE_BATCH`, with a pause before each but the first.

    The caller writes each batch in its own transaction and commits it before asking
    for the next one, so the write lock is free during the pause.
    """
    pacer = _Pacer()
    for start in range(0, len(rows), ARCHIVE_BATCH):
        if start:
            pacer.pause()
        yield rows[start : start + ARCHIVE_BATCH]
