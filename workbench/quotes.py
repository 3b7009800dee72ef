"""Quoting a document kept as evidence: its text, the passage, where it is, finding it again.

A vaulted document is read with the app's own readers (a saved page, a PDF, a .docx, a
text or CSV file; an .mhtml page through its HTML part), so a quote's offsets are into
the text the app shows. A :class:`~workbench.models.Quote` keeps the passage, its
offsets, its PDF page and a little text on either side; :func:`locate` finds it again
in a text read later, by offsets, by the passage itself, by its context, or by its
words whatever the spacing and case.
"""

from __future__ import annotations

import bisect
import email
import email.policy
import html
import itertools
import re
from dataclasses import dataclass
from pathlib import Path

from workbench.errors import IngestError, ValidationError
from workbench.models import ArticleDraft, Quote, VaultFile
from workbench.vault import open_verified

CONTEXT_CHARS = 60
"""How much text on either side of a quote is kept to find it again."""

_READABLE = {
    "text/html": ".html",
    "multipart/related": ".html",
    "application/pdf": ".pdf",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": ".docx",
    "text/plain": ".txt",
    "text/markdown": ".md",
    "text/csv": ".txt",
}


def has_text(file: VaultFile) -> bool:
    """Whether the document has text to quote (images do not)."""
    return file.media_type in _READABLE


@dataclass(frozen=True, slots=True)
class VaultDocument:
    """A vaulted document as the app's readers give it, read once."""

    title: str
    """The title it gives itself (a page's ``<title>``, a PDF's or a .docx's metadata, a
    heading), or "" when the reader made it from the file's name."""
    text: str
    pages: list[str] | None
    """A PDF's text page by page (to say which page a quote is on); None otherwise."""

    def quote(self, passage: str) -> Quote:
        """:func:`make_quote` of ``passage`` in this document."""
        return make_quote(self.text, passage, pages=self.pages)


def read_document(db_path: str | Path, file: VaultFile) -> VaultDocument:
    """Read a vaulted document.

    Raises:
        ValidationError: the vault's file is missing or altered, or it has no text.
        IngestError: the document cannot be read.
    """
    draft, data = _read(db_path, file)
    title = " ".join(draft.title.split())
    own_title = "" if title == Path(file.original_name).stem else title  # made from the name
    pages = list(draft.pages) if file.media_type == "application/pdf" else None
    return VaultDocument(own_title, _with_title(draft.title, draft.text, data), pages)


def document_text(db_path: str | Path, file: VaultFile) -> str:
    """The text of a vaulted document (see :func:`read_document`)."""
    return read_document(db_path, file).text


def _read(db_path: str | Path, file: VaultFile) -> tuple[ArticleDraft, bytes]:
    data = open_verified(db_path, file.sha256, file.size)
    extension = _READABLE.get(file.media_type)
    if extension is None:
        raise ValidationError(f"{file.original_name} is an image: it has no text to quote")
    if file.media_type == "multipart/related":
        data = _mhtml_page(data, file.original_name)
    from workbench.ingest import read_bytes

    return read_bytes(data, name=file.original_name, extension=extension), data


TITLE_SEARCH_BYTES = 65_536
"""How much of a document's start is searched for the line the reader made its title."""


def _with_title(title: str, text: str, data: bytes) -> str:
    """``text`` with the document's first line back in front when the reader made it the
    title: an article's headline is shown apart, but a document is read whole (a .txt's
    first line was missing from the viewer, so it could be neither read nor quoted).

    A title the file does not hold as a line of its own (made from its name, a page's
    ``<title>``, a PDF's metadata) is left out.
    """
    title = " ".join(title.split())
    if not title or text.startswith(title):
        return text
    # The reader takes a title from the first paragraphs: the file's start is enough.
    lines = data[:TITLE_SEARCH_BYTES].decode("utf-8", errors="ignore").splitlines()
    held = any(_line_text(line) == title for line in lines if "<title" not in line.lower())
    return f"{title}\n\n{text}" if held else text


def _line_text(line: str) -> str:
    """A line of a document as text: Markdown's ``#`` and HTML tags (a page's ``<h1>``)
    taken off, entities read."""
    return " ".join(html.unescape(_TAG.sub(" ", line.lstrip("# "))).split())


_TAG = re.compile(r"<[^>]*>")


