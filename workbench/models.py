"""Plain data objects shared by every layer: what an article, a claim and a verdict are."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field


class Status(enum.StrEnum):
    """A fact-checker's verdict on a claim. Every claim starts ``UNCHECKED``."""

    UNCHECKED = "unchecked"
    VERIFIED = "verified"
    DISPUTED = "disputed"
    UNVERIFIABLE = "unverifiable"


class ClaimOrigin(enum.StrEnum):
    """Who put a claim there: the detector, or the fact-checker correcting it."""

    DETECTOR = "detector"
    USER = "user"


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


@dataclass(frozen=True, slots=True)
class DetectedClaim:
    """A check-worthy span found by the detector, in character offsets of the article text."""

    start: int
    end: int
    text: str
    score: float
    reasons: tuple[str, ...] = ()


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


@dataclass(frozen=True, slots=True)
class Evidence:
    id: int
    claim_id: int
    url: str
    title: str
    note: str
    added_at: str


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
