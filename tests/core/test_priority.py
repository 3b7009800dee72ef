"""Priorities: high, medium and low from the detector's score; "added by you" for the user's."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.core.cli_runner import run
from workbench.errors import ValidationError
from workbench.models import Claim, ClaimOrigin, Status
from workbench.priority import (
    SETTING_HIGH,
    SETTING_MEDIUM,
    Priority,
    PriorityThresholds,
    check_priority_setting,
    next_unchecked,
)


def claim(
    claim_id: int, score: float, *, status: Status = Status.UNCHECKED, user: bool = False
) -> Claim:
    return Claim(
        id=claim_id,
        article_id=1,
        start=claim_id * 10,
        end=claim_id * 10 + 5,
        text=f"claim {claim_id}",
        score=score,
        reasons=(),
        status=status,
        note="",
        claimant="",
        origin=ClaimOrigin.USER if user else ClaimOrigin.DETECTOR,
        created_at="",
        updated_at="",
    )


def test_priority_follows_the_score_and_the_user_claims_are_theirs() -> None:
    thresholds = PriorityThresholds(high=0.8, medium=0.6)
    assert thresholds.of(claim(1, 0.95)) is Priority.HIGH
    assert thresholds.of(claim(2, 0.8)) is Priority.HIGH
    assert thresholds.of(claim(3, 0.7)) is Priority.MEDIUM
    assert thresholds.of(claim(4, 0.55)) is Priority.LOW
    assert thresholds.of(claim(5, 0.99, user=True)) is Priority.MANUAL
    assert Priority.MANUAL.label == "Added by you"
    assert Priority.HIGH.label == "High priority"
    ranks = sorted(Priority, key=lambda p: p.rank)
    assert ranks == [Priority.HIGH, Priority.MANUAL, Priority.MEDIUM, Priority.LOW]


def test_thresholds_come_from_the_settings_and_bad_values_keep_the_defaults() -> None:
    assert PriorityThresholds.from_settings({}) == PriorityThresholds()
    found = PriorityThresholds.from_settings({SETTING_HIGH: "0.9", SETTING_MEDIUM: "0"})
    assert found == PriorityThresholds(high=0.9, medium=0.0)
    for bad in ("lots", "nan", "inf", "0.3"):  # 0.3 would put high below the default medium
        assert PriorityThresholds.from_settings({SETTING_HIGH: bad}) == PriorityThresholds()
    with pytest.raises(ValidationError):
        PriorityThresholds(high=0.5, medium=0.7)


@pytest.mark.parametrize(
    ("key", "value", "problem"),
    [
        ("priority.urgent", "0.5", "unknown priority setting"),
        (SETTING_HIGH, "high", "a number from 0 to 1"),
        (SETTING_HIGH, "1.5", "a number from 0 to 1"),
        (SETTING_HIGH, "0.5", "medium <= high"),  # below the default medium (0.6)
    ],
)
def test_bad_priority_settings_are_refused(key: str, value: str, problem: str) -> None:
    with pytest.raises(ValidationError, match=problem):
        check_priority_setting(key, value, {})


def test_next_unchecked_visits_the_most_urgent_first_in_reading_order() -> None:
    thresholds = PriorityThresholds(high=0.8, medium=0.6)
    claims = [
        claim(1, 0.55),
        claim(2, 0.95),
        claim(3, 0.7),
        claim(4, 0.9, status=Status.VERIFIED),
        claim(5, 0.85),
        claim(6, 0.5, user=True),
    ]
    order = []
    current = None
    for _ in range(3):
        found = next_unchecked(claims, thresholds, current)
        assert found is not None
        order.append(found.id)
        current = found.id
    assert order == [2, 5, 2]  # the high ones, wrapping around
    done = [
        c if c.id not in (2, 5) else claim(c.id, c.score, status=Status.DISPUTED) for c in claims
    ]
    assert next_unchecked(done, thresholds, None).id == 6  # then yours, then medium
    assert next_unchecked([claim(1, 0.9, status=Status.VERIFIED)], thresholds) is None


def test_priority_settings_through_the_command_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db = str(tmp_path / "p.db")
    assert run("settings", "set", SETTING_HIGH, "0.9", "--db", db)[0] == 0
    code, _ = run("settings", "set", SETTING_MEDIUM, "0.95", "--db", db)
    assert code == 2 and "medium <= high" in capsys.readouterr().err
    code, out = run("settings", "--db", db)
    assert f"{SETTING_HIGH} = 0.9" in out and SETTING_MEDIUM not in out.split("#")[0]
