"""The JSON export: everything in the reports, with a ``schema_version``, re-readable.

Layout (``schema_version`` 5, described by ``resources/schemas/report.schema.json``)::

    {"schema_version": 5, "generator": "...", "generated_at": "...",
     "organisation": {"name", "url", "review_url_template"},
     "totals": {"articles": n, "claims": n, "checked": n, "by_status": {status: n}},
     "reports": [{"article": {...every Article field but archived_at...},
                  "summary": {"claims", "checked", "by_status", "checked_by", "last_checked_at"},
                  "claims": [{...every Claim field but article_id..., "priority": "...",
                              "evidence": [{"id", "url", "title", "note", "added_at",
                                            "file": {...} | null, "quote": {...} | null}]}]}]}

The article, claim and evidence objects are :mod:`workbench.shapes`', the shape the
command line prints too.

A claim's ``type`` is its :class:`~workbench.models.ClaimType` value or null, its
``priority`` the :class:`~workbench.priority.Priority` value ("high", "added by you" ...)
under the priority settings of the workbench that wrote the report. Version 2 added
both; a version 1 document, which has neither, is still read: its claims get no type
and the priority the default thresholds give.

Version 4 added each claim's ``chosen_priority``: the priority the fact-checker gave
it ("high", "medium", "low"), or "" for the detector's; older claims read as "".

Version 5 added the ``tags`` of each article and claim (the fact-checker's labels, in
alphabetical order); older ones read as none.

Version 3 added each piece of evidence's ``file`` (a document kept in the evidence
vault: ``sha256``, ``size``, ``media_type``, ``original_name``, ``source_url``,
``captured_at``) and ``quote`` (``text``, ``start``/``end``: character offsets into the
document's text as the workbench reads it, ``page``: 1-based or null, ``before``/``after``:
a little text on either side), each null when there is none. Versions 1 and 2 have
neither field; their evidence is read as links without a quote.

``summary`` and ``totals`` are derived from the claims (for a desk's tally without a
script); :func:`read_report_json` checks they agree with them. ``checked_by`` names
people as the other formats do (the ``report.checker_name`` setting, or the account's
full name, for whoever exported it).
"""

from __future__ import annotations

import functools
import json
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from resources import resource_path
from workbench import __version__
from workbench.errors import WorkbenchError
from workbench.models import (
    Article,
    Claim,
    ClaimOrigin,
    ClaimType,
    Evidence,
    Quote,
    Status,
    VaultFile,
)
from workbench.priority import Priority, PriorityThresholds
from workbench.reports.model import STATUS_ORDER, Checker, Organisation, Report, utc_now
from workbench.shapes import article_data, claim_data
from workbench.textsafety import safe_json

if TYPE_CHECKING:  # imported when first needed: it costs 50 ms at start-up
    import jsonschema

SCHEMA_VERSION = 5
"""Bump when a field is added, changes meaning or is removed (the schema allows no
unknown fields); readers refuse newer versions and read every older one."""
SCHEMA_FILE = ("schemas", "report.schema.json")


class ReportFormatError(WorkbenchError):
    """A file is not a workbench JSON report this version can read."""


def _by_status(claims: Sequence[Claim]) -> dict[str, int]:
    counts = {status.value: 0 for status in STATUS_ORDER}
    for claim in claims:
        counts[claim.status.value] += 1
    return counts


def report_dict(report: Report) -> dict[str, Any]:
    """One report as JSON-ready data (an element of the document's ``reports``)."""
    return {
        "article": article_data(report.article),
        "summary": {
            "claims": len(report.claims),
            "checked": report.checked_count,
            "by_status": _by_status(report.claims),
            "checked_by": [{"name": c.name, "last_change": c.last_change} for c in report.checkers],
            "last_checked_at": report.last_checked_at,
        },
        "claims": [claim_data(c, report.priority(c)) for c in report.claims],
    }


def document(reports: Sequence[Report]) -> dict[str, Any]:
    """The whole JSON document for one or several reports."""
    all_claims = [c for r in reports for c in r.claims]
    organisation = reports[0].organisation if reports else Organisation()
    return {
        "schema_version": SCHEMA_VERSION,
        "generator": f"factcheck-workbench {__version__}",
        "generated_at": reports[0].generated_at if reports else utc_now(),
        "organisation": {
            "name": organisation.name,
            "url": organisation.url,
            "review_url_template": organisation.review_url_template,
        },
        "totals": {
            "articles": len(reports),
            "claims": len(all_claims),
            "checked": sum(c.status is not Status.UNCHECKED for c in all_claims),
            "by_status": _by_status(all_claims),
        },
        "reports": [report_dict(r) for r in reports],
    }


def write_json(reports: Sequence[Report]) -> bytes:
    """The reports as a UTF-8 JSON document (indented, non-ASCII kept; see :func:`safe_json`)."""
    return (safe_json(document(reports), indent=2) + "\n").encode("utf-8")


# -- reading back ---------------------------------------------------------------------


