"""Export verification reports: the formats, rendering, and writing a file safely.

The desktop app's File > Export and ``workbench export`` both come through here::

    from workbench.reports import FORMATS, export_reports
    result = export_reports(store, [article_id], Path("report.pdf"), fmt="pdf")

A failed export never leaves a half-written file: everything is rendered in memory
first, then written to a temporary file beside the destination and renamed over it.
"""

from __future__ import annotations

import contextlib
import logging
import os
import secrets
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from workbench.reports.claimreview import claim_reviews, write_claimreview
from workbench.reports.csv import write_csv
from workbench.reports.formats import ExportError, ReportFormat, check_article_count, get_format
from workbench.reports.html import write_html
from workbench.reports.json import write_json
from workbench.reports.markdown import write_markdown
from workbench.reports.model import Report, build_reports
from workbench.reports.pdf import PdfRenderer, write_pdf
from workbench.store import Store

log = logging.getLogger("workbench.reports")


def render_reports(
    reports: Sequence[Report], fmt: str, *, pdf_renderer: PdfRenderer | None = None
) -> bytes:
    """The reports in format ``fmt``, as the bytes of the file.

    Args:
        reports: one report, or several for the formats that allow it (csv, json).
        fmt: a key of :data:`FORMATS`.
        pdf_renderer: for ``pdf``; default the one installed with the desktop app.

    Raises:
        ExportError: unknown format, no report, or several for a one-article format.
        ClaimReviewError: ClaimReview without the organisation setting.
        PluginError: PDF without an installed renderer.
    """
    spec = get_format(fmt)
    check_article_count(spec, len(reports))
    writers: dict[str, Callable[[], bytes]] = {
        "html": lambda: write_html(reports[0]),
        "pdf": lambda: write_pdf(reports[0], renderer=pdf_renderer),
        "md": lambda: write_markdown(reports[0]),
        "csv": lambda: write_csv(reports),
        "json": lambda: write_json(reports),
        "claimreview": lambda: write_claimreview(reports[0]),
    }
    return writers[spec.name]()


@dataclass(frozen=True, slots=True)
class ExportResult:
    """What an export wrote: for a status-bar message and "open when done"."""

    path: Path
    format: ReportFormat
    articles: int
    claims: int
    items: int
    """Claims written (for claimreview: ClaimReview objects, one per checked claim)."""
    size: int
    """Bytes written."""


def export_reports(
    store: Store,
    article_ids: Sequence[int],
    destination: str | Path,
    *,
    fmt: str,
    pdf_renderer: PdfRenderer | None = None,
    generated_at: str | None = None,
) -> ExportResult:
    """Export articles' reports to a file, atomically.

    Args:
        store: read from only (open one per thread).
        article_ids: one id, or several for csv and json.
        destination: the file to write (replaced if it exists).
        fmt: a key of :data:`FORMATS`.
        pdf_renderer: for ``pdf``; default the one installed with the desktop app.
        generated_at: the report time (ISO 8601); default now.

    Raises:
        WorkbenchError: any known problem (unknown id, format, settings, an
            unwritable destination); the destination is then left as it was.
    """
    spec = get_format(fmt)
    check_article_count(spec, len(set(article_ids)))
    reports = build_reports(store, article_ids, generated_at=generated_at)
    data = render_reports(reports, spec.name, pdf_renderer=pdf_renderer)
    path = Path(destination)
    write_atomically(path, data)
    claims = sum(len(r.claims) for r in reports)
    items = len(claim_reviews(reports[0])) if spec.name == "claimreview" else claims
    log.info("exported %d article(s) as %s to %s (%d bytes)", len(reports), fmt, path, len(data))
    return ExportResult(path, spec, len(reports), claims, items, len(data))


def write_atomically(path: str | Path, data: bytes) -> None:
    """Write ``data`` to ``path`` so that it is either complete or untouched.

    The bytes go to a temporary file in the same folder, are flushed to disk, and
    the file is renamed over ``path``; on any failure the temporary file is removed.

    Raises:
        ExportError: the folder is missing or not writable, the disk is full, or
            ``path`` is a folder.
    """
    path = Path(path)
    if path.is_dir():
        raise ExportError(f"cannot write {path}: it is a folder")
    temp = path.with_name(f".{path.name}.{secrets.token_hex(4)}.part")
    try:
        # 0o666 lets the umask decide permissions, as for any file the user saves.
        fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0), 0o666)
    except OSError as exc:
        raise ExportError(f"cannot write {path}: {exc.strerror or exc}") from exc
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(temp, path)
    except BaseException as exc:
        with contextlib.suppress(OSError):
            os.unlink(temp)
        if isinstance(exc, OSError):
            raise ExportError(f"cannot write {path}: {exc.strerror or exc}") from exc
        raise
