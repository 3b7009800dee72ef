"""Render a report's HTML to PDF with Qt: the ``pdf`` entry of ``workbench.renderers``.

QTextDocument lays the page out (it understands a subset of HTML and CSS), and each
page is painted into a QPdfWriter with QPainter, with "Page N of M" in the footer.
Text is drawn as text, so the PDF stays searchable and copyable. Links keep only
http(s) targets, in :func:`~workbench.reports.model.http_url`'s encoded form.

Threads: Qt supports painting onto a QPdfWriter and laying out a QTextDocument
outside the GUI thread (as for QImage and QPrinter), so :func:`render_pdf` may run on
a worker, as long as a QGuiApplication already exists. When there is none (the
command line), it creates one on the offscreen platform, which needs no display;
that must happen on the main thread.
"""

from __future__ import annotations

import bisect
import itertools
import logging
import os
import re
import sys
import threading

from PySide6.QtCore import (
    QBuffer,
    QIODevice,
    QMarginsF,
    QPointF,
    QRectF,
    QSizeF,
    Qt,
    QTextBoundaryFinder,
)
from PySide6.QtGui import (
    QAbstractTextDocumentLayout,
    QColor,
    QFont,
    QGuiApplication,
    QImage,
    QPageLayout,
    QPageSize,
    QPainter,
    QPdfWriter,
    QPen,
    QTextBlockFormat,
    QTextCharFormat,
    QTextCursor,
    QTextDocument,
    QTextFormat,
)

from workbench.textsafety import http_url

log = logging.getLogger("ui.pdf_renderer")

RESOLUTION_DPI = 300
LAYOUT_DPI = 96
"""The document is laid out at 96 dpi, as a browser does (1px = 1/96 in, which is how
Qt reads CSS lengths), then painted scaled up to the PDF's resolution."""
MARGINS_MM = QMarginsF(18, 16, 18, 14)
FOOTER_PT = 22.0
"""Height kept free at the bottom of each page's text area for the footer line."""
FOOTER_FONT_PT = 8.0
CLIP_INSET_PX = 6.0
"""More than a line's overhang past a page break, less than the smallest line height."""
CREATOR = "Fact-Checking Workbench"

_app: QGuiApplication | None = None  # created here for the command line, kept alive


def ensure_gui_application() -> None:
    """Make sure a QGuiApplication exists: fonts and text layout need one.

    If none exists, create one on the offscreen platform (unless ``QT_QPA_PLATFORM``
    names another): a report needs no window, and a stale ``DISPLAY`` would
    otherwise abort the process.

    Raises:
        RuntimeError: there is no application and this is not the main thread.
    """
    global _app
    if QGuiApplication.instance() is not None:
        return
    if threading.current_thread() is not threading.main_thread():
        raise RuntimeError("create the QGuiApplication on the main thread before rendering")
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    _app = QGuiApplication(sys.argv[:1])


def _points_to_pixels(points: float, dpi: int) -> float:
    return points * dpi / 72.0


