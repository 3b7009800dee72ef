"""Sentence splitting as a fact-checker reads an article: one unit per claim, one per quoted
sentence, never a speaker cut from a quoted question."""

from __future__ import annotations

import pytest
import spacy
from spacy.language import Language

from workbench.nlp import load_pipeline
from workbench.nlp.sentences import sentence_starts


@pytest.fixture(scope="module")
def nlp() -> Language:
    return load_pipeline(use_trained=False)


def split(nlp: Language, text: str) -> list[str]:
    """The sentences of ``text`` as the pipeline cuts them, without surrounding whitespace."""
    doc = nlp(text)
    return [s.text.strip() for s in doc.sents if s.text.strip()]


def test_paragraph_breaks_are_hard_boundaries(nlp: Language) -> None:
    text = "Troops from the North\n\nThe talks began on Monday\nNo agreement was reached"
    assert split(nlp, text) == [
        "Troops from the North",
        "The talks began on Monday",
        "No agreement was reached",
    ]


def test_quote_stays_with_its_attribution(nlp: Language) -> None:
    text = "“We will respond in every way that we find necessary,” Rudenko said. He left."
    assert split(nlp, text) == [
        "“We will respond in every way that we find necessary,” Rudenko said.",
        "He left.",
    ]


def test_each_sentence_of_a_quotation_is_a_unit(nlp: Language) -> None:
    """Issue 12: a quote of several sentences is several claims, each checked on its own."""
    text = (
        "“The war Russia is waging right now is an illegal invasion. The United Nations "
        "has already characterized it as such,” Kim said. Rep. Lee said: “We sent 200 "
        "troops. They came back.” Nobody asked."
    )
    assert split(nlp, text) == [
        "“The war Russia is waging right now is an illegal invasion.",
        "The United Nations has already characterized it as such,” Kim said.",
        "Rep. Lee said: “We sent 200 troops.",
        "They came back.”",
        "Nobody asked.",
    ]


def test_quotations_can_be_kept_whole_by_setting() -> None:
    nlp = spacy.blank("en")
    nlp.add_pipe("article_sentencizer", config={"max_quote_sentences": 3})
    doc = nlp("“Troops arrived on Monday. They left on Friday,” he said. Then it rained.")
    assert [s.text.strip() for s in doc.sents] == [
        "“Troops arrived on Monday. They left on Friday,” he said.",
        "Then it rained.",
    ]


def test_quoted_question_stays_with_its_attribution(nlp: Language) -> None:
    assert split(nlp, "“Why now?” Kim asked. He got no answer.") == [
        "“Why now?” Kim asked.",
        "He got no answer.",
    ]


def test_sentence_after_a_quoted_phrase_is_separate(nlp: Language) -> None:
    text = (
        "Continuing, Kim said South Korea was “responding in solidarity with the "
        "international community” on aid to Ukraine. “I’m not supposed to give more "
        "details,” he added."
    )
    assert split(nlp, text) == [
        "Continuing, Kim said South Korea was “responding in solidarity with the "
        "international community” on aid to Ukraine.",
        "“I’m not supposed to give more details,” he added.",
    ]


def test_closing_quote_after_period_belongs_to_the_sentence(nlp: Language) -> None:
    assert split(nlp, "He said it was “over now.” Next, he left.") == [
        "He said it was “over now.”",
        "Next, he left.",
    ]


@pytest.mark.parametrize(
    "sentence",
    [
        "Rep. Lee Un-ju said on Nov. 24 that the U.S. President met Dr. Smith.",
        "Lt. Col. Smith and Sgt. Jones met Mr. and Mrs. Kim at No. 10 Downing St. on Monday.",
        "The novel by J. K. Rowling sold well in the U.K. and the U.S. last year.",
        "Prices rose, e.g. for rice, by 5 p.m. on Friday.",
    ],
)
def test_abbreviations_do_not_split(nlp: Language, sentence: str) -> None:
    assert split(nlp, sentence) == [sentence]


def test_abbreviation_at_sentence_end_still_splits(nlp: Language) -> None:
    assert split(nlp, "The troops returned to the U.S. The next day they left.") == [
        "The troops returned to the U.S.",
        "The next day they left.",
    ]


def test_caption_credit_does_not_glue_to_the_next_sentence(nlp: Language) -> None:
    one_line = "Kim speaks during a meeting Thursday. (Yonhap) The delegation arrived on Wednesday."
    assert split(nlp, one_line) == [
        "Kim speaks during a meeting Thursday. (Yonhap)",
        "The delegation arrived on Wednesday.",
    ]
    two_lines = "Kim speaks during a meeting Thursday. (Yonhap)\nThe delegation arrived."
    assert split(nlp, two_lines) == [
        "Kim speaks during a meeting Thursday. (Yonhap)",
        "The delegation arrived.",
    ]


def test_question_and_exclamation_marks_split(nlp: Language) -> None:
    assert split(nlp, "Is it true? Yes, it is! The vote passed.") == [
        "Is it true?",
        "Yes, it is!",
        "The vote passed.",
    ]


def test_lowercase_continuation_does_not_split(nlp: Language) -> None:
    assert split(nlp, "The figure was 3.5 per cent... or so officials said.") == [
        "The figure was 3.5 per cent... or so officials said."
    ]


def test_every_token_gets_a_definite_sentence_start(nlp: Language) -> None:
    doc = nlp("One sentence here. Another one there?\n\nA third, “quoted,” he said.")
    assert doc.has_annotation("SENT_START", require_complete=True)
    assert sentence_starts(doc) == [bool(token.is_sent_start) for token in doc]


def test_empty_and_blank_text(nlp: Language) -> None:
    assert split(nlp, "") == []
    assert split(nlp, " \n\n \n") == []
