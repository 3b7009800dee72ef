"""The one writer: every change to the database runs on a single thread, in order.

The UI thread submits a function of a :class:`Store`; the writer thread runs it on
its own connection and reports the result (or the exception) back on the UI thread.
Requests run strictly in submission order, so an undo never overtakes the edit it undoes.
"""

from __future__ import annotations

import itertools
import logging
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject, Qt, Signal

from workbench.store import Store
from workbench.store.batches import WaitingEdits

log = logging.getLogger("ui.store_writer")

WriteFn = Callable[[Store], Any]
DoneFn = Callable[[Any], None]
ErrorFn = Callable[[Exception], None]


class StoreWriter(QObject):
    """Submit writes from the UI thread; callbacks run on the UI thread.

    The writer is a one-thread executor with its own connection; its results come
    back through a signal of this (UI-thread) object, so Qt queues them safely.
    """

    busy_changed = Signal(bool)
    _done = Signal(int, object, object)  # request id, result, exception or None

    def __init__(
        self, db_path: Path, parent: QObject | None = None, *, edits: WaitingEdits | None = None
    ) -> None:
        """``edits`` counts each write from its submission to its end, so that the
        process's long batched writes give way to it (see :class:`WaitingEdits`)."""
        super().__init__(parent)
        self._db_path = db_path
        self.edits = edits or WaitingEdits()
        self._store: Store | None = None  # used only on the writer thread
        self._ids = itertools.count(1)
        self.submitted = 0
        """Writes submitted so far (a reader can tell whether one came while it read)."""
        self._pending: dict[int, tuple[DoneFn | None, ErrorFn | None]] = {}
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="store-writer")
        self._closed = False
        self._done.connect(self._on_done, Qt.ConnectionType.QueuedConnection)

    @property
    def pending(self) -> int:
        return len(self._pending)

    def is_pending(self, request_id: int) -> bool:
        """Whether the write :meth:`submit` returned ``request_id`` for is not answered yet."""
        return request_id in self._pending

    def submit(
        self, fn: WriteFn, on_done: DoneFn | None = None, on_error: ErrorFn | None = None
    ) -> int:
        """Queue ``fn(store)``; ``on_done(result)`` or ``on_error(exc)`` follows on this thread."""
        if self._closed:
            raise RuntimeError("the store writer is closed")
        request_id = next(self._ids)
        self.submitted += 1
        self._pending[request_id] = (on_done, on_error)
        self.edits.arrived()
        if len(self._pending) == 1:
            self.busy_changed.emit(True)
        self._executor.submit(self._run, request_id, fn)
        return request_id

    def close(self, *, wait: bool = True) -> None:
        """Finish every queued write, then close the connection (when the window closes).

        Without ``wait`` (the user chose to quit without them), queued writes are
        dropped and the one under way is not waited for: the process ends at once and
        SQLite rolls it back.
        """
        if self._closed:
            return
        self._closed = True
        if not wait:
            self._executor.shutdown(wait=False, cancel_futures=True)
        else:
            self._executor.submit(self._close_store)
            self._executor.shutdown(wait=True)
        self._pending.clear()

    def _run(self, request_id: int, fn: WriteFn) -> None:
        """On the writer thread."""
        result: Any = None
        error: Exception | None = None
        try:
            if self._store is None:
                self._store = Store(self._db_path, check=False)
            result = fn(self._store)
        except Exception as exc:  # handed to the UI thread, which shows it
            log.debug("write %d failed", request_id, exc_info=True)
            error = exc
        finally:
            self.edits.left()  # before the UI hears of it: its count is exact by then
        self._done.emit(request_id, result, error)

    def _close_store(self) -> None:
        if self._store is not None:
            self._store.close()
            self._store = None

    def _on_done(self, request_id: int, result: Any, exc: Exception | None) -> None:
        if request_id not in self._pending:
            return  # closed meanwhile
        on_done, on_error = self._pending.pop(request_id)
        if not self._pending:
            self.busy_changed.emit(False)
        if exc is None:
            if on_done is not None:
                on_done(result)
        elif on_error is not None:
            on_error(exc)
        else:
            log.error("unhandled write error: %s", exc)
