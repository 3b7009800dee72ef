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
import dataclasses
import logging
import re
from collections.abc import Iterable, Sequence
from types import ModuleType
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from workbench.ingest.assemble import InputInfo, assemble_draft, count_words
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
_BULLET = re.compile(r"^(?:[-*•]\s+)+")
"""trafilatura's "- " before a list item, and bullets typed into the text."""
_NUMBERED = re.compile(r"^\(?\d{1,3}[.)]\s")
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
# Text a reader of the page does not see as its body, for the page's word count.
_NOT_BODY = tuple(tag for tag in _NOT_ARTICLE if tag != "form")  # ASP.NET wraps it all
_HIDDEN_XPATH = (
    "//*[@hidden or @aria-hidden='true'"
    " or contains(translate(@style, ' ', ''), 'display:none')"
    " or contains(@class, 'comment') or contains(@id, 'comment')]"
)

# Site names around a <title>: "Budget passes – The Daily Ledger", "Site | Headline".
_TITLE_SEPARATOR = re.compile(r"\s+(?:[|–—·•»:]|--?)\s+")
_DOMAIN = re.compile(r"(?:www\.)?(?:[a-z0-9-]+\.)+[a-z]{2,}", re.IGNORECASE)
_SITE_WORDS = """
    of the and & for on at de del della des di du la le les el y und der die das
"""
_NAME_CONNECTORS = frozenset(_SITE_WORDS.split())
"""Lower-case words a site's name may hold ("Voice of America", "Corriere della Sera")."""
_HOST_WORDS = "www m amp mobile news blog blogs edition en home web co com org net"
_GENERIC_HOST_LABELS = frozenset(_HOST_WORDS.split())
"""Labels of a host name that say nothing about the site ("www", "news")."""
_MAX_SITE_NAME_CHARS = 60
_MAX_SITE_NAME_WORDS = 5
_MIN_HEADLINE_WORDS = 2
"""A shorter rest is half a headline: "Biden - Trump Debate" keeps its dash."""


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
    except UnicodeError:
        return decode_text(data, label=info.label)  # the declaration is wrong: guess
    if looks_binary(text):
        raise info.error(BINARY_PROBLEM)
    return text


MAX_ELEMENTS = 1_000_000
"""The most tags a page may open (counted as its ``<`` characters): an article page has
thousands. libxml2 fails on some searches past ten million nodes (a 21 MB page of
``<p>a`` gave "unexpected XPathEvalError"), and the page is parsed several times."""
MAX_ATTRIBUTES = 1_000
"""The most attributes one element may have: libxml2's time grows with their square
(100,000 on one tag, a 1 MB file, took 25 s a parse; 2 million would take hours)."""
_LONG_TAG = re.compile(r"<[A-Za-z][^<>]{10000,}>")
"""A tag of 10,000 characters or more: a data: image, or a pile of attributes."""


def _check_markup(html: str, info: InputInfo) -> None:
    """Refuse a page built to make the parser work for hours (see the limits above)."""
    if html.count("<") > MAX_ELEMENTS:
        raise info.error(f"has over {MAX_ELEMENTS:,} elements, too many for an article page")
    for tag in _LONG_TAG.finditer(html):
        if tag.group().count("=") > MAX_ATTRIBUTES:
            raise info.error(
                f"has an element with over {MAX_ATTRIBUTES:,} attributes, too many to read"
            )


