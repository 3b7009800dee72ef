"""The bundled ONNX models: they load offline, score the right way round, and fail soft."""

from __future__ import annotations

import io
import json
import shutil
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from workbench import cli
from workbench.engine import Engine
from workbench.nlp import (
    ModelStatus,
    build_pipeline,
    claim_detector,
    detect_claims,
    detect_claims_many,
    load_checkworthiness_model,
    score_sentences,
)
from workbench.nlp.encoder import (
    CHECKWORTHINESS_DIR,
    ENCODER_DIR,
    CheckworthinessModel,
    ModelLoadError,
    SentenceEncoder,
    length_batches,
)

REPO = Path(__file__).resolve().parents[2]
CLAIM = "The unemployment rate fell to 3.5% in 2019."
NON_CLAIM = "Thank you all for coming tonight."

needs_model = pytest.mark.skipif(
    not (CHECKWORTHINESS_DIR / "model.onnx").exists(), reason="no bundled check-worthiness model"
)


@pytest.fixture(scope="module")
def model() -> CheckworthinessModel:
    if not (CHECKWORTHINESS_DIR / "model.onnx").exists():
        pytest.skip("no bundled check-worthiness model")
    return CheckworthinessModel()


@pytest.fixture(scope="module")
def encoder() -> SentenceEncoder:
    return SentenceEncoder()


# --- check-worthiness ------------------------------------------------------------------


def test_checkworthiness_model_loads_and_scores_the_right_way_round(
    model: CheckworthinessModel,
) -> None:
    claim, thanks, question = model.probabilities(
        [CLAIM, NON_CLAIM, "What do you think we should do about it?"]
    )
    assert claim > model.threshold > thanks
    assert claim > question
    assert 0.0 < model.threshold < 1.0


def test_checkworthiness_keeps_input_order_across_batches(model: CheckworthinessModel) -> None:
    texts = [NON_CLAIM if i % 3 else CLAIM + " " * (i % 5) for i in range(70)]
    probabilities = model.probabilities(texts)
    assert len(probabilities) == 70
    assert all((p > model.threshold) == (i % 3 == 0) for i, p in enumerate(probabilities))
    assert model.probabilities([]) == []


@needs_model
def test_batches_run_at_once_score_exactly_as_one_after_another() -> None:
    """Running batches on several threads is only about speed: the same batches are
    formed whatever the number of workers, so every probability is the same, in input
    order."""
    sentence = "The minister said that unemployment fell by 3.5% in 2019 while prices rose"
    texts = [sentence[: 12 + 5 * (i % 13)] + f" ({i})." for i in range(150)]
    texts += [CLAIM, NON_CLAIM, "Why?"]
    serial, parallel = CheckworthinessModel(workers=1), CheckworthinessModel(workers=3)
    for batch in (texts, texts[::-1], texts[:40], [CLAIM]):
        assert parallel.probabilities(batch) == serial.probabilities(batch)
    scores = parallel.probabilities(texts)
    assert scores[-3] > parallel.threshold > scores[-2]  # still in input order


def test_the_model_uses_one_worker_per_core_by_default() -> None:
    from workbench.nlp.encoder import MAX_WORKERS, default_workers, physical_cores

    assert physical_cores() >= 1
    assert default_workers() == min(physical_cores(), MAX_WORKERS)


@needs_model
def test_detector_names_the_model_and_the_rules_in_its_reasons() -> None:
    assert Engine().model_status().available
    nlp = build_pipeline()
    [(score, reasons)] = score_sentences([CLAIM], nlp=nlp)
    assert score >= claim_detector(nlp).threshold
    assert any(reason.startswith("model: ") for reason in reasons)
    assert "percentage: 3.5%" in reasons


ARTICLES = [
    "North Korea sent some 12,000 troops to Russia, the Ukrainian defense minister said on "
    "Wednesday.\n\n“I’m not supposed to give more details,” he added.\n\nOn Thursday, 70 "
    "lawmakers of the Democratic Party introduced a resolution urging the government to end "
    "its involvement.\n\nWill the war end soon?\n\nMOST POPULAR",
    f"{CLAIM} {NON_CLAIM} What do you think we should do about it?",
    "Prices of rice rose by a third in Japan last year. Growers blamed the heat of 2023. "
    "Photo by Lee Jin-man. The government released 210,000 tonnes from its reserves.",
]


