"""Article, archive and user text shown as text, never interpreted as HTML.

Qt guesses: a ``QLabel`` left at ``AutoText``, a ``QMessageBox`` and a tooltip all render
their text as rich text when it merely looks like HTML (``Qt::mightBeRichText``), so a
claim holding ``<img src="/local/file.png">`` or ``<font color=white>`` would be drawn,
not shown. Labels and message boxes that carry such text are ``Qt.PlainText``; tooltips,
which cannot be told their format, get the text escaped inside a paragraph that keeps
its line breaks.
"""

from __future__ import annotations

import html

from PySide6.QtCore import Qt, QUrl
from PySide6.QtGui import QDesktopServices
from PySide6.QtWidgets import QComboBox, QLabel, QMessageBox, QWidget

from workbench.textsafety import clipped, http_url, shown_url, without_controls


def plain_label(text: str = "", parent: QWidget | None = None) -> QLabel:
    """A label that shows ``text`` exactly as it is (and any text set on it later)."""
    label = QLabel(parent)
    label.setTextFormat(Qt.TextFormat.PlainText)
    label.setText(text)
    return label


NARROW_COMBO_CHARS = 8
"""How many characters of its entry a filter's combo box shows when the window is narrow."""


def narrow_combo(combo: QComboBox, chars: int = NARROW_COMBO_CHARS) -> QComboBox:
    """``combo``, which may be as narrow as ``chars`` characters: Qt sizes a combo box to
    its longest entry, and the filters' ("Unchecked, high priority and yours", "Quote of a
    checkable fact", a tag, a collection's name of 100 characters) kept the window at
    least 1,255 pixels wide, past the edge of a 1,024-pixel screen. It grows with the
    room it is given, and its list shows every entry whole."""
    combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
    combo.setMinimumContentsLength(chars)
    return combo


MAX_TOOLTIP_CHARS = 2_000
"""The most characters of text a tooltip shows: Qt lays a tooltip out whole, on the UI
thread, each time it appears (a 1 MB note's history entry held the window 12 s)."""


def tooltip(text: str) -> str:
    """A tooltip that shows ``text`` as text, line breaks included, whatever it holds:
    without the controls that reorder what follows them (U+202E), cut to
    :data:`MAX_TOOLTIP_CHARS` with "…"."""
    if not text:
        return ""
    shown = clipped(without_controls(text), MAX_TOOLTIP_CHARS)
    return f'<p style="white-space:pre-wrap">{html.escape(shown)}</p>'


def message_box(
    icon: QMessageBox.Icon, title: str, text: str, parent: QWidget | None = None
) -> QMessageBox:
    """A message box whose text (and informative text) is plain: it often names a file,
    shown without the controls that reorder what follows it (a file named
    "\u202etxt.exe report.txt" made "…: No such file or directory" read backwards)."""
    box = QMessageBox(icon, without_controls(title), without_controls(text), parent=parent)
    box.setTextFormat(Qt.TextFormat.PlainText)
    return box


def open_web_link(url: str) -> bool:
    """Open an http(s) link in the browser, encoded as the reports link it.

    Returns False, opening nothing, for anything else (``javascript:``, ``file:``, a
    URL without a host): a link from an article or an archive is never run locally.
    """
    target = http_url(url)
    if not target:
        return False
    QDesktopServices.openUrl(QUrl(target, QUrl.ParsingMode.StrictMode))
    return True


MAX_SHOWN_TITLE = 300
"""The most characters of an article's title the app shows in one place."""


def shown_title(title: str, limit: int = MAX_SHOWN_TITLE) -> str:
    """An article's title as the app shows it: without the controls that reorder what
    follows it (a title ending in U+202E made the library's "0/2 checked" read
    backwards), cut to ``limit`` characters with "…"; "Untitled" when there is none."""
    return shown_field(title, limit) or "Untitled"


MAX_SHOWN_FIELD = 200
"""The most characters the app shows of a short field from outside: a verdict, an
outlet or publisher, a speaker, a file name (an archive may hold 100,000 in each)."""


def shown_field(text: str, limit: int = MAX_SHOWN_FIELD) -> str:
    """A short field from outside as a row or label shows it beside the app's own words:
    on one line, without the controls that reorder what follows (a verdict ending in
    U+202E made a past check's "PolitiFact · 1 Nov 2024" and "12,000 vs 10,000" read
    backwards), cut to ``limit`` characters with "…" (a 100,000-character verdict held
    the window 17 s while the claim list laid its row out)."""
    return clipped(" ".join(without_controls(text).split()), limit)


MAX_SHOWN_TEXT = 1_000
"""The most characters of a claim or a past claim a row or label shows; the article
shows a claim whole. A run-on "sentence" (a PDF table, a page without full stops) made
a claim of 236,000 characters: the claim list and the panel laid it out for 11 s on
the UI thread when it was selected, and 2.5 s at each resize."""


MAX_SHOWN_URL = 500
"""The most characters of a link's address a row or label shows (the tooltip holds
more, Open the whole)."""


MAX_TOOLTIP_URL = 1_000
"""The most characters of a link's address a tooltip shows, before the host's name
(:func:`~workbench.textsafety.shown_url`) and what follows."""


def shown_link(url: str, limit: int = MAX_SHOWN_URL) -> str:
    """A link's address as a row or label shows it: on one line, without the controls
    that reorder what follows, cut to ``limit`` characters, and followed by the name of
    the host it opens where the address hides it (:func:`~workbench.textsafety.shown_url`),
    which the cut never takes away."""
    return shown_url(" ".join(without_controls(url).split()), limit=limit)


def shown_text(text: str, limit: int = MAX_SHOWN_TEXT) -> str:
    """A longer text from outside (a claim, a past claim, a quote) shown in a row above
    the app's own words: its line breaks kept, without the controls that reorder what
    follows it (a claim holding U+202E made its "✓ Verified" read backwards), cut to
    ``limit`` characters with "…"."""
    return clipped(without_controls(text), limit)