def read_html(html: str, *, info: InputInfo) -> ArticleDraft:
    """Reduce a web page to its article, with the metadata the page declares.

    Raises:
        IngestError: The page has no article text, or is built to be too costly to
            read (:data:`MAX_ELEMENTS`, :data:`MAX_ATTRIBUTES`).
    """
    _check_markup(html, info)
    extracted = _extract(html, info)
    text = str(extracted.get("text") or "") if extracted else ""
    if _flattened(text):
        # trafilatura's last resort runs the whole page into one line; its precise mode,
        # or else the plain walk over paragraphs, keeps them apart.
        precise = _extract(html, info, favor_precision=True)
        if precise and not _flattened(str(precise.get("text") or "")):
            extracted, text = precise, str(precise.get("text") or "")
    meta = {key: str(extracted.get(key) or "") for key in _META_FIELDS} if extracted else {}
    page = _page_facts(html)
    paragraphs = _clean_lines(text, page.numbered)
    if not paragraphs or _flattened(text):
        log.debug("%s: trafilatura found no paragraphs; reading them from the HTML", info.label)
        found, fallback_meta = _fallback(html, info)
        if found and (not paragraphs or len(found) > 1):
            paragraphs = found
        meta = {key: meta.get(key) or fallback_meta[key] for key in _META_FIELDS}
    url = meta["url"] or page.url
    host = str(extracted.get("hostname") or "") if extracted else ""
    title, site = settle_title(
        meta["title"],
        page,
        site_names=[meta["sitename"], *page.site_names],
        host=host or urlsplit(url).hostname or "",
    )
    source = meta["sitename"]
    if site and (not source or _DOMAIN.fullmatch(source)):
        source = site  # "The Daily Ledger" rather than nothing, or its host name
    return assemble_draft(
        paragraphs,
        info=info,
        title=title,
        author=meta["author"],
        source=source,
        url=meta["url"],
        published=meta["date"] or None,
        title_from_body=False,
        input_words=page.words,
    )


_META_FIELDS = ("title", "author", "date", "sitename", "url")


@dataclasses.dataclass(frozen=True, slots=True)
class PageFacts:
    """What the page itself says about its title, its site and its size."""

    title: str = ""
    """The ``<title>`` element as written, site name and all."""
    h1s: tuple[str, ...] = ()
    meta_titles: tuple[str, ...] = ()
    """og:title and twitter:title."""
    site_names: tuple[str, ...] = ()
    """og:site_name and application-name."""
    url: str = ""
    numbered: dict[str, int] = dataclasses.field(default_factory=dict)
    """The items of the page's numbered lists (``<ol>``), by text: the numbers shown."""
    words: int | None = None
    """Words of the visible body text (no scripts, navigation, header, footer, asides
    or comments); None when lxml cannot parse the page."""


def settle_title(
    found: str, page: PageFacts, *, site_names: Sequence[str] = (), host: str = ""
) -> tuple[str, str]:
    """The headline without the site's name around it, and that name (or "").

    ``found`` is trafilatura's title. It splits a ``<title>`` at its last spaced dash
    whatever the parts ("Biden - Trump debate: ..." becomes "Biden"), so a title taken
    from there is split again here, from the element as written. A trailing segment is
    taken for the site's name when the site's known names or its host confirm it, when
    the page's headline (h1, og:title) is the rest, or when it is short and shaped like a
    name and the rest is a whole headline; a leading one only when confirmed.
    """
    found = clean_line(found)
    in_h1 = any(_same(found, h1) for h1 in page.h1s)
    own = in_h1 or any(_same(found, meta) for meta in page.meta_titles)
    title = page.title if page.title and not own and found in page.title else found
    names = [n for n in site_names if n]
    headlines = [h for h in (*page.h1s, *page.meta_titles) if not _same(h, title)]
    title, site = _split_site_name(title, names=names, host=host, headlines=headlines, strict=in_h1)
    if not site and page.title and not _same(page.title, title):
        # The headline came from the page ("Budget passes"); the <title> may name the
        # site after it ("Budget passes - The Daily Ledger").
        _, site = _split_site_name(
            page.title, names=names, host=host, headlines=[title, *headlines], strict=False
        )
    return title, site


def _split_site_name(
    title: str, *, names: Sequence[str], host: str, headlines: Sequence[str], strict: bool
) -> tuple[str, str]:
    """``title`` without a site name (and sections) after it, or a known one before it."""
    site = ""
    stripped = False
    while (parts := _split_last(title)) is not None:
        head, separator, tail = parts
        known = _known_site_name(tail, names, host)
        extra = any(_same(head, headline) for headline in headlines)
        if stripped:  # "Headline | Politics" after "| The Daily Ledger"
            if not (extra or (separator == "|" and _name_shaped(tail))):
                break
        elif not (known or extra or (not strict and _plausible_site_name(head, separator, tail))):
            break
        if not stripped and (known or _name_shaped(tail)):
            site = tail
        title, stripped = head, True
    if not stripped and (match := _TITLE_SEPARATOR.search(title)) is not None:
        head, rest = title[: match.start()].strip(), title[match.end() :].strip()
        if _known_site_name(head, names, host) and len(rest.split()) >= 2:
            title, site = rest, head
    return title, site