class Counting:
    """Wraps a probability model, counting the sentences it is asked about."""

    def __init__(self, model: CheckworthinessModel) -> None:
        self.model = model
        self.sentences = 0

    def __call__(self, texts: Sequence[str]) -> list[float]:
        self.sentences += len(texts)
        return self.model(texts)


@needs_model
def test_a_cached_score_equals_a_fresh_score(model: CheckworthinessModel) -> None:
    nlp = build_pipeline(use_model=False)
    detector = claim_detector(nlp)
    detector.probability_model = counting = Counting(model)
    first = [detect_claims(text, nlp=nlp) for text in ARTICLES]
    asked = counting.sentences
    assert asked and len(detector.cache) == asked
    assert [detect_claims(text, nlp=nlp) for text in ARTICLES] == first
    assert counting.sentences == asked  # analysing again cost no model time
    detector.cache.clear()
    assert [detect_claims(text, nlp=nlp) for text in ARTICLES] == first
    assert counting.sentences == 2 * asked


UNSURE = [
    "Growers blamed the heat of 2023.",
    "Congress has proven itself ineffective as a body.",
    "Water is the main killer in these storms.",
    "The results we got are very reliable.",
    "Rudenko said in a Nov. 24 interview that ties would suffer.",
    "The committee met in the afternoon.",
]
"""Sentences the model is unsure of, where a change in its probability shows in the score."""


def test_a_sentence_scores_the_same_whatever_is_scored_beside_it(
    model: CheckworthinessModel,
) -> None:
    """The int8 model quantises its activations over a whole batch: batched, a
    sentence's probability moved with the sentences beside it, most where the model is
    unsure (here by up to 0.11), and a claim was flagged in one article, not in
    another. Each sentence is now run alone."""
    together = model.probabilities([*UNSURE, *ARTICLES, CLAIM, NON_CLAIM])[: len(UNSURE)]
    alone = [model.probabilities([sentence])[0] for sentence in UNSURE]
    assert together == alone


@needs_model
def test_many_articles_at_once_flag_what_one_at_a_time_flags() -> None:
    many = detect_claims_many(ARTICLES, nlp=build_pipeline())
    one_nlp = build_pipeline()  # its own detector, so its own cache
    one = [detect_claims(text, nlp=one_nlp) for text in ARTICLES]
    assert [[c.text for c in claims] for claims in many] == [
        [c.text for c in claims] for claims in one
    ]
    assert [c.score for claims in many for c in claims] == [
        c.score for claims in one for c in claims
    ]


# --- the plain sentence encoder ----------------------------------------------------------


def test_encoder_gives_unit_vectors_that_rank_paraphrases_first(encoder: SentenceEncoder) -> None:
    vectors = encoder.embed(
        [
            "North Korea sent 12,000 troops to Russia.",
            "About 12,000 North Korean soldiers have been deployed to Russia.",
            "The price of rice rose in Japan.",
            "A man is eating food.",
            "A man is eating a piece of bread.",
            "The new movie is awesome.",
        ]
    )
    assert vectors.shape == (6, 384)
    assert vectors.dtype == np.float32
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-4)
    assert vectors[0] @ vectors[1] > 0.6 > vectors[0] @ vectors[2]
    assert vectors[3] @ vectors[4] > 0.6 > vectors[3] @ vectors[5]
    assert encoder.embed([]).shape == (0, 384)


def test_embedding_each_text_alone_gives_exactly_the_vectors_of_one_call_each(
    encoder: SentenceEncoder,
) -> None:
    """``embed_each`` tokenises the texts together but runs each alone: the very vectors
    of ``embed([text])`` (int8 activations are scaled per batch, so a batch would not),
    and it stops, with None, once ``cancel()`` says so."""
    texts = [
        "North Korea sent 12,000 troops to Russia.",
        "A much longer sentence, with many more word pieces than the short one before it.",
        "Hi",
        "",
        "The new movie is awesome.",
    ]
    each = encoder.embed_each(texts)
    assert each is not None and each.dtype == np.float32
    assert np.array_equal(each, np.vstack([encoder.embed([t]) for t in texts]))
    assert np.array_equal(encoder.embed_each(texts, workers=2), each)  # two at once
    assert encoder.embed_each([]).shape == (0, 384)  # type: ignore[union-attr]
    asked: list[int] = []
    assert encoder.embed_each(texts, cancel=lambda: asked.append(1) or len(asked) > 2) is None
    assert len(asked) == 3


