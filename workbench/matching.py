"""Past-claim matching: has this claim been checked before?

Two stages. **Candidates** come from the archive's SQLite FTS5 index (BM25 over
claim text and title, porter stemming). **Re-ranking** computes a set of named
signals for each candidate (BM25, rapidfuzz similarities, how much of the past
claim the query covers, shared names, numbers and phrases), each in [0, 1], and
fuses them with a logistic model whose weights were fitted on the CheckThat!
claim-retrieval train splits (``scripts/fit_match_weights.py``). The result is a
calibrated, probability-like score: :data:`POSSIBLE_MATCH` and
:data:`STRONG_MATCH` are thresholds on it.

The fusion is open: a new signal (an embedding similarity, say) is one more entry
in :data:`SIGNALS` and one more weight in :data:`WEIGHTS`.

Every match is explained: the words, numbers and names both texts share, with
character spans in each so that a UI can highlight them side by side, and any
number or date on which the two differ (``12,000 vs 10,000``).
"""

from __future__ import annotations

import functools
import html
import itertools
import logging
import math
import operator
import re
import unicodedata
from collections import Counter
from collections.abc import Callable, Collection, Generator, Mapping, Sequence
from concurrent.futures import Future
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import TYPE_CHECKING, Any

import numpy as np
from rapidfuzz import fuzz

from workbench.engine import Engine, Memo
from workbench.errors import CancelledError
from workbench.ingest.normalize import fold_ligatures
from workbench.models import ArchiveClaim, Conflict, Match, MatchStrength, SharedTerm
from workbench.store import ArchiveCandidate, Store, fts_or_query

if TYPE_CHECKING:
    from concurrent.futures import ThreadPoolExecutor

    import numpy.typing as npt

    from workbench.nlp.encoder import SentenceEncoder
    from workbench.semantic import EmbeddingIndex

log = logging.getLogger("workbench.matching")

POSSIBLE_MATCH = 0.15
"""Scores at or above this are listed as similar past claims. On the pooled train splits,
the best match is the right earlier check 80 % of the time down to this score."""
STRONG_MATCH = 0.45
"""Scores at or above this earn a badge: on the pooled train splits the best match is the
right earlier check 90 % of the time down to this score."""
CANDIDATES = 50
"""How many FTS5 candidates are re-ranked per query."""
SEMANTIC_CANDIDATES = 30
"""How many nearest neighbours by embedding join them, when the archive has embeddings."""
MIN_NEIGHBOUR_COSINE = 0.3
"""A neighbour less similar than this is not a candidate (FTS5 hits are kept whatever
their cosine): on the train splits 1 % of the right past checks are below it."""
MAX_QUERY_TERMS = 40
"""A query with more distinct content words keeps only this many for FTS5 (the rarest)."""
POSTINGS_BUDGET = 20_000
"""Candidate search stops adding (ever commoner) query words once they occur in this many
past checks together: what bounds matching time on a million-claim archive."""
SEMANTIC_POSTINGS_BUDGET = 5_000
"""The budget when the archive has embeddings: its nearest neighbours stand in for what
the commoner words would have found. On the million-claim benchmark a 30-claim article
matches in 0.77 s instead of 1.04 s with 10,000. Dev queries that reach it: 1 on ct20,
65 on ct22, 4 on ct21; dev MAP@5 0.834 / 0.926 / 0.448 (with 10,000: 0.839 / 0.926 /
0.449, embedding noise included)."""
MIN_SEARCH_TERMS = 3
"""The rarest this many query words are always searched, whatever the budget."""
SHORT_CLAIM_TOKENS = 4
"""Past claims with fewer content words than this are scaled down in subset-based
signals, so that "The" or "U.S." cannot match every query perfectly."""
RECENCY_HALF_LIFE_DAYS = 3 * 365.0
"""With ``prefer_recent``, a check this old counts half as much towards ordering."""
RECENCY_SHARE = 0.15
"""With ``prefer_recent``, at most this share of the ordering key depends on age."""

# -- normalisation ------------------------------------------------------------------------

_URL = re.compile(r"(?:https?://|www\.|pic\.twitter\.com/)\S+", re.IGNORECASE)
_SIGNATURE = re.compile(
    r"[ \t]*[—–―-]{1,2}[ \t]*[^—–―\n]{0,80}?\(@\w{1,30}\)"
    r"(?:[ \t]*[A-Z][a-z]{2,8}\.?[ \t]+\d{1,2},?[ \t]+\d{4})?[ \t]*$"
)
_RETWEET = re.compile(r"^\s*RT\s+@\w+:\s*")
_QUOTES = str.maketrans(
    {"‘": "'", "’": "'", "‚": "'", "‛": "'", "′": "'", "“": '"', "”": '"', "„": '"', "‟": '"',
     "″": '"', "«": '"', "»": '"', "\u00a0": " ", "\u200b": ""}
)  # fmt: skip
_CAMEL = re.compile(r"[A-Z]+(?=[A-Z][a-z])|[A-Z]?[a-z]+|[A-Z]+|\d+")
_TAG = re.compile(r"(?<![\w@#])([@#])(\w+)")


def _removed_spans(text: str) -> list[tuple[int, int]]:
    """Parts of a pasted text that are not the claim: URLs, a tweet's signature, "RT @x:"."""
    spans = [m.span() for m in _URL.finditer(text)]
    if m := _RETWEET.match(text):
        spans.append(m.span())
    stripped = text.rstrip()
    if m := _SIGNATURE.search(stripped):
        spans.append(m.span())
    return sorted(spans)


def _fold(text: str) -> str:
    """Straight quotes, no zero-width or non-breaking spaces (lengths kept)."""
    return text.translate(_QUOTES)


def normalize_query(text: str) -> str:
    """A claim as pasted (a tweet, a quote) reduced to its words, for matching and display.

    Removes URLs, ``pic.twitter.com`` links, a leading ``RT @user:`` and a trailing
    ``— Name (@handle) May 1, 2020`` signature; turns ``@handles`` and ``#HashTags``
    into words (``#AustralianFires`` -> ``Australian Fires``); straightens curly
    quotes; unescapes HTML entities; folds white space. Case is kept (names matter
    for the explanation); matching itself ignores it.
    """
    text = html.unescape(text)
    pieces: list[str] = []
    last = 0
    for start, end in _removed_spans(text):
        if start >= last:
            pieces.append(text[last:start])
            last = end
    pieces.append(text[last:])
    cleaned = _fold(fold_ligatures(unicodedata.normalize("NFC", " ".join(pieces))))
    cleaned = _TAG.sub(lambda m: " ".join(_CAMEL.findall(m[2])) or m[2], cleaned)
    return " ".join(cleaned.split())


# -- tokens -------------------------------------------------------------------------------