def _split_last(title: str) -> tuple[str, str, str] | None:
    """Head, separator and tail around the last separator, or None."""
    matches = list(_TITLE_SEPARATOR.finditer(title))
    if not matches:
        return None
    last = matches[-1]
    head, tail = title[: last.start()].strip(), title[last.end() :].strip()
    if not head or not tail:
        return None
    return head, last.group().strip(), tail


def _plausible_site_name(head: str, separator: str, tail: str) -> bool:
    """Without confirmation: a short name after a whole headline.

    After a Title Case headline, a capitalised tail may be the headline's second half
    ("Trump Wins - Biden Concedes"): it is taken only when it is one word, starts with
    "The" or holds an acronym ("NBC News").
    """
    if not _name_shaped(tail):
        return False
    if len(head.split()) < (2 if separator == "|" else _MIN_HEADLINE_WORDS):
        return False
    if separator == "|":
        return True
    words = tail.split()
    return (
        not _title_case(head)
        or len(words) == 1
        or words[0].casefold() == "the"
        or any(len(word) > 1 and word.isupper() for word in words)
    )


def _name_shaped(segment: str) -> bool:
    """A few capitalised words ("The Daily Ledger", "BBC News") or a domain name."""
    if _DOMAIN.fullmatch(segment):
        return True
    words = segment.split()
    if not 1 <= len(words) <= _MAX_SITE_NAME_WORDS or len(segment) > _MAX_SITE_NAME_CHARS:
        return False
    if segment.endswith((".", "!", "?", ",", ";", ":")) or words[0][0].islower():
        return False
    return any(ch.isalpha() for ch in segment) and all(
        not word[0].isalpha() or word[0].isupper() or word.casefold() in _NAME_CONNECTORS
        for word in words
    )


def _title_case(text: str) -> bool:
    long_words = [w for w in text.split() if len(w) >= 4 and w[0].isalpha()]
    return len(long_words) >= 2 and sum(w[0].isupper() for w in long_words) >= 0.8 * len(long_words)


def _known_site_name(segment: str, names: Iterable[str], host: str) -> bool:
    """``segment`` is the site's name as its metadata or its host gives it, or a domain."""
    if _DOMAIN.fullmatch(segment):
        return True
    key = _name_key(segment)
    if len(key) < 3 or len(segment) > _MAX_SITE_NAME_CHARS:
        return False
    keys = {key, _name_key(segment, keep_the=True)}
    if any(_same_key(keys, _name_key(name)) for name in names):
        return True
    labels = host.casefold().split(".")[:-1]  # without the top-level domain
    return any(_same_key(keys, label) for label in labels if label not in _GENERIC_HOST_LABELS)


def _same_key(keys: set[str], other: str) -> bool:
    """One name is the other, or starts it: "BBC News" and "bbc", "Daily Ledger" and ..."""
    if len(other) < 3:
        return False
    return any(key == other or key.startswith(other) or other.startswith(key) for key in keys)


def _name_key(name: str, *, keep_the: bool = False) -> str:
    """Letters and digits only, lower case, without a leading "The"."""
    words = name.casefold().split()
    if words and words[0] == "the" and not keep_the:
        words = words[1:]
    return "".join(ch for ch in "".join(words) if ch.isalnum())


def _same(a: str, b: str) -> bool:
    return bool(a) and " ".join(a.casefold().split()) == " ".join(b.casefold().split())


MAX_DEPTH = 2048
"""How deeply a page's elements may nest (libxml2's limit with ``huge_tree``; 256 without,
and real pages built of nested ``div`` go past 256)."""


