"""The entry points: read a file, standard input, bytes or pasted text with the right reader.

The format comes from the extension and is checked against the content; without a
known extension it is sniffed from the content. Problems with the input (missing,
empty, binary, too large, damaged) become one-line :class:`IngestError` messages.
"""

from __future__ import annotations

import logging
import os
import stat
import sys
from enum import StrEnum
from pathlib import Path

from workbench.dbfile import is_held_database_file
from workbench.errors import IngestError
from workbench.files import open_regular_file
from workbench.ingest.assemble import InputInfo, check_length
from workbench.ingest.decode import decode_text
from workbench.ingest.html import decode_html, looks_like_html, read_html
from workbench.ingest.markdown import read_markdown
from workbench.ingest.text import read_plain_text
from workbench.models import ArticleDraft

log = logging.getLogger("workbench.ingest")

MAX_FILE_BYTES = 50 * 1024 * 1024
"""Larger inputs are refused before they are read: no article is this big."""

STDIN = "-"
STDIN_ORIGIN = "<stdin>"
CLIPBOARD_ORIGIN = "<clipboard>"


class Format(StrEnum):
    """The input formats the workbench reads."""

    TEXT = "text"
    MARKDOWN = "markdown"
    HTML = "html"
    DOCX = "docx"
    PDF = "pdf"


EXTENSIONS: dict[str, Format] = {
    ".txt": Format.TEXT,
    ".text": Format.TEXT,
    ".md": Format.MARKDOWN,
    ".markdown": Format.MARKDOWN,
    ".html": Format.HTML,
    ".htm": Format.HTML,
    ".xhtml": Format.HTML,
    ".docx": Format.DOCX,
    ".pdf": Format.PDF,
}

_PDF_MAGIC = b"%PDF-"
_ZIP_MAGIC = b"PK\x03\x04"
_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_RTF_MAGIC = b"{\\rtf"


def read_path(path: str | Path) -> ArticleDraft:
    """Read the article in the file at ``path``; ``"-"`` reads standard input.

    Raises:
        IngestError: The file is missing, not a regular file, unreadable, empty, too
            large, binary or damaged.
    """
    if isinstance(path, str) and path == STDIN:
        return _read_data(_read_stdin(), InputInfo("standard input", STDIN_ORIGIN))
    path = Path(path)
    info = InputInfo(
        _display_name(path.name or str(path)),
        _as_text(os.path.abspath(path)),
        _as_text(path.stem),
    )
    return _read_data(_read_file(path, info), info, extension=path.suffix.lower())


def _as_text(name: str) -> str:
    """A file name as text that can be stored: bytes of a name that are not UTF-8 (which
    Python keeps as lone surrogates) become U+FFFD. Stored as the article's origin, they
    made the analysis fail with "the text is not valid Unicode", blaming the text."""
    try:
        raw = name.encode("utf-8", "surrogateescape")
    except UnicodeEncodeError:
        raw = name.encode("utf-8", "replace")
    return raw.decode("utf-8", "replace")


def read_bytes(data: bytes, *, name: str = "", extension: str = "") -> ArticleDraft:
    """Read an article from ``data``; ``name`` (a file name) gives its extension, unless
    ``extension`` says which reader to use (a document kept as ``figures.csv`` is read
    as text, and a problem with it still names ``figures.csv``).

    Raises:
        IngestError: The data is empty, too large, binary or damaged.
    """
    label = _display_name(Path(name).name) if name else "the input"
    info = InputInfo(label, name, Path(name).stem if name else "")
    extension = extension or (Path(name).suffix.lower() if name else "")
    return _read_data(data, info, extension=extension)


def read_text(text: str, *, origin: str = CLIPBOARD_ORIGIN) -> ArticleDraft:
    """Read pasted text; HTML source is reduced to its article like a saved page.

    Raises:
        IngestError: The text is empty, too large or has no article text.
    """
    label = "the pasted text" if origin == CLIPBOARD_ORIGIN else _display_name(origin)
    info = InputInfo(label, origin)
    if len(text) > MAX_FILE_BYTES:
        raise info.error(f"is too large ({_megabytes(len(text))}; the limit is {_limit()})")
    if not text.strip():
        raise info.error("is empty")
    if looks_like_html(text):
        return read_html(text, info=info)
    check_length(text, info=info)
    return read_plain_text(text, info=info)


