"""Plain text (.txt, pasted text, standard input)."""

from __future__ import annotations

from workbench.ingest.assemble import InputInfo, assemble_draft
from workbench.ingest.normalize import split_paragraphs
from workbench.models import ArticleDraft


def read_plain_text(text: str, *, info: InputInfo) -> ArticleDraft:
    """Read decoded plain text; a headline-like first paragraph becomes the title.

    Whether single line breaks are hard wrapping or paragraph breaks is guessed from
    the line lengths (see :func:`workbench.ingest.normalize.wrap_width`).
    """
    return assemble_draft(split_paragraphs(text), info=info)
