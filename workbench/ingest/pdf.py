"""PDF files: the text layer, with lines joined back into paragraphs.

pypdf gives lines, not paragraphs. The vertical position of each line tells where the
paragraphs are: a gap clearly larger than the usual line spacing (or a jump up to the
next column) starts a new one. Inside a paragraph, lines are joined and a word split
across lines by a hyphen is mended. Page numbers and running headers are dropped.
"""

from __future__ import annotations

import io
import logging
import re
import statistics
from collections import Counter
from collections.abc import Sequence
from itertools import pairwise
from typing import Any, NamedTuple

from pypdf import PasswordType, PdfReader
from pypdf.errors import DependencyError
from pypdf.generic import DictionaryObject

from workbench.errors import IngestError
from workbench.ingest.assemble import InputInfo, assemble_draft
from workbench.ingest.normalize import (
    clean_line,
    ends_sentence,
    join_lines,
    unwrap_lines,
)
from workbench.models import ArticleDraft

log = logging.getLogger("workbench.ingest")

# pypdf logs a warning or an error for every flaw it works around in a damaged file;
# the user gets one clear IngestError instead. An application that wants them can
# lower this level again.
if logging.getLogger("pypdf").level == logging.NOTSET:
    logging.getLogger("pypdf").setLevel(logging.CRITICAL)

MAX_PAGES = 2000
"""Refuse longer documents: a book, not an article, and minutes of extraction."""
PARAGRAPH_GAP = 1.4
"""A gap this many times the usual line spacing separates paragraphs."""
RAGGED = 0.85
"""Character counts only approximate widths in proportional fonts: be careful with fits."""

NOT_PDF = "is not a valid PDF file"
# A dependency, so only a broken installation lacks it; the file itself is fine.
NEEDS_CRYPTOGRAPHY = (
    "is encrypted with AES, which needs the cryptography package (reinstall the workbench)"
)
_PAGE_NUMBER = re.compile(
    r"(?:page\s*)?\d{1,4}(?:\s*(?:of|/)\s*\d{1,4})?|[-–—]\s*\d{1,4}\s*[-–—]", re.IGNORECASE
)
_FILE_NAME = re.compile(r"\.(?:docx?|pdf|indd|rtf|odt|txt|tex|qxd|pages)$", re.IGNORECASE)
_PLACEHOLDER_TITLES = frozenset({"untitled", "title", "document", "untitled document"})


class _Line(NamedTuple):
    text: str
    y: float | None
    """Baseline height on the page, in points from the bottom; None if unknown."""


def read_pdf(data: bytes, *, info: InputInfo) -> ArticleDraft:
    """Read a PDF's text layer and its document information (title, author, date).

    Raises:
        IngestError: Not a PDF, damaged, password-protected, too long, or without text.
    """
    if b"%PDF-" not in data[:1024]:
        raise info.error(NOT_PDF)
    try:
        reader = PdfReader(io.BytesIO(data), strict=False)
        if reader.is_encrypted:
            _decrypt(reader, info)
        # Listing the pages walks the whole page tree (up to a minute for 100,000 pages), so
        # the count the tree declares is checked first; the real one is checked after.
        declared = _declared_page_count(reader)
        if declared is not None and declared > MAX_PAGES:
            raise _too_long(declared, info)
        count = len(reader.pages)
    except IngestError:
        raise
    except DependencyError as exc:  # AES without the cryptography package
        raise info.error(NEEDS_CRYPTOGRAPHY) from exc
    except Exception as exc:  # pypdf raises many kinds on a damaged file
        raise info.error(f"{NOT_PDF} (it is damaged)") from exc
    if count > MAX_PAGES:
        raise _too_long(count, info)
    pages: list[list[_Line]] = []
    for number in range(count):
        try:
            pages.append(_page_lines(reader.pages[number]))
        except DependencyError as exc:  # AES-128 streams: the password check needs no AES
            raise info.error(NEEDS_CRYPTOGRAPHY) from exc
        except Exception as exc:  # a damaged content stream or font
            raise info.error(f"cannot be read: page {number + 1} is damaged") from exc
    if not any(pages):
        raise info.error("has no text layer (scanned PDF?)")
    title, author, published = _metadata(reader, info)
    return assemble_draft(
        _paragraphs(pages), info=info, title=title, author=author, published=published
    )


def _decrypt(reader: PdfReader, info: InputInfo) -> None:
    """Open a PDF that is encrypted with an empty password, as many are.

    Such a file has only an owner password, which restricts printing or copying but
    not reading.
    """
    try:
        result = reader.decrypt("")
    except DependencyError as exc:
        raise info.error(NEEDS_CRYPTOGRAPHY) from exc
    except Exception as exc:  # an unsupported algorithm
        raise info.error("is encrypted and cannot be opened") from exc
    if result == PasswordType.NOT_DECRYPTED:
        raise info.error("is password-protected")


