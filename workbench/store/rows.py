"""What the store's modules share: rows turned into models, values checked before they are written.

Every aggregate module reads claims, evidence and past checks the same way and refuses
the same bad input (a URL that is not http(s), a span outside the article, an unknown
status), so those rules live here once. So do the SQL fragments of the archive row that
mirrors a claim's verdict: a migration and :mod:`workbench.store.archive` both write it.
"""

from __future__ import annotations

import hashlib
import json
import logging
import sqlite3
from collections.abc import Mapping
from dataclasses import fields
from datetime import UTC, datetime

from workbench.errors import ValidationError
from workbench.models import (
    CHOSEN_PRIORITIES,
    ArchiveClaim,
    Claim,
    ClaimOrigin,
    ClaimType,
    Evidence,
    Quote,
    Status,
    VaultFile,
)
from workbench.textsafety import MAX_URL_CHARS

log = logging.getLogger("workbench.store")


# The archive row that mirrors a claim with a verdict (see ``Store._sync_own_archive``):
# parameters are (date, imported_at); the caller adds the WHERE clause.
_OWN_COLUMNS = (
    "external_id, source, text, title, verdict, url, date, speaker, publisher, claim_id,"
    " imported_at"
)
_OWN_SELECT = (
    "SELECT 'claim-' || c.id, 'own', c.text, a.title, c.status,"
    " COALESCE((SELECT e.url FROM evidence e WHERE e.claim_id = c.id ORDER BY e.id LIMIT 1), ''),"
    " ?, c.claimant, '', c.id, ? FROM claims c JOIN articles a ON a.id = c.article_id"
)

UUID_SQL = (
    "lower(hex(randomblob(4)) || '-' || hex(randomblob(2)) || '-4' ||"
    " substr(hex(randomblob(2)), 2) || '-' || substr('89ab', 1 + (random() & 3), 1) ||"
    " substr(hex(randomblob(2)), 2) || '-' || hex(randomblob(6)))"
)
"""SQL of a random (version 4) UUID, made afresh for each row it is evaluated for: the id
of a change published to the team and a claim's identity there (migration 0010)."""


def content_hash(text: str) -> str:
    """Identity of an article: the SHA-256 of its normalised text."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def parse_status(value: Status | str) -> Status:
    try:
        return Status(str(value).strip().lower())
    except ValueError:
        names = ", ".join(s.value for s in Status)
        raise ValidationError(f"unknown status {value!r} (choose one of: {names})") from None


def validate_url(url: str, *, what: str = "an evidence link", new: bool = True) -> str:
    """Accept only absolute http(s) URLs: evidence is opened in a browser later.

    A ``new`` URL has at most :data:`~workbench.textsafety.MAX_URL_CHARS` characters;
    one put back as it was (an undo) is not held to a limit set after it was stored.
    """
    from urllib.parse import urlsplit

    url = url.strip()
    shown = repr(url) if len(url) <= 100 else f"{url[:80]!r}…"
    if new and len(url) > MAX_URL_CHARS:
        raise ValidationError(
            f"a URL can have at most {MAX_URL_CHARS:,} characters, not {len(url):,}: {shown}"
        )
    try:
        parts = urlsplit(url)
    except ValueError:
        raise ValidationError(f"not a valid URL: {shown}") from None
    if parts.scheme.lower() not in ("http", "https") or not parts.netloc:
        raise ValidationError(f"{what} must be an http or https URL, not {shown}")
    if any(ch.isspace() for ch in url):
        raise ValidationError(f"a URL cannot contain spaces: {shown}")
    if new and "@" in parts.netloc:
        raise ValidationError(
            f"a link with a user name before its host is refused (it reads as one site and"
            f" opens another): {shown}"
        )
    return url


def _check_span(text: str, start: int, end: int) -> None:
    if not (0 <= start < end <= len(text)):
        raise ValidationError(
            f"offsets {start}-{end} are outside the article (0-{len(text)}) or empty"
        )


def _reasons(value: str) -> tuple[str, ...]:
    """A claim's stored reasons; a damaged value shows as none rather than failing."""
    try:
        found = json.loads(value)
    except (ValueError, RecursionError, TypeError):
        log.info("a claim's reasons are damaged: %.60r", value)
        return ()
    return tuple(str(x) for x in found) if isinstance(found, list) else ()


TAG_MAX_LENGTH = 40


