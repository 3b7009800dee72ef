"""The team in the app: the status bar says what waits and whether the server answers; the
sync runs in the background and what it receives reaches the archive and matching."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from pytestqt.qtbot import QtBot

from tests.ui.test_main_window import close_window, make_window, seed
from ui.main_window import MainWindow
from ui.team_sync import SyncOutcome, describe
from workbench.models import Status
from workbench.store import Store
from workbench.store.outbox import ReceiveResult


@pytest.fixture
def nowhere(tmp_path: Path) -> str:
    """A team server that is not there: a socket folder with no server in it."""
    folder = tmp_path / "no-server"
    folder.mkdir()
    return f"host={folder} dbname=desk user=ana"


def connect(db_path: Path, dsn: str) -> None:
    with Store(db_path) as store:
        store.team_connect(dsn, name="Ana Lima", database_id=str(uuid.uuid4()), new_server=True)


@pytest.fixture
def window(qtbot: QtBot, db_path: Path, nowhere: str, errors: list[str]) -> Iterator[MainWindow]:
    seed(db_path)
    connect(db_path, nowhere)
    win = make_window(qtbot, db_path)
    qtbot.waitUntil(lambda: win.workspace.article is not None)
    yield win
    close_window(win)


def test_an_unreachable_server_is_shown_offline_and_said_once(
    qtbot: QtBot, window: MainWindow
) -> None:
    label = window.team.label
    qtbot.waitUntil(lambda: label.text().startswith("Team: offline"))
    assert label.isVisible()
    assert "unreachable" in label.toolTip() and "nothing is lost" in label.toolTip()
    problems: list[str] = []
    window.team.problem.connect(problems.append)
    window.workspace.set_status(window.workspace.claims[0].id, Status.VERIFIED)
    qtbot.waitUntil(lambda: window.writer.pending == 0)
    with qtbot.waitSignal(window.team.runner.busy_changed, check_params_cb=lambda b: not b):
        window.team.sync_now()
    assert label.text() == "Team: offline · 1 waiting · not synced yet"
    assert problems == []  # the same reason is not said again every minute


def test_received_verdicts_reach_the_archive_and_the_label(
    qtbot: QtBot, window: MainWindow, monkeypatch: pytest.MonkeyPatch
) -> None:
    from workbench import team
    from workbench.team import SyncReport

    def synced(store: Store, **options: Any) -> SyncReport:
        return SyncReport("db:5432/desk", 2, ReceiveResult(added=3), 0, 41)

    monkeypatch.setattr(team, "sync", synced)
    qtbot.waitUntil(lambda: not window.team.runner.busy)  # the sync at start, offline
    refreshed: list[bool] = []
    monkeypatch.setattr(window.workspace, "rematch", lambda: refreshed.append(True))
    with qtbot.waitSignal(window.team.received) as received:
        window.team.sync_now()
    assert received.args == [3]
    assert window.team.label.text().startswith("Team: up to date · synced ")
    assert "3 verdicts received" in window.statusBar().currentMessage()
    assert refreshed == [True]


def test_disconnected_the_label_hides_and_sync_now_says_how_to_connect(
    qtbot: QtBot, window: MainWindow
) -> None:
    with Store(window.workspace.store.path) as store:
        store.team_disconnect(drop_pending=True)
    window.team.sync_now()
    assert not window.team.label.isVisible()
    window._sync_team_now()
    assert "workbench team connect" in window.statusBar().currentMessage()


def test_the_label_text() -> None:
    assert describe(SyncOutcome(0), None) == (
        "Team: up to date · not synced yet",
        "Your verdicts are shared with your team; theirs reach your past checks.",
    )
    text, tip = describe(SyncOutcome(1_200, problem="the team server refused the password"), None)
    assert text == "Team: not syncing · 1,200 waiting · not synced yet"
    assert tip.startswith("the team server refused the password.")


def test_no_team_no_label_and_no_sync(qtbot: QtBot, db_path: Path) -> None:
    seed(db_path)
    win = make_window(qtbot, db_path)
    try:
        assert not win.team.label.isVisible() and not win.team.runner.busy
    finally:
        close_window(win)
