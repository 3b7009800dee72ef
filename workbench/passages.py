"""A document's text cut into passages: a paragraph, or a few sentences, of 70 to 150 words.

The evidence library (:mod:`workbench.evidence_library`) searches passages, not whole
documents: a suggestion should be something a fact-checker can read at a glance and
quote. A paragraph of a usual length is one passage; short ones (a heading, a one-line
paragraph) join the paragraphs after them; a long one is cut at sentence ends. Each
passage is a span of the text as the readers give it (``text[start:end]``), so that a
quote taken from it points into the document.

Pure Python and regular expressions: splitting the 15 million words of a large
library with the spaCy pipeline would take minutes, and passages need no more than
sentence ends that are right nearly always.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

__all__ = ["MAX_WORDS", "MIN_WORDS", "TARGET_WORDS", "PassageSpan", "split_passages"]

MIN_WORDS = 70
"""A paragraph shorter than this joins the next one (while the two stay within
:data:`MAX_WORDS`): a heading or a one-line paragraph says little on its own, and
news paragraphs (30 to 40 words) go two or three to a passage. Fewer passages are
fewer to embed: at 40 words the 19,250 PolitiFact articles made 260,000 passages, at
70 170,000."""
TARGET_WORDS = 110
"""A long paragraph is cut into pieces of about this many words, at sentence ends."""
MAX_WORDS = 150
"""No passage is longer than this, unless one sentence alone is (then it is cut
between words)."""

_LINE = re.compile(r"[^\n]+")
_WORD = re.compile(r"\S+")
# A sentence ends at . ! ? or … (and any closing quotes or brackets after it), before
# white space and something that can begin a sentence.
_SENTENCE_END = re.compile(r"[.!?…]+[\"'”’)\]»]*(?=\s+[\"'“‘(\[«]?[A-Z0-9])")
_ABBREVIATION = re.compile(
    r"(?:\b(?:Mr|Mrs|Ms|Dr|Prof|Sr|Jr|St|Mt|Ft|Gen|Gov|Sen|Rep|Rev|Col|Lt|Capt|Sgt|Hon|Pres"
    r"|Inc|Ltd|Co|Corp|No|Nos|Vol|vs|v|cf|al|etc|approx|est|Fig|Sec|Art|pp|p|Jan|Feb|Mar|Apr"
    r"|Jun|Jul|Aug|Sep|Sept|Oct|Nov|Dec)|\b[A-Z]|\b(?:[A-Za-z]\.){1,4}[A-Za-z])\.$"
)
"""A word before a period that does not end a sentence: a title, "Jan.", an initial, "U.S."."""


@dataclass(frozen=True, slots=True)
class PassageSpan:
    """One passage: ``text[start:end]`` of the document, and how many words it has."""

    start: int
    end: int
    words: int


def split_passages(
    text: str,
    *,
    min_words: int = MIN_WORDS,
    target_words: int = TARGET_WORDS,
    max_words: int = MAX_WORDS,
) -> list[PassageSpan]:
    """``text`` cut into passages, in order; together they hold every word of it.

    A line of the text is a paragraph (the readers put each paragraph on a line of
    its own). Passages never begin or end with white space.
    """
    units: list[PassageSpan] = []
    for line in _LINE.finditer(text):
        words = [(m.start(), m.end()) for m in _WORD.finditer(text, line.start(), line.end())]
        if not words:
            continue
        if len(words) <= max_words:
            units.append(PassageSpan(words[0][0], words[-1][1], len(words)))
        else:
            units.extend(_cut_paragraph(text, words, target_words, max_words))
    passages: list[PassageSpan] = []
    for unit in units:
        last = passages[-1] if passages else None
        if last is not None and last.words < min_words and last.words + unit.words <= max_words:
            passages[-1] = PassageSpan(last.start, unit.end, last.words + unit.words)
        else:
            passages.append(unit)
    if len(passages) > 1 and passages[-1].words < min_words:
        tail, before = passages.pop(), passages[-1]
        if before.words + tail.words <= max_words:
            passages[-1] = PassageSpan(before.start, tail.end, before.words + tail.words)
        else:
            passages.append(tail)
    return passages


def _cut_paragraph(
    text: str, words: list[tuple[int, int]], target: int, limit: int
) -> list[PassageSpan]:
    """A long paragraph (its ``words``' spans) in pieces of about ``target`` words."""
    ends = _sentence_ends(text, words[0][0], words[-1][1])
    pieces: list[PassageSpan] = []
    first, count = 0, len(words)  # the piece's first word, and the paragraph's words
    while first < count:
        if count - first <= limit:
            last = count - 1  # the rest fits
        else:
            # The first sentence end at or past the target, else the last one before.
            found = None
            for i in range(first, first + limit):
                if words[i][1] in ends:
                    found = i
                    if i - first + 1 >= target:
                        break
            too_short = found is None or found - first + 1 < target // 2
            last = first + target - 1 if too_short or found is None else found
        pieces.append(PassageSpan(words[first][0], words[last][1], last - first + 1))
        first = last + 1
    return pieces


def _sentence_ends(text: str, start: int, end: int) -> set[int]:
    """Offsets just after the sentence ends in ``text[start:end]``, where a word ends."""
    found = set()
    for m in _SENTENCE_END.finditer(text, start, end):
        word_start = text.rfind(" ", start, m.start()) + 1
        if m.group()[0] == "." and _ABBREVIATION.search(
            text[max(word_start, start) : m.start() + 1]
        ):
            continue
        found.add(m.end())
    return found