_NUMBER_PATTERN = r"[$£€]?\d+(?:[.,]\d+)*(?:%| percent\b)?"
_WORD_PATTERN = r"[^\W\d_]+(?:'[^\W\d_]+)*"
_TOKEN = re.compile(rf"(?P<num>{_NUMBER_PATTERN})|(?P<word>{_WORD_PATTERN})")
_SENTENCE_END = re.compile(r"(?:^|[.!?:;\"(\[]\s*|\n)$")
"""Whether a word starts a sentence, given the (at most three) characters before it."""
_ENDS = r"[.!?:;\"(\[]"
_CONTENT_TOKEN = re.compile(
    rf"({_NUMBER_PATTERN})|(?<=[@#])({_WORD_PATTERN})"
    rf"|(?:^|(?<=\n)|(?<={_ENDS})|(?<={_ENDS}\s)|(?<={_ENDS}\s\s))({_WORD_PATTERN})|({_WORD_PATTERN})"
)
""":data:`_TOKEN`'s tokens as groups: a number, a word after ``@`` or ``#``, a word that
starts a sentence (what :data:`_SENTENCE_END` finds in the three characters before it),
another word. The same spans, told apart without a match object per token, for
:func:`_content_keys`."""
_STOPWORDS = frozenset((
    "a", "about", "above", "after", "again", "against", "all", "am", "an", "and", "any", "are",
    "as", "at", "be", "because", "been", "before", "being", "below", "between", "both", "but",
    "by", "can", "could", "did", "do", "does", "doing", "down", "during", "each", "few", "for",
    "from", "further", "had", "has", "have", "having", "he", "her", "here", "hers", "herself",
    "him", "himself", "his", "how", "i", "if", "in", "into", "is", "it", "its", "itself",
    "just", "me", "more", "most", "my", "myself", "no", "nor", "not", "now", "of", "off", "on",
    "once", "only", "or", "other", "our", "ours", "ourselves", "out", "over", "own", "same",
    "she", "should", "so", "some", "such", "than", "that", "the", "their", "theirs", "them",
    "themselves", "then", "there", "these", "they", "this", "those", "through", "to", "too",
    "under", "until", "up", "very", "was", "we", "were", "what", "when", "where", "which",
    "while", "who", "whom", "why", "will", "with", "would", "you", "your", "yours", "yourself",
    "yourselves", "s", "t", "d", "ll", "m", "re", "ve", "says", "said", "say", "also", "via",
    "amp", "rt", "like", "get", "got", "one", "us"
))  # fmt: skip
_MONTHS = {
    m: i
    for i, names in enumerate(
        [("january", "jan"), ("february", "feb"), ("march", "mar"), ("april", "apr"),
         ("may",), ("june", "jun"), ("july", "jul"), ("august", "aug"),
         ("september", "sep", "sept"), ("october", "oct"), ("november", "nov"),
         ("december", "dec")],
        start=1,
    )
    for m in names
}  # fmt: skip


def _stem(word: str) -> str:
    """A light English stemmer: plurals and common verb endings, enough to pair inflections."""
    if len(word) <= 3:
        return word
    for suffix, repl in (("ies", "y"), ("sses", "ss"), ("ing", ""), ("ed", ""), ("es", ""),
                         ("s", "")):  # fmt: skip
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            if suffix == "s" and word.endswith(("ss", "us", "is")):
                return word
            return word[: -len(suffix)] + repl
    return word


@dataclass(slots=True)
class Token:
    """A word or number with its offsets in the text it came from."""

    surface: str
    key: str
    """What is compared: a light stem for words, the bare value for numbers."""
    start: int
    end: int
    kind: str  # "word", "number" or "name"
    stop: bool = False
    pause: bool = False
    """Punctuation follows (a comma, a full stop, a dash ...): a clause may end here."""


_TokenRow = tuple[str, str, int, int, str, bool, bool]
"""A :class:`Token`'s fields in order (see :func:`_token_rows`)."""


_LIGATURE = re.compile("[\ufb00-\ufb06]")
"""The typographic ligatures :func:`~workbench.ingest.normalize.fold_ligatures` spells out."""
_PAUSE = re.compile(r"[\"')]?[,.;:!?\u2013\u2014]")
"""Punctuation where a clause may end, maybe after a closing quote or bracket."""


_THOUSANDS = re.compile(r"\d{1,3}(,\d{3})+(\.\d+)?")


def _number_key(surface: str) -> str:
    value = surface.strip("$£€").replace(" percent", "%")
    pct = value.endswith("%")
    value = value.rstrip("%")
    if _THOUSANDS.fullmatch(value):
        value = value.replace(",", "")
    value = value.rstrip(".,")
    if "." in value:
        value = value.rstrip("0").rstrip(".") or "0"
    return value + ("%" if pct else "")


def tokenize(text: str, *, skip: Sequence[tuple[int, int]] = ()) -> list[Token]:
    """The words and numbers of ``text`` with offsets, outside the ``skip`` spans.

    ``@handles`` and ``#HashTags`` are split at case changes into several tokens.
    A capitalised word that does not start a sentence (or an acronym) is a name; in
    text written in capitals ("WIND TURBINES CAUSE CANCER") case says nothing, so no
    word is a name.
    """
    return [Token(*row) for row in _token_rows(text, skip)]


def _token_rows(text: str, skip: Sequence[tuple[int, int]] = ()) -> list[_TokenRow]:
    """:func:`tokenize`'s tokens as tuples of their fields, in :class:`Token`'s order.

    :func:`_content_keys` follows the same rules for the keys alone: a change to what a
    token is here is a change there too (``tests/core/test_matching.py`` compares them)."""
    # Per token, in the loop below, only what that token needs.
    folded = _fold(text)
    shouting = _shouting(folded)
    tokens: list[_TokenRow] = []
    append = tokens.append
    pauses = {m.start() for m in _PAUSE.finditer(folded)}
    skip_iter = iter(sorted(skip))
    current = next(skip_iter, None)
    word, kept, sentence_end = _word, _KEPT_WORD, _SENTENCE_END.search
    for m in _TOKEN.finditer(folded):
        start, end = m.span()
        if current is not None:
            while current is not None and current[1] <= start:
                current = next(skip_iter, None)
            if current is not None and current[0] <= start < current[1]:
                continue
        surface = m[0]
        pause = end in pauses or surface[-1] == "."
        if m.lastgroup == "num":
            append((surface, _number_key(surface), start, end, "number", False, pause))
            continue
        if start and folded[start - 1] in "@#":
            _tag_tokens(append, folded, surface, start, pause, shouting)
            continue
        lower, stop, stem, capital, acronym = (
            word(surface) if len(surface) <= kept else word.__wrapped__(surface)
        )
        name = (
            capital
            and not shouting
            and not stop
            and (acronym or not sentence_end(folded[max(0, start - 3) : start]))
        )
        if name:
            append((surface, lower, start, end, "name", stop, pause))
        else:
            append((surface, stem, start, end, "word", stop, pause))
    return tokens


def _tag_tokens(
    append: Callable[[_TokenRow], None],
    folded: str,
    surface: str,
    start: int,
    pause: bool,
    shouting: bool,
) -> None:
    """The tokens of an ``@handle`` or ``#HashTag`` word, split at case changes."""
    parts = [(p.start(), p[0]) for p in _CAMEL.finditer(surface)]
    for n, (offset, part) in enumerate(parts):
        lower, stop, stem, capital, _ = (
            _word(part) if len(part) <= _KEPT_WORD else _word.__wrapped__(part)
        )
        at = start + offset
        name = not shouting and capital and not stop
        last = n == len(parts) - 1
        append(
            (
                part,
                lower if name else stem,
                at,
                at + len(part),
                "name" if name else "word",
                stop,
                pause and last,
            )
        )


_ASCII_UPPER = bytes(range(ord("A"), ord("Z") + 1))
_ASCII_LOWER = bytes(range(ord("a"), ord("z") + 1))


def _shouting(folded: str) -> bool:
    """Whether a text is written in capitals: over 80 % of its letters (at least 4)."""
    if folded.isascii():
        # Its letters are A-Z and a-z: counted by deleting them, not one by one.
        raw = folded.encode("ascii")
        upper = len(raw) - len(raw.translate(None, _ASCII_UPPER))
        cased = upper + len(raw) - len(raw.translate(None, _ASCII_LOWER))
        return cased > 3 and upper > 0.8 * cased
    letters = "".join(filter(str.isalpha, folded))  # per character, but not in bytecode
    return len(letters) > 3 and sum(map(str.isupper, letters)) > 0.8 * len(letters)


