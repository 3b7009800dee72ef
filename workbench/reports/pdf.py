"""The PDF report: the HTML report's content, paginated, through a pluggable renderer.

The core never imports Qt, so the rendering itself lives behind :class:`PdfRenderer`:
the desktop package registers one (``ui.pdf_renderer.render_pdf``, QTextDocument and
QPdfWriter) under the ``workbench.renderers`` entry point, name ``pdf``. Any callable
with the same signature can be passed instead (tests, another library).
"""

from __future__ import annotations

from typing import Protocol

from workbench.plugins import load_entry_point
from workbench.reports.html import render_html
from workbench.reports.model import Report

ENTRY_POINT_GROUP = "workbench.renderers"
ENTRY_POINT_NAME = "pdf"


class PdfRenderer(Protocol):
    """Turns an HTML page (Qt's rich-text subset) into PDF bytes.

    Expected: A4, page numbers "Page N of M" on every page, text kept as text (so it
    can be searched and extracted), ``title`` in the document's metadata.
    """

    def __call__(self, html: str, /, *, title: str) -> bytes: ...


def load_pdf_renderer() -> PdfRenderer:
    """The installed PDF renderer (from the desktop package, through its entry point).

    Raises:
        PluginError: the renderer is not installed or Qt cannot be imported.
    """
    renderer: PdfRenderer = load_entry_point(
        ENTRY_POINT_GROUP, ENTRY_POINT_NAME, purpose="the PDF renderer (part of the desktop app)"
    )
    return renderer


def write_pdf(report: Report, *, renderer: PdfRenderer | None = None) -> bytes:
    """The report as PDF bytes, rendered by ``renderer`` (default: the installed one)."""
    render = renderer or load_pdf_renderer()
    title = f"Verification report: {report.article.title or '(untitled)'}"
    return render(render_html(report, pdf=True), title=title)
