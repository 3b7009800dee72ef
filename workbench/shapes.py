"""Articles, claims and evidence as JSON-ready data: the one shape for the CLI and the reports.

``workbench show --json``, ``analyze --json``, ``claim set --json``, ``claim add --json``
and ``article edit --json`` print these; the JSON report (:mod:`workbench.reports.json`)
puts them in its versioned document, whose JSON Schema
(``resources/schemas/report.schema.json``) describes every field. A field added here is
a new ``schema_version`` of the report.
"""

from __future__ import annotations

from typing import Any

from workbench.models import Article, Claim, Evidence, Quote, VaultFile
from workbench.priority import Priority


def article_data(article: Article) -> dict[str, Any]:
    """Every field of an article but its archiving (the library's state, not its content)."""
    return {
        "id": article.id,
        "title": article.title,
        "source": article.source,
        "author": article.author,
        "url": article.url,
        "published": article.published,
        "imported_at": article.imported_at,
        "origin": article.origin,
        "content_hash": article.content_hash,
        "tags": list(article.tags),
        "text": article.text,
    }


def claim_data(claim: Claim, priority: Priority, *, brief: bool = False) -> dict[str, Any]:
    """A claim with the ``priority`` it shows; ``brief``: what the detector found, no more.

    The brief shape is ``analyze --json``'s list of flagged units: text, place, score,
    priority, reasons, status, claimant and type. The full one adds the fact-checker's
    work: note, tags, chosen priority, origin, times and evidence.
    """
    data: dict[str, Any] = {
        "id": claim.id,
        "start": claim.start,
        "end": claim.end,
        "text": claim.text,
        "score": claim.score,
        "reasons": list(claim.reasons),
        "status": claim.status.value,
        "claimant": claim.claimant,
        "type": claim.type.value if claim.type is not None else None,
        "priority": priority.value,
    }
    if brief:
        return data
    return data | {
        "note": claim.note,
        "tags": list(claim.tags),
        "chosen_priority": claim.chosen_priority,
        "origin": claim.origin.value,
        "created_at": claim.created_at,
        "updated_at": claim.updated_at,
        "evidence": [evidence_data(e) for e in claim.evidence],
    }


def evidence_data(item: Evidence) -> dict[str, Any]:
    """A piece of evidence: the link, and its vault file and quote (null when none)."""
    return {
        "id": item.id,
        "url": item.url,
        "title": item.title,
        "note": item.note,
        "added_at": item.added_at,
        "file": _file_data(item.file) if item.file is not None else None,
        "quote": _quote_data(item.quote) if item.quote is not None else None,
    }


def _file_data(file: VaultFile) -> dict[str, Any]:
    return {
        "sha256": file.sha256,
        "size": file.size,
        "media_type": file.media_type,
        "original_name": file.original_name,
        "source_url": file.source_url,
        "captured_at": file.captured_at,
    }


def _quote_data(quote: Quote) -> dict[str, Any]:
    return {
        "text": quote.text,
        "start": quote.start,
        "end": quote.end,
        "page": quote.page,
        "before": quote.before,
        "after": quote.after,
    }