def _content_keys(text: str) -> tuple[list[str], list[str], list[str]]:
    """The keys of ``text``'s content words (no stopwords), in order, and those of its
    names and of its numbers: exactly those of :func:`tokenize`'s tokens, by the rules
    of :func:`_token_rows`, without working out their surfaces, offsets and pauses.

    What matching reads of every candidate past check (some 9,000 texts for a long
    article, where this took 40 % less time than the tokens); only the few it explains
    need their tokens."""
    folded = _fold(text)
    shouting = _shouting(folded)
    content: list[str] = []
    names: list[str] = []
    numbers: list[str] = []
    add = content.append
    word, kept = _word, _KEPT_WORD
    for number, tagged, first, other in _CONTENT_TOKEN.findall(folded):
        if number:
            key = _number_key(number)
            add(key)
            numbers.append(key)
            continue
        if tagged:
            for part in _CAMEL.findall(tagged):  # as _tag_tokens splits it
                lower, stop, stem, capital, _ = (
                    word(part) if len(part) <= kept else word.__wrapped__(part)
                )
                if stop:
                    continue
                if capital and not shouting:
                    add(lower)
                    names.append(lower)
                else:
                    add(stem)
            continue
        surface = first or other
        lower, stop, stem, capital, acronym = (
            word(surface) if len(surface) <= kept else word.__wrapped__(surface)
        )
        if stop:
            continue
        if capital and not shouting and (acronym or other):  # a name: not a sentence's first word
            add(lower)
            names.append(lower)
        else:
            add(stem)
    return content, names, numbers


_KEPT_WORD = 32
"""Longer "words" (a run of Chinese, a blob of letters) are worked out each time: kept,
65,536 of them held some 130 MB."""


@functools.lru_cache(maxsize=1 << 16)
def _word(part: str) -> tuple[str, bool, str, bool, bool]:
    """What :func:`tokenize` needs of a word, worked out once per spelling (an archive's
    texts repeat their words): its lower case (ligatures spelt out: the key; offsets stay
    the text's), whether it is a stopword, its stem, whether it is capitalised, and
    whether it is an acronym."""
    lower = part.lower()
    if _LIGATURE.search(lower):
        lower = fold_ligatures(lower)
    capital = part[:1].isupper()
    return (
        lower,
        lower in _STOPWORDS,
        _stem(lower.replace("'", "")),
        capital,
        (capital and part.isupper() and len(part) > 1),
    )


def query_tokens(text: str) -> list[Token]:
    """The tokens of a pasted claim, skipping its URLs and tweet signature (see above)."""
    return tokenize(html.unescape(text) if "&" in text else text, skip=_removed_spans(text))


# -- signals ------------------------------------------------------------------------------


@dataclass(slots=True)
class _Query:
    text: str
    normalized: str
    fuzzy: str
    tokens: list[Token]
    keys: frozenset[str]
    bigrams: frozenset[str]
    """Its content words' pairs (:func:`_bigrams`), worked out once for all its candidates."""


@dataclass(slots=True)
class _Words:
    """What scoring reads of a past check's text and title, once per past check (the
    engine keeps it, see :func:`_candidate`): content words, title words, names,
    numbers and content-word pairs; the fuzzy text on first use.

    Neither its tokens nor, until a string comparison asks for it, its fuzzy text: a
    long article's candidates are some 9,000 past checks, of which matching explains a
    few hundred and compares the strings of about as many (see :data:`COSTLY_SIGNALS`).
    Working them all out was a third of reading them, and the 160,000 tokens kept made
    work for the garbage collector."""

    text: str
    keys: frozenset[str]
    title_keys: frozenset[str]
    names: frozenset[str]
    numbers: frozenset[str]
    bigrams: frozenset[str]
    _fuzzy: str | None = None

    @property
    def fuzzy(self) -> str:
        if self._fuzzy is None:
            self._fuzzy = _fuzzy_text(self.text)
        return self._fuzzy


@dataclass(slots=True)
class _Candidate:
    claim: ArchiveClaim
    bm25: float
    rank: int
    words: _Words
    keys: frozenset[str]
    title_keys: frozenset[str]
    names: frozenset[str]
    numbers: frozenset[str]
    bigrams: frozenset[str]
    """What the signals compare of its tokens (its :attr:`words`', kept here for them)."""

    @property
    def fuzzy(self) -> str:
        return self.words.fuzzy

    @property
    def tokens(self) -> list[Token]:
        """Its tokens, worked out again: only the few matches explained need them."""
        return tokenize(self.claim.text)


@dataclass(slots=True)
class _Pool:
    """What the signals of one candidate may compare it with: the query and the other candidates."""

    query: _Query
    max_bm25: float
    idf: dict[str, float]
    query_weight: float
    """The query's content words' total ``idf`` weight (see :func:`_weighted_share`)."""


def _content(tokens: Sequence[Token]) -> frozenset[str]:
    return frozenset(t.key for t in tokens if not t.stop)


def _fuzzy_text(text: str) -> str:
    return " ".join(re.findall(r"[^\W_]+", _fold(text).lower()))


_ONES = itertools.repeat(1.0)
"""``idf.get``'s default, for ``sum(map(idf.get, words, _ONES))``: the sum of
``idf.get(k, 1.0)`` over ``words``, in their order, without a generator's frames (some
20,000 candidates a long article, several sums each)."""


def _weighted_share(part: frozenset[str], whole: frozenset[str], idf: dict[str, float]) -> float:
    total = sum(map(idf.get, whole, _ONES))
    if not total:
        return 0.0
    return sum(map(idf.get, whole & part, _ONES)) / total


def _short_guard(c: _Candidate) -> float:
    return min(1.0, len(c.keys) / SHORT_CLAIM_TOKENS)


def _sig_bm25(c: _Candidate, p: _Pool) -> float:
    return c.bm25 / p.max_bm25 if p.max_bm25 > 0 else 0.0


def _sig_bm25_abs(c: _Candidate, p: _Pool) -> float:
    return c.bm25 / (c.bm25 + 10.0) if c.bm25 > 0 else 0.0


def _sig_rank(c: _Candidate, p: _Pool) -> float:
    return 1.0 / (1.0 + c.rank)


def _sig_token_set(c: _Candidate, p: _Pool) -> float:
    return fuzz.token_set_ratio(p.query.fuzzy, c.fuzzy) / 100.0 * _short_guard(c)


def _sig_token_sort(c: _Candidate, p: _Pool) -> float:
    return fuzz.token_sort_ratio(p.query.fuzzy, c.fuzzy) / 100.0


def _sig_partial(c: _Candidate, p: _Pool) -> float:
    a, b = p.query.fuzzy, c.fuzzy
    if not a or not b:
        return 0.0
    return fuzz.partial_ratio(a, b) / 100.0 * _short_guard(c)


def _sig_covers_claim(c: _Candidate, p: _Pool) -> float:
    """How much of the past claim (its rarer words weighing more) the query contains."""
    return _weighted_share(p.query.keys, c.keys, p.idf) * _short_guard(c)


def _sig_covers_query(c: _Candidate, p: _Pool) -> float:
    """How much of the query the past claim contains."""
    # _weighted_share(c.keys, p.query.keys, p.idf), its total the same for every candidate
    if not p.query_weight:
        return 0.0
    return sum(map(p.idf.get, p.query.keys & c.keys, _ONES)) / p.query_weight


def _sig_title(c: _Candidate, p: _Pool) -> float:
    return _weighted_share(p.query.keys, c.title_keys, p.idf) if c.title_keys else 0.0


def _sig_names(c: _Candidate, p: _Pool) -> float:
    names = c.names
    if not names:
        return 0.0
    return len(names & p.query.keys) / len(names)


def _sig_numbers(c: _Candidate, p: _Pool) -> float:
    numbers = c.numbers
    if not numbers:
        return 0.0
    return len(numbers & p.query.keys) / len(numbers)


def _bigrams(tokens: Sequence[Token]) -> frozenset[str]:
    return _pairs([t.key for t in tokens if not t.stop])


def _pairs(keys: Sequence[str]) -> frozenset[str]:
    """Each two consecutive content words as one string, ``"first second"`` (no key holds
    a space): as tuples, the pairs of the past checks matching keeps were some 100,000
    objects more for the garbage collector to count (a long article's), and what set it
    going through all the process's objects twice; strings it leaves alone."""
    if len(keys) < 2:
        return _NO_WORDS
    return frozenset([a + " " + b for a, b in itertools.pairwise(keys)])


def _sig_phrases(c: _Candidate, p: _Pool) -> float:
    mine = c.bigrams
    if not mine:
        return 0.0
    return len(mine & p.query.bigrams) / len(mine)


