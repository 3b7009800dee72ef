"""Text normalisation shared by every reader: whitespace, invisible characters and paragraphs.

Readers hand over raw text (or lines); this module decides what a paragraph is, so an
article looks the same whichever format it came from: Unicode NFC, typographic
ligatures spelled out, one space between words, paragraphs separated by exactly one
blank line, typographic quotes untouched.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Sequence
from typing import Literal

LineBreaks = Literal["auto", "lines", "soft"]
"""How single line breaks inside a block are read.

``"auto"`` guesses between hard-wrapped text (lines joined) and one-paragraph-per-line
text (pasted web pages); ``"lines"`` makes every line a paragraph; ``"soft"`` joins the
lines of a block, as Markdown does.
"""

MIN_WRAP_WIDTH = 40
"""Text wrapped narrower than this is too rare to guess; its lines stay paragraphs."""
MAX_WRAP_WIDTH = 120
"""Lines longer than this were not wrapped by an editor or a mail client."""

# Spaces that look like a space but are not U+0020; tabs are folded with them.
_ODD_SPACES = re.compile(r"[\t\u00a0\u1680\u2000-\u200a\u202f\u205f\u3000]")
# Invisible characters that only get in the way of search and matching. ZWJ/ZWNJ
# (U+200C/U+200D) and direction marks are kept: they change how some scripts and
# emoji read.
_INVISIBLE = re.compile(r"[\u200b\u2060\ufeff\u00ad]")
# Control characters other than newline; the form feed and vertical tab become breaks.
_CONTROL = re.compile(r"[\x00-\x08\x0e-\x1f\x7f-\x9f]")
# The Latin ligatures U+FB00-U+FB06 (ﬀ ﬁ ﬂ ﬃ ﬄ ﬅ ﬆ), which PDF text layers keep, as the
# letters NFKC gives them. Only these: NFKC on the whole text would also turn "m²" into
# "m2", "½" into "1⁄2" and full-width forms into ASCII.
_LIGATURES = str.maketrans(
    {chr(code): unicodedata.normalize("NFKC", chr(code)) for code in range(0xFB00, 0xFB07)}
)
_SPACE_RUN = re.compile(r" {2,}")
_BLANK_RUN = re.compile(r"\n{2,}")
_SENTENCE_END = re.compile(r"[.!?:;…][\"'”’»)\]]*$")
_FULL_STOP = re.compile(r"[.!?…][\"'”’»)\]]*$")
_LIST_ITEM = re.compile(r"^(?:[-*+•–]|\d{1,3}[.)])\s")
_HYPHENATED = re.compile(r"[^\W\d_]-$")


def fold_ligatures(text: str) -> str:
    """Spell out the typographic ligatures ﬀ ﬁ ﬂ ﬃ ﬄ ﬅ ﬆ, so that "oﬃce" is found as "office".

    Every other character is left as it is (no NFKC: "²", "½" and full-width forms stay).
    """
    return text.translate(_LIGATURES)


def normalize_whitespace(text: str) -> str:
    """Return ``text`` in NFC with LF line ends, single spaces and no invisible characters.

    Typographic ligatures are spelled out (:func:`fold_ligatures`).

    Lines are stripped at both ends and blank lines are kept (as empty lines), so the
    paragraph structure survives for :func:`split_paragraphs`.
    """
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    text = text.replace("\u2028", "\n").replace("\u2029", "\n\n")
    text = text.replace("\f", "\n\n").replace("\v", "\n")
    text = text.replace("\u00ad\n", "")  # a soft hyphen at a line end joins the halves
    text = fold_ligatures(unicodedata.normalize("NFC", text))
    text = _INVISIBLE.sub("", text)
    text = _CONTROL.sub("", text)
    text = _ODD_SPACES.sub(" ", text)
    text = _SPACE_RUN.sub(" ", text)
    return "\n".join(line.strip() for line in text.split("\n"))


def clean_line(text: str) -> str:
    """Normalise a piece of text that must stay on one line (a title, an author)."""
    return " ".join(normalize_whitespace(text).split())


def split_paragraphs(
    text: str, *, line_breaks: LineBreaks = "auto", dehyphenate: bool = False
) -> list[str]:
    """Split ``text`` into normalised paragraphs.

    Blank lines always separate paragraphs. What a single line break means depends on
    ``line_breaks`` (see :data:`LineBreaks`).

    Args:
        text: Raw text in any line-ending convention.
        line_breaks: How to read single line breaks.
        dehyphenate: Remove a hyphen that splits a word across two lines (typeset
            text); otherwise the hyphen is kept and the halves are joined.
    """
    blocks = [block.split("\n") for block in _blocks(normalize_whitespace(text))]
    mode = line_breaks
    width = 0
    if mode == "auto":
        width = wrap_width(blocks) or 0
        mode = "soft" if width else "lines"
    paragraphs: list[str] = []
    for block in blocks:
        if mode == "lines":
            paragraphs.extend(block)
        elif width:
            paragraphs.extend(unwrap_lines(block, width=width, dehyphenate=dehyphenate))
        else:
            paragraphs.append(join_lines(block, dehyphenate=dehyphenate))
    return [p for p in paragraphs if p]


def join_paragraphs(paragraphs: Iterable[str]) -> str:
    """Join paragraphs with exactly one blank line, skipping empty ones."""
    return "\n\n".join(p for p in (p.strip() for p in paragraphs) if p)


def wrap_width(blocks: Sequence[Sequence[str]]) -> int | None:
    """Return the column at which the text was hard-wrapped, or None if it was not.

    A wrapped line was broken because the next word would not fit: its length plus
    the next word exceeds the wrap width. Pasted web text, where every line is a
    paragraph, has long lines of very different lengths that mostly end a sentence.
    """
    lines = [line for block in blocks for line in block]
    pairs = [(block[i], block[i + 1]) for block in blocks for i in range(len(block) - 1)]
    if not pairs:
        return None
    lengths = sorted(len(line) for line in lines)
    typical = lengths[int(0.9 * (len(lengths) - 1))]
    if not MIN_WRAP_WIDTH <= typical <= MAX_WRAP_WIDTH:
        return None
    # "Nearly full": tools such as fmt aim below the maximum width.
    forced = sum(1 for line, nxt in pairs if len(line) + 1 + len(_first_word(nxt)) > 0.85 * typical)
    ended = sum(1 for line, _ in pairs if _SENTENCE_END.search(line))
    if forced < 0.6 * len(pairs) or ended >= 0.5 * len(pairs):
        return None
    return max(n for n in lengths if n <= MAX_WRAP_WIDTH)


def unwrap_lines(
    lines: Sequence[str], *, width: int, dehyphenate: bool = False, ragged: float = 0.9
) -> list[str]:
    """Join wrapped ``lines`` into paragraphs, breaking where a line ended on purpose.

    A break is deliberate when the next word would have fitted on the line and the
    line ends a sentence or is much shorter than ``width``; a list item always starts a
    new paragraph. ``ragged`` (< 1) makes the fit test stricter: tools such as fmt do
    not fill every line, and in proportional fonts characters only approximate width.
    """
    paragraphs: list[str] = []
    current: list[str] = []
    for line in lines:
        if current and _starts_paragraph(current[-1], line, width, ragged):
            paragraphs.append(join_lines(current, dehyphenate=dehyphenate))
            current = []
        current.append(line)
    if current:
        paragraphs.append(join_lines(current, dehyphenate=dehyphenate))
    return [p for p in paragraphs if p]


def join_lines(lines: Iterable[str], *, dehyphenate: bool = False) -> str:
    """Join the lines of one paragraph with spaces, mending words split by a hyphen."""
    out = ""
    for line in (line.strip() for line in lines):
        if not line:
            continue
        if out and _HYPHENATED.search(out) and line[0].isalnum():
            if dehyphenate and line[0].islower():
                out = out[:-1]
            out += line
        else:
            out = f"{out} {line}" if out else line
    return out


def ends_sentence(text: str) -> bool:
    """True if ``text`` ends like a sentence (full stop, question mark, colon ...)."""
    return bool(_SENTENCE_END.search(text))


def _blocks(text: str) -> list[str]:
    return [block.strip("\n") for block in _BLANK_RUN.split(text) if block.strip()]


def _first_word(line: str) -> str:
    return line.split(" ", 1)[0]


def _starts_paragraph(previous: str, line: str, width: int, ragged: float) -> bool:
    fits = len(previous) + 1 + len(_first_word(line)) <= width * ragged
    if _LIST_ITEM.match(line):
        # A list item, unless a full line broke before a dash: "threat\n- to frame".
        return fits or ends_sentence(previous) or bool(_LIST_ITEM.match(previous))
    if line[0].islower():
        return False
    return fits and (bool(_FULL_STOP.search(previous)) or len(previous) < 0.6 * width)
