"""Background work for the app: one kind of job, run in order on its runner's own thread.

A :class:`JobRunner` owns one worker thread. The UI thread submits a function of a
:class:`JobContext`; the function runs there and reports progress, partial results,
its result or its one-line problem through the context. Reports reach the UI thread
through one queued signal and are handed to the callbacks given at submission, unless
the job was cancelled or superseded by then: a stale result is dropped, never shown.

* **Cancel.** :meth:`Job.cancel` sets a flag the work reads (``context.cancelled()``)
  between its steps; a job that sees it returns early. Submitting with ``supersede``
  cancels the jobs of the same group submitted before (opening another article
  cancels the last one's matching).
* **Generations.** Every job gets the next number of its runner; ``latest_only`` jobs
  deliver their partial results and their result only while no newer job of their
  group was submitted (:meth:`JobRunner.is_latest`); failures are always delivered.
* **Quit.** :meth:`JobRunner.shutdown` cancels everything and returns at once. The
  worker is a daemon thread, so a step still running never holds up the exit; work
  that writes does so in short transactions, which SQLite rolls back if the process
  ends inside one.
* **Errors.** A :class:`~workbench.errors.WorkbenchError` is the user's problem and
  goes to ``failed`` as its message; anything else is a bug: logged with its
  traceback, and reported as "unexpected error".

Plain Python threads, not ``QThreadPool``: a ``QRunnable`` deleted while its queued
signals were still being delivered crashed the app intermittently.
"""

from __future__ import annotations

import itertools
import logging
import queue
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from PySide6.QtCore import QObject, Qt, Signal

from workbench.errors import WorkbenchError

log = logging.getLogger("ui.jobs")

Progress = Callable[[int, int], None]


class JobContext:
    """What a job's work sees: whether to stop, and where to report."""

    def __init__(self, job: Job, runner: JobRunner) -> None:
        self._job = job
        self._runner = runner

    def cancelled(self) -> bool:
        """True once the job is cancelled or superseded: stop at the next step."""
        return self._job.is_cancelled

    def progress(self, done: int, total: int) -> None:
        """``done`` of ``total`` steps are done (shown as a progress bar or count)."""
        self._runner._report(self._job, "progress", (done, total))

    def partial(self, result: object) -> None:
        """A part of the result, for the UI to show before the job ends."""
        self._runner._report(self._job, "partial", result)


Work = Callable[[JobContext], Any]


@dataclass(eq=False)
class Job:
    """One submitted piece of work: its group, its generation and its callbacks."""

    work: Work
    group: str
    generation: int
    latest_only: bool = False
    done: Callable[[Any], None] | None = None
    failed: Callable[[str], None] | None = None
    progress: Progress | None = None
    partial: Callable[[Any], None] | None = None
    finished: Callable[[], None] | None = None
    """Called last whatever happened (result, problem or cancellation): for busy states."""
    _cancel: threading.Event = field(default_factory=threading.Event)

    def cancel(self) -> None:
        self._cancel.set()

    @property
    def is_cancelled(self) -> bool:
        return self._cancel.is_set()