def _declared_page_count(reader: PdfReader) -> int | None:
    """The ``/Count`` of the page tree's root, read without walking the tree.

    None when it is missing or not a count; the page list then says how many there are.
    """
    try:
        tree = reader.root_object.get("/Pages")
        tree = tree.get_object() if tree is not None else None
        count = tree.get("/Count") if isinstance(tree, DictionaryObject) else None
        count = count.get_object() if count is not None else None
    except Exception:  # not a dictionary, a dangling or looping reference
        log.debug("no usable page count in the page tree", exc_info=True)
        return None
    if isinstance(count, int) and not isinstance(count, bool) and count >= 0:
        return int(count)
    return None


def _too_long(count: int, info: InputInfo) -> IngestError:
    return info.error(f"has {count:,} pages; at most {MAX_PAGES:,} can be read")


def _page_lines(page: Any) -> list[_Line]:
    """The page's lines in content order, each with the height of its baseline."""
    fragments: list[tuple[str, float]] = []

    def visit(text: str, cm: Sequence[float], tm: Sequence[float], *_: object) -> None:
        fragments.append((text, cm[1] * tm[4] + cm[3] * tm[5] + cm[5]))

    page.extract_text(visitor_text=visit)
    lines: list[_Line] = []
    current = ""
    y: float | None = None
    for text, fragment_y in fragments:
        for index, part in enumerate(text.split("\n")):
            if index:
                lines.append(_Line(current, y))
                current, y = "", None
            if y is None and part.strip():
                y = fragment_y
            current += part
    lines.append(_Line(current, y))
    cleaned = (_Line(clean_line(line.text), line.y) for line in lines)
    return [line for line in cleaned if line.text]


def _paragraphs(pages: list[list[_Line]]) -> list[str]:
    """Join every page's lines into paragraphs; one running across pages is mended."""
    paragraphs: list[str] = []
    for lines in _drop_page_furniture(pages):
        if not lines:
            continue
        width = max(len(line.text) for line in lines)
        found: list[str] = []
        for group in _gap_groups(lines):
            found.extend(unwrap_lines(group, width=width, dehyphenate=True, ragged=RAGGED))
        if paragraphs and found and _continues(paragraphs[-1], found[0]):
            paragraphs[-1] = join_lines([paragraphs[-1], found.pop(0)], dehyphenate=True)
        paragraphs.extend(found)
    return paragraphs


def _gap_groups(lines: Sequence[_Line]) -> list[list[str]]:
    """Split lines where the vertical gap is larger than usual or the text jumps up."""
    gaps = [
        above.y - below.y
        for above, below in pairwise(lines)
        if above.y is not None and below.y is not None and above.y > below.y
    ]
    usual = statistics.median(gaps) if gaps else 0.0
    groups: list[list[str]] = [[lines[0].text]]
    for above, below in pairwise(lines):
        gap = above.y - below.y if above.y is not None and below.y is not None else None
        if usual and gap is not None and (gap > PARAGRAPH_GAP * usual or gap < -usual / 2):
            groups.append([])
        groups[-1].append(below.text)
    return groups


def _continues(paragraph: str, following: str) -> bool:
    """True if a page's first paragraph carries on the previous page's last one."""
    if paragraph.endswith("-") and following[:1].isalpha():
        return True
    return not ends_sentence(paragraph) and following[:1].islower()


def _drop_page_furniture(pages: list[list[_Line]]) -> list[list[_Line]]:
    """Drop page numbers, and headers or footers that repeat on most pages."""
    edges: Counter[str] = Counter()
    for lines in pages:
        for line in {_shape(lines[0].text), _shape(lines[-1].text)} if lines else set():
            edges[line] += 1
    threshold = max(3, len(pages) // 2)
    repeated = {shape for shape, seen in edges.items() if seen >= threshold}
    kept: list[list[_Line]] = []
    for lines in pages:
        trimmed = list(lines)
        for position in (-1, 0):
            if not trimmed:
                break
            text = trimmed[position].text
            if _PAGE_NUMBER.fullmatch(text) or (len(trimmed) > 1 and _shape(text) in repeated):
                trimmed.pop(position)
        kept.append(trimmed)
    return kept


def _shape(text: str) -> str:
    """A header or footer with its page number blanked out: "Report 2024 — page #"."""
    return re.sub(r"\d+", "#", text.casefold())


def _metadata(reader: PdfReader, info: InputInfo) -> tuple[str, str, str | None]:
    """Title, author and creation date from the document information, when usable."""
    try:
        meta = reader.metadata
        if meta is None:
            return "", "", None
        title = clean_line(str(meta.title or ""))
        author = clean_line(str(meta.author or ""))
        created = meta.creation_date
    except Exception:  # malformed dates and strings are common; the text matters more
        log.debug("%s: unreadable document information", info.label, exc_info=True)
        return "", "", None
    title = title.removeprefix("Microsoft Word - ")
    if _FILE_NAME.search(title) or title.casefold() in _PLACEHOLDER_TITLES:
        title = ""
    return title, author, created.date().isoformat() if created is not None else None
