"""Plain text (.txt, pasted text, standard input)."""

from __future__ import annotations

import re

from workbench.ingest.assemble import (
    MAX_TITLE_CHARS,
    InputInfo,
    assemble_draft,
    looks_like_title,
)
from workbench.ingest.normalize import normalize_whitespace, split_paragraphs, wrap_width
from workbench.models import ArticleDraft

_BLANK_LINES = re.compile(r"\n{2,}")
_RAGGED = 0.9
"""How full a wrapped line is at least: the share of the width :func:`unwrap_lines` uses."""


def read_plain_text(text: str, *, info: InputInfo) -> ArticleDraft:
    """Read decoded plain text; a headline-like first paragraph becomes the title.

    Whether single line breaks are hard wrapping or paragraph breaks is guessed from
    the line lengths (see :func:`workbench.ingest.normalize.wrap_width`).
    """
    paragraphs = split_paragraphs(text)
    first, second = _first_lines(text)
    if (
        paragraphs
        and paragraphs[0].startswith(first + " ")
        and _headline_above(first, second, text)
    ):
        # Unwrapping joined the headline to the paragraph under it.
        paragraphs[0:1] = [first, paragraphs[0][len(first) + 1 :]]
    return assemble_draft(paragraphs, info=info)


def _first_lines(text: str) -> tuple[str, str]:
    """The first two lines of ``text``, normalised ("" for a blank one)."""
    head = text[: 4 * MAX_TITLE_CHARS].lstrip()
    lines = normalize_whitespace(head).split("\n")
    return lines[0], lines[1] if len(lines) > 1 else ""


def _headline_above(first: str, second: str, text: str) -> bool:
    """True if ``first`` is a headline set directly above hard-wrapped text.

    Unwrapping joins a line to the next unless the break looks deliberate, which a
    headline of more than half the width does not. It is a headline if it looks like one
    and the next line's first word would have fitted after it: a wrapping editor would
    have put it there.
    """
    if not second or second[0].islower() or not looks_like_title(first):
        return False
    blocks = _BLANK_LINES.split(normalize_whitespace(text))
    width = wrap_width([block.strip("\n").split("\n") for block in blocks if block.strip()])
    if width is None:
        return False  # every line is a paragraph already
    return len(first) + 1 + len(second.split(" ", 1)[0]) <= width * _RAGGED
