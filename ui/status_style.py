"""How each status looks, in one place: tint, underline, glyph and icon.

The tints are taken from the Okabe-Ito palette, which stays distinguishable under the
common colour-vision deficiencies; every status also has a non-colour cue (an underline
style in the article and a distinct glyph in lists) so colour is never the only signal.
"""

from __future__ import annotations

from functools import cache

from PySide6.QtCore import QRectF, Qt
from PySide6.QtGui import QColor, QFont, QIcon, QPainter, QPen, QPixmap, QTextCharFormat

from workbench.models import Status
from workbench.priority import Priority

TINTS: dict[Status, str] = {
    Status.UNCHECKED: "#f0e442",  # yellow
    Status.VERIFIED: "#009e73",  # bluish green
    Status.DISPUTED: "#d55e00",  # vermillion
    Status.UNVERIFIABLE: "#56b4e9",  # sky blue
}
LABELS: dict[Status, str] = {status: status.label for status in Status}
GLYPHS: dict[Status, str] = {status: status.glyph for status in Status}
UNDERLINES: dict[Status, QTextCharFormat.UnderlineStyle] = {
    Status.UNCHECKED: QTextCharFormat.UnderlineStyle.DotLine,
    Status.VERIFIED: QTextCharFormat.UnderlineStyle.SingleUnderline,
    Status.DISPUTED: QTextCharFormat.UnderlineStyle.WaveUnderline,
    Status.UNVERIFIABLE: QTextCharFormat.UnderlineStyle.DashUnderline,
}
SHORTCUT_KEYS: dict[Status, str] = {
    Status.VERIFIED: "1",
    Status.DISPUTED: "2",
    Status.UNVERIFIABLE: "3",
    Status.UNCHECKED: "0",
}


# How strongly an unchecked claim is highlighted, by priority: (lightness on a light
# palette, darkening factor on a dark one). The few high-priority claims stand out;
# medium ones are a tint, low ones a faint wash, still findable (0.70 against 0.82 made
# high and medium hard to tell apart in hard news, where most claims are one or the
# other). Checked claims have their own strength: their verdict's colour is what counts.
STRENGTHS: dict[Priority, tuple[float, int]] = {
    Priority.HIGH: (0.64, 140),
    Priority.MANUAL: (0.64, 140),
    Priority.MEDIUM: (0.86, 240),
    Priority.LOW: (0.94, 400),
}
CHECKED_STRENGTH = (0.80, 200)


def highlight_colour(status: Status, *, dark: bool, priority: Priority = Priority.MEDIUM) -> QColor:
    """A background for claim text: a light tint on light palettes, a deep one on dark.

    An unchecked claim's tint is stronger the higher its priority; once it has a
    verdict, the verdict's colour is what matters and the priority no longer shows.
    """
    lightness, darker = STRENGTHS[priority] if status is Status.UNCHECKED else CHECKED_STRENGTH
    colour = QColor(TINTS[status])
    if dark:
        return colour.darker(darker)
    return QColor.fromHslF(colour.hslHueF(), colour.hslSaturationF(), lightness)


@cache
def status_icon(status: Status, size: int = 16) -> QIcon:
    """A round badge in the status tint with its glyph, readable without colour."""
    pixmap = QPixmap(size, size)
    pixmap.fill(Qt.GlobalColor.transparent)
    painter = QPainter(pixmap)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    painter.setPen(QPen(QColor("#333333"), 1))
    painter.setBrush(QColor(TINTS[status]))
    painter.drawEllipse(QRectF(0.5, 0.5, size - 1, size - 1))
    font = QFont()
    font.setPixelSize(int(size * 0.75))
    font.setBold(True)
    painter.setFont(font)
    painter.setPen(QColor("#000000"))
    painter.drawText(QRectF(0, 0, size, size), Qt.AlignmentFlag.AlignCenter, GLYPHS[status])
    painter.end()
    return QIcon(pixmap)
