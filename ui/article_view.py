"""The article text with its claims highlighted by status, the selected one outlined."""

from __future__ import annotations

import bisect
import re
from typing import Any

from PySide6.QtCore import QEvent, QPoint, QPointF, QRectF, Qt, Signal
from PySide6.QtGui import (
    QAction,
    QColor,
    QContextMenuEvent,
    QFont,
    QHelpEvent,
    QMouseEvent,
    QPainter,
    QPaintEvent,
    QPalette,
    QPen,
    QResizeEvent,
    QTextCharFormat,
    QTextCursor,
    QTextLine,
)
from PySide6.QtWidgets import QTextEdit, QToolTip, QWidget

from ui.item_models import MAX_SHOWN_VERDICT, claim_summary
from ui.safe_text import shown_field, tooltip
from ui.status_style import UNDERLINES, highlight_colour
from ui.workspace import Workspace
from workbench.models import Claim, Status
from workbench.priority import Priority

READING_WIDTH_PX = 760
"""About 75 characters of body text: a comfortable line length."""


BADGE_RADIUS = 5.0
"""Half the width of the diamond that marks a claim checked before."""


_WIDE = re.compile("[\U00010000-\U0010ffff]")
"""A character outside the Basic Multilingual Plane."""


class OffsetMap:
    """Python string offsets (code points) to Qt document positions (UTF-16 units) and back.

    They differ only after characters outside the Basic Multilingual Plane (emoji,
    some CJK), which Qt counts twice.
    """

    def __init__(self, text: str) -> None:
        self._wide = [m.start() for m in _WIDE.finditer(text)]

    def to_doc(self, offset: int) -> int:
        return offset + bisect.bisect_left(self._wide, offset)

    def from_doc(self, position: int) -> int:
        offset = position
        for index in self._wide:  # few, if any
            if self.to_doc(index) < position:
                offset -= 1
        return offset


def _known_viewport(area: QTextEdit) -> QWidget:
    """``area.viewport()``, first reached as the plain ``QWidget`` it is.

    Returned by ``viewport()`` first, a widget Qt made is wrapped only once PySide6 has
    looked for its most derived type, which builds every ``QWidget`` subclass of QtWidgets
    (some 80 enum types): 20-30 ms before the window first showed. ``findChild`` with
    its type gives the same object, and ``viewport()`` returns that wrapper from then on.
    """
    found = area.findChild(
        QWidget, "qt_scrollarea_viewport", Qt.FindChildOption.FindDirectChildrenOnly
    )
    return found if found is not None else area.viewport()


