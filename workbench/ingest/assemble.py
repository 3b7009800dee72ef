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
from workbench.textsafety import MAX_URL_CHARS, clipped, without_controls

MAX_TITLE_CHARS = 150
"""A first paragraph longer than this is text, not a headline."""
FALLBACK_TITLE_CHARS = 80
SHORT_READING_SHARE = 0.2
"""An article with less than this share of its input's words is read with a warning."""
SHORT_READING_MIN_LOST = 300
"""... unless fewer words than this were left out: a brief on a page of links is fine."""

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
# so not a headline ("... committee Thursday. (Yonhap)"). "N. Korea", "Mr. Kim" pass,
# as do the abbreviations of titles, months and US states that headlines use.
_SECOND_SENTENCE = re.compile(r"(\w{3,})([.!?])[\"'”’]*\s+\S")
_ABBREVIATION_WORDS = """
    Adm Ald Assn Atty Ave Blvd Bros Capt Cmdr Col Corp Cpl Dept Dist Gen Gov Hon Hwy Inc Lieut
    Ltd Maj Mme Mlle Mrs Messrs Pres Prof Rep Rev Sen Sgt Supt Univ
    Jan Feb Mar Apr Jun Jul Aug Sep Sept Oct Nov Dec
    Ala Ariz Ark Calif Colo Conn Del Fla Ill Ind Kan Mass Mich Minn Miss Mont Neb Nev Okla Ore
    Penn Tenn Tex Wash Wis Wyo etc approx
"""
_ABBREVIATIONS = frozenset(_ABBREVIATION_WORDS.split())
_FIRST_SENTENCE = re.compile(r"^(.+?[.!?])[\"'”’]*(?:\s|$)")
_LIST_NUMBER = re.compile(r"^\(?\d{1,3}[.)]\s+(?=\S)")


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
    input_words: int | None = None,
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
        input_words: The words a reader saw (a web page's visible text), to warn when
            the article kept is a small part of them; by default the words of
            ``paragraphs``, which page furniture may have taken.

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
    on_page = input_words is not None
    if input_words is None:
        input_words = sum(count_words(p) for p in paragraphs)
    warning = short_reading_warning(count_words(text), input_words, on_page=on_page)
    warnings: tuple[str, ...] = (warning,) if warning else ()
    url = url.strip()
    if len(url) > MAX_URL_CHARS:  # cut short, it would be a wrong address
        warnings += (f"its address is over {MAX_URL_CHARS:,} characters and was left out",)
        url = ""
    return ArticleDraft(
        text=text,
        title=_detail(title or fallback_title(info, body), MAX_STORED_TITLE_CHARS),
        source=_detail(source, MAX_DETAIL_CHARS),
        author=_detail(author, MAX_DETAIL_CHARS),
        url=url,
        published=published,
        origin=info.origin,
        warnings=warnings,
    )


MAX_STORED_TITLE_CHARS = 300
"""The longest title kept (a 500 KB Markdown heading froze the window and squeezed the
article to a line and a half); a longer one is cut, with "…"."""
MAX_DETAIL_CHARS = 200
"""The longest outlet name or byline kept."""


def _detail(text: str, limit: int) -> str:
    """A title, outlet or byline as stored: one line, at most ``limit`` characters, and
    without the controls that reorder or hide what is shown (a file named
    ``Minister\u202etroper.txt`` made the window title and the library's
    "0/2 checked" read backwards)."""
    return clipped(clean_line(without_controls(text)), limit)


def count_words(text: str) -> int:
    """Words as a reader counts them: runs without spaces that hold a letter or digit."""
    return sum(1 for token in text.split() if any(ch.isalnum() for ch in token))


def short_reading_warning(kept: int, seen: int, *, on_page: bool = False) -> str | None:
    """The warning for an article of ``kept`` words read from ``seen``, or None if it is fine.

    An extraction that keeps a sliver of a long input (an opinion column reduced to its
    photo caption) is still imported, but the user is told to compare it with the original.
    """
    if seen - kept < SHORT_READING_MIN_LOST or kept >= SHORT_READING_SHARE * seen:
        return None
    where = "on the page" if on_page else "in the input"
    return (
        f"Only {kept:,} of about {_about(seen):,} words {where} were kept as the article: "
        "check the text against the original."
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
    if text.endswith((".", ",", ";", ":")):
        return False
    first_word = text.split(" ", 1)[0]
    if text[0].islower() and first_word.islower():  # "iPhone sales fall" is a headline
        return False
    return not _has_second_sentence(text)


def _has_second_sentence(text: str) -> bool:
    """A sentence ends inside ``text``: "... Thursday. (Yonhap)", "Where? Nobody knows!".

    "Gov. Newsom signs bill" and "Recession? Not yet, says bank" are headlines; a
    question inside counts only when the text ends like a sentence too.
    """
    ends_like_sentence = text.rstrip("\"'”’)").endswith((".", "!", "?", "…"))
    for match in _SECOND_SENTENCE.finditer(text):
        word, mark = match.groups()
        if mark == "." and word not in _ABBREVIATIONS:
            return True
        if mark != "." and ends_like_sentence:
            return True
    return False


def fallback_title(info: InputInfo, body: Sequence[str]) -> str:
    """The file's name, made readable, or else the article's first sentence, shortened."""
    stem = " ".join(re.sub(r"[-_]+", " ", info.stem).split())
    if any(ch.isalpha() for ch in stem):
        return stem
    if not body:
        return ""
    first = _LIST_NUMBER.sub("", body[0])  # "1. Publish the contracts." is no title "1."
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


def _about(count: int) -> int:
    """``count`` to two significant digits, as a person says "about 1,900"."""
    if count < 100:
        return count
    step = int(10 ** (len(str(count)) - 2))
    return round(count / step) * step


def _same_text(a: str, b: str) -> bool:
    return " ".join(a.casefold().split()) == " ".join(b.casefold().split())