# --- falling back to the rules -------------------------------------------------------------


def test_a_missing_model_falls_back_to_the_rules(tmp_path: Path) -> None:
    model, status = load_checkworthiness_model(tmp_path / "nowhere")
    assert model is None
    assert not status.available
    assert "rules alone" in status.message
    with pytest.raises(ModelLoadError, match="cannot load"):
        CheckworthinessModel(tmp_path / "nowhere")


def test_a_corrupt_model_falls_back_to_the_rules(tmp_path: Path) -> None:
    broken = tmp_path / "checkworthiness"
    shutil.copytree(ENCODER_DIR, broken)
    (broken / "model.onnx").write_bytes(b"not an onnx file at all")
    model, status = load_checkworthiness_model(broken)
    assert model is None
    assert "unavailable" in status.message


def test_the_detector_runs_on_rules_when_the_model_is_unavailable() -> None:
    nlp = build_pipeline(use_model=False)
    assert claim_detector(nlp).probability_model is None
    claims = detect_claims(f"{CLAIM} {NON_CLAIM}", nlp=nlp)
    assert [claim.text for claim in claims] == [CLAIM]
    assert not any(reason.startswith("model: ") for reason in claims[0].reasons)


def test_score_says_once_when_the_model_is_unavailable(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    rules_only = build_pipeline(use_model=False)
    engine = Engine(
        pipeline=lambda: rules_only,
        checkworthiness=lambda: (None, ModelStatus(False, "no model (test)")),
    )
    sentences = tmp_path / "s.jsonl"
    sentences.write_text(json.dumps({"id": 1, "text": CLAIM}) + "\n", encoding="utf-8")
    out = io.StringIO()
    assert cli.main(["score", "--sentences", str(sentences), "--json"], out=out, engine=engine) == 0
    assert json.loads(out.getvalue())["checkworthy"] is True
    assert capsys.readouterr().err.count("no model (test)") == 1


# --- workbench score ----------------------------------------------------------------------


def test_score_prints_one_json_line_per_sentence(tmp_path: Path) -> None:
    sentences = tmp_path / "sentences.jsonl"
    rows = [{"id": "a", "text": CLAIM}, {"id": 7, "text": NON_CLAIM}]
    sentences.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    out = io.StringIO()
    assert cli.main(["score", "--sentences", str(sentences), "--json"], out=out) == 0
    lines = [json.loads(line) for line in out.getvalue().splitlines()]
    assert [set(line) for line in lines] == [{"id", "score", "checkworthy"}] * 2
    assert [line["id"] for line in lines] == ["a", 7]
    assert lines[0]["checkworthy"] is True and lines[1]["checkworthy"] is False
    assert 0.0 <= lines[1]["score"] < lines[0]["score"] <= 1.0


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (None, "cannot read"),
        ("{not json\n", "line 1: not valid JSON"),
        ('{"id": 1}\n', "line 1"),
        ('{"id": 1, "text": "A."}\n{"text": "No id."}\n', 'line 2: expected an object with "id"'),
    ],
)
def test_score_refuses_bad_input_in_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], content: str | None, message: str
) -> None:
    path = tmp_path / "sentences.jsonl"
    if content is not None:
        path.write_text(content, encoding="utf-8")
    assert cli.main(["score", "--sentences", str(path), "--json"], out=io.StringIO()) == 2
    err = capsys.readouterr().err
    assert err.startswith("workbench: error: ") and message in err
    assert err.count("\n") == 1


@settings(max_examples=60, deadline=None)
@given(
    lengths=st.lists(st.integers(min_value=2, max_value=64), max_size=120),
    size=st.integers(min_value=1, max_value=40),
    padding=st.integers(min_value=0, max_value=4),
)
def test_length_batches_cover_every_sentence_once_within_the_padding(
    lengths: list[int], size: int, padding: int
) -> None:
    array = np.array(lengths, dtype=np.int64)
    batches = length_batches(array, size=size, max_padding=padding)
    assert sorted(int(i) for batch in batches for i in batch) == list(range(len(lengths)))
    for batch in batches:
        assert 1 <= len(batch) <= size
        assert int(array[batch].max() - array[batch].min()) <= padding
