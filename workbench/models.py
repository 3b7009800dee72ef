"""Plain data objects shared by every layer: what an article, a claim and a verdict are."""

from __future__ import annotations

from dataclasses import dataclass, field

from workbench.vocabulary import CHOSEN_PRIORITIES as CHOSEN_PRIORITIES
from workbench.vocabulary import LIBRARY_STATES as LIBRARY_STATES
from workbench.vocabulary import ClaimOrigin as ClaimOrigin
from workbench.vocabulary import ClaimType as ClaimType
from workbench.vocabulary import MatchStrength as MatchStrength
from workbench.vocabulary import Status as Status

MAX_ARTICLE_CHARS = 1_000_000
"""Longer article texts are refused, whatever the format: about 160,000 words, a book.

It is spaCy's own default ``nlp.max_length``, the length its trained parser and entity
recogniser are sized for; :func:`workbench.nlp.build_pipeline` makes every pipeline
accept at least this. Analysing that much takes about 15 s with the check-worthiness
model. Plain text is checked before it is split into paragraphs, every format again on
the article text that would be analysed.
"""


@dataclass(frozen=True, slots=True)
class ArticleDraft:
    """An article as a reader produced it, before it is stored.

    ``text`` is normalised: paragraphs separated by one blank line, runs of
    spaces folded, typographic quotes kept. ``published`` is ISO 8601 or None.
    """

    text: str
    title: str = ""
    source: str = ""
    author: str = ""
    url: str = ""
    published: str | None = None
    origin: str = ""
    """Where it came from: a file path, ``<stdin>`` or ``<clipboard>``."""
    warnings: tuple[str, ...] = ()
    """One-line messages for the user about the reading (a page reduced to a fraction of
    its text ...): the article is imported anyway, and shown with them."""
    pages: tuple[str, ...] = ()
    """A PDF's text page by page, as extracted before it is joined into paragraphs (to
    say which page a quote is on); empty for other formats."""


@dataclass(frozen=True, slots=True)
class DetectedClaim:
    """A check-worthy span found by the detector, in character offsets of the article text.

    ``claimant`` is who the sentence attributes the claim to, as written ("Kim Jong-un",
    "the ministry"), or ``""``; ``type`` is the claim's primary type, None when the claim
    was not typed (built by hand).
    """

    start: int
    end: int
    text: str
    score: float
    reasons: tuple[str, ...] = ()
    claimant: str = ""
    type: ClaimType | None = None


@dataclass(frozen=True, slots=True)
class Article:
    id: int
    title: str
    source: str
    author: str
    url: str
    published: str | None
    imported_at: str
    text: str
    content_hash: str
    origin: str = ""
    archived_at: str | None = None
    """When the fact-checker archived it (out of the library's list, kept whole)."""
    tags: tuple[str, ...] = ()
    """The fact-checker's labels, in alphabetical order."""


ARTICLE_FIELDS = ("title", "source", "author", "url", "published")
"""An article's header, the fields the fact-checker can edit: headline, outlet, byline,
link and publication date (ISO 8601)."""


@dataclass(frozen=True, slots=True)
class VaultFile:
    """A document kept in the evidence vault (:mod:`workbench.vault`), named by its hash."""

    sha256: str
    size: int
    media_type: str
    original_name: str
    """The file's name when it was added."""
    source_url: str
    """Where it came from on the web, if known ("" otherwise)."""
    captured_at: str
    """When it was added to the vault (UTC, ISO 8601)."""


@dataclass(frozen=True, slots=True)
class Quote:
    """A passage quoted from a document, and where it is, so it can be found again.

    ``start``/``end`` are character offsets into the document's text as the app's
    readers give it; ``page`` is 1-based for a PDF (None otherwise or if unknown);
    ``before``/``after`` are a little of the text around it, to find it again if the
    document is read differently one day.
    """

    text: str
    start: int | None = None
    end: int | None = None
    page: int | None = None
    before: str = ""
    after: str = ""


@dataclass(frozen=True, slots=True)
class Evidence:
    """A piece of evidence for a claim: a link, or a file in the vault; maybe a quote.

    ``url`` is the link (for a file, the address it came from, or "").
    """

    id: int
    claim_id: int
    url: str
    title: str
    note: str
    added_at: str
    file: VaultFile | None = None
    quote: Quote | None = None


