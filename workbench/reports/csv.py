"""The CSV export: one row per claim, for spreadsheets and a desk's weekly tally.

UTF-8 with a byte-order mark (so Excel reads it as UTF-8), CRLF line ends, every
text cell quoted, and cells a spreadsheet would run as a formula neutralised with a
leading apostrophe (OWASP's advice for CSV injection).
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable, Sequence

from workbench.models import Evidence
from workbench.reports.model import Report
from workbench.textsafety import without_controls

COLUMNS = (
    "article_id",
    "article_title",
    "article_url",
    "claim_id",
    "claim_number",
    "claim_text",
    "start",
    "end",
    "score",
    "status",
    "note",
    "claimant",
    "evidence_urls",
    "updated_at",
    "type",
    "priority",
    "evidence_files",
    "evidence_sha256",
    "evidence_quotes",
)
"""The header row. ``score`` is the detector's, empty for a claim added by hand (the
detector never scored it); ``evidence_urls`` holds one URL per line of the cell;
``type`` is the claim's type (``quantity`` ..., empty when it has none), ``priority``
its priority (``high``, ``added by you`` ...). ``evidence_files``, ``evidence_sha256`` and
``evidence_quotes`` give each piece of evidence's vaulted file (its original name and
SHA-256) and quote (on one line), one line per piece of evidence in the order of
``evidence_urls`` (an empty line for one without), or an empty cell when no piece has
any. Columns are only ever added at the end, so a spreadsheet that reads them by
position keeps working."""

FORMULA_TRIGGERS = frozenset("=+-@\t\r＝＋－＠")
"""First characters that make a spreadsheet treat a cell as a formula (and their
full-width forms, which some spreadsheets also accept)."""


_LEADING_BLANK = re.compile(r"^[\s\u00ad\u034f\u180e\u200b-\u200f\u2060-\u2064\ufeff]+")
"""White space and the characters that show nothing (a soft hyphen, zero-width spaces
and joiners, invisible operators, the byte-order mark), in any mix, before a value."""


def neutralise_cell(value: str) -> str:
    """Prefix an apostrophe when a spreadsheet would run the cell as a formula.

    Leading white space of any kind (a no-break space, a zero-width space, a byte-order
    mark) is looked through: some spreadsheets trim it first. Control characters a
    terminal obeys are dropped first (:func:`without_controls`): a CSV file gets read
    with ``cat`` too.
    """
    value = without_controls(value)
    stripped = _LEADING_BLANK.sub("", value)
    if value[:1] in FORMULA_TRIGGERS or (stripped and stripped[0] in FORMULA_TRIGGERS):
        return "'" + value
    return value


def _evidence_lines(evidence: Sequence[Evidence], value: Callable[[Evidence], str]) -> str:
    """One line per piece of evidence (line breaks inside a value become spaces), or ""
    when no piece has a value."""
    values = [" ".join(value(item).split()) for item in evidence]
    return "\n".join(values) if any(values) else ""


def _file_name(item: Evidence) -> str:
    return item.file.original_name if item.file is not None else ""


def _file_hash(item: Evidence) -> str:
    return item.file.sha256 if item.file is not None else ""


def _quote_text(item: Evidence) -> str:
    return item.quote.text if item.quote is not None else ""


def write_csv(reports: Sequence[Report]) -> bytes:
    """All the reports' claims as CSV bytes (UTF-8 with BOM)."""
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, quoting=csv.QUOTE_NONNUMERIC, lineterminator="\r\n")
    writer.writerow(COLUMNS)
    for report in reports:
        article = report.article
        for number, claim in enumerate(report.claims, start=1):
            score = report.detector_score(claim)
            texts = {
                "article_title": article.title,
                "article_url": article.url,
                "claim_text": claim.text,
                "status": claim.status.value,
                "note": claim.note,
                "claimant": claim.claimant,
                "evidence_urls": "\n".join(e.url for e in claim.evidence),
                "updated_at": claim.updated_at,
                "type": claim.type.value if claim.type is not None else "",
                "priority": report.priority(claim).value,
                "evidence_files": _evidence_lines(claim.evidence, _file_name),
                "evidence_sha256": _evidence_lines(claim.evidence, _file_hash),
                "evidence_quotes": _evidence_lines(claim.evidence, _quote_text),
            }
            numbers = {
                "article_id": article.id,
                "claim_id": claim.id,
                "claim_number": number,
                "start": claim.start,
                "end": claim.end,
                "score": "" if score is None else round(score, 4),
            }
            writer.writerow(
                numbers[c] if c in numbers else neutralise_cell(texts[c]) for c in COLUMNS
            )
    return buffer.getvalue().encode("utf-8-sig")