class JobRunner(QObject):
    """Runs jobs one after another on one daemon thread; reports come to the UI thread."""

    busy_changed = Signal(bool)
    _reported = Signal(object, str, object)  # job, kind, payload

    def __init__(
        self, name: str, parent: QObject | None = None, *, grace_on_quit: float = 0.0
    ) -> None:
        super().__init__(parent)
        self.name = name
        self.grace_on_quit = grace_on_quit
        """Seconds the process waits, when it quits, for the step under way to end (0: none).

        For work whose half-done result would be litter (an export's temporary file)."""
        self._queue: queue.SimpleQueue[Job | None] = queue.SimpleQueue()
        self._generations = itertools.count(1)
        self._latest: dict[str, int] = {}
        self._open: list[Job] = []  # submitted and not finished, in order
        self._closed = False
        self._emitting = threading.Lock()
        """Held while a worker posts a report and while :meth:`shutdown` closes the runner,
        so that no report is posted once shutdown has returned: a post racing the
        destruction of the runner's Qt object crashed the process (seen in CI)."""
        self._thread: threading.Thread | None = None
        self._reported.connect(self._deliver, Qt.ConnectionType.QueuedConnection)

    @property
    def busy(self) -> bool:
        return bool(self._open)

    def is_latest(self, job: Job) -> bool:
        """Whether ``job`` is the last one submitted to its group."""
        return self._latest.get(job.group) == job.generation

    def submit(
        self,
        work: Work,
        *,
        group: str = "",
        supersede: bool = False,
        latest_only: bool = False,
        done: Callable[[Any], None] | None = None,
        failed: Callable[[str], None] | None = None,
        progress: Progress | None = None,
        partial: Callable[[Any], None] | None = None,
        finished: Callable[[], None] | None = None,
    ) -> Job:
        """Queue ``work``; the callbacks run on the UI thread. After shutdown, nothing runs.

        Args:
            group: jobs that belong together (one article's matching, the opener's).
            supersede: cancel the unfinished jobs of ``group`` first.
            latest_only: deliver the result only if no newer job of ``group`` exists.
        """
        job = Job(
            work,
            group,
            next(self._generations),
            latest_only,
            done,
            failed,
            progress,
            partial,
            finished,
        )
        if self._closed:
            job.cancel()
            return job
        if supersede:
            for earlier in self._open:
                if earlier.group == group:
                    earlier.cancel()
        self._latest[group] = job.generation
        self._open.append(job)
        if len(self._open) == 1:
            self.busy_changed.emit(True)
        if self._thread is None:
            self._thread = threading.Thread(target=self._loop, name=self.name, daemon=True)
            self._thread.start()
        self._queue.put(job)
        return job

    def cancel_group(self, group: str) -> None:
        for job in self._open:
            if job.group == group:
                job.cancel()

    def shutdown(self) -> None:
        """Cancel every job and report nothing more; returns at once (see the module)."""
        with self._emitting:  # waits at most for a report being posted (queued, quick)
            self._closed = True
        for job in self._open:
            job.cancel()
        self._queue.put(None)

    def join(self, timeout: float | None = None) -> bool:
        """After :meth:`shutdown`: wait for the step under way to end; False on timeout.

        For when the database file is about to be replaced (restoring a backup): no
        worker may still hold a connection to it.
        """
        if self._thread is not None:
            self._thread.join(timeout)
            return not self._thread.is_alive()
        return True

    # -- the worker thread -------------------------------------------------------------

    def _loop(self) -> None:
        while (job := self._queue.get()) is not None:
            if not job.is_cancelled:
                self._run(job)
            self._report(job, "finished", None)

    def _run(self, job: Job) -> None:
        context = JobContext(job, self)
        try:
            result = job.work(context)
        except WorkbenchError as exc:
            self._report(job, "failed", str(exc))
        except Exception as exc:
            if self._closed or job.is_cancelled:
                return  # the app is closing or nobody waits: its resources may be gone
            log.exception("%s: a job failed", self.name)
            self._report(job, "failed", f"unexpected error: {exc!r}")
        else:
            self._report(job, "done", result)

    def _report(self, job: Job, kind: str, payload: object) -> None:
        with self._emitting:
            if self._closed:  # nobody listens, and the runner's Qt object may be going
                job.cancel()
                return
            try:
                self._reported.emit(job, kind, payload)
            except RuntimeError:  # the runner's Qt object is gone: the app is closing
                job.cancel()

    # -- the UI thread -----------------------------------------------------------------

    def _deliver(self, job: Job, kind: str, payload: Any) -> None:
        if kind == "finished":
            if job in self._open:
                self._open.remove(job)
            if job.finished is not None and not self._closed:
                job.finished()
            if not self._open and not self._closed:
                self.busy_changed.emit(False)
            return
        if self._closed or job.is_cancelled:
            return
        stale = job.latest_only and not self.is_latest(job)
        if kind == "done":
            if job.done is not None and not stale:
                job.done(payload)
        elif kind == "failed" and job.failed is not None:
            job.failed(payload)
        elif kind == "progress" and job.progress is not None:
            job.progress(*payload)
        elif kind == "partial" and job.partial is not None and not stale:
            job.partial(payload)
