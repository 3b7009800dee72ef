"""Verification reports: one :class:`Report` model, one writer per export format.

Formats (:data:`FORMATS`): ``html`` (self-contained page), ``pdf`` (through the
renderer the desktop app installs), ``md`` (Markdown), ``csv`` (one row per claim),
``json`` (everything, re-readable with :func:`read_report_json`) and ``claimreview``
(schema.org ClaimReview JSON-LD). ``csv`` and ``json`` take several articles.

Typical use (a worker thread with its own :class:`~workbench.store.Store`)::

    result = export_reports(store, [article_id], path, fmt="html")

or, in two steps, ``build_reports`` then ``render_reports`` to get the bytes.
"""

from __future__ import annotations

from workbench.reports.claimreview import ClaimReviewError, claim_reviews
from workbench.reports.export import (
    ExportResult,
    export_reports,
    render_reports,
    write_atomically,
)
from workbench.reports.formats import (
    FORMATS,
    ExportError,
    ReportFormat,
    check_article_count,
    format_for_path,
    get_format,
)
from workbench.reports.json import ReportFormatError, read_report_json
from workbench.reports.model import (
    REPORT_SETTINGS,
    Organisation,
    Report,
    build_report,
    build_reports,
    check_setting,
)
from workbench.reports.pdf import PdfRenderer, load_pdf_renderer

__all__ = [
    "FORMATS",
    "REPORT_SETTINGS",
    "ClaimReviewError",
    "ExportError",
    "ExportResult",
    "Organisation",
    "PdfRenderer",
    "Report",
    "ReportFormat",
    "ReportFormatError",
    "build_report",
    "build_reports",
    "check_article_count",
    "check_setting",
    "claim_reviews",
    "export_reports",
    "format_for_path",
    "get_format",
    "load_pdf_renderer",
    "read_report_json",
    "render_reports",
    "write_atomically",
]