@functools.cache
def _validator() -> jsonschema.protocols.Validator:
    import jsonschema

    schema = json.loads(resource_path(*SCHEMA_FILE).read_text(encoding="utf-8"))
    cls = jsonschema.validators.validator_for(schema)
    cls.check_schema(schema)
    validator: jsonschema.protocols.Validator = cls(schema)
    return validator


def read_report_json(data: str | bytes) -> list[Report]:
    """Parse a JSON export back into :class:`Report` objects, strictly.

    The document must have ``schema_version`` 1 to 5 and match the JSON Schema (no
    missing or unknown fields: claims of version 2 on have ``type`` and ``priority``,
    of version 4 on ``chosen_priority``, articles and claims of version 5 ``tags``;
    evidence of version 3 on has ``file`` and ``quote``), and its summaries must agree
    with its claims.

    Raises:
        ReportFormatError: not JSON, a newer or unknown ``schema_version``, a field
            missing, unknown or of the wrong type, or inconsistent summaries.
    """
    try:
        doc = json.loads(data)
    except (ValueError, UnicodeDecodeError) as exc:
        raise ReportFormatError(f"not a JSON report: {exc}") from None
    except RecursionError:
        raise ReportFormatError("not a JSON report: nested too deeply") from None
    if not isinstance(doc, dict) or "schema_version" not in doc:
        raise ReportFormatError("not a workbench JSON report (no schema_version)")
    version = doc["schema_version"]
    if not isinstance(version, int) or isinstance(version, bool) or version < 1:
        raise ReportFormatError(f"unknown schema_version {version!r}")
    if version > SCHEMA_VERSION:
        raise ReportFormatError(
            f"this report has schema_version {version}, written by a newer workbench "
            f"(this one reads {SCHEMA_VERSION}); please upgrade"
        )
    from jsonschema.exceptions import best_match

    error = best_match(_validator().iter_errors(doc))
    if error is not None:
        where = "/".join(str(p) for p in error.absolute_path) or "the document"
        raise ReportFormatError(f"invalid JSON report at {where}: {error.message}")
    org = doc["organisation"]
    organisation = Organisation(org["name"], org["url"], org["review_url_template"])
    reports = [_report_from(item, doc["generated_at"], organisation) for item in doc["reports"]]
    totals = doc["totals"]
    all_claims = [c for r in reports for c in r.claims]
    if totals["articles"] != len(reports) or totals["by_status"] != _by_status(all_claims):
        raise ReportFormatError("invalid JSON report: totals do not match the claims")
    return reports


def _report_from(item: dict[str, Any], generated_at: str, organisation: Organisation) -> Report:
    fields = item["article"]
    article = Article(
        **{k: v for k, v in fields.items() if k != "tags"}, tags=tuple(fields.get("tags", ()))
    )
    claims = tuple(_claim_from(c, article) for c in item["claims"])
    summary = item["summary"]
    if summary["by_status"] != _by_status(claims) or summary["claims"] != len(claims):
        raise ReportFormatError(
            f"invalid JSON report: the summary of article {article.id} does not match its claims"
        )
    recorded = {c["id"]: Priority(c["priority"]) for c in item["claims"] if "priority" in c}
    graded = PriorityThresholds().for_article(claims)  # a version 1 claim has none
    return Report(
        article=article,
        claims=claims,
        checkers=tuple(Checker(c["name"], c["last_change"]) for c in summary["checked_by"]),
        generated_at=generated_at,
        organisation=organisation,
        priorities={c.id: recorded.get(c.id) or graded.of(c) for c in claims},
    )


def _claim_from(data: dict[str, Any], article: Article) -> Claim:
    if not (0 <= data["start"] < data["end"] <= len(article.text)):
        raise ReportFormatError(
            f"invalid JSON report: claim {data['id']} lies outside article {article.id}"
        )
    return Claim(
        id=data["id"],
        article_id=article.id,
        start=data["start"],
        end=data["end"],
        text=data["text"],
        score=float(data["score"]),
        reasons=tuple(data["reasons"]),
        status=Status(data["status"]),
        note=data["note"],
        claimant=data["claimant"],
        origin=ClaimOrigin(data["origin"]),
        created_at=data["created_at"],
        updated_at=data["updated_at"],
        evidence=tuple(_evidence_from(e, data["id"]) for e in data["evidence"]),
        type=ClaimType(data["type"]) if data.get("type") is not None else None,
        chosen_priority=data.get("chosen_priority", ""),
        tags=tuple(data.get("tags", ())),
    )


def _evidence_from(data: dict[str, Any], claim_id: int) -> Evidence:
    file = VaultFile(**data["file"]) if data.get("file") is not None else None
    quote = Quote(**data["quote"]) if data.get("quote") is not None else None
    if (
        quote is not None
        and quote.start is not None
        and quote.end is not None
        and quote.end < quote.start
    ):
        raise ReportFormatError(
            f"invalid JSON report: a quote of claim {claim_id} ends before it starts"
        )
    fields = {k: v for k, v in data.items() if k not in ("file", "quote")}
    return Evidence(claim_id=claim_id, **fields, file=file, quote=quote)