@dataclass(frozen=True, slots=True)
class Claim:
    id: int
    article_id: int
    start: int
    end: int
    text: str
    score: float
    reasons: tuple[str, ...]
    status: Status
    note: str
    claimant: str
    origin: ClaimOrigin
    created_at: str
    updated_at: str
    evidence: tuple[Evidence, ...] = field(default=())
    type: ClaimType | None = None
    """The primary type the detector gave; None for a claim the fact-checker added, or
    one stored before claims had types."""
    tags: tuple[str, ...] = ()
    """The fact-checker's labels, in alphabetical order."""
    chosen_priority: str = ""
    """The priority the fact-checker gave the claim ("high", "medium" or "low"), or ""
    for the one its score gives (:mod:`workbench.priority`)."""


@dataclass(frozen=True, slots=True)
class HistoryEntry:
    """One recorded change to a claim: what field, from what, to what, by whom, when."""

    id: int
    claim_id: int
    field: str
    old: str | None
    new: str | None
    changed_by: str
    changed_at: str


# -- the archive of past checks ------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ArchiveRecord:
    """One past fact-check as read from an archive file, before it is stored.

    ``external_id`` is the record's own id (or, when it has none, a hash of its
    text, so that importing the same file twice stores it once). ``date`` is ISO
    8601 where it could be parsed, otherwise the text as given. ``publisher`` is
    who published the check (a record's ``source`` field, a ClaimReview's author).
    ``line`` is where the record starts in its file (1-based), for error reports.
    """

    text: str
    external_id: str = ""
    title: str = ""
    verdict: str = ""
    url: str = ""
    date: str = ""
    speaker: str = ""
    publisher: str = ""
    line: int = 0


@dataclass(frozen=True, slots=True)
class ArchiveClaim:
    """A stored past check: an imported one, or one of the fact-checker's own verdicts.

    ``source`` is the collection it was imported as, or ``"own"`` for a verdict
    recorded in this workbench; then ``claim_id`` is the claim it mirrors and
    ``external_id`` is ``"claim-<id>"``.
    """

    id: int
    external_id: str
    source: str
    text: str
    title: str
    verdict: str
    url: str
    date: str
    speaker: str
    publisher: str
    claim_id: int | None
    imported_at: str


@dataclass(frozen=True, slots=True)
class SharedTerm:
    """A word, number or name found in both the query and the archive claim.

    Spans are ``(start, end)`` character offsets: ``query_spans`` into the query
    text exactly as it was passed to the matcher, ``archive_spans`` into
    ``Match.archive.text``. ``kind`` is ``"word"``, ``"number"`` or ``"name"``.
    """

    text: str
    kind: str
    query_spans: tuple[tuple[int, int], ...]
    archive_spans: tuple[tuple[int, int], ...]


@dataclass(frozen=True, slots=True)
class Conflict:
    """The claims agree, but a number or date differs: ``"12,000 vs 10,000"``, or one
    denies what the other says: ``"did not request vs requested"``.

    ``kind`` is ``"number"``, ``"date"`` or ``"negation"``; the spans locate the two
    values as in :class:`SharedTerm` (query first, archive second).
    """

    kind: str
    query_value: str
    archive_value: str
    query_span: tuple[int, int]
    archive_span: tuple[int, int]

    @property
    def description(self) -> str:
        return f"{self.query_value} vs {self.archive_value}"

    def __str__(self) -> str:
        return self.description


@dataclass(frozen=True, slots=True)
class Match:
    """A past check similar to a claim, with why it matched.

    ``score`` is a calibrated, probability-like number in [0, 1] (see
    ``workbench.matching.POSSIBLE_MATCH`` and ``STRONG_MATCH``); ``signals`` are the
    named re-ranking signals it was fused from, in [0, 1], for tooltips and debugging.
    """

    archive: ArchiveClaim
    score: float
    strength: MatchStrength
    shared: tuple[SharedTerm, ...] = ()
    conflicts: tuple[Conflict, ...] = ()
    signals: tuple[tuple[str, float], ...] = ()