class _TooDeep(Exception):
    """The page nests its elements deeper than :data:`MAX_DEPTH`: libxml2 stopped there."""


def _parse(html: str) -> Any:
    """The page as lxml reads it, every level of it up to :data:`MAX_DEPTH`.

    Raises:
        _TooDeep: it nests deeper, and what lies below was dropped.
        lxml.etree.ParserError, ValueError: it is no HTML at all.
    """
    import lxml.html

    parser = lxml.html.HTMLParser(huge_tree=True)  # no entities to expand in HTML
    root = lxml.html.document_fromstring(_XML_DECLARATION.sub("", html, count=1), parser=parser)
    if any("Excessive depth" in entry.message for entry in parser.error_log):
        raise _TooDeep
    return root


def _page_facts(html: str) -> PageFacts:
    """Title, headlines, site names and visible words, from the page as lxml reads it."""
    import lxml.html
    from lxml import etree

    try:
        root = _parse(html)
    except (etree.ParserError, ValueError, _TooDeep):
        return PageFacts()
    h1s = [clean_line(h1.text_content()) for h1 in root.iter("h1")]
    facts = PageFacts(
        title=_first_text(root, "//head/title", "//title"),
        h1s=tuple(h1 for h1 in h1s if h1),
        meta_titles=_all_texts(
            root, "//meta[@property='og:title']/@content", "//meta[@name='twitter:title']/@content"
        ),
        site_names=_all_texts(
            root,
            "//meta[@property='og:site_name']/@content",
            "//meta[@name='application-name']/@content",
        ),
        url=_first_text(
            root, "//link[@rel='canonical']/@href", "//meta[@property='og:url']/@content"
        ),
        numbered=_numbered_items(root),
    )
    etree.strip_elements(root, "head", *_NOT_BODY, with_tail=False)
    hidden = root.xpath(_HIDDEN_XPATH)
    for element in hidden if isinstance(hidden, list) else ():
        if isinstance(element, lxml.html.HtmlElement) and element.getparent() is not None:
            element.drop_tree()
    return dataclasses.replace(facts, words=count_words(" ".join(root.itertext())))


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


def _clean_lines(text: str, numbered: dict[str, int]) -> list[str]:
    """trafilatura's lines are elements: strip bullets and Markdown table rules.

    trafilatura writes every list item as "- item" (or, in its baseline extraction, as
    the bare text); an item of a numbered list (``numbered``: its text and number)
    reads "2. item" instead. Numbers that are in the text itself stay.
    """
    paragraphs: list[str] = []
    for line in split_paragraphs(text, line_breaks="lines"):
        if line.startswith("|"):
            if _TABLE_RULE.match(line):
                continue
            line = " | ".join(cell.strip() for cell in line.strip("| ").split("|"))
        line = _BULLET.sub("", line)
        number = numbered.get(line)
        if number is not None:
            line = f"{number}. {line}"
        if line:
            paragraphs.append(line)
    return paragraphs


def _numbered_items(root: lxml.html.HtmlElement) -> dict[str, int]:
    """The items of the numbered lists, by text: the number a browser shows before each.

    trafilatura keeps neither ``start`` nor ``value``, so the numbers come from the page.
    Items whose text starts with a number of its own are left out: they need no other.
    """
    numbers: dict[str, int] = {}
    for ordered in root.iter("ol"):
        number = _attribute_number(ordered, "start", 1) - 1
        for item in ordered:
            if item.tag != "li":
                continue
            number = _attribute_number(item, "value", number + 1)
            text = _own_text(item)
            if text and not _NUMBERED.match(text):
                numbers.setdefault(text, number)
    return numbers


def _attribute_number(element: lxml.html.HtmlElement, name: str, default: int) -> int:
    try:
        return int(element.get(name) or default)
    except ValueError:  # not a number, or thousands of digits
        return default


def _own_text(item: lxml.html.HtmlElement) -> str:
    """An item's text without the lists nested in it (they are items of their own)."""
    parts = [item.text or ""]
    for child in item:
        if child.tag not in ("ol", "ul"):
            parts.append(child.text_content())
        parts.append(child.tail or "")
    return clean_line("".join(parts))


