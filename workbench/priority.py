"""Priorities: which claims a fact-checker should look at first.

A claim's detector score is the probability that a fact-checker would check it. The
app does not show that number first: it shows a priority, high, medium or low, with
the two boundaries in the settings (``priority.high``, ``priority.medium``), so a desk
can make "high" rarer or commoner. A claim the fact-checker added by hand has no
detector score worth showing: its priority is :attr:`Priority.MANUAL`, "added by you".

In a report of hard news nearly every sentence is a checkable claim and scores above
0.9, so a score threshold alone made most of an article high priority (62% of the
claims of the 43 Wikinews articles, 16 of the sample article's 22) and nothing stood
out. High priority is therefore also a rank: only the best-scored quarter of an
article's detected claims (``priority.high_share``; at least :data:`MIN_HIGH`) can be
high, whatever their scores; the others above the threshold are medium.

The fact-checker can give a claim its priority (:attr:`Claim.chosen_priority`): it
then holds whatever the score, the claim leaves the ranking, and later articles learn
from it (:mod:`workbench.nlp.feedback`).
"""

from __future__ import annotations

import enum
import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Protocol

from workbench.errors import ValidationError
from workbench.textsafety import clipped
from workbench.vocabulary import (
    PRIORITY_SETTINGS,
    SETTING_HIGH,
    SETTING_HIGH_SHARE,
    SETTING_MEDIUM,
    ClaimOrigin,
    Status,
)

if TYPE_CHECKING:
    from workbench.models import Claim


class _Store(Protocol):
    """What :meth:`PriorityThresholds.load` reads of a store (the store imports this
    module to count urgent claims, so this one does not import the store)."""

    def settings(self, *, prefix: str = "") -> dict[str, str]: ...

    def claims(self, article_id: int) -> list[Claim]: ...


MIN_HIGH = 3
"""However short the article, its three best-scored claims may be high priority."""


class Priority(enum.StrEnum):
    """How soon a claim deserves a look, most urgent first."""

    HIGH = "high"
    MANUAL = "added by you"
    MEDIUM = "medium"
    LOW = "low"

    @property
    def rank(self) -> int:
        """0 for the most urgent; claims added by hand come right after high ones."""
        return list(Priority).index(self)

    @property
    def label(self) -> str:
        """How the app names it: "High priority", "Added by you"."""
        return "Added by you" if self is Priority.MANUAL else f"{self.value.capitalize()} priority"


def ranked(claim: Claim) -> bool:
    """Whether the claim's priority comes from its score: a detected claim to which the
    fact-checker gave no priority."""
    return claim.origin is not ClaimOrigin.USER and not claim.chosen_priority


def high_room(detected: int, share: float) -> int:
    """How many of an article's ``detected`` claims may be high priority.

    The store counts the same in SQL (``ArticlesMixin.articles``): keep the two alike.

    >>> high_room(22, 0.25), high_room(4, 0.25), high_room(100, 1.0)
    (6, 3, 100)
    """
    return max(MIN_HIGH, math.ceil(detected * share))


