from __future__ import annotations

from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared"


@pytest.fixture(autouse=True)
def _isolated_database(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """No test ever touches the user's real database."""
    monkeypatch.setenv("WORKBENCH_DB", str(tmp_path / "default.db"))
    monkeypatch.setenv("WORKBENCH_USER", "tester")
