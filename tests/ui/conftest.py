from __future__ import annotations

import os
from pathlib import Path

import pytest

# Set before Qt is imported anywhere: the tests never need a display.
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6.QtCore import QSettings


@pytest.fixture(autouse=True)
def _isolated_settings(tmp_path: Path) -> None:
    """Window geometry and recent files go to a temporary folder, not the user's."""
    for fmt in (QSettings.Format.NativeFormat, QSettings.Format.IniFormat):
        QSettings.setPath(fmt, QSettings.Scope.UserScope, str(tmp_path / "settings"))


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
