"""Saved web pages (.html, .htm) and pasted HTML: the article without the page around it.

trafilatura does the work (main text, title, byline, date, outlet, canonical URL). It is
only ever given the document itself, never a URL, so nothing is fetched. When it finds
nothing, as on a tiny page, a plain lxml walk over headings and paragraphs takes over.

trafilatura is imported on the first page read, not with this module: it pulls in
justext, htmldate, courlan and lxml's HTML cleaner (0.2 s), which a .txt, a
.docx or a PDF never needs. lxml itself is imported by the fallback, for the same reason
(and so that the app's window does not wait for it).
"""

from __future__ import annotations

import codecs
import logging
import re
from types import ModuleType
from typing import TYPE_CHECKING, Any

from workbench.ingest.assemble import InputInfo, assemble_draft
from workbench.ingest.decode import BINARY_PROBLEM, decode_text, looks_binary
from workbench.ingest.normalize import clean_line, split_paragraphs
from workbench.models import ArticleDraft

if TYPE_CHECKING:
    import lxml.html  # type: ignore[import-untyped]  # lxml ships no type hints

log = logging.getLogger("workbench.ingest")

# The extraction libraries log what they make of a page, up to ERROR for one they
# cannot parse ("empty HTML tree", "discarding data"), even when the reader then finds
# the text itself; the user gets the article, or one IngestError.
_QUIET_LOGGERS = ("trafilatura", "htmldate", "courlan", "justext")

_SNIFF_CHARS = 4096
_FLATTENED_CHARS = 200
_XML_DECLARATION = re.compile(r"\A\s*<\?xml[^>]*\?>")  # lxml refuses it in a str
_HTML_START = re.compile(
    r"\A\s*(?:<\?xml[^>]*>\s*)?(?:<!--.*?-->\s*)*<(?:!doctype\s+html|html|head|body)\b",
    re.IGNORECASE | re.DOTALL,
)
_FRAGMENT_START = re.compile(
    r"\A\s*<(?:div|p|article|section|main|span|h[1-6]|table|ul|ol|meta|title|header|nav)\b",
    re.IGNORECASE,
)
_CLOSING_TAG = re.compile(r"</[a-zA-Z][a-zA-Z0-9]*\s*>")
_META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9_.:-]+)""", re.I)
_LIST_MARKER = re.compile(r"^(?:[-*•]|\d{1,3}[.)])\s+")
_TABLE_RULE = re.compile(r"^[\s|:-]+$")
# Elements whose text is never the article, for the fallback extraction.
_NOT_ARTICLE = (
    "script",
    "style",
    "noscript",
    "template",
    "nav",
    "header",
    "footer",
    "aside",
    "form",
    "button",
    "iframe",
    "svg",
    "select",
)
_BLOCK_XPATH = "//h1|//h2|//h3|//h4|//h5|//h6|//p|//li|//blockquote|//pre|//td|//th"


def looks_like_html(text: str, *, strict: bool = False) -> bool:
    """True if ``text`` is HTML source rather than prose.

    ``strict`` only accepts a whole document (doctype, ``<html>``, ``<head>`` or
    ``<body>`` first): used for a .txt or .md that turns out to be a saved page. Pasted
    text also counts when it starts with a block tag and closes some tag.
    """
    head = text[:_SNIFF_CHARS]
    if _HTML_START.match(head):
        return True
    return not strict and bool(_FRAGMENT_START.match(head) and _CLOSING_TAG.search(head))


def decode_html(data: bytes, *, info: InputInfo) -> str:
    """Decode a saved page, trusting a BOM first, then ``<meta charset>``, then guessing."""
    if data.startswith((codecs.BOM_UTF8, codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return decode_text(data, label=info.label)
    declared = _META_CHARSET.search(data[:_SNIFF_CHARS])
    encoding = _usable_encoding(declared.group(1).decode("ascii")) if declared else None
    if encoding is None:
        return decode_text(data, label=info.label)
    try:
        text = data.decode(encoding)
    except UnicodeDecodeError:
        return decode_text(data, label=info.label)  # the declaration is wrong: guess
    if looks_binary(text):
        raise info.error(BINARY_PROBLEM)
    return text


def read_html(html: str, *, info: InputInfo) -> ArticleDraft:
    """Reduce a web page to its article, with the metadata the page declares.

    Raises:
        IngestError: The page has no article text.
    """
    extracted = _extract(html, info)
    text = str(extracted.get("text") or "") if extracted else ""
    if _flattened(text):
        # trafilatura's last resort runs the whole page into one line; its precise mode,
        # or else the plain walk over paragraphs, keeps them apart.
        precise = _extract(html, info, favor_precision=True)
        if precise and not _flattened(str(precise.get("text") or "")):
            extracted, text = precise, str(precise.get("text") or "")
    meta = {key: str(extracted.get(key) or "") for key in _META_FIELDS} if extracted else {}
    paragraphs = _clean_lines(text)
    if not paragraphs or _flattened(text):
        log.debug("%s: trafilatura found no paragraphs; reading them from the HTML", info.label)
        found, fallback_meta = _fallback(html, info)
        if found and (not paragraphs or len(found) > 1):
            paragraphs = found
        meta = {key: meta.get(key) or fallback_meta[key] for key in _META_FIELDS}
    return assemble_draft(
        paragraphs,
        info=info,
        title=meta["title"],
        author=meta["author"],
        source=meta["sitename"],
        url=meta["url"],
        published=meta["date"] or None,
        title_from_body=False,
    )


_META_FIELDS = ("title", "author", "date", "sitename", "url")


def _trafilatura() -> ModuleType:
    """Import trafilatura and silence its family's loggers.

    Levels an application set before the first page are kept (later calls find the
    levels set and keep them too). The silencing comes after the import because
    importing trafilatura sets htmldate's level to WARNING. An ImportError is a
    broken installation and reaches the crash path.
    """
    configured = {name: logging.getLogger(name).level for name in _QUIET_LOGGERS}
    import trafilatura

    for name, level in configured.items():
        if level == logging.NOTSET:
            logging.getLogger(name).setLevel(logging.CRITICAL)
    return trafilatura


def _extract(html: str, info: InputInfo, *, favor_precision: bool = False) -> dict[str, Any] | None:
    """Run trafilatura on the document alone; a crash inside it means "found nothing"."""
    trafilatura = _trafilatura()
    try:
        result = trafilatura.bare_extraction(
            html,
            with_metadata=True,
            include_comments=False,
            include_tables=True,
            include_images=False,
            include_links=False,
            deduplicate=False,
            date_extraction_params={"extensive_search": False, "original_date": True},
            favor_precision=favor_precision,
        )
        found = result.as_dict() if isinstance(result, trafilatura.settings.Document) else result
    except Exception:  # a third-party parser on untrusted input: any failure is "nothing"
        # Not a warning: the plain walk still reads the page, so the read succeeds.
        log.debug("%s: trafilatura failed; reading paragraphs instead", info.label, exc_info=True)
        return None
    return found if isinstance(found, dict) else None


def _flattened(text: str) -> bool:
    """One long line: trafilatura's baseline extraction, paragraphs run together."""
    text = text.strip()
    return len(text) > _FLATTENED_CHARS and "\n" not in text


