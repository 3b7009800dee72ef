"""The training data's hard negatives: debate sentences retold as news reports them."""

from __future__ import annotations

import random
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "scripts"))

from reported_speech import retell, retold, third_person


def test_a_sentence_retold_keeps_its_words_inside_a_frame_of_speech() -> None:
    sentence = "Unemployment fell to 3.5 percent last year."
    for seed in range(40):
        told = retell(sentence, random.Random(seed))
        assert "nemployment fell to 3.5 percent last year" in told
        assert told != sentence
        assert told[0].isupper() or told[0] == "“"


def test_the_first_person_is_quoted_or_reported_as_they() -> None:
    told = {retell("I think we should cut our taxes.", random.Random(seed)) for seed in range(60)}
    quoted = {t for t in told if t.startswith("“I think we should cut our taxes")}
    reported = told - quoted
    assert quoted and reported
    assert all("they think they should cut their taxes" in t for t in reported)


def test_questions_and_sentences_that_address_someone_are_only_quoted() -> None:
    for seed in range(40):
        rng = random.Random(seed)
        assert retell("Is that fair to workers?", rng).startswith("“Is that fair to workers?”")
        assert retell("I told you we would win.", rng).startswith("“I told you we would win,”")


def test_third_person_keeps_the_verbs_right_and_leaves_us_the_country() -> None:
    assert third_person("I am sure we were right, and I'm proud of us.") == (
        "they are sure they were right, and they're proud of them."
    )
    assert third_person("The US and our allies agree.") == "The US and their allies agree."
    assert third_person("You know I am right.") is None


def test_retold_keeps_each_label_and_is_seeded() -> None:
    texts = [f"The deficit grew by {n} billion dollars in 2019." for n in range(50)]
    texts += [f"We need to do better for family number {n}." for n in range(50)]
    labels = [1] * 50 + [0] * 50
    first = retold(texts, labels, 0.4, seed=7)
    assert first == retold(texts, labels, 0.4, seed=7)
    assert len(first[0]) == 40
    for text, label in zip(*first, strict=True):
        assert ("deficit grew" in text) == bool(label)