Signal = Callable[[_Candidate, _Pool], float]

SIGNALS: dict[str, Signal] = {
    "bm25": _sig_bm25,
    "bm25_abs": _sig_bm25_abs,
    "rank": _sig_rank,
    "token_set": _sig_token_set,
    "token_sort": _sig_token_sort,
    "partial": _sig_partial,
    "covers_claim": _sig_covers_claim,
    "covers_query": _sig_covers_query,
    "title": _sig_title,
    "names": _sig_names,
    "numbers": _sig_numbers,
    "phrases": _sig_phrases,
}
"""The re-ranking signals by name, each mapping a candidate to [0, 1]. Add one here
(and a weight in :data:`WEIGHTS`) to fuse a new kind of evidence."""

WEIGHTS: dict[str, float] = {
    "bias": -11.952,
    "bm25": 3.429,
    "bm25_abs": 3.429,
    "rank": 1.715,
    "token_set": 1.715,
    "token_sort": 0.857,
    "partial": 0.857,
    "covers_claim": 5.144,
    "covers_query": 1.715,
    "title": 0.857,
    "names": 0.857,
    "numbers": 0.857,
    "phrases": 1.715,
}
"""Logistic weights of the signals. Their proportions were set by hand (a free logistic
fit, ``scripts/fit_match_weights.py``, ranked the debate set worse); the scale and bias
were then fitted on the pooled train splits (Platt scaling), so :func:`fuse` gives the
probability that a candidate is the earlier check of the query."""


def _sig_cosine(cosine: float) -> float:
    return max(0.0, cosine)


SemanticSignal = Callable[[float], float]

SEMANTIC_SIGNALS: dict[str, SemanticSignal] = {"cosine": _sig_cosine}
"""Signals from the sentence embeddings, given a candidate's cosine similarity to the
query. Only candidates whose past check has an embedding get them, and are then
scored with :data:`SEMANTIC_WEIGHTS`.

Only absolute similarity counts: a "best by cosine among the candidates" signal
ranked the train splits better but the dev splits worse, and it promotes the nearest
past check even when the archive holds nothing like the claim, which in daily use is
most of the time."""

SEMANTIC_WEIGHTS: dict[str, float] = {
    "bias": -11.763,
    "bm25": 1.883,
    "bm25_abs": 1.883,
    "rank": 0.942,
    "token_set": 0.942,
    "token_sort": 0.471,
    "partial": 0.471,
    "covers_claim": 2.825,
    "covers_query": 0.942,
    "title": 0.471,
    "names": 0.471,
    "numbers": 0.471,
    "phrases": 0.942,
    "cosine": 8.364,
}
"""Logistic weights of the lexical and semantic signals together: the lexical ones in
the proportions of :data:`WEIGHTS`, scaled, with the cosine and the bias fitted on the
pooled train splits (``scripts/fit_match_weights.py --semantic``). The output is a
probability like :func:`fuse`'s with :data:`WEIGHTS`, so scores with and without
embeddings compare."""


# -- matching -----------------------------------------------------------------------------


def _prepare_query(text: str) -> _Query:
    normalized = normalize_query(text)
    tokens = query_tokens(text)
    keys = _content(tokens)
    return _Query(text, normalized, _fuzzy_text(normalized), tokens, keys, _bigrams(tokens))


def _fts_terms(query: _Query) -> list[str]:
    words: dict[str, None] = {}
    for t in query.tokens:
        if t.stop:
            continue
        if t.kind == "number":
            words.setdefault(re.sub(r"[^\w.]", "", t.key).strip("."), None)
        else:
            words.setdefault(fold_ligatures(t.surface.lower()).replace("'", ""), None)
    terms = [w for w in words if w]
    return terms[:MAX_QUERY_TERMS]


def _search_terms(store: Store, query: _Query, budget: int = POSTINGS_BUDGET) -> list[str]:
    """The query words worth a full-text search: the rarest first, within a postings budget.

    Common words ("president", "percent") would make FTS5 score a large part of a big
    archive; they still count in the re-ranking, which reads the candidates' full text.
    """
    terms = _fts_terms(query)
    if not terms:
        return []
    return rarest_terms(terms, store.archive_term_counts(terms), budget)


def rarest_terms(terms: Sequence[str], counts: Mapping[str, int], budget: int) -> list[str]:
    """The ``terms`` worth searching, rarest first: those found in at most ``budget``
    rows together (``counts``: rows per term), and at least :data:`MIN_SEARCH_TERMS`."""
    kept: list[str] = []
    postings = 0
    for term in sorted((t for t in terms if counts.get(t, 0) > 0), key=lambda t: counts[t]):
        if len(kept) >= MIN_SEARCH_TERMS and postings + counts[term] > budget:
            break
        kept.append(term)
        postings += counts[term]
    return kept


@dataclass(frozen=True, slots=True)
class QueryTerms:
    """A claim prepared for searching as matching prepares it, for other searches (the
    evidence library, :mod:`workbench.evidence_library`).

    ``normalized`` is what the sentence encoder embeds; ``tokens`` (offsets into the
    claim's own text) are what :func:`shared_terms` and :func:`find_conflicts` compare;
    ``keys`` the content words' keys; ``search`` the words for a full-text search.
    """

    text: str
    normalized: str
    tokens: tuple[Token, ...]
    keys: frozenset[str]
    search: tuple[str, ...]


def query_terms(text: str) -> QueryTerms:
    """``text`` (a claim, a pasted tweet) prepared for a search: see :class:`QueryTerms`."""
    query = _prepare_query(text)
    return QueryTerms(
        text, query.normalized, tuple(query.tokens), query.keys, tuple(_fts_terms(query))
    )


def _candidates(
    store: Store,
    query: _Query,
    *,
    limit: int,
    source: str | None,
    budget: int = POSTINGS_BUDGET,
    words: Memo[tuple[str, str], Any] | None = None,
    excluded: Collection[int] = (),
) -> list[_Candidate]:
    """The query's ``limit`` best full-text candidates that are not ``excluded``, ranked
    among themselves (as if the excluded past checks were not in the archive)."""
    terms = _search_terms(store, query, budget)
    if not terms:
        return []
    wider = limit + len(excluded)  # the excluded may take that many places
    found = store.archive_candidates(fts_or_query(terms), limit=wider, source=source)
    if excluded:
        found = [hit for hit in found if hit.claim.id not in excluded][:limit]
    return [_candidate(hit, rank, words) for rank, hit in enumerate(found)]


_NO_WORDS: frozenset[Any] = frozenset()


def _frozen(items: Collection[Any]) -> frozenset[Any]:
    # One empty set for all: most past checks have no numbers, and each set is one more
    # object the garbage collector goes through while the engine keeps it.
    return frozenset(items) if items else _NO_WORDS


def _words(text: str, title: str) -> _Words:
    content, names, numbers = _content_keys(text)
    return _Words(
        text,
        _frozen(content),
        _frozen(_content_keys(title)[0]) if title else _NO_WORDS,
        _frozen(names),
        _frozen(numbers),
        _pairs(content),
    )


def _candidate(
    hit: ArchiveCandidate, rank: int, words: Memo[tuple[str, str], Any] | None = None
) -> _Candidate:
    """A past check as scoring sees it; ``words``: the engine's, to read each text once."""
    text, title = hit.claim.text, hit.claim.title
    read: _Words = (
        words.get((text, title), lambda: _words(text, title))
        if words is not None
        else _words(text, title)
    )
    return _Candidate(
        hit.claim, hit.bm25, rank, read, read.keys, read.title_keys, read.names,
        read.numbers, read.bigrams,
    )  # fmt: skip


