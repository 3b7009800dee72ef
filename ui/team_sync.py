"""The team archive in the app: a sync in the background every minute, its state in the status bar.

While the database is connected to a team (``workbench team connect``; the setting
``team.dsn``), :class:`TeamSync` publishes the outbox and receives the team's verdicts
about once a minute and on request, on its own thread and connection
(:func:`workbench.team.sync`): the UI never waits on the network. The status bar's
label says what a checker needs: how many changes wait, when the last exchange was,
and whether the server answered; the reason for a failure is its tooltip, and is said
once in the status bar when it first appears.

psycopg is imported by the job, so an app that is not on a team never loads it.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from PySide6.QtCore import QObject, QTimer, Signal
from PySide6.QtWidgets import QWidget

from ui.jobs import JobContext, JobRunner
from ui.safe_text import plain_label, tooltip
from workbench.errors import TeamError, TeamUnreachableError
from workbench.store import Store
from workbench.store.outbox import TEAM_DSN

log = logging.getLogger("ui.team_sync")

SYNC_INTERVAL_MS = 60_000
"""How often a connected app exchanges with the team server."""


@dataclass(frozen=True, slots=True)
class SyncOutcome:
    """What one background sync did, or why it could not."""

    pending: int
    sent: int = 0
    received: int = 0
    problem: str | None = None
    offline: bool = False
    at: datetime | None = None
    """When it ended (local time), if it did."""


def run_sync(db_path: Path, context: JobContext) -> SyncOutcome | None:
    """The job: one exchange with the team server, on the worker's own connection."""
    from workbench.team import sync

    with Store(db_path, check=False) as store:
        if not store.setting(TEAM_DSN):
            return None  # disconnected meanwhile
        try:
            report = sync(store, cancelled=context.cancelled)
        except TeamError as exc:
            pending = store.team_outbox_state().pending
            return SyncOutcome(
                pending, problem=str(exc), offline=isinstance(exc, TeamUnreachableError)
            )
    received = report.received
    return SyncOutcome(
        report.pending,
        sent=report.sent,
        received=received.added + received.replaced + received.withdrawn,
        at=datetime.now().astimezone(),
    )


def describe(outcome: SyncOutcome, last_ok: datetime | None) -> tuple[str, str]:
    """The label's text and tooltip for an outcome."""
    waiting = f"{outcome.pending:,} waiting" if outcome.pending else ""
    when = f"synced {last_ok:%H:%M}" if last_ok is not None else "not synced yet"
    if outcome.problem is None:
        text = f"Team: {waiting or 'up to date'} · {when}"
        return text, "Your verdicts are shared with your team; theirs reach your past checks."
    state = "offline" if outcome.offline else "not syncing"
    parts = [part for part in (waiting, when) if part]
    return f"Team: {state} · {' · '.join(parts)}", (
        f"{outcome.problem}. Your verdicts wait in the outbox; nothing is lost."
    )


class TeamSync(QObject):
    """Syncs with the team server in the background while the database is connected."""

    received = Signal(int)
    """Verdicts of the team arrived (how many): the archive, matching and embeddings
    should catch up."""
    problem = Signal(str)
    """A sync failed for a reason not seen the time before (one line)."""

    def __init__(self, db_path: Path, store: Store, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.db_path = db_path
        self.store = store
        self.runner = JobRunner("team-sync", self)
        self.label = plain_label("", parent)
        self.label.setObjectName("team_status")
        self.label.setVisible(False)
        self._last_ok: datetime | None = None
        self._last_problem: str | None = None
        self.timer = QTimer(self)
        self.timer.setInterval(SYNC_INTERVAL_MS)
        self.timer.timeout.connect(self.sync_now)

    @property
    def connected(self) -> bool:
        return bool(self.store.setting(TEAM_DSN))

    def start(self) -> None:
        """Sync now if connected, then about once a minute (noticing a connection made
        meanwhile from the command line)."""
        self.timer.start()
        self.sync_now()

    def sync_now(self) -> None:
        if not self.connected:
            self.label.setVisible(False)
            return
        self.label.setVisible(True)
        if self.runner.busy:
            return
        if self._last_ok is None and self._last_problem is None:
            self.label.setText("Team: syncing…")
        db_path = self.db_path
        self.runner.submit(
            lambda context: run_sync(db_path, context),
            group="sync",
            done=self._on_done,
            failed=self._on_failed,
        )

    def shutdown(self) -> None:
        self.timer.stop()
        self.runner.shutdown()

    def _on_done(self, outcome: SyncOutcome | None) -> None:
        if outcome is None:
            self.label.setVisible(False)
            return
        if outcome.problem is None:
            self._last_ok = outcome.at
            self._last_problem = None
        elif outcome.problem != self._last_problem:
            self._last_problem = outcome.problem
            self.problem.emit(outcome.problem)
        text, tip = describe(outcome, self._last_ok)
        self.label.setText(text)
        self.label.setToolTip(tooltip(tip))
        if outcome.received:
            self.received.emit(outcome.received)

    def _on_failed(self, message: str) -> None:  # not a TeamError: a bug, logged by the runner
        self._on_done(SyncOutcome(self.store.team_outbox_state().pending, problem=message))
