"""The export formats, by name: what a file dialog and ``--format`` need to know.

Kept apart from the writers so that listing formats imports nothing heavy.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import NamedTuple

from workbench.errors import WorkbenchError


class ExportError(WorkbenchError):
    """A report cannot be exported as asked (format, article count, destination)."""


class ReportFormat(NamedTuple):
    """An export format, as a file dialog and the command line need it (a named tuple:
    ``workbench --help`` lists the formats without loading :mod:`dataclasses`)."""

    name: str
    """The ``--format`` value: html, pdf, md, csv, json, claimreview or bundle."""
    label: str
    """For a file dialog's filter list, e.g. "PDF document"."""
    extension: str
    """The usual file extension, with its dot."""
    media_type: str
    binary: bool
    """True when the output is not text (it cannot go to a text stream)."""
    several_articles: bool
    """True when one file can hold several articles' reports."""

    @property
    def dialog_filter(self) -> str:
        """A Qt file-dialog filter such as ``"PDF document (*.pdf)"``."""
        return f"{self.label} (*{self.extension})"


FORMATS: Mapping[str, ReportFormat] = {
    f.name: f
    for f in (
        ReportFormat("html", "HTML page", ".html", "text/html", False, False),
        ReportFormat("pdf", "PDF document", ".pdf", "application/pdf", True, False),
        ReportFormat("md", "Markdown", ".md", "text/markdown", False, False),
        ReportFormat("csv", "CSV spreadsheet, one row per claim", ".csv", "text/csv", False, True),
        ReportFormat("json", "JSON, everything", ".json", "application/json", False, True),
        ReportFormat(
            "claimreview", "ClaimReview JSON-LD", ".jsonld", "application/ld+json", False, False
        ),
        ReportFormat(
            "bundle",
            "Evidence bundle: report, quoted files and their hashes",
            ".zip",
            "application/zip",
            True,
            False,
        ),
    )
}
"""Every export format by name, in the order a menu should list them."""

_EXTRA_EXTENSIONS = {".htm": "html", ".markdown": "md"}


def format_for_path(path: str | Path) -> ReportFormat | None:
    """The format a file name's extension suggests, if any (``.html`` -> html)."""
    suffix = Path(path).suffix.lower()
    for fmt in FORMATS.values():
        if fmt.extension == suffix:
            return fmt
    name = _EXTRA_EXTENSIONS.get(suffix)
    return FORMATS[name] if name else None


def get_format(name: str) -> ReportFormat:
    """Raises :class:`ExportError` for an unknown format name."""
    try:
        return FORMATS[name]
    except KeyError:
        names = ", ".join(FORMATS)
        raise ExportError(f"unknown export format {name!r} (choose one of: {names})") from None


def check_article_count(spec: ReportFormat, count: int) -> None:
    """Raise :class:`ExportError` unless ``spec`` can hold ``count`` articles' reports."""
    if count < 1:
        raise ExportError("no articles to export")
    if count > 1 and not spec.several_articles:
        several = ", ".join(f.name for f in FORMATS.values() if f.several_articles)
        raise ExportError(
            f"the {spec.name} format holds one article; give one ARTICLE_ID "
            f"(several articles go in one file only as: {several})"
        )