def render_pdf(html: str, /, *, title: str = "") -> bytes:
    """Render HTML (Qt's rich-text subset) to A4 PDF bytes with page numbers.

    Args:
        html: the page; sizes should be in pt (px would be device pixels here).
        title: stored in the PDF's metadata and repeated in each page's footer.
    """
    ensure_gui_application()
    buffer = QBuffer()
    buffer.open(QIODevice.OpenModeFlag.WriteOnly)
    writer = QPdfWriter(buffer)
    writer.setResolution(RESOLUTION_DPI)
    writer.setPageLayout(
        QPageLayout(
            QPageSize(QPageSize.PageSizeId.A4),
            QPageLayout.Orientation.Portrait,
            MARGINS_MM,
            QPageLayout.Unit.Millimeter,
        )
    )
    writer.setTitle(title)
    writer.setCreator(CREATOR)

    # A fixed-resolution layout device: the same line breaks on every machine and screen.
    layout_device = QImage(1, 1, QImage.Format.Format_RGB32)
    dots_per_metre = round(LAYOUT_DPI / 0.0254)
    layout_device.setDotsPerMeterX(dots_per_metre)
    layout_device.setDotsPerMeterY(dots_per_metre)
    document = QTextDocument()
    document.documentLayout().setPaintDevice(layout_device)
    document.setUseDesignMetrics(True)  # glyph advances not rounded to 96-dpi pixels
    document.setDocumentMargin(0)
    document.setDefaultFont(QFont(["DejaVu Serif", "Liberation Serif", "Times New Roman"], 10))
    document.setHtml(html)
    _make_links_safe(document)
    _disable_ligatures(document)
    _open_long_runs(document)

    area = writer.pageLayout().paintRect(QPageLayout.Unit.Point)
    footer = _points_to_pixels(FOOTER_PT, LAYOUT_DPI)
    body = QSizeF(
        _points_to_pixels(area.width(), LAYOUT_DPI),
        _points_to_pixels(area.height(), LAYOUT_DPI) - footer,
    )
    document.setPageSize(body)
    _keep_headings_with_next(document, body.height())
    _split_blocks_at_page_breaks(document, body.height())
    # Lay the whole document out again: after edits the layout is otherwise finished
    # lazily, in steps driven by the event loop, and the end would be missing.
    document.markContentsDirty(0, document.characterCount())
    document.size()
    pages = document.pageCount()

    footer_font = QFont(["DejaVu Sans", "Liberation Sans", "Arial"])
    footer_font.setPointSizeF(FOOTER_FONT_PT)
    footer_font.setFeature(QFont.Tag("liga"), 0)
    painter = QPainter()
    if not painter.begin(writer):
        raise RuntimeError("cannot start painting the PDF")
    try:
        painter.scale(RESOLUTION_DPI / LAYOUT_DPI, RESOLUTION_DPI / LAYOUT_DPI)
        for index in range(pages):
            if index:
                writer.newPage()
            _draw_page(painter, document, index, body)
            _draw_footer(painter, index + 1, pages, title, body, footer, footer_font)
    finally:
        painter.end()
    buffer.close()
    log.debug("rendered %d PDF pages", pages)
    return bytes(buffer.data().data())


def _make_links_safe(document: QTextDocument) -> None:
    """Give every link an encoded http(s) target, and make any other link plain text.

    Qt copies a link's target into the PDF between ``(`` and ``)`` without escaping
    it, so a target with ``)`` in it could end the string and add a JavaScript or
    Launch action to the file. The report's HTML already has safe targets; this keeps
    that true for any HTML given to the renderer. (Links within the document, ``#...``,
    are dropped too: the PDF variant of the report has none.)
    """
    changes: list[tuple[int, int, QTextCharFormat]] = []
    block = document.begin()
    while block.isValid():
        fragments = block.begin()
        while not fragments.atEnd():
            fragment = fragments.fragment()
            fmt = fragment.charFormat()
            href = fmt.anchorHref()
            target = http_url(href)
            if target != href:
                if target:
                    fmt.setAnchorHref(target)
                else:
                    fmt.clearProperty(QTextFormat.Property.AnchorHref)
                    fmt.setAnchor(bool(fmt.anchorNames()))
                start = fragment.position()
                changes.append((start, start + fragment.length(), fmt))
            fragments += 1
        block = block.next()
    for start, end, fmt in changes:  # after the walk: changing formats merges fragments
        cursor = QTextCursor(document)
        cursor.setPosition(start)
        cursor.setPosition(end, QTextCursor.MoveMode.KeepAnchor)
        cursor.setCharFormat(fmt)


LONG_RUN = 1_000
"""Characters without a place to break from which a stretch is given places to break,
every :data:`LONG_RUN` // 2 (see :func:`_open_long_runs`)."""
_LONG_RUN = re.compile(rf"\S{{{LONG_RUN},}}")