def _pool_idf(query: _Query, candidates: Sequence[_Candidate]) -> dict[str, float]:
    """Inverse document frequency of each word among the candidates: rarer there, worth more."""
    counts: Counter[str] = Counter()
    for c in candidates:
        counts.update(c.keys | c.title_keys if c.title_keys else c.keys)
    n = len(candidates) + 1
    # One logarithm per count (a few dozen) rather than one per word (some 700 a query).
    by_count = {m: math.log((n + 1) / (m + 0.5)) for m in {0, *counts.values()}}
    return {k: by_count[counts.get(k, 0)] for k in set(counts) | query.keys}


def signal_values(query: str, candidates: Sequence[ArchiveCandidate]) -> list[dict[str, float]]:
    """The re-ranking signals of each candidate for a query (for fitting and debugging)."""
    q = _prepare_query(query)
    cands = [_candidate(hit, rank) for rank, hit in enumerate(candidates)]
    return [_signals(c, _pool(q, cands)) for c in cands]


def _pool(query: _Query, cands: Sequence[_Candidate]) -> _Pool:
    idf = _pool_idf(query, cands)
    weight = sum(map(idf.get, query.keys, _ONES))
    return _Pool(query, max((c.bm25 for c in cands), default=0.0), idf, weight)


def _signals(c: _Candidate, pool: _Pool) -> dict[str, float]:
    return {name: fn(c, pool) for name, fn in SIGNALS.items()}


def fuse(signals: dict[str, float], weights: dict[str, float] | None = None) -> float:
    """The calibrated score in [0, 1] of one candidate's signals (logistic fusion)."""
    w = WEIGHTS if weights is None else weights
    z = w.get("bias", 0.0) + sum(w.get(name, 0.0) * value for name, value in signals.items())
    return 1.0 / (1.0 + math.exp(-max(-50.0, min(50.0, z))))


def strength_of(score: float) -> MatchStrength:
    if score >= STRONG_MATCH:
        return MatchStrength.STRONG
    if score >= POSSIBLE_MATCH:
        return MatchStrength.POSSIBLE
    return MatchStrength.WEAK


def match_claim(
    store: Store,
    text: str,
    *,
    top_k: int = 5,
    source: str | None = None,
    prefer_recent: bool = False,
    exclude_claims: Collection[int] = (),
    min_score: float = 0.0,
    engine: Engine | None = None,
) -> list[Match]:
    """The past checks most similar to a claim, best first, each scored and explained.

    Args:
        store: the database whose archive is searched.
        text: the claim as the user has it (a sentence, a pasted tweet).
        top_k: at most this many matches.
        source: only past checks from this archive collection (``"own"``: your verdicts).
        prefer_recent: order newer checks before older ones of similar score (the
            scores themselves stay calibrated).
        exclude_claims: workbench claim ids whose own verdicts must not match (a
            claim should not match its own archive entry).
        min_score: drop matches scoring below this (e.g. :data:`POSSIBLE_MATCH`).
        engine: holds the sentence encoder, the archive's vector index and the thread
            that searches it; :meth:`Engine.default` if None.
    """
    return match_claims(
        store,
        [text],
        top_k=top_k,
        source=source,
        prefer_recent=prefer_recent,
        exclude_claims=exclude_claims,
        min_score=min_score,
        engine=engine,
    )[0]


def match_claims(
    store: Store,
    texts: Sequence[str],
    *,
    top_k: int = 5,
    source: str | None = None,
    prefer_recent: bool = False,
    exclude_claims: Collection[int] = (),
    min_score: float = 0.0,
    cancel: Callable[[], bool] | None = None,
    semantic: bool = True,
    engine: Engine | None = None,
) -> list[list[Match]]:
    """:func:`match_claim` for many claims (an article's): one list of matches per text.

    With ``semantic`` (the default) and embeddings in the archive, each claim's
    candidates are its FTS5 hits and its nearest neighbours by embedding, and the
    candidates with an embedding are scored with the semantic signals too
    (:data:`SEMANTIC_WEIGHTS`); without embeddings matching is lexical
    (:meth:`Engine.semantic_status` says which). The encoder, the index and the
    search thread are ``engine``'s (by default :meth:`Engine.default`).

    ``cancel()`` is checked between claims in every phase (full-text search, the
    embedding search, scoring); once it returns True the claims not yet done get empty
    lists. Memory grows with ``len(texts)``: match a long article in slices
    (:func:`match_slices`).
    """
    return _match_claims(
        store, texts, engine or Engine.default(), top_k=top_k, source=source,
        prefer_recent=prefer_recent, exclude_claims=exclude_claims, min_score=min_score,
        cancel=cancel, semantic=semantic,
    )  # fmt: skip


def match_slices(
    store: Store,
    pieces: Sequence[Sequence[str]],
    *,
    top_k: int = 5,
    source: str | None = None,
    prefer_recent: bool = False,
    exclude_claims: Collection[int] = (),
    min_score: float = 0.0,
    cancel: Callable[[], bool] | None = None,
    semantic: bool = True,
    engine: Engine | None = None,
) -> Generator[list[list[Match]], None, None]:
    """:func:`match_claims` for each slice of a long article in turn, one result per slice,
    each exactly what :func:`match_claims` gives that slice.

    While a slice is scored, the next one's claims are embedded on the search thread
    (each alone, as always: the same vectors), so its turn does not wait for them. Only
    the next slice's vectors are kept, by this run alone; closing the iterator early
    drops them and stops their embedding before the next claim.
    """
    engine = engine or Engine.default()
    ahead = _Ahead()
    try:
        for n, texts in enumerate(pieces):
            upcoming = pieces[n + 1] if n + 1 < len(pieces) else ()
            ahead.upcoming = [normalize_query(t) or t for t in upcoming]
            yield _match_claims(
                store, texts, engine, top_k=top_k, source=source,
                prefer_recent=prefer_recent, exclude_claims=exclude_claims,
                min_score=min_score, cancel=cancel, semantic=semantic, ahead=ahead,
            )  # fmt: skip
    finally:
        ahead.close()


def _match_claims(
    store: Store,
    texts: Sequence[str],
    engine: Engine,
    *,
    top_k: int,
    source: str | None,
    prefer_recent: bool,
    exclude_claims: Collection[int],
    min_score: float,
    cancel: Callable[[], bool] | None,
    semantic: bool,
    ahead: _Ahead | None = None,
) -> list[list[Match]]:
    today = datetime.now(UTC).date()
    results: list[list[Match]] = []
    found = _candidate_signals(
        store,
        texts,
        engine,
        source=source,
        exclude_claims=exclude_claims,
        cancel=cancel,
        semantic=semantic,
        min_score=min_score,
        ahead=ahead,
    )
    for query, cands in found:
        results.append(
            _ranked(
                query,
                cands,
                top_k=top_k,
                prefer_recent=prefer_recent,
                min_score=min_score,
                today=today,
            )
        )
    return results


def score_candidates(
    text: str,
    candidates: Sequence[tuple[ArchiveCandidate, int]],
    *,
    cosines: Mapping[int, float] | None = None,
    top_k: int = 5,
    prefer_recent: bool = False,
    min_score: float = 0.0,
) -> list[Match]:
    """Re-rank candidates found elsewhere exactly as :func:`match_claims` re-ranks its own.

    For searches whose candidates do not come from the local archive (the team
    server's, :mod:`workbench.team.search`). Each candidate comes with its rank in the
    first-stage order (0 for the best BM25); ``cosines`` holds the embedding cosine of
    the candidates that have one (by ``claim.id``), which adds the semantic signals.
    """
    query = _prepare_query(text)
    cands = [_candidate(hit, rank) for hit, rank in candidates]
    return _ranked(
        query, _with_signals(query, cands, cosines or {}), top_k=top_k,
        prefer_recent=prefer_recent, min_score=min_score, today=datetime.now(UTC).date(),
    )  # fmt: skip


