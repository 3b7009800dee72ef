"""Article-aware sentence splitting: the units a fact-checker reads and the detector scores.

News text breaks generic splitters in predictable ways: paragraph breaks without final
punctuation (headlines, captions), quotations followed by their attribution
("“...,” he said."), abbreviations before names and numbers ("Rep. Lee", "Nov. 24",
"U.S. President") and photo credits ("... Thursday. (Yonhap) The delegation").

A quotation of several sentences is several units, one per sentence: each is a claim of
its own to check, and :mod:`workbench.nlp.attribution` gives every one of them the
speaker named after or before the quotation. A quoted question or exclamation stays
with its attribution ("“Why now?” Kim asked."): cut there, "Kim asked." would be a
unit of two words.
The ``article_sentencizer`` component handles these with rules over the tokens of
``spacy.blank("en")``; it needs no trained model.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from typing import cast

import numpy

from workbench.nlp.spacy_import import import_spacy

import_spacy()  # whole, before its parts (see import_spacy)

# isort: split
from spacy.attrs import SENT_START  # noqa: E402
from spacy.language import Language  # noqa: E402
from spacy.tokens import Doc  # noqa: E402
from thinc.types import Ints2d  # noqa: E402

log = logging.getLogger("workbench.nlp")

LINE_BREAKS = frozenset("\n\r\u2028\u2029\x0b\x0c\x85")
"""Characters that end a line: every line break is a hard sentence boundary."""


def _word_set(text: str) -> frozenset[str]:
    return frozenset(text.split())


_FINAL_CHARS = frozenset(".!?…")
_CLOSERS = frozenset({"”", "’", '"', "'", ")", "]", "»", "›"})
OPEN_QUOTES = frozenset({"“", "«", "„"})
CLOSE_QUOTES = frozenset({"”", "»"})
STRAIGHT_QUOTE = '"'
"""Quotation marks that open, close, or do either (attribution reads quotes with them)."""
_NO_SPLIT_BEFORE = frozenset(",;:)]}%”’»-–—/")

TITLE_ABBREVIATIONS = _word_set(
    """Mr Mrs Ms Messrs Mmes Dr Drs Rep Reps Sen Sens Gov Govs Gen Lt Col Sgt Capt Cmdr Cdr
    Adm Maj Brig Cpl Pvt Prof Rev Hon Pres Supt Det Insp Amb Atty Fr Rt Mt Ft Gens Hon
    e.g i.e E.g I.e cf vs v viz"""
)
"""Abbreviations that precede a name or an example: a period after them never ends a sentence."""

NUMBER_ABBREVIATIONS = _word_set("No no Nos nos p pp Vol vol Fig fig Figs Art art Sec sec Ch ch")
"""Abbreviations that precede a number ("No. 10", "p. 5"): no break before a digit."""

AMBIGUOUS_ABBREVIATIONS = _word_set(
    """etc Jr Sr Bros Ave Blvd Rd Univ Dept Corp Inc Ltd Co al approx est Jan Feb Mar Apr Jun
    Jul Aug Sep Sept Oct Nov Dec Mon Tue Tues Wed Thu Thur Thurs Fri Sat Sun"""
)
"""Abbreviations that can also end a sentence ("... and Co. The next day")."""

SENTENCE_STARTERS = _word_set(
    """The A An He She It They We I You This That These Those There Here His Her Its Their
    Our My Your In On At For From By With Without To But And Or So Yet However Meanwhile
    Also After Before When While Since Although Though If As Because According Some Many
    Most Other Another Both Each Every All No None One Two Three Several Officials Police
    Later Earlier Then Now Today Yesterday Last Next Still Even Only Among During Under Over
    What Who Why How Where Which Despite Instead Indeed Thus Therefore Moreover Furthermore
    Further Finally First Second Third Asked Speaking Image Photo Video Audio
    File Source Sources"""
)
"""Words that usually begin a sentence: after an ambiguous abbreviation they signal a break."""

ATTRIBUTION_VERBS = _word_set(
    """said says say told tells added adds asked asks wrote writes explained explains noted
    notes stated states continued continues replied replies insisted insists argued argues
    warned warns declared declares claimed claims recalled recalls remarked observed
    announced announces according answered answers responded responds admitted admits
    conceded concedes confirmed confirms denied denies pointed shouted yelled tweeted posted"""
)
"""Verbs that attribute a quotation to a speaker ("he said", "said Kim", "she told reporters")."""

MAX_QUOTE_SENTENCES = 1
"""An attributed quotation of at most this many sentences stays one unit.

