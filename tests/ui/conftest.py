from __future__ import annotations

import os
from pathlib import Path

import pytest

# Set before Qt is imported anywhere: the tests never need a display.
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6.QtCore import QSettings
from pytestqt.qtbot import QtBot

PATIENCE_MS = 120_000
"""How long a wait for the app's background work may last before it fails the test.

pytest-qt gives up after 5 s by default: a wall-clock limit that a loaded CI machine
could exceed (an analysis loading its model on a busy core). The waits end as soon as
their condition holds, so this costs nothing when the machine is quick."""


@pytest.fixture(autouse=True)
def _isolated_settings(tmp_path: Path) -> None:
    """Window geometry and recent files go to a temporary folder, not the user's."""
    for fmt in (QSettings.Format.NativeFormat, QSettings.Format.IniFormat):
        QSettings.setPath(fmt, QSettings.Scope.UserScope, str(tmp_path / "settings"))


@pytest.fixture(autouse=True)
def _patient_waits(monkeypatch: pytest.MonkeyPatch) -> None:
    """``waitUntil`` and ``waitSignal`` without a timeout wait :data:`PATIENCE_MS`."""
    wait_until, wait_signal = QtBot.waitUntil, QtBot.waitSignal

    def until(self: QtBot, callback: object, *, timeout: int = PATIENCE_MS) -> None:
        wait_until(self, callback, timeout=timeout)  # type: ignore[arg-type]

    def signal(self: QtBot, *args: object, timeout: int = PATIENCE_MS, **kwargs: object) -> object:
        return wait_signal(self, *args, timeout=timeout, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(QtBot, "waitUntil", until)
    monkeypatch.setattr(QtBot, "waitSignal", signal)


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "ui.db"


@pytest.fixture
def errors(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Error dialogs the app would show, recorded instead of blocking the test."""
    from ui.dialogs import Messages

    shown: list[str] = []
    monkeypatch.setattr(Messages, "error", classmethod(lambda cls, p, t, m: shown.append(m)))
    return shown