def _ranked(
    query: _Query,
    cands: Sequence[tuple[_Candidate, dict[str, float]]],
    *,
    top_k: int,
    prefer_recent: bool,
    min_score: float,
    today: date,
) -> list[Match]:
    """One query's candidates fused, ordered and explained: the best ``top_k``."""
    scored = []
    for c, signals in cands:
        score = fuse(signals, SEMANTIC_WEIGHTS if "cosine" in signals else WEIGHTS)
        if score < min_score:
            continue
        key = score
        if prefer_recent:
            key = score * (1 - RECENCY_SHARE + RECENCY_SHARE * _recency(c.claim.date, today))
        scored.append((key, score, c, signals))
    scored.sort(key=lambda item: (-item[0], item[2].rank))
    return [_match(query, c, score, signals) for _, score, c, signals in scored[:top_k]]


def candidate_signals(
    store: Store, texts: Sequence[str], *, semantic: bool = True, engine: Engine | None = None
) -> list[list[tuple[ArchiveClaim, dict[str, float]]]]:
    """Every candidate of each text with its signals, as :func:`match_claims` sees them.

    For fitting the weights and for debugging: the semantic signals are present only
    for candidates whose past check has an embedding.
    """
    found = _candidate_signals(store, texts, engine or Engine.default(), semantic=semantic)
    return [[(c.claim, signals) for c, signals in cands] for _, cands in found]


def _candidate_signals(
    store: Store,
    texts: Sequence[str],
    engine: Engine,
    *,
    source: str | None = None,
    exclude_claims: Collection[int] = (),
    cancel: Callable[[], bool] | None = None,
    semantic: bool = True,
    min_score: float = 0.0,
    ahead: _Ahead | None = None,
) -> list[tuple[_Query, list[tuple[_Candidate, dict[str, float]]]]]:
    """Each text's query and its candidates with their signals; with ``min_score``, a
    candidate that cannot score that much is left out (see :func:`_with_signals`)."""
    stopped = cancel if cancel is not None else _never
    # Only the excluded claims that have a past check of their own can take a
    # candidate's place: widening each search by every excluded claim made matching an
    # article's claims, all excluded, quadratic in its length. Each search keeps its
    # CANDIDATES (SEMANTIC_CANDIDATES) best others, ranked as if the excluded were not
    # there: a claim's matches and their scores do not move as the fact-checker gives
    # verdicts to other claims of the article (with every claim of a 311-claim article
    # checked, the searches had kept up to 311 more candidates each and matching took
    # 3.6 times as long).
    excluded = store.archive_ids_of_claims(exclude_claims) if exclude_claims else set()
    queries = [_prepare_query(text) for text in texts]
    # The embedding search runs on another thread (numpy and onnxruntime let go of the
    # GIL) while this one asks SQLite for the full-text candidates.
    pending = (
        _search_neighbours(engine, store, queries, source, excluded, stopped, ahead)
        if semantic
        else None
    )
    budget = POSTINGS_BUDGET if pending is None else SEMANTIC_POSTINGS_BUDGET
    # Every query word's archive count in one look-up (each new word stemmed through
    # SQLite once for the whole slice, not once per claim); _search_terms then reads them
    # from the store's cache.
    store.archive_term_counts([term for query in queries for term in _fts_terms(query)])
    hits: list[list[_Candidate] | None] = []
    for query in queries:
        if stopped():
            hits.append(None)
            continue
        hits.append(
            _candidates(
                store, query, limit=CANDIDATES, source=source, budget=budget,
                words=engine.past_check_words, excluded=excluded,
            )
        )  # fmt: skip
    space = pending.result(store, hits) if pending is not None and not stopped() else None
    out: list[tuple[_Query, list[tuple[_Candidate, dict[str, float]]]]] = []
    for i, (query, found) in enumerate(zip(queries, hits, strict=True)):
        if found is None or stopped():
            out.append((query, []))
            continue
        cands = found
        cosines: dict[int, float] = {}
        if space is not None:
            cands, cosines = space.extend(i, cands, engine.past_check_words)
        out.append((query, _with_signals(query, cands, cosines, min_score)))
    return out


_BoundTerms = tuple[float, list[float], float, list[tuple[float, SemanticSignal]]]


def _bound_terms(
    weights: Mapping[str, float], cheap_signals: Sequence[tuple[str, Signal]]
) -> _BoundTerms:
    """What :func:`_with_signals`' bound on a candidate's score reads of ``weights``: the
    bias, the cheap signals' weights in order, the most the costly signals can add, and
    the weighted functions of the cosine."""
    return (
        weights.get("bias", 0.0),
        [weights.get(n, 0.0) for n, _ in cheap_signals],
        sum(max(weights.get(n, 0.0), 0.0) for n in COSTLY_SIGNALS if n in SIGNALS),
        [(weights.get(n, 0.0), fn) for n, fn in SEMANTIC_SIGNALS.items()],
    )


def _with_signals(
    query: _Query,
    cands: Sequence[_Candidate],
    cosines: Mapping[int, float],
    min_score: float = 0.0,
) -> list[tuple[_Candidate, dict[str, float]]]:
    """Each candidate with its signals; those with a cosine get the semantic ones too.

    With ``min_score`` above 0, a candidate whose score stays below it whatever its
    :data:`COSTLY_SIGNALS` (each at most 1) is left out without working them out: it
    would be dropped anyway, and the others get exactly the signals they always had.
    """
    pool = _pool(query, cands)
    floor = _logit(min_score) - 1e-6 if 0.0 < min_score < 1.0 else None
    # What the bound below reads of the weights, looked up once per query rather than
    # once per candidate (some 22,000 for a long article): the same sums, in the same order.
    cheap_signals = [(n, fn) for n, fn in SIGNALS.items() if n not in COSTLY_SIGNALS]
    lexical = _bound_terms(WEIGHTS, cheap_signals)
    semantic = _bound_terms(SEMANTIC_WEIGHTS, cheap_signals)
    with_signals = []
    for c in cands:
        cosine = cosines.get(c.claim.id)
        if floor is None:
            signals = _signals(c, pool)
        else:
            cheap = {n: fn(c, pool) for n, fn in cheap_signals}
            bias, factors, costly, by_cosine = lexical if cosine is None else semantic
            best = bias + sum(map(operator.mul, factors, cheap.values()))
            best += costly
            if cosine is not None:
                best += sum(w * fn(cosine) for w, fn in by_cosine)
            if best < floor:
                continue
            signals = {n: cheap[n] if n in cheap else fn(c, pool) for n, fn in SIGNALS.items()}
        if cosine is not None:
            signals.update({n: fn(cosine) for n, fn in SEMANTIC_SIGNALS.items()})
        with_signals.append((c, signals))
    return with_signals


COSTLY_SIGNALS = frozenset(("token_set", "token_sort", "partial"))
"""The signals :func:`_with_signals` works out last, and only for a candidate that could
still reach the ``min_score`` asked for: the string comparisons, most of scoring's time,
while most of an article's candidates score far below :data:`POSSIBLE_MATCH`."""


def _logit(p: float) -> float:
    """The fused ``z`` (see :func:`fuse`) whose score is ``p``."""
    return math.log(p / (1.0 - p))


@dataclass(slots=True)
class _Space:
    """The queries' embeddings and nearest neighbours, for one :func:`match_claims` call."""

    index: EmbeddingIndex
    vectors: npt.NDArray[np.float32]
    neighbours: list[list[tuple[int, float]]]
    claims: dict[int, ArchiveClaim]
    stored: dict[int, npt.NDArray[np.float32]]
    """The stored vectors of the queries' full-text candidates that are not among their
    neighbours, read together."""

    def extend(
        self, i: int, cands: list[_Candidate], words: Memo[tuple[str, str], Any]
    ) -> tuple[list[_Candidate], dict[int, float]]:
        """Query ``i``'s FTS5 candidates joined by its neighbours, and every cosine known."""
        cosines = dict(self.neighbours[i])
        known = {c.claim.id for c in cands}
        for rank, (archive_id, cosine) in enumerate(self.neighbours[i]):
            claim = self.claims.get(archive_id)
            if archive_id not in known and claim is not None and cosine >= MIN_NEIGHBOUR_COSINE:
                cands.append(_candidate(ArchiveCandidate(claim, 0.0), CANDIDATES + rank, words))
                known.add(archive_id)
        query, stored = self.vectors[i], self.stored
        for c in cands:
            archive_id = c.claim.id
            if archive_id not in cosines and archive_id in stored:
                cosines[archive_id] = float(stored[archive_id] @ query)
        return cands, cosines


