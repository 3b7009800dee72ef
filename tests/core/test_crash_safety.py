"""Crash safety: a writer killed with SIGKILL at random moments never loses a saved change.

Also two writers (two app instances) on one database at once: no corruption, no lost
write. ``benchmarks/crash_safety.py`` runs the kill test 1,000 times.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from tests.core.crash_writer import run_concurrent, run_kills

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="needs fork and SIGKILL")

CI_KILLS = 100


def test_killed_writer_never_loses_a_reported_change(tmp_path: Path) -> None:
    report = run_kills(tmp_path / "crash.db", CI_KILLS, seed=1)
    assert report.problems == []
    assert report.kills == CI_KILLS
    assert report.changes_lost == 0
    assert report.survived == CI_KILLS
    # Each kill came after at least one reported change, all of them checked afterwards.
    assert report.changes_reported >= CI_KILLS


def test_two_instances_share_the_database_safely(tmp_path: Path) -> None:
    lost, problems, reported = run_concurrent(tmp_path / "shared.db", 150)
    assert problems == []
    assert reported == 300
    assert lost == 0