def _mhtml_page(data: bytes, name: str) -> bytes:
    """The HTML part of a saved web archive (.mhtml): the page itself.

    Read with the ``compat32`` policy, which leaves encoded words in headers alone: the
    default policy's header parser takes time and memory with the square of their
    number (a 560 kB file with 40,000 of them in one Content-Type ran out of 4 GB).
    """
    try:
        message = email.message_from_bytes(data, policy=email.policy.compat32)
        for part in message.walk():
            if part.get_content_type() == "text/html":
                payload = part.get_payload(decode=True)
                if isinstance(payload, bytes) and payload.strip():
                    return payload
    except RecursionError:
        raise IngestError(f"{name} nests its parts too deeply to be read") from None
    raise IngestError(f"{name} holds no web page")


def make_quote(text: str, passage: str, *, pages: list[str] | None = None) -> Quote:
    """The quote of ``passage`` in the document ``text``, with where it is.

    Raises:
        ValidationError: the passage is not in the document (whatever its spacing or case).
    """
    passage = " ".join(passage.split())
    if not passage:
        raise ValidationError("the quote is empty")
    span = _find(text, passage)
    if span is None:
        raise ValidationError(f"the quote is not in the document: {passage[:80]!r}")
    start, end = span
    return Quote(
        text[start:end],
        start=start,
        end=end,
        page=_page_of(pages or [], text[start:end]),
        before=text[max(0, start - CONTEXT_CHARS) : start],
        after=text[end : end + CONTEXT_CHARS],
    )


def locate(text: str, quote: Quote) -> tuple[int, int] | None:
    """Where ``quote`` is in ``text`` (a document read again), or None if it is not there.

    Its offsets if they still hold its words; else the occurrence with its context, or
    nearest its old place; else its words whatever the spacing and case.
    """
    if (
        quote.start is not None
        and quote.end is not None
        and text[quote.start : quote.end] == quote.text
    ):
        return quote.start, quote.end
    found = [m.start() for m in re.finditer(re.escape(quote.text), text)] if quote.text else []
    if found:
        with_context = [
            at
            for at in found
            if text[max(0, at - len(quote.before)) : at].endswith(quote.before[-20:])
            and text[at + len(quote.text) :].startswith(quote.after[:20])
        ]
        at = (with_context or sorted(found, key=lambda a: abs(a - (quote.start or 0))))[0]
        return at, at + len(quote.text)
    return _find(text, quote.text)


def _find(text: str, passage: str) -> tuple[int, int] | None:
    """The first place ``passage``'s words occur in order, any spacing; else any case.

    The words of both are joined by single spaces and searched with ``str.find``, in
    time linear in the text: a pattern of the words joined by ``\\s+`` was tried at
    every place, and a 1,000-word quote in a text of one repeated word took 34 s.
    """
    words = passage.split()
    if not words:
        return None
    spans = [match.span() for match in _WORD.finditer(text)]
    joined = " ".join(text[start:end] for start, end in spans)
    needle = " ".join(words)
    at = joined.find(needle)
    if at < 0:
        at = _lower(joined).find(_lower(needle))
        if at < 0:
            return None
    starts = list(itertools.accumulate((end - start + 1 for start, end in spans[:-1]), initial=0))

    def offset(position: int) -> int:  # a place in ``joined`` -> the same one in ``text``
        word = bisect.bisect_right(starts, position) - 1
        return spans[word][0] + position - starts[word]

    return offset(at), offset(at + len(needle) - 1) + 1


_WORD = re.compile(r"\S+")


def _lower(text: str) -> str:
    """``text`` in lower case, character for character, as a search ignoring case sees
    it: "İ" is "i" (its full lower case, "i̇", is two characters, which would move every
    offset after it), and "ı", "ſ" and "ς" are "i", "s" and "σ" (so "KIRMIZI" is found
    for "kırmızı", as the pattern with IGNORECASE found it)."""
    lowered = text.lower()
    if len(lowered) != len(text):
        lowered = "".join(c.lower()[0] for c in text)
    return lowered.translate(_SAME_LETTER)


_SAME_LETTER = str.maketrans({"ı": "i", "ſ": "s", "ς": "σ"})


def _page_of(pages: list[str], passage: str) -> int | None:
    """The 1-based page whose text holds ``passage`` (by its words), if any does."""
    for number, page in enumerate(pages, 1):
        if _find(page, passage) is not None:
            return number
    return None