@dataclass(slots=True)
class _PendingSearch:
    """Queries being embedded and searched on the search thread."""

    index: EmbeddingIndex
    future: Future[tuple[npt.NDArray[np.float32], list[list[tuple[int, float]]]]]

    def result(self, store: Store, hits: Sequence[Sequence[_Candidate] | None]) -> _Space:
        """The search's answer, with what the queries' full-text candidates (``hits``)
        will be compared with.

        An article's claims share most of their candidates (21,327 for 8,942 past checks
        on a 311-claim article): the neighbours' rows found among the slice's hits are not
        read again, and each hit's vector is read and decoded once for the slice, not
        once per claim that found it."""
        vectors, neighbours = self.future.result()
        read = {c.claim.id: c.claim for found in hits if found for c in found}
        near = {a for found in neighbours for a, cosine in found if cosine >= MIN_NEIGHBOUR_COSINE}
        claims = store.archive_claims_by_id(near - read.keys())
        claims.update((a, read[a]) for a in near & read.keys())
        # What each query's neighbours leave out (they come with their cosines).
        unknown: set[int] = set()
        for found, near_me in zip(hits, neighbours, strict=False):
            if found:
                unknown.update({c.claim.id for c in found} - {a for a, _ in near_me})
        stored = self.index.vectors(sorted(unknown)) if unknown else {}
        return _Space(self.index, vectors, neighbours, claims, stored)


def _search_neighbours(
    engine: Engine,
    store: Store,
    queries: Sequence[_Query],
    source: str | None,
    excluded: Collection[int],
    stopped: Callable[[], bool],
    ahead: _Ahead | None = None,
) -> _PendingSearch | None:
    """Start embedding the queries and finding their neighbours on the engine's search
    thread; None without embeddings. With ``ahead``, the queries' vectors are taken from
    it if it embedded them, and then the next slice's claims are embedded there. Each
    query keeps its :data:`SEMANTIC_CANDIDATES` nearest past checks that are not
    ``excluded``."""
    encoder = engine.encoder()
    if encoder is None or not queries:
        return None
    try:
        index = engine.index_for(store, cancel=stopped)  # reads the database: on this thread
    except CancelledError:
        return None  # the claims left get no neighbours; nobody reads them
    if not len(index):
        return None
    texts = [q.normalized or q.text for q in queries]
    k = SEMANTIC_CANDIDATES + len(excluded)  # the excluded may take that many places
    embedded = ahead.take(texts) if ahead is not None else None

    def search() -> tuple[npt.NDArray[np.float32], list[list[tuple[int, float]]]]:
        # One claim at a time: int8 activations are scaled per batch, so a claim embedded
        # with its article's other claims got a slightly different vector (and score:
        # 0.45 "strong" in the app, 0.44 "possible" on the command line) than alone.
        # Embedded ahead, they were submitted to this same one thread before this search:
        # they are done (or were stopped, and are None).
        if embedded is not None:
            vectors = embedded.result()
        else:
            vectors = encoder.embed_each(texts, cancel=stopped)
        if vectors is None or stopped():  # the claims left get no neighbours
            return np.zeros((0, 0), np.float32), []
        found = index.search(vectors, k, source=source)
        if excluded:
            found = [
                [(a, cosine) for a, cosine in near if a not in excluded][:SEMANTIC_CANDIDATES]
                for near in found
            ]
        return vectors, found

    thread = engine.search_thread()
    pending = _PendingSearch(index, thread.submit(search))
    if ahead is not None:
        ahead.submit(thread, encoder, stopped)
    return pending


class _Ahead:
    """One run's look-ahead (:func:`match_slices`): the next slice's claims, embedded on
    the search thread while this slice is scored. Never more than one slice's vectors."""

    def __init__(self) -> None:
        self.upcoming: list[str] = []
        """The texts the next slice will embed (as :func:`_search_neighbours` does)."""
        self._texts: list[str] = []
        self._future: Future[npt.NDArray[np.float32] | None] | None = None
        self._closed = False

    def take(self, texts: list[str]) -> Future[npt.NDArray[np.float32] | None] | None:
        """The embedding of exactly ``texts`` if it was started ahead, else None."""
        future, self._future = self._future, None
        if future is not None and self._texts == texts:
            return future
        if future is not None:
            future.cancel()
        return None

    def submit(
        self, thread: ThreadPoolExecutor, encoder: SentenceEncoder, stopped: Callable[[], bool]
    ) -> None:
        """Start embedding :attr:`upcoming` on ``thread`` (after what it already has)."""
        texts = list(self.upcoming)
        if not texts or self._closed:
            return

        def embed() -> npt.NDArray[np.float32] | None:
            return encoder.embed_each(texts, cancel=lambda: self._closed or stopped())

        self._texts, self._future = texts, thread.submit(embed)

    def close(self) -> None:
        """Drop what was embedded ahead; an embedding under way stops before its next claim."""
        self._closed = True
        if self._future is not None:
            self._future.cancel()
        self._future = None


def _never() -> bool:
    return False


def _recency(value: str, today: date) -> float:
    try:
        when = date.fromisoformat(value[:10])
    except ValueError:
        return 0.0
    age = max(0, (today - when).days)
    return float(0.5 ** (age / RECENCY_HALF_LIFE_DAYS))


def _match(query: _Query, c: _Candidate, score: float, signals: dict[str, float]) -> Match:
    tokens = c.tokens
    conflicts = find_conflicts(query.tokens, tokens)
    strength = strength_of(score)
    if strength is MatchStrength.STRONG and any(x.kind == "negation" for x in conflicts):
        # The past check's verdict is about the opposite claim: no "checked before"
        # badge, though it stays listed (and its verdict may well answer this one).
        strength = MatchStrength.POSSIBLE
    return Match(
        archive=c.claim,
        score=round(score, 4),
        strength=strength,
        shared=shared_terms(query.tokens, tokens),
        conflicts=conflicts,
        signals=tuple((name, round(value, 4)) for name, value in signals.items()),
    )


# -- explanation --------------------------------------------------------------------------


def shared_terms(query: Sequence[Token], archive: Sequence[Token]) -> tuple[SharedTerm, ...]:
    """The content words, numbers and names two token lists share, with all their spans."""
    mine: dict[str, list[Token]] = {}
    for t in archive:
        if not t.stop:
            mine.setdefault(t.key, []).append(t)
    theirs: dict[str, list[Token]] = {}
    for t in query:
        if not t.stop and t.key in mine:
            theirs.setdefault(t.key, []).append(t)
    terms = []
    for key, q_tokens in theirs.items():
        a_tokens = mine[key]
        kinds = {t.kind for t in q_tokens + a_tokens}
        kind = "number" if "number" in kinds else "name" if "name" in kinds else "word"
        terms.append(
            SharedTerm(
                text=a_tokens[0].surface,
                kind=kind,
                query_spans=tuple((t.start, t.end) for t in q_tokens),
                archive_spans=tuple((t.start, t.end) for t in a_tokens),
            )
        )
    terms.sort(key=lambda s: s.query_spans[0])
    return tuple(terms)


def _is_year(t: Token) -> bool:
    return t.kind == "number" and len(t.key) == 4 and t.key.isdigit() and 1800 < int(t.key) < 2100


def _neighbour_keys(tokens: Sequence[Token], i: int) -> set[str]:
    """The content words right before and after a number: what it counts."""
    keys = set()
    for j in (i - 1, i + 1, i + 2):
        if 0 <= j < len(tokens) and tokens[j].kind != "number" and not tokens[j].stop:
            keys.add(tokens[j].key)
    return keys


def _number_unit(t: Token) -> str:
    if t.key.endswith("%"):
        return "%"
    if t.surface[:1] in "$£€":
        return t.surface[0]
    return ""


