"""Readers that turn a file, standard input or pasted text into an :class:`ArticleDraft`.

Contract (implemented by the submodules):

* ``read_path(path)`` -- ``path`` is a ``str``/``Path`` or ``"-"`` for standard input.
  The format is chosen by extension (.txt, .md, .markdown, .html, .htm, .docx, .pdf)
  and checked against the content (a .pdf that is not a PDF is refused).
* ``read_bytes(data, *, name="", extension="")`` -- the same from bytes, format sniffed
  from content and ``extension`` (else ``name``'s).
* ``read_text(text, *, origin="<clipboard>")`` -- pasted text; HTML is detected and
  reduced to the article.

All raise :class:`workbench.errors.IngestError` with a one-line message for missing,
empty, binary, truncated, oversized or malformed input, never another exception.
Files over ``MAX_FILE_BYTES`` and articles over ``MAX_ARTICLE_CHARS`` characters are
refused, so any article they return can be analysed.

The names below are imported from their submodules on first use, as in
:mod:`workbench.reports`: importing the package imports none of its modules. The app's
threads import it (the opener) and its modules (``normalize`` for matching and archive
imports, ``dispatch`` for the evidence library) for the first time at once; a package
that imported its modules deadlocked with them: the thread that began with a module
holds that module's lock while it waits for the package, whose import waits for that
module ("_DeadlockError: deadlock detected by _ModuleLock('workbench.ingest.dispatch')").
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from workbench.lazy_names import from_submodules
from workbench.models import MAX_ARTICLE_CHARS

if TYPE_CHECKING:
    from workbench.ingest.chrome import strip_page_chrome
    from workbench.ingest.dispatch import MAX_FILE_BYTES, read_bytes, read_path, read_text

_SUBMODULE = {
    "strip_page_chrome": "chrome",
    "MAX_FILE_BYTES": "dispatch",
    "read_bytes": "dispatch",
    "read_path": "dispatch",
    "read_text": "dispatch",
}
"""Where each public name lives."""

__all__ = [
    "MAX_ARTICLE_CHARS",
    "MAX_FILE_BYTES",
    "read_bytes",
    "read_path",
    "read_text",
    "strip_page_chrome",
]


if not TYPE_CHECKING:  # mypy reads the imports above; an unknown name stays an error for it
    __getattr__ = from_submodules(__name__, _SUBMODULE, globals())


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})