def clean_tag(tag: str) -> str:
    """A label as stored: one line, spaces folded, at most 40 characters, no commas."""
    text = " ".join(tag.split())
    if not text:
        raise ValidationError("a tag cannot be empty")
    if "," in text or len(text) > TAG_MAX_LENGTH:
        raise ValidationError(
            f"a tag is one short label (at most {TAG_MAX_LENGTH} characters, no commas):"
            f" {text[:60]!r}"
        )
    if any(not ch.isprintable() for ch in text):
        raise ValidationError(f"a tag cannot hold control characters: {text[:60]!r}")
    return text


def _claim_from_row(
    r: sqlite3.Row, evidence: tuple[Evidence, ...], tags: tuple[str, ...] = ()
) -> Claim:
    return Claim(
        id=r["id"],
        article_id=r["article_id"],
        start=r["start"],
        end=r["end"],
        text=r["text"],
        score=r["score"],
        reasons=_reasons(r["reasons"]),
        status=Status(r["status"]),
        note=r["note"],
        claimant=r["claimant"],
        origin=ClaimOrigin(r["origin"]),
        created_at=r["created_at"],
        updated_at=r["updated_at"],
        evidence=evidence,
        type=_claim_type(r["type"]),
        tags=tags,
        chosen_priority=_chosen_priority(r["chosen_priority"]),
    )


def _chosen_priority(value: object) -> str:
    """A stored chosen priority; "" (the detector's) for one no version writes (a row
    edited by hand past the table's CHECK), which made showing the claim fail."""
    if value in CHOSEN_PRIORITIES:
        return str(value)
    log.info("unknown chosen priority %.40r", value)
    return ""


def _claim_type(value: str | None) -> ClaimType | None:
    """A stored claim type; None for none, or for a type this version does not know."""
    try:
        return ClaimType(value) if value else None
    except ValueError:
        log.info("unknown claim type %.40r", value)
        return None


def _evidence_from_row(r: sqlite3.Row, files: Mapping[str, VaultFile] | None = None) -> Evidence:
    """An evidence row, with its vault file (from ``files``, by hash) and its quote."""
    sha = r["file_sha256"]
    quote = None
    if r["quote_text"]:
        quote = Quote(
            r["quote_text"],
            start=r["quote_start"],
            end=r["quote_end"],
            page=r["quote_page"],
            before=r["quote_before"],
            after=r["quote_after"],
        )
    return Evidence(
        id=r["id"],
        claim_id=r["claim_id"],
        url=r["url"],
        title=r["title"],
        note=r["note"],
        added_at=r["added_at"],
        file=(files or {}).get(sha) if sha else None,
        quote=quote,
    )


def _vault_file_from_row(r: sqlite3.Row) -> VaultFile:
    return VaultFile(
        r["sha256"], r["size"], r["media_type"], r["original_name"], r["source_url"],
        r["captured_at"],
    )  # fmt: skip


EVIDENCE_COLUMNS = (
    "id, claim_id, url, title, note, added_at, file_sha256, quote_text, quote_start,"
    " quote_end, quote_page, quote_before, quote_after"
)
"""Every column of an evidence row, in the order :func:`evidence_values` gives them."""


def evidence_values(item: Evidence) -> tuple[object, ...]:
    """The row of ``item`` (:data:`EVIDENCE_COLUMNS`), to put a removed piece back."""
    quote = item.quote
    return (
        item.id, item.claim_id, item.url, item.title, item.note, item.added_at,
        item.file.sha256 if item.file is not None else None,
        quote.text if quote else "", quote.start if quote else None,
        quote.end if quote else None, quote.page if quote else None,
        quote.before if quote else "", quote.after if quote else "",
    )  # fmt: skip


def _archive_claim_from_row(r: sqlite3.Row) -> ArchiveClaim:
    # Candidate rows carry extra columns (the BM25 score): take the fields by name.
    return ArchiveClaim(**{name: r[name] for name in _ARCHIVE_CLAIM_FIELDS})


_ARCHIVE_CLAIM_FIELDS = tuple(f.name for f in fields(ArchiveClaim))

ARCHIVE_CLAIM_COLUMNS = ", ".join(f"a.{name}" for name in _ARCHIVE_CLAIM_FIELDS)
"""An ``archive_claims a`` row's columns in :class:`ArchiveClaim`'s order, for
:func:`archive_claim_from_values`."""


def archive_claim_from_values(values: sqlite3.Row) -> ArchiveClaim:
    """The past check of a row that starts with :data:`ARCHIVE_CLAIM_COLUMNS`: by
    position, without a dict of its fields (a long article's matching reads 20,000)."""
    return ArchiveClaim(*values[: len(_ARCHIVE_CLAIM_FIELDS)])