@dataclass(frozen=True, slots=True)
class PriorityThresholds:
    """Where a detected claim is high, and medium, priority.

    A claim is high priority when it scores ``high`` or more and is among the
    :func:`high_room` best-scored detected claims of its article: thresholds graded
    against an article (:meth:`for_article`) hold the score that rank needs,
    ``cutoff``. Ungraded thresholds (cutoff 0) judge by the score alone.

    The defaults, on the 43 labelled Wikinews articles (``benchmarks/news_units.py``):
    see the README's measured figures.
    """

    high: float = 0.9
    medium: float = 0.6
    high_share: float = 0.25
    cutoff: float = 0.0
    """The lowest score among the article's best-scored claims that may be high."""

    def __post_init__(self) -> None:
        if not 0.0 <= self.medium <= self.high <= 1.0:
            raise ValidationError(
                f"priority thresholds must satisfy 0 <= medium <= high <= 1"
                f" (medium {self.medium}, high {self.high})"
            )
        if not 0.0 <= self.high_share <= 1.0:
            raise ValidationError(
                f"the high-priority share must be from 0 to 1, not {self.high_share}"
            )

    def for_article(self, claims: Iterable[Claim]) -> PriorityThresholds:
        """These thresholds graded against all the claims of one article (those the
        fact-checker gave a priority, or added, are not ranked)."""
        return self.for_scores(c.score for c in claims if ranked(c))

    def for_scores(self, scores: Iterable[float]) -> PriorityThresholds:
        """These thresholds graded against the detector scores of one article's claims."""
        best = sorted(scores, reverse=True)
        room = high_room(len(best), self.high_share)
        return replace(self, cutoff=best[room - 1] if len(best) > room else 0.0)

    @classmethod
    def from_settings(cls, settings: Mapping[str, str]) -> PriorityThresholds:
        """The thresholds the settings hold; a missing or unusable value keeps its default."""
        default = cls()
        high, medium = _number(settings.get(SETTING_HIGH)), _number(settings.get(SETTING_MEDIUM))
        share = _number(settings.get(SETTING_HIGH_SHARE))
        try:
            return cls(
                high=default.high if high is None else high,
                medium=default.medium if medium is None else medium,
                high_share=default.high_share if share is None else share,
            )
        except ValidationError:
            return default

    @classmethod
    def load(cls, store: _Store, article_id: int | None = None) -> PriorityThresholds:
        """The thresholds set in ``store``'s settings (defaults where none is set),
        graded against the claims of ``article_id`` when one is given."""
        thresholds = cls.from_settings(store.settings(prefix="priority."))
        if article_id is None:
            return thresholds
        return thresholds.for_article(store.claims(article_id))

    def of(self, claim: Claim) -> Priority:
        """The priority of ``claim``."""
        if claim.chosen_priority:
            return Priority(claim.chosen_priority)
        return Priority.MANUAL if claim.origin is ClaimOrigin.USER else self.level(claim.score)

    def rank_note(self, claim: Claim) -> str:
        """Why a claim that scores high enough for high priority is medium, or ``""``."""
        if not ranked(claim) or not self.cutoff > claim.score >= self.high:
            return ""
        return (
            "not among this article's best-scored claims (its top"
            f" {self.high_share:.0%}, at least {MIN_HIGH}, can be high)"
        )

    def level(self, score: float) -> Priority:
        """The priority of a detected claim scoring ``score``."""
        if score >= self.high and score >= self.cutoff:
            return Priority.HIGH
        if score >= self.medium:
            return Priority.MEDIUM
        return Priority.LOW


def check_priority_setting(key: str, value: str, settings: Mapping[str, str]) -> str:
    """Validate a ``priority.*`` setting before it is stored (other keys pass unchanged).

    Raises:
        ValidationError: an unknown ``priority.*`` key, a value that is not a number
            from 0 to 1, or one that would put medium above high.
    """
    if not key.startswith("priority."):
        return value
    if key not in PRIORITY_SETTINGS:
        raise ValidationError(
            f"unknown priority setting {key!r} (known: {', '.join(PRIORITY_SETTINGS)})"
        )
    value = value.strip()
    number = _number(value)
    if number is None or not 0.0 <= number <= 1.0:
        raise ValidationError(f"{key} must be a number from 0 to 1, not {clipped(value, 40)!r}")
    current = PriorityThresholds.from_settings(settings)
    if key == SETTING_HIGH:
        replace(current, high=number)
    elif key == SETTING_MEDIUM:
        replace(current, medium=number)
    return value


def next_unchecked(
    claims: list[Claim], thresholds: PriorityThresholds, after: int | None = None
) -> Claim | None:
    """The next unchecked claim of the highest priority left, in reading order after ``after``.

    Reading order wraps around, so repeated calls visit every unchecked claim of that
    priority before moving to the next priority.
    """
    unchecked = [c for c in claims if c.status is Status.UNCHECKED]
    if not unchecked:
        return None
    best = min(thresholds.of(c).rank for c in unchecked)
    order = {c.id: i for i, c in enumerate(claims)}
    candidates = [c for c in unchecked if thresholds.of(c).rank == best]
    position = order.get(after, -1) if after is not None else -1
    later = [c for c in candidates if order[c.id] > position]
    return (later or candidates)[0]


def _number(value: str | None) -> float | None:
    """A finite number, or None for a missing, empty or unreadable value."""
    try:
        number = float(value) if value is not None and value.strip() else None
    except ValueError:
        return None
    return number if number is not None and math.isfinite(number) else None
