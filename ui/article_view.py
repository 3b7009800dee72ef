"""The article text with its claims highlighted by status."""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtCore import QEvent, Qt, Signal
from PySide6.QtGui import (
    QColor,
    QFont,
    QHelpEvent,
    QMouseEvent,
    QTextCharFormat,
    QTextCursor,
    QTextFormat,
)
from PySide6.QtWidgets import QTextEdit, QToolTip, QWidget

from workbench.models import Article, Claim, Status

# Okabe-Ito derived tints: distinguishable with the common colour-vision deficiencies.
STATUS_COLOURS: dict[Status, str] = {
    Status.UNCHECKED: "#f3d37a",
    Status.VERIFIED: "#8fd1b0",
    Status.DISPUTED: "#f2a27a",
    Status.UNVERIFIABLE: "#b9c3e6",
}
# A non-colour cue per status, for readers who cannot tell the tints apart.
STATUS_UNDERLINES: dict[Status, QTextCharFormat.UnderlineStyle] = {
    Status.UNCHECKED: QTextCharFormat.UnderlineStyle.DotLine,
    Status.VERIFIED: QTextCharFormat.UnderlineStyle.SingleUnderline,
    Status.DISPUTED: QTextCharFormat.UnderlineStyle.WaveUnderline,
    Status.UNVERIFIABLE: QTextCharFormat.UnderlineStyle.DashUnderline,
}


class ArticleView(QTextEdit):
    """Read-only article text; every claim is one highlight in the ``claims`` group."""

    claim_clicked = Signal(int)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setReadOnly(True)
        self.setObjectName("article_view")
        font = QFont("Georgia")
        font.setStyleHint(QFont.StyleHint.Serif)
        font.setPointSizeF(12.5)
        self.document().setDefaultFont(font)
        self.document().setDocumentMargin(24)
        self.setTextInteractionFlags(
            Qt.TextInteractionFlag.TextSelectableByMouse
            | Qt.TextInteractionFlag.TextSelectableByKeyboard
        )
        self._claims: list[Claim] = []
        self._selected: int | None = None

    @property
    def claims(self) -> list[Claim]:
        return list(self._claims)

    def set_article(self, article: Article | None, claims: Sequence[Claim]) -> None:
        self._claims = list(claims)
        self._selected = None
        self.setPlainText(article.text if article else "")
        self._apply_highlights()

    def set_claims(self, claims: Sequence[Claim]) -> None:
        self._claims = list(claims)
        self._apply_highlights()

    def select_claim(self, claim_id: int | None) -> None:
        self._selected = claim_id
        self._apply_highlights()
        claim = next((c for c in self._claims if c.id == claim_id), None)
        if claim is not None:
            cursor = QTextCursor(self.document())
            cursor.setPosition(claim.start)
            self.setTextCursor(cursor)
            self.ensureCursorVisible()

    def highlights(self) -> list[QTextEdit.ExtraSelection]:
        return list(self.extraSelections())

    def claim_at(self, position: int) -> Claim | None:
        return next((c for c in self._claims if c.start <= position < c.end), None)

    def _apply_highlights(self) -> None:
        """Rebuild the whole highlight group at once from the current claims."""
        selections = []
        for claim in self._claims:
            selection = QTextEdit.ExtraSelection()
            fmt = QTextCharFormat()
            fmt.setBackground(QColor(STATUS_COLOURS[claim.status]))
            fmt.setForeground(QColor("#1b1b1b"))
            fmt.setUnderlineStyle(STATUS_UNDERLINES[claim.status])
            if claim.id == self._selected:
                fmt.setProperty(QTextFormat.Property.OutlinePen, QColor("#1b1b1b"))
                fmt.setFontWeight(QFont.Weight.DemiBold)
            selection.format = fmt
            cursor = QTextCursor(self.document())
            cursor.setPosition(claim.start)
            cursor.setPosition(claim.end, QTextCursor.MoveMode.KeepAnchor)
            selection.cursor = cursor
            selections.append(selection)
        self.setExtraSelections(selections)

    def event(self, event: QEvent) -> bool:
        if event.type() == QEvent.Type.ToolTip and isinstance(event, QHelpEvent):
            position = self.cursorForPosition(self.viewport().mapFrom(self, event.pos()))
            claim = self.claim_at(position.position())
            if claim is None:
                QToolTip.hideText()
            else:
                QToolTip.showText(event.globalPos(), _tooltip(claim), self)
            return True
        return super().event(event)

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:
        super().mouseReleaseEvent(event)
        cursor = self.textCursor()
        if not cursor.hasSelection():
            claim = self.claim_at(cursor.position())
            if claim is not None:
                self.claim_clicked.emit(claim.id)


def _tooltip(claim: Claim) -> str:
    reasons = ", ".join(claim.reasons) or "no reasons recorded"
    return f"{claim.status.value} · score {claim.score:.2f}\n{reasons}"