def find_conflicts(query: Sequence[Token], archive: Sequence[Token]) -> tuple[Conflict, ...]:
    """Numbers or dates that play the same part in both texts but differ, and a word
    one text denies and the other asserts (:func:`negation_conflict`).

    Two numbers conflict when neither occurs in the other text and they count the
    same thing (share a neighbouring word, as in "12,000 troops" and "10,000
    troops", or both are percentages or sums of money); two years conflict when
    neither text has the other's year; two dates conflict when their months differ.
    """
    q_keys = {t.key for t in query}
    a_keys = {t.key for t in archive}
    conflicts: list[Conflict] = []
    used: set[int] = set()
    for i, a in enumerate(archive):
        if a.kind != "number" or a.key in q_keys:
            continue
        a_near = _neighbour_keys(archive, i)
        for j, q in enumerate(query):
            if q.kind != "number" or q.key in a_keys or j in used:
                continue
            if _is_year(a) != _is_year(q):
                continue
            if _is_year(a):
                same_role = True
                kind = "date"
            else:
                unit = _number_unit(a)
                same_role = bool(a_near & _neighbour_keys(query, j)) or (
                    unit != "" and unit == _number_unit(q)
                )
                kind = "number"
            if same_role:
                used.add(j)
                conflicts.append(
                    Conflict(kind, q.surface, a.surface, (q.start, q.end), (a.start, a.end))
                )
                break
    conflicts.extend(_month_conflicts(query, archive))
    denied = negation_conflict(query, archive)
    if denied is not None:
        conflicts.append(denied)
    return tuple(conflicts)


NEGATIONS = frozenset((
    "not", "no", "never", "none", "nobody", "nothing", "neither", "nor", "cannot", "without",
    "didnt", "doesnt", "dont", "isnt", "wasnt", "arent", "werent", "hasnt", "havent",
    "hadnt", "wont", "wouldnt", "cant", "couldnt", "shouldnt", "mustnt", "aint",
))  # fmt: skip
"""Token keys that deny what follows them ("didn't" is keyed "didnt")."""
_DETERMINERS = frozenset(("no", "without"))
"""Negations that deny the very next word ("no evidence", "without a check"), not one
further on ("no one" excepted: "no one was hurt")."""
_PREPOSITIONS = frozenset((
    "in", "of", "at", "on", "with", "for", "from", "by", "about", "to", "into", "over",
    "under", "after", "before", "since", "than",
))  # fmt: skip
"""A preposition ends what a negation can deny: in "no one in his cabinet" the cabinet
is not what is denied; in "did not vote for the bill" the vote comes first."""
_NOT_A_DENIAL = frozenset(("only", "just", "merely", "least", "longer", "less", "more"))
"""Words after a negation that make it something else: "not only ... but also", "no
less than", "no more than", "no longer" (a change, said of the present)."""
NEGATION_SCOPE = 4
"""A negation denies the first content word among the next four tokens ("did not
formally request": request)."""


def _negation_word(token: Token) -> bool:
    # A word in capitals is keyed as a name, apostrophe kept: "DON'T" is "don't".
    return token.key.replace("'", "") in NEGATIONS


def _is_negation(tokens: Sequence[Token], i: int) -> bool:
    """A negation that denies what follows: not "No, ...", "No. 14" or "not only"."""
    if not _negation_word(tokens[i]) or tokens[i].pause:
        return False
    return i + 1 >= len(tokens) or tokens[i + 1].key not in _NOT_A_DENIAL


def _denied(tokens: Sequence[Token], i: int) -> bool:
    """Whether a negation stands in the few tokens before ``tokens[i]``, in its clause."""
    for j in range(i - 1, max(-1, i - 1 - NEGATION_SCOPE), -1):
        if tokens[j].pause:
            return False
        if _is_negation(tokens, j):
            return True
    return False


def _followed_by(tokens: Sequence[Token], i: int, key: str) -> bool:
    return i + 1 < len(tokens) and tokens[i + 1].key == key


def _content_positions(tokens: Sequence[Token]) -> dict[str, list[int]]:
    """Where each content word stands, by :func:`_same_word` key."""
    where: dict[str, list[int]] = {}
    for k, t in enumerate(tokens):
        if not t.stop and t.kind != "number":
            where.setdefault(_same_word(t.key), []).append(k)
    return where


def _same_word(key: str) -> str:
    """A token's key as a denial compares it: the light stemmer keys "raised" as "rais"
    and "raise" as "raise", "banned" as "bann"; a verb is denied in its base form ("did
    not raise"), so a final e and a doubled last consonant are dropped."""
    if len(key) > 3 and key.endswith("e"):
        return key[:-1]
    if len(key) > 3 and key[-1] == key[-2] and key[-1] not in "aeiouls":
        return key[:-1]
    return key


def negation_conflict(query: Sequence[Token], archive: Sequence[Token]) -> Conflict | None:
    """A word one text denies and the other asserts: "did not request" against
    "requested", "no one was hurt" against "three were hurt"; None if there is none.

    The denied word is the first content word after a negation, in the same clause
    and within :data:`NEGATION_SCOPE` tokens, and not a name or a number ("Not Bob
    Barker", "No. 14" deny nothing); it conflicts when the other text has the same
    word (by stem, :func:`_same_word`) and no negation before any of its occurrences,
    and the denying text does not assert it too ("will not raise the tax, but will
    raise fees"). A negation like "no" or "without" denies only the word right after
    it. Said of a past check, such a pair is mostly about the opposite claim: its
    verdict does not carry over as it is. Paraphrased denials ("lost" against "did not win") are not
    found, and a presupposed fact is taken for a denied one ("we should not be
    spending twice as much" against "we spend twice as much").
    """
    for denying, asserting, denier_is_query in ((query, archive, True), (archive, query, False)):
        where = _content_positions(asserting)
        also = _content_positions(denying)
        for i in range(len(denying)):
            if not _is_negation(denying, i):
                continue
            scope = NEGATION_SCOPE
            if denying[i].key in _DETERMINERS and not _followed_by(denying, i, "one"):
                scope = 1
            for j in range(i + 1, min(len(denying), i + 1 + scope)):
                word = denying[j]
                if word.key in _PREPOSITIONS:
                    break
                if word.stop or _negation_word(word):
                    if word.pause:
                        break  # the clause ends before any content word
                    continue
                if word.kind != "word":
                    break  # a name or a number: not what a negation denies
                key = _same_word(word.key)
                found = where.get(key, [])
                said_too = any(not _denied(denying, k) for k in also.get(key, []))
                if found and not said_too and not any(_denied(asserting, k) for k in found):
                    said = asserting[found[0]]
                    denial = " ".join(t.surface for t in denying[i : j + 1])
                    denial_span, said_span = (denying[i].start, word.end), (said.start, said.end)
                    if denier_is_query:
                        return Conflict("negation", denial, said.surface, denial_span, said_span)
                    return Conflict("negation", said.surface, denial, said_span, denial_span)
                break  # only the first content word is denied
    return None


def _month_conflicts(query: Sequence[Token], archive: Sequence[Token]) -> list[Conflict]:
    def months(tokens: Sequence[Token]) -> list[Token]:
        return [
            t
            for i, t in enumerate(tokens)
            if (t.kind == "name" and t.surface.lower() in _MONTHS and t.surface.lower() != "may")
            or (
                t.surface == "May"
                and i + 1 < len(tokens)
                and tokens[i + 1].kind == "number"
                and len(tokens[i + 1].key) <= 2
            )
        ]

    q_months, a_months = months(query), months(archive)
    q_set = {_MONTHS[t.surface.lower()] for t in q_months}
    a_set = {_MONTHS[t.surface.lower()] for t in a_months}
    if len(q_months) == 1 and len(a_months) == 1 and q_set != a_set:
        q, a = q_months[0], a_months[0]
        return [Conflict("date", q.surface, a.surface, (q.start, q.end), (a.start, a.end))]
    return []
