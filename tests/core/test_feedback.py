"""The fact-checker's corrections move the scores of similar sentences in later articles."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pytest
from spacy.language import Language

from workbench.analysis import analyze_article
from workbench.engine import Engine
from workbench.models import ArticleDraft, Claim, DetectedClaim
from workbench.nlp import CLAIM_THRESHOLD, build_pipeline, claim_detector, detect_claims
from workbench.nlp.encoder import ENCODER_DIR, SentenceEncoder
from workbench.nlp.feedback import MAX_SHIFT, SAME_SENTENCE, FeedbackAdjuster, FloatMatrix
from workbench.nlp.signals import ClaimScore, logit
from workbench.store import Store

BIKES = "The city council will spend $40 million on new bike lanes next year, the mayor said."
BIKES_AGAIN = "The town council will spend $40 million on new bike lanes next year, the mayor said."
JOBS = "Unemployment fell to 3.9 percent in March, according to the labour ministry."
MOOD = "The atmosphere in the square felt warm and cheerful."
MOOD_AGAIN = "The atmosphere in the main square felt warm and cheerful."
FESTIVAL = "The festival opened on a sunny afternoon."
BOATS = "Crowds lined the river to watch the boats go by."

ARTICLE_A = f"{BIKES} {FESTIVAL} {MOOD}"
ARTICLE_B = f"{BIKES_AGAIN} {JOBS} {MOOD_AGAIN} {BOATS}"


@pytest.fixture(scope="module")
def nlp() -> Language:
    return build_pipeline()


@pytest.fixture(scope="module")
def encoder() -> SentenceEncoder:
    return SentenceEncoder(ENCODER_DIR)


@pytest.fixture(params=["encoder", "words"])
def adjuster(request: pytest.FixtureRequest, encoder: SentenceEncoder) -> FeedbackAdjuster:
    """One adjuster on the sentence encoder, one on the lexical fallback."""
    if request.param == "encoder":
        return FeedbackAdjuster(encoder=lambda: encoder)
    return FeedbackAdjuster(encoder=lambda: None)


@pytest.fixture
def store(tmp_path: Path) -> Store:
    return Store(tmp_path / "w.db")


def by_text(claims: Sequence[DetectedClaim]) -> dict[str, DetectedClaim]:
    return {claim.text: claim for claim in claims}


def analyse(store: Store, text: str, nlp: Language, adjuster: FeedbackAdjuster) -> dict[str, Claim]:
    draft = ArticleDraft(text, title=text[:20])
    return {c.text: c for c in analyze_article(store, draft, nlp=nlp, feedback=adjuster).claims}


def test_a_removed_claim_is_not_flagged_again_while_others_are_unchanged(
    store: Store, nlp: Language, adjuster: FeedbackAdjuster
) -> None:
    before = by_text(detect_claims(ARTICLE_B, nlp=nlp))
    assert BIKES_AGAIN in before and JOBS in before
    first = analyse(store, ARTICLE_A, nlp, adjuster)
    store.remove_claim(first[BIKES].id)

    after = analyse(store, ARTICLE_B, nlp, adjuster)
    assert BIKES_AGAIN not in after
    assert after[JOBS].score == before[JOBS].score
    assert after[JOBS].reasons == before[JOBS].reasons


def test_the_same_sentence_removed_scores_below_the_threshold(
    nlp: Language, adjuster: FeedbackAdjuster
) -> None:
    adjuster.update([(BIKES, 0)])
    detector = claim_detector(nlp)
    doc = nlp.make_doc(BIKES)
    for _, component in nlp.pipeline:
        doc = component(doc) if component is not detector else doc
    ((_, score),) = detector.match(doc)
    (moved,) = adjuster.adjust([BIKES], [score])
    assert score.score >= CLAIM_THRESHOLD > moved.score
    assert moved.reasons[0] == "you removed a similar claim (1.00)"
    assert moved.reasons[1:] == score.reasons


def test_a_sentence_like_one_the_user_added_becomes_a_claim_with_the_reason(
    store: Store, nlp: Language, adjuster: FeedbackAdjuster
) -> None:
    assert MOOD_AGAIN not in by_text(detect_claims(ARTICLE_B, nlp=nlp))
    stored = analyze_article(store, ArticleDraft(ARTICLE_A, title="A"), nlp=nlp, feedback=adjuster)
    start = ARTICLE_A.index(MOOD)
    store.add_claim(stored.article.id, start, start + len(MOOD))

    after = analyse(store, ARTICLE_B, nlp, adjuster)
    claim = after[MOOD_AGAIN]
    assert claim.score >= CLAIM_THRESHOLD
    assert any(r.startswith("you added a similar claim (") for r in claim.reasons)
    assert BOATS not in after


def test_without_corrections_the_claims_are_the_detectors_and_no_encoder_loads(
    store: Store, nlp: Language
) -> None:
    loads: list[int] = []

    def source() -> SentenceEncoder | None:
        loads.append(1)
        return None

    adjuster = FeedbackAdjuster(encoder=source)
    result = analyze_article(store, ArticleDraft(ARTICLE_B, title="B"), nlp=nlp, feedback=adjuster)
    expected = detect_claims(ARTICLE_B, nlp=nlp)
    assert [(c.start, c.end, c.score, c.reasons) for c in result.claims] == [
        (c.start, c.end, c.score, c.reasons) for c in expected
    ]
    assert loads == []


def test_an_adjustment_that_changes_nothing_gives_the_detectors_claims(nlp: Language) -> None:
    def same(
        texts: Sequence[str], scores: Sequence[ClaimScore], threshold: float
    ) -> list[ClaimScore]:
        return list(scores)

    assert detect_claims(ARTICLE_B, nlp=nlp, adjust=same) == detect_claims(ARTICLE_B, nlp=nlp)


def test_a_moderately_similar_correction_moves_the_score_by_at_most_the_cap(
    encoder: SentenceEncoder,
) -> None:
    adjuster = FeedbackAdjuster(encoder=lambda: encoder)
    adjuster.update([(BIKES, 0)])
    text = "The council plans to spend $40 million on bike lanes, according to the mayor."
    (similarity,) = adjuster.similarities([text])[0]
    assert 0.8 <= similarity < SAME_SENTENCE  # a neighbour, not the same sentence
    (moved,) = adjuster.adjust([text], [ClaimScore(0.5, ("model: 0.50",))])
    assert -MAX_SHIFT <= logit(moved.score) < 0.0
    assert moved.reasons == (f"you removed a similar claim ({similarity:.2f})", "model: 0.50")


def test_each_correction_is_embedded_once_on_its_own(encoder: SentenceEncoder) -> None:
    """A new correction costs one sentence, not every correction again (2,000 corrections
    took 3.7 s before each article that followed a new one), and its vector is the
    same whatever came with it."""
    calls: list[list[str]] = []

    class Counting:
        def embed(self, texts: Sequence[str], *, workers: int | None = None) -> FloatMatrix:
            calls.append(list(texts))
            return encoder.embed(texts, workers=workers)

    counting = Counting()
    adjuster = FeedbackAdjuster(encoder=lambda: counting)
    score = ClaimScore(0.5, ())
    adjuster.update([(BIKES, 0), (MOOD, 1)])
    adjuster.adjust([JOBS, BOATS], [score, score])
    adjuster.update([(BIKES, 0), (MOOD, 1)])
    adjuster.adjust([JOBS], [score])
    # Each correction alone, then each article's sentences in one batch.
    assert [len(texts) for texts in calls] == [1, 1, 2, 1]
    first = adjuster.similarities([JOBS])
    calls.clear()
    adjuster.update([(BIKES, 0), (FESTIVAL, 0), (MOOD, 1)])
    adjuster.adjust([JOBS], [score])
    assert [len(texts) for texts in calls] == [1, 1]
    assert calls[0] == [FESTIVAL]
    np.testing.assert_allclose(adjuster.similarities([JOBS])[:, [0, 2]], first, atol=1e-6)

    # The app computes them when it starts, before its first article.
    calls.clear()
    fresh = FeedbackAdjuster(encoder=lambda: counting)
    fresh.update([(BIKES, 0), (MOOD, 1)])
    fresh.prepare()
    assert [len(texts) for texts in calls] == [1, 1]
    fresh.adjust([JOBS], [score])
    assert [len(texts) for texts in calls] == [1, 1, 1]

    # The encoder embeds many corrections on every core, each still on its own.
    real = FeedbackAdjuster(encoder=lambda: encoder)
    texts = [BIKES, MOOD, FESTIVAL, JOBS, BOATS]
    real.update([(text, 0) for text in texts])
    real.prepare()
    alone = np.vstack([encoder.embed([c.text]) for c in real.corrections])
    assert real._vectors is not None
    np.testing.assert_allclose(real._vectors, alone, atol=1e-6)


def test_the_latest_verdict_on_a_sentence_wins(encoder: SentenceEncoder) -> None:
    adjuster = FeedbackAdjuster(encoder=lambda: encoder)
    adjuster.update([(BIKES, 1), (BIKES, 0)])
    assert [c.direction for c in adjuster.corrections] == [-1]


def test_the_analysis_the_cli_and_app_run_learns_without_being_given_an_adjuster(
    store: Store, nlp: Language, encoder: SentenceEncoder
) -> None:
    engine = Engine(pipeline=lambda: nlp, encoder=lambda: encoder)  # its own adjuster
    first = analyze_article(store, ArticleDraft(ARTICLE_A, title="A"), engine=engine)
    bikes = next(c for c in first.claims if c.text == BIKES)
    store.remove_claim(bikes.id)
    after = analyze_article(store, ArticleDraft(ARTICLE_B, title="B"), engine=engine)
    assert BIKES_AGAIN not in {c.text for c in after.claims}
    assert JOBS in {c.text for c in after.claims}


def test_a_priority_given_moves_similar_claims_of_later_articles_but_keeps_them_claims(
    store: Store, nlp: Language, adjuster: FeedbackAdjuster
) -> None:
    from workbench import operations

    before = by_text(detect_claims(ARTICLE_B, nlp=nlp))
    first = analyse(store, ARTICLE_A, nlp, adjuster)
    operations.run(store, operations.set_priority(first[BIKES].id, "low"))
    assert store.chosen_priorities() == [(BIKES, "low", "high")]  # given, and shown before

    after = analyse(store, ARTICLE_B, nlp, adjuster)
    lowered = after[BIKES_AGAIN]
    assert CLAIM_THRESHOLD <= lowered.score < before[BIKES_AGAIN].score  # still a claim
    assert any(
        r.startswith("you lowered the priority of a similar claim (") for r in lowered.reasons
    )
    assert after[JOBS].score == before[JOBS].score
    assert MOOD_AGAIN not in after  # a priority never makes a sentence a claim

    # High, as it was shown: confirmed, so nothing to learn.
    operations.run(store, operations.set_priority(first[BIKES].id, "high"))
    confirmed = analyse(store, ARTICLE_B + " ", nlp, adjuster)[BIKES_AGAIN]
    assert confirmed.score == before[BIKES_AGAIN].score
    assert not any("priority of a similar claim" in r for r in confirmed.reasons)
    operations.run(store, operations.set_priority(first[BIKES].id, ""))  # the detector's again
    assert store.chosen_priorities() == []


def test_a_priority_learns_only_what_the_fact_checker_changed() -> None:
    """Confirming the medium a claim already showed was learnt as "lowered" (review)."""
    from workbench.nlp.feedback import corrections_from_priorities

    found = corrections_from_priorities(
        [("Up.", "high", "medium"), ("Down.", "medium", "high"), ("As shown.", "medium", "medium")]
    )
    assert [(c.text, c.direction, c.kind) for c in found] == [
        ("Up.", 1, "priority"),
        ("Down.", -1, "priority"),
    ]


@pytest.mark.parametrize(
    "damage",
    [
        "UPDATE claim_feedback SET text = x'4142'",  # a blob: no CHECK stops it
        "UPDATE claims SET chosen_priority = 'urgent' WHERE chosen_priority != ''",
        "UPDATE claims SET chosen_priority = 'High' WHERE chosen_priority != ''",
        "UPDATE claims SET text = x'4142' WHERE chosen_priority != ''",
    ],
    ids=["feedback-blob", "priority-unknown", "priority-capitalised", "prioritised-blob"],
)
def test_a_correction_damaged_by_hand_is_left_out_and_analysis_goes_on(
    tmp_path: Path, nlp: Language, encoder: SentenceEncoder, damage: str
) -> None:
    # An audit: each of these made every later analysis (and `show` of the article)
    # end as "unexpected TypeError/ValueError ... this is a bug".
    import sqlite3

    from workbench import operations
    from workbench.priority import PriorityThresholds

    path = tmp_path / "w.db"
    engine = Engine(pipeline=lambda: nlp, encoder=lambda: encoder)
    with Store(path) as store:
        first = {
            c.text: c for c in analyze_article(store, ArticleDraft(ARTICLE_A), engine=engine).claims
        }
        operations.run(store, operations.set_priority(first[BIKES].id, "low"))
        start = ARTICLE_A.index(MOOD)
        store.add_claim(first[BIKES].article_id, start, start + len(MOOD))
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA ignore_check_constraints = ON")
    conn.execute(damage)
    conn.commit()
    conn.close()
    with Store(path) as store:
        after = analyze_article(store, ArticleDraft(ARTICLE_B), engine=engine).claims
        assert JOBS in {c.text for c in after}
        claims = store.claims(first[BIKES].article_id)
        thresholds = PriorityThresholds.load(store, first[BIKES].article_id)
        assert all(thresholds.of(c) for c in claims)  # `show` grades every claim


def test_a_correction_over_a_whole_article_is_compared_on_its_beginning_only() -> None:
    # An audit: a claim added over a whole article (up to a million characters) was
    # tokenised in full before every analysis (3 s of CPU and 170 MB each time).
    from workbench.nlp.feedback import MAX_TEXT_CHARS

    seen: list[int] = []

    class Recorder:
        def embed(self, texts: Sequence[str], *, workers: int | None = None) -> FloatMatrix:
            seen.extend(len(t) for t in texts)
            return np.ones((len(texts), 2), dtype=np.float32) / np.sqrt(2)

    whole = f"{BIKES} " * 12_000  # a million characters
    adjuster = FeedbackAdjuster(encoder=lambda: Recorder())
    adjuster.update([(whole, 1)], [(whole + "!", "high", "low")])
    assert [len(c.text) for c in adjuster.corrections] == [MAX_TEXT_CHARS] * 2
    (moved,) = adjuster.adjust([whole], [ClaimScore(0.2, ())])
    assert max(seen) == MAX_TEXT_CHARS
    assert moved.score > 0.2
    words = FeedbackAdjuster(encoder=lambda: None)
    words.update([(whole, 0)])
    assert words.similarities([whole]).tolist() == [[1.0]]