class ArticleView(QTextEdit):
    """Read-only article text; every claim is one highlight in the ``claims`` group."""

    add_claim_requested = Signal()

    def __init__(self, workspace: Workspace, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("article_view")
        self.workspace = workspace
        self.setReadOnly(True)
        self.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        font = QFont()
        font.setFamilies(["Georgia", "Charter", "Noto Serif", "DejaVu Serif", "serif"])
        font.setStyleHint(QFont.StyleHint.Serif)
        font.setPointSizeF(12.5)
        self.document().setDefaultFont(font)
        self.document().setDocumentMargin(28)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setPlaceholderText(
            "Open an article (Ctrl+O), drop a file here, or paste (Ctrl+Shift+V)."
        )
        self.offsets = OffsetMap("")
        self._build_actions()
        workspace.article_opened.connect(self._on_workspace_article_opened)
        workspace.claims_changed.connect(self.apply_highlights)
        workspace.claim_updated.connect(self.apply_highlights)
        workspace.claim_selected.connect(self._on_workspace_claim_selected)
        workspace.matches_changed.connect(_known_viewport(self).update)

    def _build_actions(self) -> None:
        self.add_claim_action = QAction("Add selection as claim", self)
        self.add_claim_action.setShortcut("A")
        self.add_claim_action.setShortcutContext(Qt.ShortcutContext.WindowShortcut)
        self.add_claim_action.triggered.connect(self.add_selection_as_claim)
        self.remove_claim_action = QAction("Remove claim", self)
        self.remove_claim_action.setShortcut("Delete")
        self.remove_claim_action.triggered.connect(self.remove_selected_claim)
        self.fit_claim_action = QAction("Extend claim to whole sentences", self)
        self.fit_claim_action.setShortcut("Shift+S")
        self.fit_claim_action.triggered.connect(self.fit_selected_claim)
        self.set_span_action = QAction("Set claim to the selected text", self)
        self.set_span_action.setShortcut("Shift+A")
        self.set_span_action.triggered.connect(self.set_selected_claim_to_selection)

    @property
    def actions_for_menu(self) -> list[QAction]:
        return [
            self.add_claim_action,
            self.remove_claim_action,
            self.fit_claim_action,
            self.set_span_action,
        ]

    # -- requests ---------------------------------------------------------------------

    def selection_span(self) -> tuple[int, int] | None:
        cursor = self.textCursor()
        if not cursor.hasSelection():
            return None
        to_text = self.offsets.from_doc
        return to_text(cursor.selectionStart()), to_text(cursor.selectionEnd())

    def add_selection_as_claim(self) -> None:
        span = self.selection_span()
        if span is not None:
            self.workspace.add_claim(*span)

    def remove_selected_claim(self) -> None:
        if self.workspace.selected_claim_id is not None:
            self.workspace.remove_claim(self.workspace.selected_claim_id)

    def fit_selected_claim(self) -> None:
        if self.workspace.selected_claim_id is not None:
            self.workspace.fit_claim_to_sentences(self.workspace.selected_claim_id)

    def set_selected_claim_to_selection(self) -> None:
        span = self.selection_span()
        if span is not None and self.workspace.selected_claim_id is not None:
            self.workspace.set_claim_span(self.workspace.selected_claim_id, *span)

    # -- highlights -------------------------------------------------------------------

    def highlights(self) -> list[QTextEdit.ExtraSelection]:
        return list(self.extraSelections())

    def claim_at(self, position: int) -> Claim | None:
        """The claim under a document position, if any."""
        offset = self.offsets.from_doc(position)
        return next((c for c in self.workspace.claims if c.start <= offset < c.end), None)

    def _doc_span(self, claim: Claim) -> tuple[int, int]:
        last = max(0, self.document().characterCount() - 1)
        return min(self.offsets.to_doc(claim.start), last), min(
            self.offsets.to_doc(claim.end), last
        )

    def apply_highlights(self) -> None:
        """Rebuild the whole highlight group at once from the workspace's claims."""
        dark = self.palette().color(QPalette.ColorRole.Base).lightness() < 128
        text_colour = QColor("#f2f2f2" if dark else "#1b1b1b")
        selections = []
        # Inside an edit block a cursor does not lay out the paragraph it is put in (to
        # know its x): for the 3,000 ends of a long article's claims, that was most of
        # the time the article took to open. Nothing is edited.
        formats: dict[tuple[Status, Priority], QTextCharFormat] = {}
        priorities = self.workspace.priorities
        cursor = QTextCursor(self.document())
        cursor.beginEditBlock()
        try:
            for claim in self.workspace.claims:
                look = (claim.status, priorities.of(claim))
                fmt = formats.get(look)
                if fmt is None:
                    fmt = formats[look] = QTextCharFormat()
                    fmt.setBackground(highlight_colour(look[0], dark=dark, priority=look[1]))
                    fmt.setForeground(text_colour)
                    fmt.setUnderlineStyle(UNDERLINES[claim.status])
                    fmt.setUnderlineColor(text_colour)
                start, end = self._doc_span(claim)
                cursor.setPosition(start)
                cursor.setPosition(end, QTextCursor.MoveMode.KeepAnchor)
                selection = QTextEdit.ExtraSelection()
                selection.cursor = cursor  # a copy
                selection.format = fmt
                selections.append(selection)
        finally:
            cursor.endEditBlock()
        self.setExtraSelections(selections)
        self.viewport().update()

    def changeEvent(self, event: QEvent) -> None:
        """Light and dark palettes get their own tints when the system theme changes."""
        super().changeEvent(event)
        if event.type() == QEvent.Type.PaletteChange:
            self.apply_highlights()

    def resizeEvent(self, event: QResizeEvent) -> None:
        """Keep a readable column: wide windows get margins, not 200-character lines."""
        spare = self.width() - READING_WIDTH_PX - self.verticalScrollBar().sizeHint().width()
        side = max(0, spare // 2)
        self.setViewportMargins(side, 0, side, 0)
        super().resizeEvent(event)

    def paintEvent(self, event: QPaintEvent) -> None:
        super().paintEvent(event)
        painter = QPainter(self.viewport())
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        self._paint_seen_badges(painter)
        claim = self.workspace.selected_claim
        if claim is not None:
            painter.setPen(QPen(self.palette().color(QPalette.ColorRole.Text), 2))
            painter.setBrush(Qt.BrushStyle.NoBrush)
            for rect in self._claim_rects(claim):
                painter.drawRoundedRect(rect.adjusted(-2, -1, 2, 1), 3, 3)
        painter.end()

    def seen_claim_ids(self) -> list[int]:
        """Claims badged as checked before (a strong match in the archive)."""
        return list(self.workspace.strong_matches())

    def seen_badges(self) -> dict[int, QPointF]:
        """Where each badge of a claim checked before goes, in viewport coordinates: in
        the margin beside the claim's first line, even when the claim starts mid-line
        (a badge placed before the claim's first word was drawn over the text)."""
        visible = self.viewport().rect()
        margin = self.document().documentMargin() - self.horizontalScrollBar().value()
        doc = self.document()
        layout = doc.documentLayout()
        top = self.verticalScrollBar().value()
        strong = self.workspace.strong_matches()
        badges: dict[int, QPointF] = {}
        for claim in self.workspace.claims:
            if claim.id not in strong:
                continue
            # Lines are laid out only for the paragraphs in view: a claim's paragraph
            # tells at once whether it can be (every claim of a long article may match).
            block = layout.blockBoundingRect(doc.findBlock(self._doc_span(claim)[0]))
            if block.bottom() < top or block.top() > top + visible.height():
                continue
            rects = self._claim_rects(claim)
            if rects and visible.intersects(rects[0].toRect()):
                badges[claim.id] = QPointF(margin - 12, rects[0].top() + rects[0].height() / 2)
        return badges

    def _paint_seen_badges(self, painter: QPainter) -> None:
        """A diamond in the margin before each claim that has been checked before."""
        painter.setPen(QPen(QColor("#1b1b1b"), 1))
        painter.setBrush(QColor("#cc79a7"))  # Okabe-Ito reddish purple: no status uses it
        size = BADGE_RADIUS
        for centre in self.seen_badges().values():
            painter.drawPolygon(
                [
                    centre + QPointF(0, -size),
                    centre + QPointF(size, 0),
                    centre + QPointF(0, size),
                    centre + QPointF(-size, 0),
                ]
            )

    def _claim_rects(self, claim: Claim) -> list[QRectF]:
        """One rectangle per visual line that the claim covers, in viewport coordinates."""
        rects: list[QRectF] = []
        doc = self.document()
        layout = doc.documentLayout()
        offset = QPoint(self.horizontalScrollBar().value(), self.verticalScrollBar().value())
        claim_start, claim_end = self._doc_span(claim)
        block = doc.findBlock(claim_start)
        while block.isValid() and block.position() < claim_end:
            origin = layout.blockBoundingRect(block).topLeft()
            text_layout = block.layout()
            for i in range(text_layout.lineCount()):
                line = text_layout.lineAt(i)
                line_start = block.position() + line.textStart()
                line_end = line_start + line.textLength()
                start, end = max(claim_start, line_start), min(claim_end, line_end)
                if start >= end:
                    continue
                x1 = _x_of(line, start - block.position())
                x2 = _x_of(line, end - block.position())
                rects.append(
                    QRectF(x1, line.y(), x2 - x1, line.height()).translated(origin - offset)
                )
            block = block.next()
        return rects

    # -- following the workspace ------------------------------------------------------

    def _on_workspace_article_opened(self) -> None:
        article = self.workspace.article
        self.show_text(article.text if article else "")
        self.apply_highlights()

    def show_text(self, text: str) -> None:
        """Show ``text`` with no highlights: an article's, or one read whose claims are
        still being looked for (no article is open then, so nothing can be marked)."""
        self.offsets = OffsetMap(text)
        self.setPlainText(text)

    def _on_workspace_claim_selected(self) -> None:
        claim = self.workspace.selected_claim
        if claim is not None:
            start, end = self._doc_span(claim)
            cursor = QTextCursor(self.document())
            for position in (end, start):  # the whole claim in view, its start at least
                cursor.setPosition(position)
                self.setTextCursor(cursor)
                self.ensureCursorVisible()
        self.viewport().update()

    # -- mouse --------------------------------------------------------------------------

    def event(self, event: QEvent) -> bool:
        if event.type() == QEvent.Type.ToolTip and isinstance(event, QHelpEvent):
            position = self.cursorForPosition(self.viewport().mapFrom(self, event.pos()))
            claim = self.claim_at(position.position())
            if claim is None:
                QToolTip.hideText()
            else:
                tip = claim_summary(claim, self.workspace.priorities)
                best = self.workspace.strong_match(claim.id)
                if best is not None:
                    past = best.archive
                    verdict = shown_field((past.verdict or "no verdict").upper(), MAX_SHOWN_VERDICT)
                    source = shown_field(past.publisher or past.source)
                    tip += f"\n◆ Checked before: {verdict} ({source})"
                QToolTip.showText(event.globalPos(), tooltip(tip), self)
            return True
        return super().event(event)

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:
        super().mouseReleaseEvent(event)
        if event.button() == Qt.MouseButton.LeftButton and not self.textCursor().hasSelection():
            claim = self.claim_at(self.cursorForPosition(event.position().toPoint()).position())
            if claim is not None:
                self.workspace.select_claim(claim.id)

    def contextMenuEvent(self, event: QContextMenuEvent) -> None:
        claim = self.claim_at(self.cursorForPosition(event.pos()).position())
        if claim is not None and not self.textCursor().hasSelection():
            self.workspace.select_claim(claim.id)
        menu = self.createStandardContextMenu(event.pos())
        menu.addSeparator()
        has_selection = self.textCursor().hasSelection()
        has_claim = self.workspace.selected_claim_id is not None
        self.add_claim_action.setEnabled(has_selection)
        self.set_span_action.setEnabled(has_selection and has_claim)
        self.remove_claim_action.setEnabled(has_claim)
        self.fit_claim_action.setEnabled(has_claim)
        for action in self.actions_for_menu:
            menu.addAction(action)
        menu.exec(event.globalPos())
        for action in self.actions_for_menu:
            action.setEnabled(True)


def _x_of(line: QTextLine, position: int) -> float:
    # PySide6 returns (x, position) here; older versions return x alone.
    x: Any = line.cursorToX(position)
    return float(x[0] if isinstance(x, tuple) else x)
