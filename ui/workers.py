"""Background work: a ``QRunnable`` whose signals live on a separate ``QObject``.

The work function itself is plain core code; exceptions inside it become the
``errored`` signal and never vanish or reach the event loop.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, QRunnable, Signal

log = logging.getLogger("ui.workers")


class WorkerSignals(QObject):
    started = Signal()
    returned = Signal(object)
    errored = Signal(object)  # the exception instance
    finished = Signal()


class Worker(QRunnable):
    """Run ``fn(*args, **kwargs)`` on the thread pool and report through :attr:`signals`."""

    def __init__(self, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> None:
        super().__init__()
        self.signals = WorkerSignals()
        self._fn = fn
        self._args = args
        self._kwargs = kwargs

    def run(self) -> None:
        self.signals.started.emit()
        try:
            result = self._fn(*self._args, **self._kwargs)
        except Exception as exc:  # reported to the UI, which decides how to show it
            log.debug("worker failed", exc_info=True)
            self.signals.errored.emit(exc)
        else:
            self.signals.returned.emit(result)
        finally:
            self.signals.finished.emit()
