"""Verification reports: one :class:`Report` model, one writer per export format.

Formats (:data:`FORMATS`): ``html`` (self-contained page), ``pdf`` (through the
renderer the desktop app installs), ``md`` (Markdown), ``csv`` (one row per claim),
``json`` (everything, re-readable with :func:`read_report_json`), ``claimreview``
(schema.org ClaimReview JSON-LD) and ``bundle`` (a zip: the HTML report, every vaulted
document its evidence quotes, and a manifest of their SHA-256 hashes). ``csv`` and
``json`` take several articles.

Typical use (a worker thread with its own :class:`~workbench.store.Store`)::

    result = export_reports(store, [article_id], path, fmt="html")

or, in two steps, ``build_reports`` then ``render_reports`` to get the bytes.

The names below are imported from their submodules on first use: listing the formats
and settings (``workbench --help``, the app's start) does not import the store, the
writers or Jinja2.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from workbench.lazy_names import from_submodules

if TYPE_CHECKING:
    from workbench.reports.bundle import render_bundle, write_bundle
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
    from workbench.reports.model import Organisation, Report, build_report, build_reports
    from workbench.reports.pdf import PdfRenderer, load_pdf_renderer
    from workbench.reports.settings import REPORT_SETTINGS, check_setting

_SUBMODULE = {
    "render_bundle": "bundle",
    "write_bundle": "bundle",
    "ClaimReviewError": "claimreview",
    "claim_reviews": "claimreview",
    "ExportResult": "export",
    "export_reports": "export",
    "render_reports": "export",
    "write_atomically": "export",
    "FORMATS": "formats",
    "ExportError": "formats",
    "ReportFormat": "formats",
    "check_article_count": "formats",
    "format_for_path": "formats",
    "get_format": "formats",
    "ReportFormatError": "json",
    "read_report_json": "json",
    "Organisation": "model",
    "Report": "model",
    "build_report": "model",
    "build_reports": "model",
    "PdfRenderer": "pdf",
    "load_pdf_renderer": "pdf",
    "REPORT_SETTINGS": "settings",
    "check_setting": "settings",
}
"""Where each public name lives."""

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
    "render_bundle",
    "render_reports",
    "write_atomically",
    "write_bundle",
]


if not TYPE_CHECKING:  # mypy reads the imports above; an unknown name stays an error for it
    __getattr__ = from_submodules(__name__, _SUBMODULE, globals())


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})
