from __future__ import annotations

from workbench.analysis import sentence_bounds

TEXT = (
    "Officials said on Monday that 300 homes were destroyed. The mayor resigned in 2019.\n\n"
    "“We will rebuild,” she said."
)


def test_a_partial_claim_extends_to_its_sentence() -> None:
    start = TEXT.index("300 homes")
    assert sentence_bounds(TEXT, start, start + 9) == (0, TEXT.index(" The mayor"))


def test_a_claim_across_two_sentences_covers_both() -> None:
    start = TEXT.index("homes")
    end = TEXT.index("resigned")
    assert sentence_bounds(TEXT, start, end) == (0, TEXT.index("\n\n"))


def test_quote_and_attribution_are_one_sentence() -> None:
    start = TEXT.index("rebuild")
    first, last = sentence_bounds(TEXT, start, start + 7)
    assert TEXT[first:last] == "“We will rebuild,” she said."
