"""Readers that turn a file, standard input or pasted text into an :class:`ArticleDraft`.

Contract (implemented by the submodules):

* ``read_path(path)`` -- ``path`` is a ``str``/``Path`` or ``"-"`` for standard input.
  The format is chosen by extension (.txt, .md, .markdown, .html, .htm, .docx, .pdf)
  and checked against the content (a .pdf that is not a PDF is refused).
* ``read_bytes(data, *, name="")`` -- the same from bytes, format sniffed from content
  and ``name``'s extension.
* ``read_text(text, *, origin="<clipboard>")`` -- pasted text; HTML is detected and
  reduced to the article.

All raise :class:`workbench.errors.IngestError` with a one-line message for missing,
empty, binary, truncated, oversized or malformed input, never another exception.
Files over ``MAX_FILE_BYTES`` and articles over ``MAX_ARTICLE_CHARS`` characters are
refused, so any article they return can be analysed.
"""

from __future__ import annotations

from workbench.ingest.chrome import strip_page_chrome
from workbench.ingest.dispatch import MAX_FILE_BYTES, read_bytes, read_path, read_text
from workbench.models import MAX_ARTICLE_CHARS

__all__ = [
    "MAX_ARTICLE_CHARS",
    "MAX_FILE_BYTES",
    "read_bytes",
    "read_path",
    "read_text",
    "strip_page_chrome",
]
