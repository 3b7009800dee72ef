"""Priorities: high, medium and low from the detector's score; "added by you" for the user's."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.core.cli_runner import run
from workbench.errors import ValidationError
from workbench.models import ArticleDraft, Claim, ClaimOrigin, DetectedClaim, Status
from workbench.priority import (
    MIN_HIGH,
    SETTING_HIGH,
    SETTING_HIGH_SHARE,
    SETTING_MEDIUM,
    Priority,
    PriorityThresholds,
    check_priority_setting,
    next_unchecked,
)
from workbench.store import Store


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


def test_in_a_dense_article_only_the_best_scored_quarter_is_high() -> None:
    """Hard news: twenty claims all above the threshold; five stand out, not twenty."""
    scores = [0.999 - i * 0.004 for i in range(20)]
    claims = [claim(i + 1, score) for i, score in enumerate(scores)]
    claims.append(claim(21, 1.0, user=True))  # yours: never ranked, never counted
    graded = PriorityThresholds().for_article(claims)
    priorities = [graded.of(c) for c in claims]
    assert priorities[:5] == [Priority.HIGH] * 5
    assert priorities[5:20] == [Priority.MEDIUM] * 15  # still above 0.9, but not the best
    assert priorities[20] is Priority.MANUAL
    # A claim tied with the last of the quarter is high too: nothing arbitrary.
    tied = [*claims[:20], claim(30, scores[4])]
    assert [PriorityThresholds().for_article(tied).of(c) for c in tied].count(Priority.HIGH) == 6
    # The threshold still holds in the quarter, and a share of 1 lifts the limit.
    assert PriorityThresholds(high=0.99).for_article(claims).of(claims[3]) is Priority.MEDIUM
    unlimited = PriorityThresholds(high_share=1.0).for_article(claims)
    assert all(unlimited.of(c) is Priority.HIGH for c in claims[:20])


def test_a_short_article_keeps_its_few_high_claims() -> None:
    claims = [claim(i, 0.95) for i in range(1, MIN_HIGH + 2)]
    graded = PriorityThresholds().for_article(claims)
    assert all(graded.of(c) is Priority.HIGH for c in claims)  # ties at the third: all
    claims = [claim(1, 0.97), claim(2, 0.96), claim(3, 0.95), claim(4, 0.94)]
    graded = PriorityThresholds().for_article(claims)
    assert [graded.of(c) for c in claims].count(Priority.HIGH) == MIN_HIGH


def dense_article(store: Store, count: int) -> int:
    """An article of ``count`` detected claims scoring 0.999, 0.994, 0.989 ...: its id."""
    sentences = [f"Sentence number {i} says 1{i} things." for i in range(count)]
    text = " ".join(sentences)
    detected, at = [], 0
    for i, sentence in enumerate(sentences):
        detected.append(DetectedClaim(at, at + len(sentence), sentence, 0.999 - i * 0.005, ()))
        at += len(sentence) + 1
    return store.add_article(ArticleDraft(text), detected).article.id


def test_the_library_counts_urgent_claims_as_the_article_grades_them(tmp_path: Path) -> None:
    """The library's "unchecked high-priority" filter (SQL) agrees with the app (Python)."""
    with Store(tmp_path / "p.db") as store:
        article_id = dense_article(store, 12)
        claims = store.claims(article_id)
        graded = PriorityThresholds.load(store, article_id)
        high = [c for c in claims if graded.of(c) is Priority.HIGH]
        assert len(high) == MIN_HIGH  # a quarter of 12 is 3
        [summary] = store.articles(state="urgent")
        assert summary.urgent_count == len(high)
        for share, expected in (("0.5", 6), ("1", 12), ("0", MIN_HIGH)):
            store.set_setting(SETTING_HIGH_SHARE, share)
            thresholds = PriorityThresholds.load(store)
            [summary] = store.articles(priorities=thresholds)
            graded = thresholds.for_article(claims)
            assert summary.urgent_count == expected
            assert sum(graded.of(c) is Priority.HIGH for c in claims) == expected


@pytest.mark.parametrize(
    ("key", "value", "problem"),
    [
        ("priority.urgent", "0.5", "unknown priority setting"),
        (SETTING_HIGH, "high", "a number from 0 to 1"),
        (SETTING_HIGH, "1.5", "a number from 0 to 1"),
        (SETTING_HIGH, "0.5", "medium <= high"),  # below the default medium (0.6)
        (SETTING_HIGH_SHARE, "half", "a number from 0 to 1"),
        (SETTING_HIGH_SHARE, "-0.1", "a number from 0 to 1"),
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
    Store(db).close()
    assert run("settings", "set", SETTING_HIGH, "0.9", "--db", db)[0] == 0
    code, _ = run("settings", "set", SETTING_MEDIUM, "0.95", "--db", db)
    assert code == 2 and "medium <= high" in capsys.readouterr().err
    code, out = run("settings", "--db", db)
    assert f"{SETTING_HIGH} = 0.9" in out and SETTING_MEDIUM not in out.split("#")[0]


def test_the_fact_checker_gives_a_claim_its_priority_and_can_undo_it(tmp_path: Path) -> None:
    """The claim leaves the ranking; its history says so; undo gives it back."""
    from workbench import operations

    with Store(tmp_path / "p.db") as store:
        article_id = dense_article(store, 8)
        first, fourth = store.claims(article_id)[0], store.claims(article_id)[3]
        graded = PriorityThresholds.load(store, article_id)
        assert graded.of(first) is Priority.HIGH and graded.of(fourth) is Priority.MEDIUM
        change = operations.run(store, operations.set_priority(first.id, "low"))
        assert store.claim(first.id).chosen_priority == "low"
        claims = store.claims(article_id)
        graded = PriorityThresholds.load(store, article_id)
        assert graded.of(claims[0]) is Priority.LOW  # whatever its score
        assert graded.of(claims[3]) is Priority.HIGH  # the best three left are high
        assert [summary.urgent_count for summary in store.articles()] == [3]
        assert [h.new for h in store.history(first.id) if h.field == "chosen_priority"] == ["low"]
        operations.run(store, change.undo)
        assert store.claim(first.id).chosen_priority == ""
        with pytest.raises(ValidationError, match="high, medium or low"):
            store.update_claim(first.id, chosen_priority="urgent")


def test_priority_through_the_command_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    import json

    db = str(tmp_path / "p.db")
    text = "North Korea sent 12,000 troops to Russia."
    with Store(db) as store:
        store.add_article(ArticleDraft(text), [DetectedClaim(0, len(text), text, 0.95, ())])
    assert run("claim", "set", "1", "--priority", "low", "--db", db)[0] == 0
    _, out = run("show", "1", "--json", "--db", db)
    assert json.loads(out)["claims"][0]["priority"] == "low"
    assert run("claim", "set", "1", "--priority", "auto", "--db", db)[0] == 0
    _, out = run("show", "1", "--json", "--db", db)
    assert json.loads(out)["claims"][0]["priority"] == "high"
    capsys.readouterr()
    with pytest.raises(SystemExit) as ended:  # argparse's way out
        run("claim", "set", "1", "--priority", "urgent", "--db", db)
    assert ended.value.code == 2 and capsys.readouterr().err.count("\n") == 1


def test_a_long_refused_value_is_not_printed_whole(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db = str(tmp_path / "p.db")
    Store(db).close()
    code, _ = run("settings", "set", SETTING_HIGH, "9" * 100_000, "--db", db)
    err = capsys.readouterr().err
    assert code == 2 and err.count("\n") == 1 and len(err) < 200
    assert f"{SETTING_HIGH} must be a number from 0 to 1, not '9999" in err