def _clean_lines(text: str) -> list[str]:
    """trafilatura's lines are elements: strip list markers and Markdown table rules."""
    paragraphs: list[str] = []
    for line in split_paragraphs(text, line_breaks="lines"):
        if line.startswith("|"):
            if _TABLE_RULE.match(line):
                continue
            line = " | ".join(cell.strip() for cell in line.strip("| ").split("|"))
        line = _LIST_MARKER.sub("", line)
        if line:
            paragraphs.append(line)
    return paragraphs


def _fallback(html: str, info: InputInfo) -> tuple[list[str], dict[str, str]]:
    """Headings, paragraphs and list items of the page, without scripts and navigation."""
    import lxml.html
    from lxml import etree

    meta = dict.fromkeys(_META_FIELDS, "")
    try:
        root = lxml.html.document_fromstring(_XML_DECLARATION.sub("", html, count=1))
    except (etree.ParserError, ValueError) as exc:
        raise info.error("has no article text") from exc
    meta["title"] = _first_text(root, "//meta[@property='og:title']/@content", "//title")
    meta["url"] = _first_text(
        root, "//link[@rel='canonical']/@href", "//meta[@property='og:url']/@content"
    )
    meta["sitename"] = _first_text(root, "//meta[@property='og:site_name']/@content")
    meta["author"] = _first_text(root, "//meta[@name='author']/@content")
    etree.strip_elements(root, *_NOT_ARTICLE, with_tail=False)
    blocks = root.xpath(_BLOCK_XPATH)
    if isinstance(blocks, list) and blocks:
        texts = [
            clean_line(block.text_content())
            for block in blocks
            if isinstance(block, lxml.html.HtmlElement) and not _has_block_ancestor(block)
        ]
    else:
        texts = split_paragraphs(root.text_content(), line_breaks="lines")
    return [t for t in texts if t], meta


def _has_block_ancestor(element: lxml.html.HtmlElement) -> bool:
    """A <p> inside a <li> or <td> is already part of its ancestor's text."""
    return any(
        parent.tag in ("li", "blockquote", "td", "th", "p") for parent in element.iterancestors()
    )


def _first_text(root: lxml.html.HtmlElement, *xpaths: str) -> str:
    import lxml.html

    for xpath in xpaths:
        found = root.xpath(xpath)
        if not isinstance(found, list):
            continue
        for item in found:
            text = item.text_content() if isinstance(item, lxml.html.HtmlElement) else str(item)
            if text.strip():
                return clean_line(text)
    return ""


def _usable_encoding(name: str) -> str | None:
    """The codec for a declared charset, as browsers read it, or None if unusable."""
    try:
        encoding = codecs.lookup(name).name
    except LookupError:
        return None
    if encoding.startswith(("utf-16", "utf-32")):
        return None  # a byte-order mark would have said so; browsers read these as UTF-8
    if encoding in ("latin-1", "iso8859-1", "ascii"):
        return "cp1252"  # the WHATWG encoding standard maps these labels to windows-1252
    return encoding
