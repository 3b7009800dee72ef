"""The one report model every export format is written from.

A :class:`Report` is read from the store once (article, claims with evidence, who
checked them, the organisation settings, each claim's priority under the store's
``priority.*`` settings) and is then plain data: the writers never touch the
database, so a worker thread can build a report and write it anywhere.

What a reader sees never includes the database's ids (a claim is known by its number
in the report) nor a detector score for a claim the fact-checker added by hand.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime

from workbench.display import day_month_year, parse_iso
from workbench.errors import ValidationError
from workbench.models import Article, Claim, ClaimOrigin, Evidence, Quote, Status
from workbench.priority import Priority, PriorityThresholds
from workbench.reports.settings import (
    SETTING_ORGANISATION,
    SETTING_ORGANISATION_URL,
    SETTING_REVIEW_URL_TEMPLATE,
    checker_name,
)
from workbench.store import Store

STATUS_ORDER: tuple[Status, ...] = (
    Status.VERIFIED,
    Status.DISPUTED,
    Status.UNVERIFIABLE,
    Status.UNCHECKED,
)
"""The order statuses are listed in every report summary."""

STATUS_LABELS: Mapping[Status, str] = {status: status.label for status in Status}
STATUS_GLYPHS: Mapping[Status, str] = {status: status.glyph for status in Status}
"""A non-colour cue per status, the same glyphs the desktop app shows (``Status.glyph``)."""

_PARAGRAPH_BREAK = re.compile(r"\n[ \t]*\n\s*")


@dataclass(frozen=True, slots=True)
class Organisation:
    """Who publishes the reports, from the ``report.*`` settings (empty when not set)."""

    name: str = ""
    url: str = ""
    review_url_template: str = ""

    def review_url(self, article_id: int, claim_id: int) -> str | None:
        """The published review's URL for a claim, or None without a template."""
        if not self.review_url_template:
            return None
        return self.review_url_template.replace("{article_id}", str(article_id)).replace(
            "{claim_id}", str(claim_id)
        )

    @classmethod
    def from_settings(cls, settings: Mapping[str, str]) -> Organisation:
        return cls(
            name=settings.get(SETTING_ORGANISATION, "").strip(),
            url=settings.get(SETTING_ORGANISATION_URL, "").strip(),
            review_url_template=settings.get(SETTING_REVIEW_URL_TEMPLATE, "").strip(),
        )


@dataclass(frozen=True, slots=True)
class Checker:
    """Someone who changed the article's claims, and when they last did.

    ``name`` is as reports show it: for the user who builds the report, the
    ``report.checker_name`` setting or their account's full name; for anyone else,
    the name their changes were recorded under.
    """

    name: str
    last_change: str


@dataclass(frozen=True, slots=True)
class Segment:
    """A run of article text inside one paragraph: plain, or (part of) claim ``number``.

    ``ends_claim`` is True on the segment where a claim ends, where its marker goes.
    """

    text: str
    number: int | None = None
    claim: Claim | None = None
    ends_claim: bool = False


@dataclass(frozen=True, slots=True)
class Report:
    """One article's verification report: everything every export format needs."""

    article: Article
    claims: tuple[Claim, ...]
    """In reading order; a claim's number in the report is its index plus one."""
    checkers: tuple[Checker, ...] = ()
    generated_at: str = ""
    organisation: Organisation = field(default_factory=Organisation)
    priorities: Mapping[int, Priority] = field(default_factory=dict)
    """Each claim's priority by claim id, from the store's ``priority.*`` settings when
    the report was built (or as a JSON report recorded them)."""

    def priority(self, claim: Claim) -> Priority:
        """The claim's priority; one the report does not record gets the default thresholds."""
        recorded = self.priorities.get(claim.id)
        return recorded if recorded is not None else PriorityThresholds().of(claim)

    @staticmethod
    def detector_score(claim: Claim) -> float | None:
        """The detector's score to show for a claim; None for one added by hand, which
        the detector never scored (the store gives it 1.0 only to sort it first)."""
        return None if claim.origin is ClaimOrigin.USER else claim.score

    def kind(self, claim: Claim) -> str:
        """The claim's type and priority in words: "Quantity or statistic · High priority".

        An untyped claim (one added by hand, or stored before claims had types) shows
        its priority alone.
        """
        priority = self.priority(claim).label
        if claim.chosen_priority:
            priority = f"{priority} (the fact-checker's)"
        if claim.type is None:
            return priority
        label = claim.type.label
        return f"{label[:1].upper()}{label[1:]} · {priority}"

    @property
    def counts(self) -> dict[Status, int]:
        """How many claims have each status, in :data:`STATUS_ORDER` (zeros included)."""
        counts = dict.fromkeys(STATUS_ORDER, 0)
        for claim in self.claims:
            counts[claim.status] += 1
        return counts

    @property
    def checked_count(self) -> int:
        return sum(claim.status is not Status.UNCHECKED for claim in self.claims)

    @property
    def checked_claims(self) -> tuple[Claim, ...]:
        return tuple(c for c in self.claims if c.status is not Status.UNCHECKED)

    @property
    def last_checked_at(self) -> str | None:
        """The time of the latest change anyone made to the claims, if any."""
        return max((c.last_change for c in self.checkers), default=None)

    def paragraphs(self) -> list[list[Segment]]:
        """The article's paragraphs, each cut into plain and claim segments.

        A claim that crosses a paragraph break is split into one segment per
        paragraph; only the last carries ``ends_claim``. Overlapping claims (which
        the store does not create) are clipped so no text is shown twice.
        """
        text = self.article.text
        bounds: list[tuple[int, int]] = []
        pos = 0
        for brk in _PARAGRAPH_BREAK.finditer(text):
            bounds.append((pos, brk.start()))
            pos = brk.end()
        bounds.append((pos, len(text.rstrip())))
        numbered = list(enumerate(self.claims, start=1))
        result: list[list[Segment]] = []
        for p_start, p_end in bounds:
            if p_end <= p_start:
                continue
            segments: list[Segment] = []
            cursor = p_start
            for number, claim in numbered:
                start, end = max(claim.start, cursor), min(claim.end, p_end)
                if start >= end:
                    continue
                if start > cursor:
                    segments.append(Segment(text[cursor:start]))
                segments.append(Segment(text[start:end], number, claim, end == claim.end))
                cursor = end
            if cursor < p_end:
                segments.append(Segment(text[cursor:p_end]))
            result.append(segments)
        return result