def _read_data(data: bytes, info: InputInfo, *, extension: str = "") -> ArticleDraft:
    """Read ``data`` described by ``info`` with the reader its extension or content picks."""
    if len(data) > MAX_FILE_BYTES:
        raise info.error(f"is too large ({_megabytes(len(data))}; the limit is {_limit()})")
    if not data.strip():
        raise info.error("is empty")
    declared = EXTENSIONS.get(extension)
    # A .pdf or .docx is read as one, and its reader refuses it if it is not one;
    # a .txt or an unnamed input that is really a PDF or a Word file is read as such.
    binary = declared if declared in (Format.PDF, Format.DOCX) else _sniff_binary(data, info)
    # The PDF and Word readers' libraries (pypdf and cryptography, lxml) are
    # imported with the first such file, not with the app.
    if binary is Format.PDF:
        from workbench.ingest.pdf import read_pdf

        log.debug("reading %s as PDF", info.label)
        return read_pdf(data, info=info)
    if binary is Format.DOCX:
        from workbench.ingest.docx import read_docx

        log.debug("reading %s as .docx", info.label)
        return read_docx(data, info=info)
    if declared is Format.HTML:
        text = decode_html(data, info=info)
        fmt = Format.HTML
    else:
        text = decode_text(data, label=info.label)
        if declared is None:
            fmt = Format.HTML if looks_like_html(text) else Format.TEXT
        else:
            fmt = Format.HTML if looks_like_html(text, strict=True) else declared
    if not text.strip():
        raise info.error("is empty")
    log.debug("reading %s as %s", info.label, fmt)
    if fmt is Format.HTML:
        return read_html(text, info=info)
    # Refused before it is split into paragraphs: that takes seconds and hundreds of MB
    # for text of the size MAX_FILE_BYTES lets in. A web page is mostly markup, so it is
    # measured once its article is out (in assemble_draft), as every format is.
    check_length(text, info=info)
    if fmt is Format.MARKDOWN:
        return read_markdown(text, info=info)
    return read_plain_text(text, info=info)


def _sniff_binary(data: bytes, info: InputInfo) -> Format | None:
    """PDF and Word files by their magic bytes; formats we cannot read are named."""
    if _PDF_MAGIC in data[:1024]:
        return Format.PDF
    if data.startswith(_ZIP_MAGIC):
        return Format.DOCX
    if data.startswith(_OLE_MAGIC):
        raise info.error("is an old Word (.doc) or Office file; save it as .docx first")
    if data.startswith(_RTF_MAGIC):
        raise info.error("is an RTF file; save it as .docx or .txt first")
    return None


def _read_file(path: Path, info: InputInfo) -> bytes:
    try:
        status = path.stat()
    except FileNotFoundError as exc:
        raise info.error("does not exist") from exc
    except PermissionError as exc:
        raise info.error("cannot be read (permission denied)") from exc
    except OSError as exc:
        raise info.error(f"cannot be read ({exc.strerror or exc})") from exc
    if stat.S_ISDIR(status.st_mode):
        raise info.error("is a directory, not a file")
    if not stat.S_ISREG(status.st_mode):
        raise info.error("is not a regular file")
    if is_held_database_file(status):
        raise info.error("is the workbench's own database, not an article")
    if status.st_size > MAX_FILE_BYTES:
        raise info.error(f"is too large ({_megabytes(status.st_size)}; the limit is {_limit()})")
    if status.st_size == 0:
        raise info.error("is empty")
    try:
        with open_regular_file(path) as handle:
            return handle.read(MAX_FILE_BYTES + 1)
    except PermissionError as exc:
        raise info.error("cannot be read (permission denied)") from exc
    except OSError as exc:
        raise info.error(f"cannot be read ({exc.strerror or exc})") from exc


def _read_stdin() -> bytes:
    try:
        return sys.stdin.buffer.read(MAX_FILE_BYTES + 1)
    except (OSError, AttributeError, ValueError) as exc:
        raise IngestError(f"standard input cannot be read ({exc})") from exc


def _display_name(name: str) -> str:
    """The name as it can appear in a one-line message: no control characters."""
    return "".join(ch if ch.isprintable() else "?" for ch in name) or "the input"


def _megabytes(size: int) -> str:
    return f"{size / 2**20:,.1f} MB"


def _limit() -> str:
    return f"{MAX_FILE_BYTES // 2**20} MB"
