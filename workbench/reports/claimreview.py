"""schema.org ``ClaimReview`` JSON-LD: one object per checked claim, for publishing.

How statuses map onto the rating (also in the README):

============  ==================  ===========  ==========================
status        ``alternateName``   ratingValue  scale
============  ==================  ===========  ==========================
verified      Accurate            2            worstRating 1, bestRating 2
disputed      Disputed            1            worstRating 1, bestRating 2
unverifiable  Unverifiable        (none)       not a point on the scale
unchecked     (no ClaimReview)
============  ==================  ===========  ==========================

"Unverifiable" says nothing about truth, so it gets no number rather than a
misleading middle value. The claim's note, when there is one, becomes the rating's
``ratingExplanation``. Each piece of evidence the fact-checker quoted from a web
address becomes a ``citation`` (a ``CreativeWork`` with its ``url`` and, when it has a
title, ``name``); evidence without a quote, or whose address is not http(s), is not
cited. URLs are given in :func:`~workbench.reports.model.http_url`'s encoded form (the
one every report links to), and left out when not http(s). The output is validated
against ``resources/schemas/claimreview.schema.json`` before it is written.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from resources import resource_path
from workbench.errors import WorkbenchError
from workbench.models import Claim, Status
from workbench.reports.model import Report
from workbench.reports.settings import SETTING_ORGANISATION
from workbench.textsafety import http_url, safe_json

if TYPE_CHECKING:  # imported when first needed: it costs 50 ms at start-up
    import jsonschema

SCHEMA_FILE = ("schemas", "claimreview.schema.json")
CONTEXT = "https://schema.org"
BEST_RATING = 2
WORST_RATING = 1


RATINGS: Mapping[Status, tuple[str, int | None]] = {
    Status.VERIFIED: ("Accurate", 2),
    Status.DISPUTED: ("Disputed", 1),
    Status.UNVERIFIABLE: ("Unverifiable", None),
}
"""Each checked status's ``alternateName`` and ``ratingValue`` (None: no number)."""


class ClaimReviewError(WorkbenchError):
    """ClaimReview output cannot be made (missing settings) or would be invalid."""


def _one_line(text: str) -> str:
    return " ".join(text.split())


def _date(value: str | None) -> str | None:
    """The date part of an ISO timestamp, if the value starts with one."""
    if value and len(value) >= 10 and value[4:5] == "-" and value[7:8] == "-":
        return value[:10]
    return None


def citations(claim: Claim) -> list[dict[str, Any]]:
    """The claim's quoted evidence with an http(s) address, as schema.org ``citation``s.

    One per address (the first title given for it), in the order of the evidence.
    """
    cited: dict[str, dict[str, Any]] = {}
    for item in claim.evidence:
        if item.quote is None or not item.quote.text.strip():
            continue
        url = http_url(item.url)
        if not url or url in cited:
            continue
        work: dict[str, Any] = {"@type": "CreativeWork", "url": url}
        if name := _one_line(item.title):
            work["name"] = name
        cited[url] = work
    return list(cited.values())


def claim_reviews(report: Report) -> list[dict[str, Any]]:
    """The ClaimReview objects for a report's checked claims, in reading order.

    Raises:
        ClaimReviewError: the organisation (``report.organisation``) is not set.
    """
    organisation = report.organisation
    if not organisation.name:
        raise ClaimReviewError(
            "ClaimReview needs the fact-checking organisation; set it with: "
            f"workbench settings set {SETTING_ORGANISATION} NAME"
        )
    author: dict[str, Any] = {"@type": "Organization", "name": organisation.name}
    if organisation_url := http_url(organisation.url):
        author["url"] = organisation_url
    article = report.article
    appearance: dict[str, Any] | None = None
    if article_url := http_url(article.url):
        appearance = {"@type": "CreativeWork", "url": article_url}
        if article.title.strip():
            appearance["headline"] = _one_line(article.title)
        if _date(article.published):
            appearance["datePublished"] = _date(article.published)
        if article.source.strip():
            appearance["publisher"] = {"@type": "Organization", "name": article.source.strip()}
    reviews = []
    for claim in report.checked_claims:
        name, value = RATINGS[claim.status]
        rating: dict[str, Any] = {"@type": "Rating", "alternateName": name}
        if value is not None:
            rating |= {"ratingValue": value, "bestRating": BEST_RATING, "worstRating": WORST_RATING}
        if claim.note.strip():
            rating["ratingExplanation"] = claim.note.strip()
        item: dict[str, Any] = {"@type": "Claim"}
        if claim.claimant.strip():
            item["author"] = {"@type": "Person", "name": claim.claimant.strip()}
        if _date(article.published):
            item["datePublished"] = _date(article.published)
        if appearance is not None:
            item["appearance"] = appearance
        review: dict[str, Any] = {
            "@context": CONTEXT,
            "@type": "ClaimReview",
            "claimReviewed": _one_line(claim.text),
            "reviewRating": rating,
            "itemReviewed": item,
            "datePublished": _date(claim.updated_at) or _date(report.generated_at),
            "author": author,
        }
        if review_url := http_url(organisation.review_url(article.id, claim.id) or ""):
            review["url"] = review_url
        if cited := citations(claim):
            review["citation"] = cited
        reviews.append(review)
    return reviews


@functools.cache
def validator() -> jsonschema.protocols.Validator:
    """A validator for ``resources/schemas/claimreview.schema.json``."""
    import jsonschema

    schema = json.loads(resource_path(*SCHEMA_FILE).read_text(encoding="utf-8"))
    cls = jsonschema.validators.validator_for(schema)
    cls.check_schema(schema)
    checker: jsonschema.protocols.Validator = cls(schema)
    return checker


def validate_claim_reviews(reviews: Sequence[Mapping[str, Any]]) -> None:
    """Raise :class:`ClaimReviewError` if the objects do not match the bundled schema."""
    from jsonschema.exceptions import best_match

    error = best_match(validator().iter_errors(list(reviews)))
    if error is not None:
        where = "/".join(str(p) for p in error.absolute_path) or "the output"
        raise ClaimReviewError(
            f"the ClaimReview output would be invalid at {where}: {error.message}"
        )


def write_claimreview(report: Report) -> bytes:
    """A JSON array of ClaimReview objects, validated (an empty array if none is checked)."""
    reviews = claim_reviews(report)
    validate_claim_reviews(reviews)
    return (safe_json(reviews, indent=2) + "\n").encode("utf-8")