def _fallback(html: str, info: InputInfo) -> tuple[list[str], dict[str, str]]:
    """Headings, paragraphs and list items of the page, without scripts and navigation."""
    import lxml.html
    from lxml import etree

    meta = dict.fromkeys(_META_FIELDS, "")
    try:
        root = _parse(html)
    except _TooDeep:
        raise info.error(
            f"nests its elements more than {MAX_DEPTH:,} levels deep, too deep to read"
        ) from None
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
        numbered = _numbered_items(root)
        texts = [
            _block_text(block, numbered)
            for block in blocks
            if isinstance(block, lxml.html.HtmlElement) and not _has_block_ancestor(block)
        ]
    else:
        texts = split_paragraphs(root.text_content(), line_breaks="lines")
    return [t for t in texts if t], meta


def _block_text(block: lxml.html.HtmlElement, numbered: dict[str, int]) -> str:
    """A block's text; an item of a numbered list starts with its number."""
    text = clean_line(block.text_content())
    parent = block.getparent()
    if block.tag != "li" or parent is None or parent.tag != "ol" or not text:
        return text
    number = numbered.get(_own_text(block))
    return f"{number}. {text}" if number is not None else text


def _has_block_ancestor(element: lxml.html.HtmlElement) -> bool:
    """A <p> inside a <li> or <td> is already part of its ancestor's text."""
    return any(
        parent.tag in ("li", "blockquote", "td", "th", "p") for parent in element.iterancestors()
    )


def _first_text(root: lxml.html.HtmlElement, *xpaths: str) -> str:
    return next(iter(_all_texts(root, *xpaths)), "")


def _all_texts(root: lxml.html.HtmlElement, *xpaths: str) -> tuple[str, ...]:
    """The non-empty texts the ``xpaths`` find, in order, each once."""
    import lxml.html

    texts: dict[str, None] = {}
    for xpath in xpaths:
        found = root.xpath(xpath)
        if not isinstance(found, list):
            continue
        for item in found:
            text = item.text_content() if isinstance(item, lxml.html.HtmlElement) else str(item)
            if text.strip():
                texts.setdefault(clean_line(text), None)
    return tuple(texts)


_WEB_ENCODINGS = frozenset(
    {
        "utf-8", "cp866", "koi8-r", "koi8-u", "mac-roman", "mac-cyrillic", "cp874",
        *(f"iso8859-{n}" for n in (2, 3, 4, 5, 6, 7, 8, 10, 13, 14, 15, 16)),
        *(f"cp{n}" for n in range(1250, 1259)),
        "gbk", "gb18030", "big5hkscs", "euc_jp", "iso2022_jp", "cp932", "cp949",
    }
)  # fmt: skip
"""The encodings of the WHATWG encoding standard (what browsers read), by Python's codec
names. A page may name any Python codec in ``<meta charset>``: rot13, base64 or zlib
are no text encodings, and unicode_escape turns the page's own backslashes into code."""
_WEB_ALIASES = {
    "latin-1": "cp1252",  # the standard reads these labels as windows-1252
    "iso8859-1": "cp1252",
    "ascii": "cp1252",
    "iso8859-9": "cp1254",
    "iso8859-11": "cp874",
    "tis-620": "cp874",
    "gb2312": "gbk",
    "shift_jis": "cp932",  # what browsers decode as Shift_JIS, Big5 and EUC-KR
    "big5": "big5hkscs",
    "euc_kr": "cp949",
}


def _usable_encoding(name: str) -> str | None:
    """The codec for a declared charset, as browsers read it, or None if unusable (the
    page is then decoded as if it declared none). UTF-16 and UTF-32 are unusable: a
    byte-order mark would have said so, and browsers read those labels as UTF-8."""
    try:
        encoding = codecs.lookup(name).name
    except LookupError:
        return None
    encoding = _WEB_ALIASES.get(encoding, encoding)
    return encoding if encoding in _WEB_ENCODINGS else None