def human_date(value: str | None) -> str:
    """``2024-11-28`` -> ``28 November 2024``; a time is kept (with UTC when given).

    Month names are English whatever the locale (the app's process has the user's).
    Text that is not an ISO date is returned as it is.
    """
    if not value:
        return ""
    when = parse_iso(value)
    if when is None:
        return value
    day = day_month_year(when)
    if not isinstance(when, datetime):
        return day
    zone = " UTC" if when.utcoffset() is not None and not when.utcoffset() else ""
    return f"{day}, {when:%H:%M}{zone}"


def evidence_name(item: Evidence) -> str:
    """What a report calls a piece of evidence: its title, else its file's name, else its URL."""
    if item.title.strip():
        return item.title
    if item.file is not None and item.file.original_name.strip():
        return item.file.original_name
    return item.url


def short_hash(sha256: str) -> str:
    """A file's SHA-256 as a reader sees it: the first 12 hex digits and an ellipsis."""
    return f"{sha256[:12]}…"


def quote_location(quote: Quote | None) -> str:
    """Where a quote is, for a reader: "page 4" when the page is known, else "".

    Character offsets are for finding the passage again, not for reading: they are
    in the JSON report and the bundle's manifest, never in the text of a report.
    """
    if quote is None or quote.page is None:
        return ""
    return f"page {quote.page}"


def utc_now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def build_report(store: Store, article_id: int, *, generated_at: str | None = None) -> Report:
    """Read one article's report from the store.

    Raises:
        NotFoundError: there is no article with this id.
    """
    article = store.article(article_id)
    claims = tuple(store.claims(article_id))
    thresholds = PriorityThresholds.load(store).for_article(claims)
    settings = store.settings(prefix="report.")
    checkers = named_checkers(
        store.checkers(article_id), user=store.user, name=checker_name(settings, store.user)
    )
    return Report(
        article=article,
        claims=claims,
        checkers=checkers,
        generated_at=generated_at or utc_now(),
        organisation=Organisation.from_settings(settings),
        priorities={claim.id: thresholds.of(claim) for claim in claims},
    )


def named_checkers(
    recorded: Sequence[tuple[str, str]], *, user: str, name: str
) -> tuple[Checker, ...]:
    """The checkers as reports name them: ``user``'s changes under ``name``.

    ``recorded`` is the store's ``(recorded name, last change)`` pairs, in order of
    first change; two that end up with the same name become one, with the later time.
    """
    last: dict[str, str] = {}
    for recorded_name, when in recorded:
        shown = name if recorded_name == user else recorded_name
        last[shown] = max(last.get(shown, when), when)
    return tuple(Checker(shown, when) for shown, when in last.items())


def build_reports(
    store: Store, article_ids: Sequence[int], *, generated_at: str | None = None
) -> list[Report]:
    """Reports for several articles (duplicates dropped, order kept), with one timestamp.

    Raises:
        NotFoundError: one of the ids is not a stored article (nothing is returned).
        ValidationError: no ids were given.
    """
    if not article_ids:
        raise ValidationError("no articles to export")
    when = generated_at or utc_now()
    return [build_report(store, i, generated_at=when) for i in dict.fromkeys(article_ids)]


QUOTATION_MARKS = "\"'“”‘’«»„‚"
"""Marks a claim or quote may already start or end with (it is shown as written)."""


def quoted(value: str) -> str:
    """``value`` between quotation marks, unless it starts or ends with one: a claim that
    is itself a quote (“We lost everything,” one farmer said.) got doubled marks."""
    text = value.strip()
    if text[:1] in QUOTATION_MARKS or text[-1:] in QUOTATION_MARKS:
        return value
    return f"“{value}”"