def _open_long_runs(document: QTextDocument) -> None:
    """Let lines break inside stretches of :data:`LONG_RUN` characters or more where Qt
    finds no place to break.

    Qt lays out an unbreakable run in time that grows much faster than its length (a
    note of 120,000 characters took 86 s; 200,000 in the article, 328 s): a zero-width
    space every :data:`LONG_RUN` // 2 characters gives it places to break. No word or
    link people read is that long (a PDF shows links cut to 200 characters), and text
    copied from the PDF carries the inserted character (pypdf reads it as a tab), so
    shorter runs are left alone, and so is CJK prose, which breaks between any two
    ideographs already. Where a line may break is asked of Qt's own line breaker
    (:func:`_unbroken_stretches`): a run was left whole when it held one CJK character
    anywhere, so "中" before 150,000 letters took 58 s, and a run of "。" or "ー"
    (no line breaks inside those) was never opened.
    """
    inserts: list[int] = []
    block = document.begin()
    while block.isValid():
        text = block.text()
        runs = list(_LONG_RUN.finditer(text))
        if runs:
            # The document counts in UTF-16 units: a character past U+FFFF is two.
            wide = [i for i, c in enumerate(text) if ord(c) > 0xFFFF]
            for run in runs:
                for start, end in _unbroken_stretches(run[0]):
                    first = run.start() + start + LONG_RUN // 2
                    for at in range(first, run.start() + end, LONG_RUN // 2):
                        inserts.append(block.position() + at + bisect.bisect_left(wide, at))
        block = block.next()
    if not inserts:
        return
    cursor = QTextCursor(document)
    cursor.beginEditBlock()
    for position in reversed(inserts):  # from the end: earlier positions stay valid
        cursor.setPosition(position)
        cursor.insertText("\u200b")
    cursor.endEditBlock()


def _unbroken_stretches(run: str) -> list[tuple[int, int]]:
    """The stretches of ``run`` (start and end, indexes of its characters) of at least
    :data:`LONG_RUN` characters inside which Qt's line breaker finds no place to break."""
    finder = QTextBoundaryFinder(QTextBoundaryFinder.BoundaryType.Line, run)
    places = [0]
    while (place := finder.toNextBoundary()) > 0:
        places.append(place)
    if any(ord(c) > 0xFFFF for c in run):  # the finder counts in UTF-16 units too
        units = list(itertools.accumulate((1 + (ord(c) > 0xFFFF) for c in run), initial=0))
        places = [bisect.bisect_left(units, place) for place in places]
    places.append(len(run))
    return [(a, b) for a, b in itertools.pairwise(places) if b - a >= LONG_RUN]


def _disable_ligatures(document: QTextDocument) -> None:
    """Turn off optional ligatures so "fi" is extracted and searched as "f" + "i".

    With ligatures on, a PDF viewer sees "ﬁ" (U+FB01), and a search for "fishermen"
    can miss the claim.
    """
    no_ligatures = QTextCharFormat()
    no_ligatures.setFontFeatures({QFont.Tag("liga"): 0, QFont.Tag("clig"): 0})
    cursor = QTextCursor(document)
    cursor.select(QTextCursor.SelectionType.Document)
    cursor.mergeCharFormat(no_ligatures)


def _keep_headings_with_next(document: QTextDocument, page_height: float) -> None:
    """Move a heading to the next page when what follows it would start there.

    QTextDocument has no ``break-after: avoid``; this gives headings that effect. A
    short block after a heading (a claim's text) is kept whole with it.
    """
    layout = document.documentLayout()
    for _ in range(5):  # each move can shift later pages; a few passes settle it
        moved = False
        block = document.begin()
        while block.isValid():
            following = block.next()
            fmt = block.blockFormat()
            if (
                fmt.headingLevel() > 0
                and following.isValid()
                and fmt.pageBreakPolicy() == QTextFormat.PageBreakFlag.PageBreak_Auto
            ):
                heading = layout.blockBoundingRect(block)
                after = layout.blockBoundingRect(following)
                if after.height() < page_height / 3:
                    keep_until = after.bottom()
                else:
                    lines = following.layout()
                    first = lines.lineAt(0).rect().bottom() if lines.lineCount() else 0.0
                    keep_until = after.top() + first
                page = int(heading.top() // page_height)
                if (
                    page != int((keep_until - 0.5) // page_height)
                    and heading.top() > page * page_height + 1
                ):
                    fmt.setPageBreakPolicy(QTextFormat.PageBreakFlag.PageBreak_AlwaysBefore)
                    QTextCursor(block).setBlockFormat(fmt)
                    moved = True
            block = following
        if not moved:
            return


def _split_blocks_at_page_breaks(document: QTextDocument, page_height: float) -> None:
    """Cut each paragraph that runs onto the next page into two, where the page breaks.

    QTextLayout draws the last line above its clip rectangle too (it counts from the
    last line wholly above it), so a paragraph split across pages would also have
    that line drawn, invisibly clipped, on the second page, where a search or text
    extraction finds it twice. Two blocks with no margin between them look the same.
    """
    layout = document.documentLayout()
    block = document.begin()
    while block.isValid():
        lines = block.layout()
        cut = None
        if lines.lineCount() > 1 and QTextCursor(block).currentTable() is None:
            top = lines.position().y()
            first_page = int((top + lines.lineAt(0).y() + 0.5) // page_height)
            for index in range(1, lines.lineCount()):
                line = lines.lineAt(index)
                if int((top + line.y() + 0.5) // page_height) != first_page:
                    cut = block.position() + line.textStart()
                    break
        if cut is None:
            block = block.next()
            continue
        fmt = block.blockFormat()
        cursor = QTextCursor(document)
        cursor.setPosition(cut)
        cursor.insertBlock()
        first_part = QTextBlockFormat(fmt)
        first_part.setBottomMargin(0)
        QTextCursor(block).setBlockFormat(first_part)
        rest = QTextBlockFormat(fmt)
        rest.setTopMargin(0)
        rest.setTextIndent(0)
        cursor.setBlockFormat(rest)
        layout.blockBoundingRect(cursor.block())  # lay out up to here before measuring on
        block = cursor.block()


def _draw_page(painter: QPainter, document: QTextDocument, index: int, body: QSizeF) -> None:
    top = index * body.height()
    painter.save()
    painter.translate(0, -top)
    context = QAbstractTextDocumentLayout.PaintContext()
    # The layout draws every line whose box touches the clip. A line that ends a page
    # can overhang its bottom by its extra line spacing (CSS line-height), so it would
    # also be drawn, invisibly clipped, on the next page: and found twice by a search.
    # Insetting the clip by a little less than the smallest line height avoids that.
    context.clip = QRectF(0, top + CLIP_INSET_PX, body.width(), body.height() - 2 * CLIP_INSET_PX)
    painter.setClipRect(QRectF(0, top, body.width(), body.height()))
    document.documentLayout().draw(painter, context)
    painter.restore()


def _draw_footer(
    painter: QPainter,
    number: int,
    total: int,
    title: str,
    body: QSizeF,
    height: float,
    font: QFont,
) -> None:
    """A rule, the title and "Page N of M" under the text area, in the PDF's own pixels.

    Drawn without the layout's scaling so that the font's point size is read at the
    PDF's resolution, like any other text Qt paints there.
    """
    scale = RESOLUTION_DPI / LAYOUT_DPI
    width = body.width() * scale
    line_y = (body.height() + height * 0.35) * scale
    text_box = QRectF(0, line_y, width, height * 0.65 * scale)
    painter.save()
    painter.resetTransform()
    painter.setClipping(False)
    painter.setPen(QPen(QColor("#888888"), _points_to_pixels(0.5, RESOLUTION_DPI)))
    painter.drawLine(QPointF(0, line_y), QPointF(width, line_y))
    painter.setFont(font)
    painter.setPen(QColor("#333333"))
    right = Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter
    painter.drawText(text_box, int(right), f"Page {number} of {total}")
    if title:
        elided = painter.fontMetrics().elidedText(
            title, Qt.TextElideMode.ElideRight, int(width * 0.75)
        )
        left = Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter
        painter.drawText(text_box, int(left), elided)
    painter.restore()
