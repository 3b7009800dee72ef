"""The Past checks tab searching the team archive on the server (a real PostgreSQL): the
claim's matches arrive from a job, a server that is down is said in the tab, and a past
check found there can be applied as one found locally."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from pytestqt.qtbot import QtBot

from tests.core.team_server import (
    TeamServer,
    create_logins,
    find_pg_bin,
    keyring_in_use,
    running_server,
    team_database,
    use_password_file,
)
from tests.ui.test_main_window import close_window, make_window, seed
from ui.main_window import MainWindow
from ui.past_checks import ON_SERVER
from workbench.models import Status
from workbench.store import Store

PG_BIN = find_pg_bin()
pytestmark = pytest.mark.skipif(PG_BIN is None, reason="no PostgreSQL (see .ci/run)")

PASSWORD = "pw-ana-Lm3"
PAST_CHECKS = [
    {"id": "pf-1", "text": "North Korea sent 10,000 troops to Russia, Ukraine's minister said.",
     "verdict": "false", "url": "https://factcheck.example/nk-troops", "date": "2024-11-01",
     "source": "Example Checks"},
    {"id": "pf-2", "text": "Bananas are the most popular fruit in Norway.", "verdict": "true"},
]  # fmt: skip


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[TeamServer, str]]:
    """A server with the team archive and the past checks loaded by the administrator."""
    from workbench.team.archive import import_to_team

    assert PG_BIN is not None
    with running_server(PG_BIN) as pg:
        create_logins(pg, {"ana": PASSWORD})
        with team_database(pg, "desk", checkers=["ana"]):
            archive = tmp_path_factory.mktemp("archive") / "checks.jsonl"
            lines = "".join(json.dumps(r) + "\n" for r in PAST_CHECKS)
            archive.write_text(lines, encoding="utf-8")
            import_to_team(pg.dsn("desk"), archive, source="politifact")
            yield pg, pg.dsn("desk", "ana")


@pytest.fixture(autouse=True)
def _password(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    use_password_file(tmp_path, {"ana": PASSWORD}, monkeypatch)
    with keyring_in_use():  # none that works: never the machine's own
        yield


def open_on(qtbot: QtBot, db_path: Path, dsn: str) -> MainWindow:
    seed(db_path)
    with Store(db_path) as store:
        store.team_connect(dsn, name="Ana Lima", database_id=str(uuid.uuid4()), new_server=True)
    window = make_window(qtbot, db_path)
    qtbot.waitUntil(lambda: window.workspace.article is not None)
    window.workspace.select_claim(window.workspace.claims[0].id)
    view = window.claim_panel.past_checks
    view.refresh_sources()
    qtbot.waitUntil(lambda: view.source.findData(ON_SERVER) >= 0)
    view.source.setCurrentIndex(view.source.findData(ON_SERVER))
    view.source.activated.emit(view.source.currentIndex())
    return window


def test_a_claim_is_searched_on_the_server_and_its_verdict_applied(
    qtbot: QtBot, db_path: Path, server: tuple[TeamServer, str], errors: list[str]
) -> None:
    window = open_on(qtbot, db_path, server[1])
    try:
        view = window.claim_panel.past_checks
        assert view.on_server
        qtbot.waitUntil(lambda: view.model.rowCount() > 0, timeout=30_000)
        assert view.status.text() == "1 similar past check on the team server."
        match = view.current_match()
        assert match is not None and match.archive.external_id == "pf-1"
        assert "10,000" in view.explanation.toHtml()  # the differing figure is explained
        view.apply_selected()
        qtbot.waitUntil(lambda: window.writer.pending == 0)
        claim = window.workspace.claims[0]
        assert claim.status is Status.DISPUTED
        assert [e.url for e in claim.evidence] == ["https://factcheck.example/nk-troops"]
        assert "Example Checks" in claim.note
    finally:
        close_window(window)


def test_a_server_that_is_down_is_said_in_the_tab(
    qtbot: QtBot, db_path: Path, tmp_path: Path, errors: list[str]
) -> None:
    nowhere = tmp_path / "no-server"
    nowhere.mkdir()
    window = open_on(qtbot, db_path, f"host={nowhere} dbname=desk user=ana")
    try:
        view = window.claim_panel.past_checks
        qtbot.waitUntil(lambda: "could not be searched" in view.status.text(), timeout=30_000)
        assert "unreachable" in view.status.text() and view.model.rowCount() == 0
        view.source.setCurrentIndex(0)  # back to the local archive
        view.source.activated.emit(0)
        assert not view.on_server and "team server" not in view.status.text()
    finally:
        close_window(window)
