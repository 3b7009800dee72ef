"""The one writer: every change to the database runs on a single thread, in order.

The UI thread submits a function of a :class:`Store`; the writer thread runs it on
its own connection and reports the result (or the exception) back on the UI thread.
Requests run strictly in submission order, so an undo never overtakes the edit it undoes.
"""

from __future__ import annotations

import itertools
import logging
from collections.abc import Callable
from pathlib import Path
from typing import Any

from PySide6.QtCore import QMetaObject, QObject, Qt, QThread, Signal, Slot

from workbench.store import Store

log = logging.getLogger("ui.store_writer")

WriteFn = Callable[[Store], Any]
DoneFn = Callable[[Any], None]
ErrorFn = Callable[[Exception], None]


class _WriterThreadObject(QObject):
    """Lives on the writer thread; owns that thread's connection."""

    done = Signal(int, object, object)  # request id, result, exception or None

    def __init__(self, db_path: Path) -> None:
        super().__init__()
        self._db_path = db_path
        self._store: Store | None = None

    @Slot(int, object)
    def run(self, request_id: int, fn: WriteFn) -> None:
        try:
            if self._store is None:
                self._store = Store(self._db_path)
            result = fn(self._store)
        except Exception as exc:  # handed to the UI thread, which shows it
            log.debug("write %d failed", request_id, exc_info=True)
            self.done.emit(request_id, None, exc)
        else:
            self.done.emit(request_id, result, None)

    @Slot()
    def close(self) -> None:
        if self._store is not None:
            self._store.close()
            self._store = None


class StoreWriter(QObject):
    """Submit writes from the UI thread; callbacks run on the UI thread."""

    busy_changed = Signal(bool)
    _requested = Signal(int, object)

    def __init__(self, db_path: Path, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._ids = itertools.count(1)
        self._pending: dict[int, tuple[DoneFn | None, ErrorFn | None]] = {}
        self._thread = QThread()
        self._thread.setObjectName("store-writer")
        self._worker = _WriterThreadObject(db_path)
        self._worker.moveToThread(self._thread)
        self._requested.connect(self._worker.run, Qt.ConnectionType.QueuedConnection)
        self._worker.done.connect(self._on_worker_done, Qt.ConnectionType.QueuedConnection)
        self._thread.start()

    @property
    def pending(self) -> int:
        return len(self._pending)

    def submit(
        self, fn: WriteFn, on_done: DoneFn | None = None, on_error: ErrorFn | None = None
    ) -> int:
        """Queue ``fn(store)``; ``on_done(result)`` or ``on_error(exc)`` follows on this thread."""
        request_id = next(self._ids)
        self._pending[request_id] = (on_done, on_error)
        if len(self._pending) == 1:
            self.busy_changed.emit(True)
        self._requested.emit(request_id, fn)
        return request_id

    def close(self) -> None:
        """Finish every queued write, then stop the thread (called when the window closes)."""
        if not self._thread.isRunning():
            return
        QMetaObject.invokeMethod(self._worker, "close", Qt.ConnectionType.BlockingQueuedConnection)
        self._thread.quit()
        self._thread.wait()

    @Slot(int, object, object)
    def _on_worker_done(self, request_id: int, result: Any, exc: Exception | None) -> None:
        on_done, on_error = self._pending.pop(request_id, (None, None))
        if not self._pending:
            self.busy_changed.emit(False)
        if exc is None:
            if on_done is not None:
                on_done(result)
        elif on_error is not None:
            on_error(exc)
        else:
            log.error("unhandled write error: %s", exc)