1: every quoted sentence is a unit of its own (issue 12: a fact-checker checks, and
attributes, each one). A larger value joins short quotations back into one unit, as the
sentencizer once did by default (``nlp.add_pipe("article_sentencizer", config=...)``).
"""

MAX_CAPTION_TOKENS = 14
"""A parenthesis this short after a sentence ("(Yonhap)", "(AP Photo/...)") is a credit."""


@dataclass(frozen=True, slots=True)
class _Boundary:
    """A candidate sentence start: the token index, and whether quotes may merge it away."""

    start: int
    mergeable: bool = True


def _is_line_break(word: str) -> bool:
    return word[:1].isspace() and any(char in LINE_BREAKS for char in word)


def _is_final_punct(word: str) -> bool:
    return bool(word) and all(char in _FINAL_CHARS for char in word)


def _starts_sentence(word: str) -> bool:
    """Whether ``word`` may begin a sentence after final punctuation (not lowercase, not ``,``)."""
    first = word[:1]
    if not first or first.islower() or first in _NO_SPLIT_BEFORE:
        return False
    return not first.isspace()


def _abbreviation_stem(words: Sequence[str], spaces: Sequence[bool], i: int) -> str | None:
    """The abbreviation that the period at ``i`` closes, or None when it is a plain period."""
    word = words[i]
    if word != "." and word.endswith(".") and any(char.isalpha() for char in word):
        return word[:-1]
    if word == "." and i > 0 and not spaces[i - 1]:
        previous = words[i - 1]
        if (
            previous in TITLE_ABBREVIATIONS
            or previous in NUMBER_ABBREVIATIONS
            or previous in AMBIGUOUS_ABBREVIATIONS
            or (len(previous) == 1 and previous.isupper())
        ):
            return previous
    return None


def _abbreviation_ends_sentence(stem: str, following: str) -> bool:
    """Whether a period after abbreviation ``stem`` ends the sentence before ``following``."""
    if stem in TITLE_ABBREVIATIONS:
        return False
    if stem in NUMBER_ABBREVIATIONS:
        return not following[:1].isdigit() and _starts_sentence(following)
    return following in SENTENCE_STARTERS or following[:1] in OPEN_QUOTES


def _skip_spaces(words: Sequence[str], j: int) -> int:
    """The first index at or after ``j`` that is not a (non-line-break) whitespace token."""
    n = len(words)
    while j < n and words[j][:1].isspace() and not _is_line_break(words[j]):
        j += 1
    return j


def _caption_end(words: Sequence[str], start: int) -> int | None:
    """The index of the ``)`` closing a short credit that opens at ``start``, if there is one."""
    limit = min(len(words), start + MAX_CAPTION_TOKENS + 1)
    for j in range(start + 1, limit):
        word = words[j]
        if word == ")":
            return j
        if word == "(" or _is_line_break(word) or _is_final_punct(word):
            return None
    return None


def _candidate_boundaries(
    words: Sequence[str], spaces: Sequence[bool]
) -> tuple[list[int], list[_Boundary]]:
    """Hard boundaries (after line breaks) and soft ones (after final punctuation)."""
    n = len(words)
    hard: list[int] = []
    soft: list[_Boundary] = []
    sentence_begin = 0
    i = 0
    while i < n:
        word = words[i]
        if _is_line_break(word):
            if i + 1 < n:
                hard.append(i + 1)
                sentence_begin = i + 1
            i += 1
            continue
        if word[-1:] not in _FINAL_CHARS:
            i += 1
            continue
        stem = _abbreviation_stem(words, spaces, i)
        if stem is None and not _is_final_punct(word):
            i += 1
            continue
        # Take in the punctuation and closing quotes or brackets attached to this one.
        j = i + 1
        while j < n and (_is_final_punct(words[j]) or (words[j] in _CLOSERS and not spaces[j - 1])):
            j += 1
        k = _skip_spaces(words, j)
        if k >= n or _is_line_break(words[k]):
            i = k
            continue
        following = words[k]
        if stem is not None:
            if _abbreviation_ends_sentence(stem, following):
                soft.append(_Boundary(k))
                sentence_begin = k
            i = k
            continue
        if following == "(":
            caption_end = _caption_end(words, k)
            if caption_end is not None:
                after = _skip_spaces(words, caption_end + 1)
                if (
                    after < n
                    and not _is_line_break(words[after])
                    and _starts_sentence(words[after])
                ):
                    soft.append(_Boundary(after, mergeable=False))
                    sentence_begin = after
                i = after
                continue
            if k + 1 < n and _starts_sentence(words[k + 1]):
                soft.append(_Boundary(k))
                sentence_begin = k
            i = k
            continue
        marker = words[sentence_begin]
        list_marker = i - sentence_begin == 1 and (
            marker.isdigit() or (len(marker) == 1 and marker.isalpha())
        )
        if _starts_sentence(following) and not list_marker:
            soft.append(_Boundary(k))
            sentence_begin = k
        i = k
    return hard, soft


def _quote_regions(words: Sequence[str]) -> list[tuple[int, int]]:
    """Pairs (open, close) of double-quote token indices; quotes never span a line break."""
    regions: list[tuple[int, int]] = []
    opened: int | None = None
    for i, word in enumerate(words):
        if word in OPEN_QUOTES:
            opened = i
        elif word in CLOSE_QUOTES:
            if opened is not None:
                regions.append((opened, i))
            opened = None
        elif word == STRAIGHT_QUOTE:
            if opened is None:
                opened = i
            else:
                regions.append((opened, i))
                opened = None
        elif _is_line_break(word):
            opened = None
    return regions


def _has_attribution(words: Sequence[str], start: int, stop: int, step: int) -> bool:
    """Whether an attribution verb appears between ``start`` and ``stop`` before a break."""
    for j in range(start, stop, step):
        if not 0 <= j < len(words):
            return False
        word = words[j]
        if _is_line_break(word) or _is_final_punct(word):
            return False
        if word in ATTRIBUTION_VERBS:
            return True
    return False


def _quote_is_attributed(words: Sequence[str], opened: int, closed: int) -> bool:
    """Whether the quotation is tied to its speaker: ``“...,” he said`` or ``he said: “...”``."""
    closing_punct = words[closed - 1] if closed > opened + 1 else ""
    after = _skip_spaces(words, closed + 1)
    if closing_punct in {",", "?", "!", "—", "–", "-", "…", "?!", "!?"} and after < len(words):
        following = words[after]
        if following[:1].islower() or _has_attribution(words, after, after + 6, 1):
            return True
    return _has_attribution(words, opened - 1, opened - 13, -1)


def sentence_starts(doc: Doc, *, max_quote_sentences: int = MAX_QUOTE_SENTENCES) -> list[bool]:
    """Decide, for every token of ``doc``, whether it begins a sentence (pure: no side effects)."""
    words = [token.text for token in doc]
    spaces = [bool(token.whitespace_) for token in doc]
    starts = [False] * len(words)
    if not words:
        return starts
    hard, soft = _candidate_boundaries(words, spaces)
    merged: set[int] = set()
    if soft:
        for opened, closed in _quote_regions(words):
            inside = [b.start for b in soft if b.mergeable and opened < b.start <= closed]
            after = _skip_spaces(words, closed + 1)
            joins_tail = words[closed - 1] in {"?", "!", "?!", "!?"}
            if (inside or joins_tail) and _quote_is_attributed(words, opened, closed):
                if len(inside) < max_quote_sentences:
                    merged.update(inside)
                if joins_tail:
                    merged.add(after)
    starts[0] = True
    for index in hard:
        starts[index] = True
    for boundary in soft:
        if boundary.start not in merged:
            starts[boundary.start] = True
    return starts


class ArticleSentencizer:
    """Sets ``Token.is_sent_start`` on every token with the article rules of this module."""

    def __init__(
        self, nlp: Language, name: str, *, max_quote_sentences: int = MAX_QUOTE_SENTENCES
    ) -> None:
        self.name = name
        self.max_quote_sentences = max_quote_sentences

    def __call__(self, doc: Doc) -> Doc:
        self.set_annotations(doc, self.match(doc))
        return doc

    def match(self, doc: Doc) -> list[bool]:
        """The sentence starts for ``doc``, one flag per token."""
        return sentence_starts(doc, max_quote_sentences=self.max_quote_sentences)

    def set_annotations(self, doc: Doc, starts: Sequence[bool]) -> None:
        """Write ``starts`` into ``doc``; every token gets a definite value.

        One ``Doc.from_array`` call: assigning ``token.is_sent_start`` token by token
        rescans the whole document on each assignment, quadratic on long articles.
        """
        if len(starts) != len(doc):
            raise ValueError(f"{len(starts)} sentence starts for {len(doc)} tokens")
        if not starts:
            return
        flags = numpy.where(numpy.asarray(starts, dtype=bool), 1, -1).astype(numpy.int64)
        doc.from_array([SENT_START], cast(Ints2d, flags.view(numpy.uint64).reshape(-1, 1)))


@Language.factory(
    "article_sentencizer",
    default_config={"max_quote_sentences": MAX_QUOTE_SENTENCES},
    assigns=["token.is_sent_start", "doc.sents"],
)
def make_article_sentencizer(
    nlp: Language, name: str, max_quote_sentences: int
) -> ArticleSentencizer:
    """The spaCy factory for :class:`ArticleSentencizer`."""
    return ArticleSentencizer(nlp, name, max_quote_sentences=max_quote_sentences)
