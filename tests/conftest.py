from __future__ import annotations

import os
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings

# Hypothesis profiles: "ci" (the default) keeps the property tests bounded; "long"
# (HYPOTHESIS_PROFILE=long) is the on-demand fuzzing run. Tests that fix their own
# max_examples keep it; the hostile-input suites take the profile's. No deadline: the
# examples check what the readers do, and speed is measured in benchmarks/ (the readers
# bound their own work; a reader that hung would show as a hang).
for _name, _examples in (("ci", 40), ("long", 20_000)):
    settings.register_profile(
        _name,
        max_examples=_examples,
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow],
    )
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared"


@pytest.fixture(autouse=True)
def _isolated_database(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """No test ever touches the user's real database."""
    monkeypatch.setenv("WORKBENCH_DB", str(tmp_path / "default.db"))
    monkeypatch.setenv("WORKBENCH_USER", "tester")
