"""Build an :class:`ArticleDraft` from a reader's paragraphs and metadata.

Every format ends here, so the rules for a title, a dateline and page furniture are the
same whether the article came from a .txt, a web page or a PDF.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence
from dataclasses import dataclass

from workbench.errors import IngestError
from workbench.ingest.chrome import strip_page_chrome
from workbench.ingest.normalize import clean_line, join_paragraphs
from workbench.models import MAX_ARTICLE_CHARS, ArticleDraft

MAX_TITLE_CHARS = 150
"""A first paragraph longer than this is text, not a headline."""
FALLBACK_TITLE_CHARS = 80

_MONTHS = {
    name: number
    for number, names in enumerate(
        (
            ("january", "jan"),
            ("february", "feb"),
            ("march", "mar"),
            ("april", "apr"),
            ("may",),
            ("june", "jun"),
            ("july", "jul"),
            ("august", "aug"),
            ("september", "sep", "sept"),
            ("october", "oct"),
            ("november", "nov"),
            ("december", "dec"),
        ),
        start=1,
    )
    for name in names
}
_DATELINE = re.compile(
    r"(?:(?:mon|tues|wednes|thurs|fri|satur|sun)day,?\s+)?"
    r"(?:(?P<month>[a-z]+)\.?\s+(?P<day>\d{1,2}),?\s+(?P<year>\d{4})"
    r"|(?P<day2>\d{1,2})\s+(?P<month2>[a-z]+)\.?,?\s+(?P<year2>\d{4})"
    r"|(?P<iso>\d{4}-\d{2}-\d{2}))",
    re.IGNORECASE,
)
# A full stop after a word of three or more letters, then more text: two sentences,
# so not a headline ("... committee Thursday. (Yonhap)"). "N. Korea", "Mr. Kim" pass.
_SECOND_SENTENCE = re.compile(r"\w{3,}[.!?][\"'”’]*\s+\S")
_FIRST_SENTENCE = re.compile(r"^(.+?[.!?])[\"'”’]*(?:\s|$)")


@dataclass(frozen=True, slots=True)
class InputInfo:
    """Where the input came from, for error messages, ``origin`` and a fallback title."""

    label: str
    """How messages name the input: a file's base name, or "standard input"."""
    origin: str
    stem: str = ""
    """The file name without extension; the title when the text offers none."""

    def error(self, problem: str) -> IngestError:
        """An :class:`IngestError` whose one-line message names the input."""
        return IngestError(f"{self.label} {problem}")


def assemble_draft(
    paragraphs: Sequence[str],
    *,
    info: InputInfo,
    title: str = "",
    author: str = "",
    source: str = "",
    url: str = "",
    published: str | None = None,
    title_from_body: bool = True,
) -> ArticleDraft:
    """Strip page furniture, settle title and dateline, and join the paragraphs.

    Args:
        paragraphs: Normalised paragraphs in reading order.
        info: The input, for messages and the fallback title.
        title: A title from metadata; a first paragraph repeating it is dropped.
        author: Byline from metadata.
        source: The outlet's name.
        url: The article's address.
        published: ISO 8601 date or datetime from metadata.
        title_from_body: Without ``title``, take a headline-like first paragraph as
            the title (and out of the body).

    Raises:
        IngestError: No article text is left, or too much (:data:`MAX_ARTICLE_CHARS`).
    """
    body = strip_page_chrome(paragraphs)
    title = clean_line(title)
    if body and _dateline(body[0]) is not None and len(body) > 1:
        published = published or _dateline(body[0])
        body = body[1:]
    if title:
        if body and _same_text(body[0], title) and len(body) > 1:
            body = body[1:]
    elif title_from_body and len(body) > 1 and looks_like_title(body[0]):
        title = body[0]
        body = body[1:]
        if _dateline(body[0]) is not None and len(body) > 1:
            published = published or _dateline(body[0])
            body = body[1:]
    text = join_paragraphs(body)
    if not text:
        raise info.error("has no article text")
    check_length(text, info=info)
    return ArticleDraft(
        text=text,
        title=title or fallback_title(info, body),
        source=clean_line(source),
        author=clean_line(author),
        url=url.strip(),
        published=published,
        origin=info.origin,
    )


def check_length(text: str, *, info: InputInfo) -> None:
    """Refuse ``text`` longer than :data:`MAX_ARTICLE_CHARS`, before any work is spent on it.

    Raises:
        IngestError: The text is too long.
    """
    if len(text) > MAX_ARTICLE_CHARS:
        raise info.error(
            f"is too long ({len(text):,} characters; the limit is {MAX_ARTICLE_CHARS:,})"
        )


def looks_like_title(paragraph: str) -> bool:
    """True for a short single sentence that does not end with a full stop: a headline."""
    text = paragraph.strip()
    if not text or len(text) > MAX_TITLE_CHARS or "\n" in text:
        return False
    if text[0].islower() or text.endswith((".", ",", ";", ":")):
        return False
    return _SECOND_SENTENCE.search(text) is None


def fallback_title(info: InputInfo, body: Sequence[str]) -> str:
    """The file's name, made readable, or else the article's first sentence, shortened."""
    stem = " ".join(re.sub(r"[-_]+", " ", info.stem).split())
    if any(ch.isalpha() for ch in stem):
        return stem
    if not body:
        return ""
    first = body[0]
    match = _FIRST_SENTENCE.match(first)
    sentence = match.group(1) if match else first
    if len(sentence) <= FALLBACK_TITLE_CHARS:
        return sentence
    cut = sentence[:FALLBACK_TITLE_CHARS].rsplit(" ", 1)[0]
    return cut.rstrip(",;:") + "…"


def _dateline(paragraph: str) -> str | None:
    """The ISO date if ``paragraph`` is only a date ("Tuesday, September 1, 2015")."""
    match = _DATELINE.fullmatch(paragraph.strip().rstrip("."))
    if match is None:
        return None
    try:
        if match["iso"]:
            return dt.date.fromisoformat(match["iso"]).isoformat()
        month = _MONTHS.get((match["month"] or match["month2"]).lower())
        day = int(match["day"] or match["day2"])
        year = int(match["year"] or match["year2"])
        return dt.date(year, month, day).isoformat() if month else None
    except ValueError:
        return None


def _same_text(a: str, b: str) -> bool:
    return " ".join(a.casefold().split()) == " ".join(b.casefold().split())
